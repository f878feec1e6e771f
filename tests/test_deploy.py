"""The compose deployment, checked without Docker: structure, builds, wiring."""

from __future__ import annotations

import json
import os
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {"redis", "api", "search-worker", "verify-worker", "vllm"}
PROVER_COMMANDS = {"serve", "worker", "status"}
WORKER_KINDS = {"search", "verify"}
TOP_LEVEL_KEYS = {"services", "volumes", "networks", "configs", "secrets"}
# Service properties of the Compose specification (compose-spec schema), for a
# structural check where the JSON schema itself cannot be fetched.
_SPEC_SERVICE_PROPERTIES = """
    annotations attach blkio_config build cap_add cap_drop cgroup cgroup_parent command
    configs container_name cpu_count cpu_percent cpu_period cpu_quota cpu_rt_period
    cpu_rt_runtime cpu_shares cpus cpuset credential_spec depends_on deploy develop
    device_cgroup_rules devices dns dns_opt dns_search domainname entrypoint env_file
    environment expose extends external_links extra_hosts gpus group_add healthcheck
    hostname image init ipc isolation label_file labels links logging mac_address
    mem_limit mem_reservation mem_swappiness memswap_limit models network_mode networks
    oom_kill_disable oom_score_adj pid pids_limit platform ports post_start pre_stop
    privileged profiles provider pull_policy pull_refresh_after read_only restart runtime
    scale secrets security_opt shm_size stdin_open stop_grace_period stop_signal
    storage_opt sysctls tmpfs tty ulimits use_api_socket user userns_mode uts volumes
    volumes_from working_dir
"""
SERVICE_KEYS = set(_SPEC_SERVICE_PROPERTIES.split())
BUILD_KEYS = {"context", "dockerfile", "args", "target", "labels", "cache_from", "platforms"}
HEALTHCHECK_KEYS = {"test", "interval", "timeout", "retries", "start_period", "start_interval"}
DEPENDS_CONDITIONS = {"service_started", "service_healthy", "service_completed_successfully"}
# The official schema, where present: `COMPOSE_SPEC_SCHEMA`, or Debian's docker-compose package.
SPEC_SCHEMA = Path(
    os.environ.get(
        "COMPOSE_SPEC_SCHEMA", "/usr/lib/python3/dist-packages/compose/config/compose_spec.json"
    )
)
INTERPOLATION = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?:(?::?[-?+])[^}]*)?\}")


def _load_compose() -> dict[str, Any]:
    with (ROOT / "docker-compose.yml").open(encoding="utf-8") as f:
        loaded: dict[str, Any] = yaml.safe_load(f)
    return loaded


COMPOSE = _load_compose()
BUILT = {name: svc for name, svc in COMPOSE["services"].items() if "build" in svc}


def _argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else list(command)


def _dockerfile_args(path: Path, *instructions: str) -> list[list[str]]:
    """The arguments of each of these instructions, continuation lines joined."""
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    found = [ln.split(maxsplit=1) for ln in text.splitlines() if ln.strip()]
    return [shlex.split(rest) for instr, rest in found if instr.upper() in instructions]


def _walk_strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _walk_strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _walk_strings(v)]
    return []


def test_services_exist() -> None:
    assert set(COMPOSE["services"]) == SERVICES


def test_structure_follows_compose_spec() -> None:
    for key in COMPOSE:
        assert key in TOP_LEVEL_KEYS or key.startswith("x-"), key
    named_volumes = set(COMPOSE.get("volumes") or {})
    for name, svc in COMPOSE["services"].items():
        assert "image" in svc or "build" in svc, name
        for key in svc:
            assert key in SERVICE_KEYS or key.startswith("x-"), f"{name}: {key}"
        build = svc.get("build", {})
        assert isinstance(build, dict) and set(build) <= BUILD_KEYS, name
        assert set(svc["healthcheck"]) <= HEALTHCHECK_KEYS, name
        for dep, spec in svc.get("depends_on", {}).items():
            assert dep in COMPOSE["services"] and spec["condition"] in DEPENDS_CONDITIONS
        for volume in svc.get("volumes", []):
            source = volume.split(":", 1)[0]
            assert source.startswith((".", "/")) or source in named_volumes, f"{name}: {source}"
    for text in _walk_strings(COMPOSE):
        for start in (m.start() for m in re.finditer(r"\$\{", text)):
            assert INTERPOLATION.match(text, start), text


@pytest.mark.skipif(not SPEC_SCHEMA.is_file(), reason="no compose-spec JSON schema on disk")
def test_matches_official_compose_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(SPEC_SCHEMA.read_text(encoding="utf-8"))
    errors = [e.message for e in jsonschema.Draft201909Validator(schema).iter_errors(COMPOSE)]
    assert not errors


def test_anchors_and_env_merge_resolved() -> None:
    for name in ("api", "search-worker", "verify-worker"):
        env = COMPOSE["services"][name]["environment"]
        assert isinstance(env, dict) and "<<" not in env, name
    search = COMPOSE["services"]["search-worker"]["environment"]
    assert search["PROVER_GEN_BACKEND"] == "mixed"
    assert search["PROVER_GEN_URL"] == "http://vllm:8000"


@pytest.mark.parametrize("name", sorted(BUILT))
def test_builds_point_at_dockerfiles_whose_sources_exist(name: str) -> None:
    build = BUILT[name]["build"]
    context = (ROOT / build["context"]).resolve()
    dockerfile = context / build["dockerfile"]
    assert dockerfile.is_file(), dockerfile
    copies = [
        args
        for args in _dockerfile_args(dockerfile, "COPY", "ADD")
        if not any(a.startswith("--from") for a in args)
    ]
    assert copies, dockerfile
    for args in copies:
        *sources, _dest = [a for a in args if not a.startswith("--")]
        for source in sources:
            assert (context / source).exists(), f"{dockerfile.name}: {source}"
    declared = {a.split("=", 1)[0] for args in _dockerfile_args(dockerfile, "ARG") for a in args}
    assert set(build.get("args", {})) <= declared


def test_redis_persists() -> None:
    redis = COMPOSE["services"]["redis"]
    argv = _argv(redis["command"])
    assert argv[0] == "redis-server"
    assert argv[argv.index("--appendonly") + 1] == "yes"
    assert any(v.endswith(":/data") for v in redis["volumes"])


def test_every_service_has_a_healthcheck() -> None:
    for name, svc in COMPOSE["services"].items():
        test = svc["healthcheck"]["test"]
        assert isinstance(test, list) and test[0] in {"CMD", "CMD-SHELL"}, name


def test_vllm_reserves_an_nvidia_gpu() -> None:
    devices = COMPOSE["services"]["vllm"]["deploy"]["resources"]["reservations"]["devices"]
    assert any(d["driver"] == "nvidia" and "gpu" in d["capabilities"] for d in devices)


def test_prover_services_reach_redis() -> None:
    assert BUILT
    for name, svc in BUILT.items():
        url = urlsplit(svc["environment"]["PROVER_REDIS_URL"])
        assert url.scheme == "redis" and url.hostname in COMPOSE["services"], name
        assert COMPOSE["services"][url.hostname]["image"].startswith("redis:")
        assert url.port == 6379
        assert svc["depends_on"]["redis"]["condition"] == "service_healthy"


def test_prover_commands_exist() -> None:
    for name, svc in BUILT.items():
        argvs = [_argv(svc["command"]), svc["healthcheck"]["test"][1:]]
        for argv in argvs:
            if argv[0] != "prover":
                continue
            assert argv[1] in PROVER_COMMANDS, f"{name}: {argv}"
            if argv[1] == "worker":
                assert argv[2] in WORKER_KINDS, f"{name}: {argv}"
        assert argvs[0][0] == "prover", name


def test_lean_project_pins_the_toolchain() -> None:
    project = ROOT / "lean" / "project"
    pin = "leanprover/lean4:v4.28.0"
    assert (ROOT / "lean" / "lean-toolchain").read_text().strip() == pin
    assert (project / "lean-toolchain").read_text().strip() == pin
    plain = tomllib.loads((project / "lakefile.toml").read_text())
    mathlib = tomllib.loads((project / "lakefile.mathlib.toml").read_text())
    for lakefile in (plain, mathlib):
        assert lakefile["name"] == "ProverWorkspace"
        assert [lib["name"] for lib in lakefile["lean_lib"]] == ["ProverWorkspace"]
    assert "require" not in plain
    (req,) = mathlib["require"]
    assert req["name"] == "mathlib" and req["rev"] == "v4.28.0"
    assert (project / "ProverWorkspace.lean").is_file()
