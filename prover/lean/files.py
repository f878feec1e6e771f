"""Reading theorems out of a ``.lean`` file and attempts out of a JSONL file."""

from __future__ import annotations

import hashlib
import json
import re

from prover.core.theorem import Attempt, InputError, Theorem, check_text

_COMMAND_START = re.compile(
    r"^(theorem|lemma|example|def|abbrev|instance|namespace|section|end|open|noncomputable|"
    r"structure|inductive|class|@\[|set_option|#|variable|universe|attribute|private|protected|"
    r"axiom|opaque|mutual|macro|syntax|notation|infix)",
)
_THEOREM = re.compile(r"^(theorem|lemma|example)\b")
# `-- forbidden: Nat.add_comm Nat.add_comm_eq` on the line above a theorem: constants its
# proof may not cite (a curriculum re-proving library lemmas).
_FORBIDDEN = re.compile(r"^--\s*forbidden:(.*)$")


def attempts_from_file(source: str | bytes, limit: int) -> list[Attempt]:
    """Each theorem of a file with its proof, checked in the context of everything above."""
    return _read_file(source, limit, theorems_in_context=True)


def theorems_from_file(source: str | bytes, limit: int) -> list[Attempt]:
    """A theorem set: definitions, then theorems (proofs ignored, usually ``sorry``).

    Each theorem's preamble is the definitions above it, not the other theorems.
    """
    return _read_file(source, limit, theorems_in_context=False)


def _read_file(source: str | bytes, limit: int, *, theorems_in_context: bool) -> list[Attempt]:
    # A theorem set runs to thousands of theorems (the curriculum's train split: 1.1 MB).
    text = check_text("file", source, limit * 100)
    lines = text.splitlines()
    imports: list[str] = []
    while lines and (lines[0].startswith("import ") or not lines[0].strip()):
        line = lines.pop(0)
        imports += line.split()[1:]
    attempts: list[Attempt] = []
    context: list[str] = []
    forbidden: tuple[str, ...] = ()
    for k, chunk in enumerate(_chunks(lines)):
        if annotation := _FORBIDDEN.match(chunk.splitlines()[0]):
            forbidden = tuple(annotation.group(1).split())
            continue
        is_theorem = bool(_THEOREM.match(chunk))
        if is_theorem:
            preamble = "\n".join(context)
            attempts.append(_attempt(chunk, preamble, tuple(imports), k, limit, forbidden))
            forbidden = ()
        if theorems_in_context or not is_theorem:
            context.append(chunk)
    if not attempts:
        raise InputError("the file has no theorem, lemma or example")
    return attempts


def _chunks(lines: list[str]) -> list[str]:
    chunks: list[list[str]] = []
    for line in lines:
        if _COMMAND_START.match(line) or _FORBIDDEN.match(line) or not chunks:
            chunks.append([line])
        else:
            chunks[-1].append(line)
    return ["\n".join(c).rstrip() for c in chunks if "\n".join(c).strip()]


def _attempt(
    chunk: str,
    preamble: str,
    imports: tuple[str, ...],
    k: int,
    limit: int,
    forbidden: tuple[str, ...] = (),
) -> Attempt:
    head, sep, proof = chunk.partition(":=")
    if not sep:
        raise InputError(f"cannot find `:=` in: {chunk.splitlines()[0]}")
    if head.startswith("example"):
        head = f"theorem example_{k}" + head[len("example") :]
    head = re.sub(r"^lemma\b", "theorem", head)
    theorem = Theorem.parse(head, preamble, imports, limit=limit, forbidden=forbidden)
    return Attempt.whole(theorem, proof, limit=limit)


def attempt_from_json(line: str, limit: int) -> Attempt:
    """One line of ``--batch`` input: ``{"statement", "proof", "preamble"?, "imports"?,
    "forbidden"?}``."""
    try:
        obj = json.loads(line)
    except ValueError as err:
        raise InputError(f"not a JSON object: {err}") from None
    if not isinstance(obj, dict):
        raise InputError("each line must be a JSON object")
    for key in ("statement", "proof"):
        if not isinstance(obj.get(key), str):
            raise InputError(f"`{key}` must be a string")
    imports = obj.get("imports", [])
    if not isinstance(imports, list) or not all(isinstance(m, str) for m in imports):
        raise InputError("`imports` must be a list of module names")
    preamble = obj.get("preamble", "")
    if not isinstance(preamble, str):
        raise InputError("`preamble` must be a string")
    forbidden = obj.get("forbidden", [])
    if not isinstance(forbidden, list) or not all(isinstance(c, str) for c in forbidden):
        raise InputError("`forbidden` must be a list of constant names")
    theorem = Theorem.parse(
        obj["statement"], preamble, tuple(imports), limit=limit, forbidden=tuple(forbidden)
    )
    return Attempt.whole(theorem, obj["proof"], limit=limit)


def subset(theorems: list[Theorem], limit: int, seed: int) -> list[Theorem]:
    """Up to ``limit`` theorems (0: all), chosen by a seeded hash of the name: the same
    subset on every run, and a larger limit keeps the smaller one's theorems."""
    if limit <= 0 or limit >= len(theorems):
        return theorems
    key = {t.name: hashlib.sha256(f"{seed}:{t.name}".encode()).hexdigest() for t in theorems}
    chosen = set(sorted(key, key=key.__getitem__)[:limit])
    return [t for t in theorems if t.name in chosen]
