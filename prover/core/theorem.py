"""Theorems and attempts: what is submitted to the verifier, validated before Lean runs."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The largest statement, preamble or proof accepted (PROVER_LEAN_MAX_INPUT_BYTES).
MAX_INPUT_BYTES = 100_000

DEFAULT_IMPORTS: tuple[str, ...] = ()

_HEADER = re.compile(r"^\s*(theorem|lemma)\s+((?:«[^»\n]*»|[^\s(\[{⦃:«])+)\s*(.*)$", re.DOTALL)
_PLAIN = r"[^\W\d][\w'!?₀-₉ₐ-ₜᵢ-ᵪ]*"  # one component of a name, unquoted
_PART = rf"(?:{_PLAIN}|«[^».\n]+»)"  # a plain or a «quoted» component
_IDENT = re.compile(rf"^{_PART}(?:\.{_PART})*$")
_COMPONENT = re.compile(_PART)
_PLAIN_NAME = re.compile(rf"^{_PLAIN}(?:\.{_PLAIN})*$")
_IMPORT = re.compile(r"^[A-Z][\w.]*$")


class InputError(ValueError):
    """Input rejected before Lean runs: the message names the problem."""


def check_text(what: str, text: str | bytes, limit: int, *, allow_empty: bool = False) -> str:
    """Decode and bound one piece of user input."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as err:
            raise InputError(f"{what} is not valid UTF-8 (byte {err.start})") from None
    if "\x00" in text:
        raise InputError(f"{what} contains a NUL character")
    if not allow_empty and not text.strip():
        raise InputError(f"{what} is empty")
    size = len(text.encode("utf-8"))
    if size > limit:
        raise InputError(f"{what} is {size} bytes, over the limit of {limit}")
    return text


@dataclass(frozen=True)
class Theorem:
    """A statement to prove: ``theorem NAME SIGNATURE``, with definitions and imports."""

    name: str
    signature: str
    preamble: str = ""
    imports: tuple[str, ...] = DEFAULT_IMPORTS
    # Constants a proof may not cite (re-proving a library lemma must not use it).
    forbidden: tuple[str, ...] = ()

    @classmethod
    def parse(
        cls,
        statement: str | bytes,
        preamble: str | bytes = "",
        imports: tuple[str, ...] = DEFAULT_IMPORTS,
        *,
        limit: int = MAX_INPUT_BYTES,
        forbidden: tuple[str, ...] = (),
    ) -> Theorem:
        """Parse ``theorem t (a : Nat) : a = a`` (a trailing ``:= ...`` is dropped)."""
        text = check_text("statement", statement, limit)
        pre = check_text("preamble", preamble, limit, allow_empty=True)
        text = re.sub(r":=\s*(by\s+)?sorry\s*$", "", text.strip())
        match = _HEADER.match(text)
        if not match:
            raise InputError("statement must look like `theorem NAME (binders) : type`")
        name, signature = match.group(2), match.group(3).strip()
        if not _IDENT.match(name):
            raise InputError(f"statement: `{name}` is not a Lean name")
        if ":=" in signature:
            raise InputError("statement must not contain `:=`; pass the proof separately")
        if not _has_type(signature):
            raise InputError("statement has no `: type`")
        for module in imports:
            if not _IMPORT.match(module):
                raise InputError(f"`{module}` is not a module name")
        for constant in forbidden:
            if not _PLAIN_NAME.match(constant):
                raise InputError(f"forbidden: `{constant}` is not a constant's name")
        return cls(name, signature, pre, tuple(imports), tuple(forbidden))

    @property
    def statement(self) -> str:
        return f"theorem {self.name} {self.signature}"

    @property
    def name_parts(self) -> tuple[str, ...]:
        """The name's components, «» quotes taken off: ``Foo.«bar baz»`` is (Foo, bar baz)."""
        return tuple(p.removeprefix("«").removesuffix("»") for p in _COMPONENT.findall(self.name))


@dataclass(frozen=True)
class Attempt:
    """A proof of a theorem: a whole proof, or a tactic prefix (one search step)."""

    theorem: Theorem
    proof: str
    prefix: bool = False
    tactics: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def whole(
        cls, theorem: Theorem, proof: str | bytes, *, limit: int = MAX_INPUT_BYTES
    ) -> Attempt:
        return cls(theorem=theorem, proof=check_text("proof", proof, limit).strip())

    @classmethod
    def steps(cls, theorem: Theorem, tactics: list[str] | tuple[str, ...]) -> Attempt:
        """A tactic prefix: the proof so far, one tactic per step."""
        if not tactics:
            return cls(theorem=theorem, proof="by\n  skip", prefix=True)
        body = "\n".join("  " + _indent(t) for t in tactics)
        return cls(theorem=theorem, proof=f"by\n{body}", prefix=True, tactics=tuple(tactics))

    def source(self) -> str:
        return f"{self.theorem.statement} := {self.proof}"


def _has_type(signature: str) -> bool:
    """A ``:`` outside every bracket: the binders are followed by a type."""
    depth = 0
    for ch in signature:
        if ch in "([{⦃⟨":
            depth += 1
        elif ch in ")]}⦄⟩":
            depth -= 1
        elif ch == ":" and depth == 0:
            return True
    return False


def _indent(tactic: str) -> str:
    return tactic.strip().replace("\n", "\n  ")
