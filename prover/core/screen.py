"""Screening of user text before it reaches Lean: the constructs a proof may not use.

Lean's own report in the REPL is the final word on every ``proved``, and the REPL keeps
attempts apart by construction; this screen is a fast first filter whose rejections
name their reason (a stray ``end``, an unclosed comment, ``#exit``, ``sorry``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from prover.core.theorem import Attempt
from prover.core.verdicts import Rejected


class Part(Enum):
    """Which piece of a submission is screened; each admits a different set of commands."""

    STATEMENT = "statement"
    PROOF = "proof"
    PREAMBLE = "preamble"


@dataclass(frozen=True)
class Finding:
    construct: str
    reason: str


_TOKEN = re.compile(
    r"""(?P<ident>[^\W\d][\w'.!?₀-₉ₐ-ₜᵢ-ᵪ]*|«[^»]*»)
      | (?P<hash>\#[a-zA-Z_][\w.]*)
      | (?P<attr>@\[)
      | (?P<other>\S)""",
    re.VERBOSE,
)

_ALWAYS_FORBIDDEN = {
    "sorry": "`sorry` proves nothing",
    "admit": "`admit` proves nothing",
    "axiom": "new axioms are not allowed",
    "axioms": "new axioms are not allowed",
    "native_decide": "`native_decide` trusts compiled code (Lean.ofReduceBool)",
    "ofReduceBool": "`Lean.ofReduceBool` trusts compiled code",
    "ofReduceNat": "`Lean.ofReduceNat` trusts compiled code",
    "trustCompiler": "`Lean.trustCompiler` trusts compiled code",
    "implemented_by": "`implemented_by` swaps in untrusted code",
    "extern": "`extern` swaps in untrusted code",
    "unsafe": "unsafe code is not allowed",
    "import": "imports are part of the theorem, not of a proof",
    "run_tac": "meta-programs are not allowed",
    "run_cmd": "meta-programs are not allowed",
    "run_elab": "meta-programs are not allowed",
    "run_meta": "meta-programs are not allowed",
    "by_elab": "meta-programs are not allowed",
    "elab": "custom elaborators are not allowed",
    "elab_rules": "custom elaborators are not allowed",
    "macro": "macros are not allowed",
    "macro_rules": "macros are not allowed",
    "syntax": "new syntax is not allowed",
    "declare_syntax_cat": "new syntax is not allowed",
    "initialize": "initializers are not allowed",
    "builtin_initialize": "initializers are not allowed",
    "export": "`export` changes name resolution",
    "dbg_trace": "debug output is not allowed",
    "debug": "debug options are not allowed",
    "_root_": "declaring into the root namespace is not allowed",
}

# The REPL's own code lives in ProverRepl; the others were the batch files' namespaces.
_VERIFIER_NAMESPACES = ("ProverRepl", "ProverCheck", "ProverAttempt")

_META_PREFIXES = (
    "Lean.Elab",
    "Lean.Meta",
    "Lean.Kernel",
    "Lean.Environment",
    "Lean.addDecl",
    "Lean.Compiler",
    "Lean.IR",
    "IO.",
    "unsafe",
)

# Commands: in a proof any of these would start a new declaration after the theorem.
_COMMANDS = {
    "theorem", "lemma", "def", "abbrev", "instance", "example", "structure", "inductive",
    "class", "namespace", "section", "end", "variable", "universe", "attribute", "mutual",
    "deriving", "private", "protected", "noncomputable", "partial", "opaque", "notation",
    "infix", "infixl", "infixr", "prefix", "postfix", "open", "local", "scoped", "omit",
    "include", "irreducible_def",
}  # fmt: skip

# Preambles declare definitions; these commands stay forbidden there too.
_PREAMBLE_FORBIDDEN = {"local", "scoped", "omit", "include"}

_SET_OPTION_ALLOWED = re.compile(r"^(maxRecDepth|pp\.[\w.]+)$")


def screen(text: str, part: Part) -> Finding | None:
    """The first forbidden construct in ``text``, or None."""
    code, problem = strip_comments(text)
    if problem:
        return problem
    tokens = [(m.lastgroup or "", m.group()) for m in _TOKEN.finditer(code)]
    return _scan_tokens(tokens, part) or (_check_blocks(tokens) if part is Part.PREAMBLE else None)


def _scan_tokens(tokens: list[tuple[str, str]], part: Part) -> Finding | None:
    for i, (kind, tok) in enumerate(tokens):
        if kind == "hash":
            return Finding(tok, "commands are not allowed in a submission")
        if kind != "ident":
            if part is Part.STATEMENT and tok == ":" and _next(tokens, i) == "=":
                return Finding(":=", "a statement must not contain a definition or proof")
            continue
        finding = _check_ident(tok, tokens, i, part)
        if finding:
            return finding
    return None


def _check_ident(tok: str, tokens: list[tuple[str, str]], i: int, part: Part) -> Finding | None:
    for piece in tok.split("."):
        if piece in _ALWAYS_FORBIDDEN:
            return Finding(piece, _ALWAYS_FORBIDDEN[piece])
        if piece.startswith(_VERIFIER_NAMESPACES):
            return Finding(piece, "the verifier's own namespaces are off limits")
        if len(piece) > 1 and piece.startswith("_"):
            return Finding(tok, "names starting with `_` are reserved for Lean's auxiliary lemmas")
    if tok.startswith(_META_PREFIXES):
        return Finding(tok, "meta-programming is not allowed in a submission")
    if tok == "set_option":
        option = _next(tokens, i)
        if not _SET_OPTION_ALLOWED.match(option):
            return Finding(f"set_option {option}", "only maxRecDepth and pp.* may be set")
        return None
    if tok in _COMMANDS:
        if part is Part.PREAMBLE and tok not in _PREAMBLE_FORBIDDEN:
            return None
        if tok == "open" and part is not Part.PREAMBLE and _open_in(tokens, i):
            return None
        return Finding(tok, f"`{tok}` would start a new command inside the {part.value}")
    return None


def _next(tokens: list[tuple[str, str]], i: int) -> str:
    return tokens[i + 1][1] if i + 1 < len(tokens) else ""


def _open_in(tokens: list[tuple[str, str]], i: int) -> bool:
    """``open Foo Bar in tac`` scopes the names to one term or tactic."""
    for kind, tok in tokens[i + 1 :]:
        if tok == "in":
            return True
        if kind != "ident" or tok in _COMMANDS:
            return False
    return False


def _check_blocks(tokens: list[tuple[str, str]]) -> Finding | None:
    """Every ``namespace``/``section``/``mutual`` in a preamble is closed by its ``end``."""
    depth = 0
    for kind, tok in tokens:
        if kind != "ident":
            continue
        if tok in ("namespace", "section", "mutual"):
            depth += 1
        elif tok == "end":
            depth -= 1
            if depth < 0:
                return Finding("end", "`end` closes a block the preamble did not open")
    if depth:
        return Finding("namespace", "a namespace or section in the preamble is not closed")
    return None


def strip_comments(text: str) -> tuple[str, Finding | None]:
    """Blank out comments and literals so only code is scanned, lexing them as Lean does:
    char literals (``'"'``), raw strings (``r#"..."#``), and interpolated strings
    (``s!"..{code}.."``), whose ``{code}`` parts are code and stay."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/-", i):
            j = _block_comment_end(text, i)
            if j < 0:
                return "", Finding("/-", "unterminated block comment")
            out.append(" ")
            i = j
        elif (j := _char_end(text, i)) > 0 or (j := _raw_string_end(text, i)) > 0:
            out.append(" '' ")
            i = j
        elif text[i] == '"':
            interpolated = i > 0 and text[i - 1] == "!"
            j, code = _string_end(text, i, interpolated)
            if j < 0:
                return "", Finding('"', "unterminated string literal")
            inner, problem = strip_comments(" ".join(code))
            if problem:
                return "", problem
            out.append(f' "" {inner} ')
            i = j
        else:
            out.append(text[i])
            i += 1
    return "".join(out), None


def _starts_token(text: str, i: int) -> bool:
    """Not inside an identifier (``h'`` and ``r`` end or are names)."""
    return i == 0 or not (text[i - 1].isalnum() or text[i - 1] in "_'!?»")


_CHAR_ESCAPE = re.compile(r"\\(?:[\\\"'ntr]|x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4})'")


def _char_end(text: str, i: int) -> int:
    """The end of a char literal starting at ``i``, or -1."""
    if text[i] != "'" or not _starts_token(text, i) or i + 2 >= len(text):
        return -1
    if text[i + 1] == "\\":
        match = _CHAR_ESCAPE.match(text, i + 1)
        return match.end() if match else -1
    return i + 3 if text[i + 2] == "'" and text[i + 1] not in "'\n" else -1


def _raw_string_end(text: str, i: int) -> int:
    """The end of a raw string ``r"..."`` / ``r#"..."#`` starting at ``i``, or -1 (also
    when unterminated: the plain-string rule then refuses it)."""
    if text[i] != "r" or not _starts_token(text, i):
        return -1
    j = i + 1
    while j < len(text) and text[j] == "#":
        j += 1
    if j >= len(text) or text[j] != '"':
        return -1
    close = '"' + "#" * (j - i - 1)
    end = text.find(close, j + 1)
    return -1 if end < 0 else end + len(close)


def _block_comment_end(text: str, start: int) -> int:
    depth, i = 0, start
    while i < len(text):
        if text.startswith("/-", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("-/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return -1


def _string_end(text: str, start: int, interpolated: bool) -> tuple[int, list[str]]:
    """The end of the string literal at ``start`` (-1: unterminated) and, when it is
    interpolated, the code between its braces."""
    code: list[str] = []
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
        elif text[i] == '"':
            return i + 1, code
        elif text[i] == "\n":
            return -1, code
        elif interpolated and text[i] == "{":
            j = _brace_end(text, i)
            if j < 0:
                return -1, code
            code.append(text[i + 1 : j - 1])
            i = j
        else:
            i += 1
    return -1, code


def _brace_end(text: str, start: int) -> int:
    """Past the ``}`` matching the ``{`` at ``start`` (strings inside skipped), or -1."""
    depth, i = 0, start
    while i < len(text):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        elif text[i] == '"':
            j, _ = _string_end(text, i, interpolated=False)
            if j < 0:
                return -1
            i = j
            continue
        i += 1
    return -1


def screen_attempt(attempt: Attempt) -> Rejected | None:
    """The screen's finding for each part of an attempt, as a verdict."""
    parts = (
        (attempt.theorem.name, Part.STATEMENT),  # no `_root_.X`, no verifier namespace
        (attempt.theorem.signature, Part.STATEMENT),
        (attempt.theorem.preamble, Part.PREAMBLE),
        (attempt.proof, Part.PROOF),
    )
    for text, part in parts:
        finding = screen(text, part)
        if finding:
            return Rejected(finding.construct, f"{part.value}: {finding.reason}")
    return None
