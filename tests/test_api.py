"""The HTTP API against a real uvicorn server, the real Redis (a key prefix per module)
and, for the searches and checks, the real embedded Lean behind a verifier worker and a
coordinator on threads of this process."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from api.app import create_app
from api.serve import ServeError, serve
from api.settings import ApiSettings
from prover.feedback import record_job
from prover.lean.verifier import ReplVerifier
from prover.queue.connect import Redis
from prover.queue.keys import Keys
from prover.queue.verify_worker import VerifyWorker
from prover.search.coordinator import Coordinator
from prover.settings import GeneratorSettings, RedisSettings
from tests.apiserver import REDIS_URL, free_port, redis_prefix, serving, sse_events, wait_http
from tests.test_search import running

ROOT = Path(__file__).resolve().parent.parent
STATEMENT = "theorem t (n : Nat) : 0 + n = n"
COMM = "theorem c (a b : Nat) : a + b = b + a"
Env = tuple[Redis, Keys]


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def env() -> Iterator[Env]:
    with redis_prefix() as env:
        yield env


@pytest.fixture(scope="module")
def base(env: Env) -> Iterator[str]:
    """The API with its defaults: loopback, so no auth; 120 requests a minute."""
    with serving(create_app(ApiSettings(), *env)) as url:
        yield url


@pytest.fixture(scope="module")
def idle(env: Env) -> Iterator[str]:
    """The API on a prefix of its own that no worker reads: jobs stay queued."""
    with redis_prefix() as (_, keys), serving(create_app(ApiSettings(), env[0], keys)) as url:
        yield url


@pytest.fixture(scope="module")
def workers(env: Env, verifier: ReplVerifier) -> Iterator[None]:
    """A verifier worker and a coordinator on the module's prefix."""
    redis, keys = env
    settings = RedisSettings(
        url=REDIS_URL, prefix=keys.prefix, claim_idle_s=3.0, linger_s=0.2, poll_s=0.05
    )
    worker = VerifyWorker(redis, keys, settings, verifier, "verify-api-test")
    coordinator = Coordinator(redis, keys, settings, GeneratorSettings(), "search-api-test")
    with running([worker.run, coordinator.run]):
        yield


def exported(base: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Rows of the feedback export, waiting for the coordinator to record the job."""
    for _ in range(100):
        lines = httpx.get(f"{base}/v1/feedback/export", params=params).text.splitlines()
        if lines:
            return [json.loads(line) for line in lines]
        time.sleep(0.1)
    return []


def error(response: httpx.Response, status: int) -> dict[str, str]:
    """The error object of a response that must have ``status``."""
    assert response.status_code == status, response.text
    body: dict[str, dict[str, str]] = response.json()
    assert set(body) == {"error"} and body["error"]["message"]
    return body["error"]


# --- With Lean ------------------------------------------------------------------------


@pytest.mark.lean
def test_a_job_is_proved_while_its_events_stream(base: str, workers: None) -> None:
    created = httpx.post(f"{base}/v1/jobs", json={"statement": STATEMENT, "label": "api"})
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    assert created.json() == {"id": job_id, "status": "queued"}

    with httpx.stream("GET", f"{base}/v1/jobs/{job_id}/events", timeout=300) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = list(sse_events(response))  # the server ends the stream after `finished`
    kinds = [e["event"] for e in events]
    assert kinds[:2] == ["submitted", "started"] and kinds[-1] == "finished", kinds
    assert {"node", "verdict"} <= set(kinds)
    assert events[-1]["data"]["status"] == "proved"

    job = httpx.get(f"{base}/v1/jobs/{job_id}").json()
    assert job["status"] == "proved" and job["proof"].startswith("by"), job
    assert job["label"] == "api" and job["verifier_calls"] >= 2
    tree = httpx.get(f"{base}/v1/jobs/{job_id}/tree").json()
    assert tree["nodes"][0]["parent"] is None
    assert any(e["kind"] == "confirm" and e["status"] == "proved" for e in tree["edges"])

    # Resuming: after an event, only what followed it; after `finished`, 204 (EventSource
    # then stops reconnecting).
    middle = events[len(events) // 2]["id"]
    with httpx.stream(
        "GET", f"{base}/v1/jobs/{job_id}/events", headers={"Last-Event-ID": middle}
    ) as response:
        rest = list(sse_events(response))
    assert [e["id"] for e in rest] == [e["id"] for e in events[len(events) // 2 + 1 :]]
    last = events[-1]["id"]
    assert httpx.get(f"{base}/v1/jobs/{job_id}/events?after={last}").status_code == 204

    listed = httpx.get(f"{base}/v1/jobs", params={"status": "proved"}).json()["jobs"]
    assert job_id in [j["id"] for j in listed]
    assert httpx.get(f"{base}/readyz").json()["status"] == "ready"
    metrics = httpx.get(f"{base}/metrics").text
    assert 'prover_jobs{status="proved"} 1.0' in metrics
    assert 'prover_workers{kind="verify"} 1.0' in metrics

    # The job's verdicts, recorded once it ended, come back as training rows.
    sft = exported(base, {"view": "sft", "job": job_id})
    assert [(r["view"], r["theorem"], r["tactic"]) for r in sft] == [
        ("sft", "t", job["tactics"][0])
    ]
    assert sft[0]["state"].endswith("⊢ 0 + n = n")
    assert sft[0]["split"] in {"train", "validation", "test"}
    raw = exported(base, {"view": "raw", "job": job_id, "verdict": "failed"})
    assert raw and all(r["verdict"] == "failed" for r in raw)
    assert error(httpx.get(f"{base}/v1/feedback/export?since=5&until=1"), 422)


@pytest.mark.lean
def test_check_verifies_through_the_workers(base: str, workers: None) -> None:
    def check(proof: str) -> dict[str, object]:
        response = httpx.post(
            f"{base}/v1/check", json={"statement": COMM, "proof": proof}, timeout=180
        )
        assert response.status_code == 200, response.text
        verdict: dict[str, object] = response.json()
        return verdict

    proved = check("by omega")
    assert proved["status"] == "proved" and proved["axioms"] == []
    rejected = check("sorry")
    assert rejected["status"] == "rejected" and rejected["construct"] == "sorry"
    failed = check("by exact rfl")
    assert failed["status"] == "failed" and failed["message"]


# --- Without Lean ---------------------------------------------------------------------


def test_bad_input_is_4xx_with_a_json_error(base: str) -> None:
    jobs = f"{base}/v1/jobs"
    assert error(httpx.post(jobs, json={"statement": "lemma"}), 422)["code"] == (
        "invalid_statement"
    )
    axiom = {"statement": STATEMENT, "preamble": "axiom cheat : False"}
    forbidden = error(httpx.post(jobs, json=axiom), 422)
    assert forbidden["code"] == "forbidden_construct" and forbidden["construct"] == "axiom"
    sorry = error(httpx.post(jobs, json={"statement": "theorem s (h : sorry) : True"}), 422)
    assert sorry["construct"] == "sorry" and "sorry" in sorry["message"]
    batch = {"jobs": [{"statement": STATEMENT}, axiom]}
    assert "jobs[1]" in error(httpx.post(f"{jobs}/batch", json=batch), 422)["message"]
    assert error(httpx.post(f"{jobs}/batch", json={"jobs": []}), 422)["code"] == ("invalid_request")
    budget = {"statement": STATEMENT, "budget": {"max_expansions": 0}}
    assert "max_expansions" in error(httpx.post(jobs, json=budget), 422)["message"]
    assert error(httpx.post(jobs, json={"statement": STATEMENT, "x": 1}), 422)
    assert error(httpx.post(jobs, content=b"{", headers={"content-type": "application/json"}), 422)
    big = {"statement": STATEMENT, "preamble": "-- " + "x" * 1_100_000}
    assert error(httpx.post(jobs, json=big), 413)["code"] == "too_large"
    check = {"statement": "nonsense", "proof": "by simp"}
    assert error(httpx.post(f"{base}/v1/check", json=check), 422)["code"] == "invalid_statement"

    unknown = f"{jobs}/0123456789abcdef0123456789abcdef"
    for response in (
        httpx.get(unknown),
        httpx.get(f"{unknown}/tree"),
        httpx.get(f"{unknown}/events"),
        httpx.delete(unknown),
    ):
        assert error(response, 404)["code"] == "job_not_found"
    assert error(httpx.get(f"{unknown}/events?after=not-an-id"), 422)
    assert error(httpx.get(f"{base}/v2/nothing"), 404)["code"] == "not_found"
    assert error(httpx.put(jobs), 405)["code"] == "method_not_allowed"
    assert error(httpx.get(f"{base}/v1/feedback/export?view=nope"), 422)


def test_jobs_wait_in_the_queue_and_cancel(idle: str) -> None:
    specs = {"jobs": [{"statement": STATEMENT, "label": "batch"}] * 3}
    created = httpx.post(f"{idle}/v1/jobs/batch", json=specs)
    assert created.status_code == 201, created.text
    ids = [j["id"] for j in created.json()["jobs"]]
    assert len(set(ids)) == 3
    stats = httpx.get(f"{idle}/v1/stats").json()
    assert stats["queued"] == stats["jobs_waiting"] == 3 and stats["verify_workers"] == 0
    queued = httpx.get(f"{idle}/v1/jobs", params={"status": "queued", "limit": 2}).json()
    assert [j["id"] for j in queued["jobs"]] == ids[::-1][:2]  # newest first
    assert httpx.delete(f"{idle}/v1/jobs/{ids[0]}").json()["status"] == "cancelled"
    with httpx.stream("GET", f"{idle}/v1/jobs/{ids[0]}/events") as response:
        events = list(sse_events(response))
    assert [e["event"] for e in events] == ["submitted", "finished"]
    assert events[-1]["data"]["status"] == "cancelled"
    assert httpx.get(f"{idle}/v1/jobs/{ids[1]}/tree").json() == {"nodes": [], "edges": []}


def test_keys_rates_job_caps_and_cors(env: Env) -> None:
    """Keys set: 401 without one; a bucket of 4 requests a minute; one unfinished job."""
    settings = ApiSettings(
        keys=f"{sha('alpha')},{sha('beta')}",
        rate_per_minute=4,
        max_active_jobs=1,
        cors_origins="http://dash.test",
    )
    redis, _ = env
    with redis_prefix() as (_, keys), serving(create_app(settings, redis, keys)) as url:
        alpha = {"Authorization": "Bearer alpha"}
        beta = {"Authorization": "Bearer beta"}
        missing = httpx.get(f"{url}/v1/jobs")
        assert error(missing, 401)["code"] == "unauthorized"
        assert missing.headers["www-authenticate"] == "Bearer"
        wrong = {"Authorization": "Bearer gamma"}
        assert error(httpx.get(f"{url}/v1/jobs", headers=wrong), 401)
        assert httpx.get(f"{url}/healthz").status_code == 200

        # EventSource cannot send headers: the events endpoint alone takes ?token=.
        nowhere = f"{url}/v1/jobs/{'0' * 32}"
        assert error(httpx.get(f"{nowhere}/events?token=alpha"), 404)
        assert error(httpx.get(f"{nowhere}?token=alpha"), 401)
        for _ in range(3):
            assert httpx.get(f"{url}/v1/jobs", headers=alpha).status_code == 200
        # A second API process on the same Redis shares the bucket: alpha is out there too.
        with serving(create_app(settings, redis, keys)) as other:
            limited = httpx.get(f"{other}/v1/jobs", headers=alpha)
            assert error(limited, 429)["code"] == "rate_limited"
            assert int(limited.headers["retry-after"]) >= 1
        assert error(httpx.get(f"{url}/v1/jobs", headers=alpha), 429)

        spec = {"statement": STATEMENT}
        first = httpx.post(f"{url}/v1/jobs", json=spec, headers=beta)
        assert first.status_code == 201
        capped = httpx.post(f"{url}/v1/jobs", json=spec, headers=beta)
        assert error(capped, 429)["code"] == "too_many_active_jobs"
        httpx.delete(f"{url}/v1/jobs/{first.json()['id']}", headers=beta)
        assert httpx.post(f"{url}/v1/jobs", json=spec, headers=beta).status_code == 201

        cors = httpx.get(f"{url}/healthz", headers={"Origin": "http://dash.test"})
        assert cors.headers["access-control-allow-origin"] == "http://dash.test"
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 503 and "no live verify worker" in ready.json()["reasons"][0]


def test_each_key_sees_only_its_own_jobs_and_feedback(env: Env) -> None:
    """Tenants: another key gets 404 for a job it did not submit (read, tree, events,
    cancel), does not list it and exports none of its records; an admin key sees all."""
    settings = ApiSettings(keys=f"{sha('alpha')},{sha('beta')}", admin_keys=sha("root"))
    redis, _ = env
    with redis_prefix() as (_, keys), serving(create_app(settings, redis, keys)) as url:
        alpha, beta, root = ({"Authorization": f"Bearer {k}"} for k in ("alpha", "beta", "root"))
        job_id = httpx.post(f"{url}/v1/jobs", json={"statement": STATEMENT}, headers=alpha)
        job_id = job_id.json()["id"]
        job = f"{url}/v1/jobs/{job_id}"
        # One recorded verdict, as a coordinator would append it when the job ends.
        edge = {"kind": "step", "parent": None, "tactic": "omega", "tactics": ["omega"]}
        edge |= {"score": 0.0, "status": "failed", "time_s": 0.1, "child": None, "error": "x"}
        redis.rpush(keys.edges(job_id), json.dumps(edge))
        assert record_job(redis, keys, job_id) == 1

        for path in ("", "/tree"):
            assert error(httpx.get(f"{job}{path}", headers=beta), 404)["code"] == "job_not_found"
        assert error(httpx.get(f"{job}/events?token=beta"), 404)
        assert error(httpx.delete(job, headers=beta), 404)
        assert httpx.get(f"{url}/v1/jobs", headers=beta).json()["jobs"] == []
        params = {"view": "raw"}
        stolen = httpx.get(f"{url}/v1/feedback/export", params=params, headers=beta)
        assert stolen.status_code == 200 and stolen.text == ""
        mine = {"view": "raw", "job": job_id}
        stolen = httpx.get(f"{url}/v1/feedback/export", params=mine, headers=beta)
        assert stolen.text == ""

        for who in (alpha, root):
            assert httpx.get(job, headers=who).json()["status"] == "queued"  # not cancelled
            listed = httpx.get(f"{url}/v1/jobs", headers=who).json()["jobs"]
            assert [j["id"] for j in listed] == [job_id]
            rows = httpx.get(f"{url}/v1/feedback/export", params=params, headers=who)
            assert [json.loads(r)["job"] for r in rows.text.splitlines()] == [job_id]


@pytest.mark.parametrize("job_id", ["nowhere", "0" * 31, "A" * 32, "0" * 32 + ":events"])
def test_a_malformed_job_id_is_refused_before_redis(base: str, job_id: str) -> None:
    answer = httpx.get(f"{base}/v1/jobs/{job_id}/tree")
    assert answer.status_code == 422 and "WRONGTYPE" not in answer.text


def test_api_docs_need_no_cdn(base: str) -> None:
    for page, assets in (("docs", ["swagger-ui-bundle.js", "swagger-ui.css"]), ("redoc", [])):
        html = httpx.get(f"{base}/{page}")
        assert html.status_code == 200 and "cdn" not in html.text.lower()
        for asset in assets:
            assert f"/static-offline-docs/{asset}" in html.text
            assert httpx.get(f"{base}/static-offline-docs/{asset}").status_code == 200


def test_cors_is_off_by_default(base: str) -> None:
    response = httpx.get(f"{base}/healthz", headers={"Origin": "http://elsewhere.test"})
    assert "access-control-allow-origin" not in response.headers


def test_redis_down_is_503() -> None:
    import redis as redis_py

    dead = redis_py.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0", decode_responses=True)
    with serving(create_app(ApiSettings(), dead, Keys("nowhere"))) as url:
        assert error(httpx.get(f"{url}/v1/jobs"), 503)["code"] == "redis_unavailable"
        assert error(httpx.post(f"{url}/v1/jobs", json={"statement": STATEMENT}), 503)
        ready = httpx.get(f"{url}/readyz")
        assert ready.status_code == 503 and ready.json()["redis"] is False
        assert httpx.get(f"{url}/healthz").status_code == 200
        assert "prover_redis_up 0.0" in httpx.get(f"{url}/metrics").text


def test_openapi_and_metrics(base: str) -> None:
    schema = httpx.get(f"{base}/openapi.json").json()
    paths = set(schema["paths"])
    assert {"/v1/jobs", "/v1/jobs/batch", "/v1/jobs/{job_id}", "/v1/check"} <= paths
    assert {"/v1/jobs/{job_id}/events", "/v1/jobs/{job_id}/tree", "/v1/stats"} <= paths
    assert all(p.startswith("/v1/") or p in ("/healthz", "/readyz", "/metrics") for p in paths)
    assert "HTTPBearer" in schema["components"]["securitySchemes"]
    httpx.get(f"{base}/v1/jobs")
    text = httpx.get(f"{base}/metrics").text
    assert 'prover_http_request_duration_seconds_bucket{le="0.1",method="GET",route="/v1/jobs"' in (
        text
    )
    assert 'prover_queue_depth{queue="tasks"}' in text and "prover_verifier_calls_total" in text


def test_serve_refuses_a_public_bind_without_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PROVER_API_KEYS", raising=False)
    with pytest.raises(ServeError, match="PROVER_API_KEYS"):
        serve("0.0.0.0", free_port(), workers=False)


def test_serve_without_workers(env: Env) -> None:
    """``serve`` as ``prover serve --no-workers`` runs it, in a process of its own."""
    _, keys = env
    port = free_port()
    variables = {"PROVER_REDIS_URL": REDIS_URL, "PROVER_REDIS_PREFIX": keys.prefix}
    code = f"from api.serve import serve; serve('127.0.0.1', {port}, workers=False)"
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=os.environ | variables)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=60)
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200  # the dashboard
        assert httpx.get(f"http://127.0.0.1:{port}/v1/stats").status_code == 200
    finally:
        proc.terminate()
        assert proc.wait(timeout=30) == 0


# --- Fuzzing --------------------------------------------------------------------------


@pytest.fixture
def fuzz_app(env: Env) -> Iterator[FastAPI]:
    """An app without workers (nothing waits for Lean) and without a rate limit."""
    redis, _ = env
    with redis_prefix() as (_, keys):
        yield create_app(ApiSettings(rate_per_minute=1e9, max_active_jobs=10**6), redis, keys)


def fuzz_settings() -> Any:
    from hypothesis import HealthCheck, settings

    return settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def test_fuzzing_the_schema_finds_no_server_error(fuzz_app: FastAPI) -> None:
    """Schemathesis cases, valid and invalid, for every operation: each answer is
    documented and matches its schema; 503 (no verify worker) is an answer, 500 a bug."""
    schemathesis = pytest.importorskip("schemathesis")  # brings hypothesis
    from hypothesis import given
    from hypothesis import strategies as st
    from schemathesis.checks import content_type_conformance, status_code_conformance
    from schemathesis.specs.openapi.checks import response_schema_conformance

    checks = [status_code_conformance, content_type_conformance, response_schema_conformance]
    modes = [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=st.one_of(*(operation.as_strategy(mode) for mode in modes)))
        @fuzz_settings()
        def fuzz(case: Any) -> None:
            response = case.call()
            assert response.status_code != 500, (case.path, case.body, response.text)
            case.validate_response(response, checks=checks)

        fuzz()


def test_fuzzing_statements_finds_no_server_error(fuzz_app: FastAPI) -> None:
    """Statement-shaped text (random schema strings rarely parse): 201 or 422, never 500."""
    pytest.importorskip("hypothesis")
    from hypothesis import given
    from hypothesis import strategies as st

    client = TestClient(fuzz_app)
    text = st.text(max_size=60)

    @given(binders=text, target=text, preamble=text, proof=text)
    @fuzz_settings()
    def submit(binders: str, target: str, preamble: str, proof: str) -> None:
        spec = {"statement": f"theorem t {binders} : {target}", "preamble": preamble}
        assert client.post("/v1/jobs", json=spec).status_code in (201, 422)
        checked = client.post("/v1/check", json=spec | {"proof": proof})
        assert checked.status_code in (200, 422, 503), checked.text  # 200: rejected at once

    submit()
