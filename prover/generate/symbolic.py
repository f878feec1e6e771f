"""A generator with no model: tactics read off the proof state, with a fixed prior."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

from prover.core.goals import parse_goals, split_hypothesis
from prover.core.records import Proposal
from prover.core.verdicts import Goal
from prover.generate.base import clean_tactics

# `exact?` is proposed for a state of one goal, at most this long, with no inaccessible
# (`n✝`) names: on the development set's feedback it never closed any other state and
# took most of the Lean time (407 tries, 346 s, none proved; 6 proved of the 18 kept).
SMALL_STATE_CHARS = 160
MAX_MODULUS = 9  # residue case splits up to this many cases
MAX_MODULUS_PAIR = 5  # two variables split together up to this modulus (25 cases)
MAX_ENUMERATION = 12  # a variable bounded by at most this is enumerated case by case
MAX_PAIR_CASES = 121  # two variables are enumerated together up to this many cases (digits)
MAX_BOUNDED_NUMERAL = 10_000  # `x ^ k` next to a larger numeral is not bounded
# `b ^ n % m` is followed through a cycle of at most this many residues: with a longer
# one the tactic often passes MAX_TACTIC_CHARS (and is dropped there).
MAX_PERIOD = 6
MAX_CYCLE_MODULUS = 99

# Lemmas that reduce sums, products and powers modulo m, by the variable's type.
_MOD_LEMMAS = {
    "Nat": "Nat.dvd_iff_mod_eq_zero, Nat.add_mod, Nat.mul_mod, Nat.pow_mod",
    "Int": "Int.dvd_iff_emod_eq_zero, Int.add_emod, Int.mul_emod, Int.pow_succ",
}

# Prior weights: how often each kind of step is the right one (log-probabilities below).
CLOSING: dict[str, float] = {
    "omega": 0.30,
    "grind": 0.25,
    "simp": 0.20,
    "simp_all": 0.15,
    "decide": 0.10,
    "rfl": 0.08,
    "trivial": 0.05,
    "assumption": 0.05,
    "exact?": 0.04,
    "simp +arith": 0.06,
}
_INDUCTIVE_TYPE = re.compile(r"^(Nat|ℕ|List\b.*|Bool|Option\b.*)$")
_SPLITTABLE_HYP = re.compile(r"^(.*\s)?(∧|∨|↔)(\s.*)?$|^∃")
_FORALL = re.compile(r"^∀\s*\(?([^,:()]+?)\s*(:[^,]*)?\)?\s*,")
_WORD = re.compile(r"[\w'.]+")
_ATOM = re.compile(r"[^\W\d][\w'.]*|\d+")  # a variable or a numeral
_MODULUS = re.compile(r"(?:%\s*|(?<![\w.'])(?=\d+\s*∣))(\d+)")
_NUMERAL_POWER = re.compile(r"(?<![\w.'])(\d+) \^ ([^\W\d][\w'.]*)(?![\w'(✝]| \^)")


_DEFINITION = re.compile(
    r"^\s*(?:@\[[^\]]*\]\s*)?(?:private\s+|protected\s+|noncomputable\s+)*(?:def|abbrev)\s+([^\s:(\[{]+)",
    re.M,
)


def definitions_in(preamble: str) -> tuple[str, ...]:
    """Names the preamble defines, for ``simp [f]`` and ``unfold f``."""
    return tuple(dict.fromkeys(_DEFINITION.findall(preamble)))


class SymbolicProposer:
    """Closing tactics, and tactics built from what the first goal contains."""

    name = "symbolic"

    def __init__(self, definitions: tuple[str, ...] = ()) -> None:
        self.definitions = definitions

    def propose(self, state: str, n: int) -> list[Proposal]:
        goals = parse_goals(state)
        if not goals:
            return []
        alone = len(goals) == 1
        weighted = _weighted(goals[0], self.definitions, alone)
        return clean_tactics([Proposal(math.log(w), t) for t, w in weighted], n)

    def propose_batch(self, states: list[str], n: int) -> list[list[Proposal]]:
        return [self.propose(state, n) for state in states]


def _weighted(goal: Goal, definitions: tuple[str, ...], alone: bool) -> Iterator[tuple[str, float]]:
    """The first goal's tactics; ``alone`` when it is the state's only goal."""
    hyps = [split_hypothesis(h) for h in goal.hypotheses]
    used = {name for names, _ in hyps for name in names}
    yield from _closing(goal, hyps, alone)
    yield from _intro(goal.target, used)
    for names, htype in hyps:
        for name in names:
            if "✝" in name:
                continue
            yield from _from_hypothesis(name, htype, goal.target)
            yield from _conjuncts(name, htype, used)
    yield from _from_target(goal.target)
    mentioned = set(_WORD.findall(goal.pretty()))
    numbers = _numbers(hyps)
    yield from _definitions([d for d in definitions if d in mentioned], numbers)
    yield from _known_residues(goal.target, hyps, numbers)
    if alone:  # a split of the first of several goals only adds goals
        yield from _residues(goal, numbers, used)
    yield from _power_cycles(goal, numbers, used)
    yield from _induction_variants(goal, numbers)
    yield from _bounds(hyps, numbers)
    yield from _nonlinear(goal, hyps, numbers)


def _closing(
    goal: Goal, hyps: list[tuple[list[str], str]], alone: bool
) -> Iterator[tuple[str, float]]:
    """The closing tactics, less those that cannot apply to this goal's shape."""
    variables = set(_WORD.findall(goal.target)) & {n for names, t in hyps for n in names}
    text = goal.pretty()
    searchable = alone and len(text) <= SMALL_STATE_CHARS and "✝" not in text
    for tactic, weight in CLOSING.items():
        if tactic == "decide" and variables:
            continue  # free variables: no Decidable instance to evaluate
        if tactic == "exact?" and not searchable:
            continue  # library search is slow: see SMALL_STATE_CHARS
        if tactic == "assumption" and not hyps:
            continue
        yield tactic, weight


def _definitions(names: list[str], numbers: dict[str, str]) -> Iterator[tuple[str, float]]:
    nats = [v for v in numbers if numbers[v] == "Nat"]
    for definition in names:
        for v in nats[:1]:
            yield f"induction {v} <;> grind [{definition}]", 0.08
        yield f"simp [{definition}]", 0.12
        yield f"unfold {definition}", 0.06
        yield f"simp [{definition}] <;> omega", 0.06
        yield f"simp_all [{definition}]", 0.08
        yield f"grind [{definition}]", 0.08


def _numbers(hyps: list[tuple[list[str], str]]) -> dict[str, str]:
    """The goal's named natural-number and integer variables, by name: ``Nat`` or ``Int``."""
    kinds = {"Nat": "Nat", "ℕ": "Nat", "Int": "Int", "ℤ": "Int"}
    return {
        name: kinds[htype]
        for names, htype in hyps
        if htype in kinds
        for name in names
        if "✝" not in name
    }


def _residues(goal: Goal, numbers: dict[str, str], used: set[str]) -> Iterator[tuple[str, float]]:
    """Case split on ``x % m`` for a modulus the goal mentions (``% m``, ``m ∣``), each case
    closed by reducing products, sums and powers modulo ``m``."""
    text = goal.pretty()
    moduli = sorted({int(m) for m in _MODULUS.findall(text) if 2 <= int(m) <= MAX_MODULUS})
    mentioned = [v for v in numbers if re.search(rf"(?<![\w.']){re.escape(v)}(?![\w'])", text)]
    name = _fresh("hr", set(used))
    for m in moduli[:2]:
        for v in mentioned[:2]:
            cases = " ∨ ".join(f"{v} % {m} = {r}" for r in range(m))
            split = f"rcases (by omega : {cases}) with {' | '.join([name] * m)}"
            lemmas = _MOD_LEMMAS[numbers[v]]
            yield f"{split} <;> simp [{lemmas}, {name}]", 0.14
            yield f"{split} <;> simp_all [{lemmas}] <;> omega", 0.10
            yield f"{split} <;> simp [{lemmas}, {name}] <;> omega", 0.08
            yield split, 0.04
        if len(mentioned) >= 2 and m <= MAX_MODULUS_PAIR:
            yield _pair_split(mentioned[0], mentioned[1], m, numbers, used), 0.10


def _known_residues(
    target: str, hyps: list[tuple[list[str], str]], numbers: dict[str, str]
) -> Iterator[tuple[str, float]]:
    """Reduce the target modulo ``m`` where hypotheses give variables' residues
    (``h : x % m = r``): no split is needed, whatever the modulus."""
    if "↑" in target:
        return  # a cast mixes Nat and Int: neither's lemmas alone reduce the target
    given: dict[tuple[int, str], list[str]] = {}
    for names, htype in hyps:
        match = re.fullmatch(r"([\w'.]+) % (\d+) = \d+", htype)
        if match and match.group(1) in numbers and int(match.group(2)) >= 2:
            key = (int(match.group(2)), numbers[match.group(1)])
            given.setdefault(key, []).extend(n for n in names if "✝" not in n)
    moduli = {int(found) for found in _MODULUS.findall(target)}
    for (m, kind), names in given.items():
        if names and m in moduli:
            yield f"simp [{_MOD_LEMMAS[kind]}, {', '.join(names)}]", 0.14
            yield f"simp [{_MOD_LEMMAS[kind]}, {', '.join(names)}] <;> omega", 0.06


def _pair_split(a: str, b: str, m: int, numbers: dict[str, str], used: set[str]) -> str:
    """Both variables' residues at once (``m * m`` cases), closed by ``simp_all``."""
    splits = []
    for v in (a, b):
        name = _fresh("hr", used)
        cases = " ∨ ".join(f"{v} % {m} = {r}" for r in range(m))
        splits.append(f"rcases (by omega : {cases}) with {' | '.join([name] * m)}")
    return f"{' <;> '.join(splits)} <;> simp_all [{_MOD_LEMMAS[numbers[a]]}]"


def _power_cycles(
    goal: Goal, numbers: dict[str, str], used: set[str]
) -> Iterator[tuple[str, float]]:
    """``b ^ n % m`` runs through a cycle as ``n`` counts up (``b`` prime to ``m``): the
    cycle, tied to ``n % period``, proved by induction for every ``k`` and stated for
    ``n``, leaves omega linear facts about the atom ``b ^ n``."""
    if "Int" in numbers.values():
        return  # `2 ^ n` may then be an integer power, which a claim about Nat misses
    text = goal.pretty()
    moduli = sorted({int(m) for m in _MODULUS.findall(text) if 2 <= int(m) <= MAX_CYCLE_MODULUS})
    powers = dict.fromkeys(
        (int(b), n) for b, n in _NUMERAL_POWER.findall(text) if numbers.get(n) == "Nat"
    )
    names = set(used)  # each tactic stands alone: the names need not differ between them
    k, name, atom = _fresh("k", names), _fresh("hc", names), _fresh("t", names)
    for b, n in list(powers)[:2]:
        cycles = [(m, c) for m in moduli if (c := _cycle(b, m)) is not None]
        # Left as `b ^ n`, omega failed on such states (dev_pow_period_11's).
        generalized = f"generalize {b} ^ {n} = {atom} at *; omega"
        for m, cycle in cycles[:2]:
            claim = _cycle_claim(b, m, k, cycle)
            step = f"induction {k} with | zero => decide | succ {k} ih => rw [Nat.pow_succ]; omega"
            have = f"have {name} := (show ∀ {k} : Nat, {claim} by intro {k}; {step}) {n}"
            yield f"{have}; {generalized}", 0.12
            yield have, 0.04
        if cycles:  # the step after the `have` alone (or a cycle the hypotheses state)
            yield generalized, 0.04


def _cycle(b: int, m: int) -> list[int] | None:
    """The residues of ``b ^ 0, b ^ 1, …`` modulo ``m`` up to the first repeat of 1, when
    ``b`` is prime to ``m`` and the period is at most ``MAX_PERIOD``."""
    if math.gcd(b, m) != 1:
        return None
    cycle = [1 % m]
    while len(cycle) <= MAX_PERIOD:
        r = cycle[-1] * b % m
        if r == cycle[0]:
            return cycle
        cycle.append(r)
    return None


def _cycle_claim(b: int, m: int, k: str, cycle: list[int]) -> str:
    """What ``b ^ k % m`` is for each ``k % period``."""
    if len(cycle) == 1:
        return f"{b} ^ {k} % {m} = {cycle[0]}"
    # Implications, not a disjunction of cases: omega splits far fewer cases on them.
    period = len(cycle)
    return " ∧ ".join(
        f"({k} % {period} = {i} → {b} ^ {k} % {m} = {r})" for i, r in enumerate(cycle)
    )


def _induction_variants(goal: Goal, numbers: dict[str, str]) -> Iterator[tuple[str, float]]:
    """Induction with the other variables generalized, and strong induction."""
    nats = [v for v in numbers if numbers[v] == "Nat"]
    for v in nats[:2]:
        others = [w for w in nats if w != v]
        if others:
            yield f"induction {v} generalizing {' '.join(others)} <;> simp_all", 0.05
            yield f"induction {v} generalizing {' '.join(others)}", 0.04
        yield f"induction {v} using Nat.strongRecOn with | ind {v} ih => ?_", 0.04


def _bounds(
    hyps: list[tuple[list[str], str]], numbers: dict[str, str]
) -> Iterator[tuple[str, float]]:
    """Bound a variable a hypothesis squares or powers (``x * x``, ``x ^ k`` next to a
    numeral), or sums or multiplies to a small numeral, and enumerate variables bounded
    by small numerals, one or two at a time."""
    bounded: dict[str, int] = {}
    for names, htype in hyps:
        side, c = _bounded_side(htype)
        for v in numbers:
            if numbers[v] != "Nat":
                continue
            bound = _upper_bound(v, htype)
            if bound is not None and bound <= MAX_ENUMERATION:
                bounded[v] = min(bound, bounded.get(v, bound))
            for name in names:
                if "✝" not in name:  # an inaccessible name cannot be cited
                    yield from _bound_from_product(name, v, htype)
            if side is not None:
                yield from _bound_from_power(v, side, c)
                yield from _bound_from_sum(v, side, c)
    yield from _enumerations(bounded)


def _enumerations(bounded: dict[str, int]) -> Iterator[tuple[str, float]]:
    """A case per value of each bounded variable, and of the first two together."""
    splits = {
        v: f"rcases {v} with {' | '.join(['_'] * (bound + 1) + [v])}"
        for v, bound in bounded.items()
    }
    for split in splits.values():
        yield f"{split} <;> first | omega | simp_all | decide", 0.2
        yield f"{split} <;> simp_all", 0.05
    pair = list(bounded)[:2]
    if len(pair) == 2 and (bounded[pair[0]] + 2) * (bounded[pair[1]] + 2) <= MAX_PAIR_CASES:
        both = " <;> ".join(splits[v] for v in pair)
        yield f"{both} <;> first | omega | simp_all | decide", 0.15


def _upper_bound(v: str, htype: str) -> int | None:
    """``b`` when ``htype`` says ``v ≤ b`` (``v < b + 1``, ``b ≥ v``...), else None."""
    x = re.escape(v)
    for pattern, offset in (
        (rf"^{x} ≤ (\d+)$", 0),
        (rf"^{x} < (\d+)$", -1),
        (rf"^(\d+) ≥ {x}$", 0),
        (rf"^(\d+) > {x}$", -1),
    ):
        match = re.match(pattern, htype)
        if match:
            return int(match.group(1)) + offset
    return None


def _bound_from_power(v: str, side: str, c: int) -> Iterator[tuple[str, float]]:
    """``v ≤ b`` when a hypothesis bounds ``side``, a sum with ``v * v`` or ``v ^ k`` in
    it, by the numeral ``c`` (``… = c``, ``… ≤ c``, ``… < c``): no subtraction, so each
    term is at most ``c``."""
    x = re.escape(v)
    power = re.search(rf"(?<![\w.']){x} \^ (\d+)|(?<![\w.']){x} \* {x}(?![\w'])", side)
    if power is None or "-" in side or "/" in side or "%" in side:
        return
    k = int(power.group(1) or 2)
    if k < 2 or c > MAX_BOUNDED_NUMERAL:
        return
    b = _root(c, k)
    # `b < v` is `b + 1 ≤ v` to Lean; stated with the numeral so omega sees `(b+1)^k` folded.
    above = f"(show {b + 1} ≤ {v} by omega)"
    grow = (
        f"Nat.pow_le_pow_left {above} {k}" if power.group(1) else f"Nat.mul_le_mul {above} {above}"
    )
    proof = f"Nat.le_of_not_lt fun hc => by have := {grow}; omega"
    yield f"have h{v} : {v} ≤ {b} := {proof}", 0.12


def _bound_from_sum(v: str, side: str, c: int) -> Iterator[tuple[str, float]]:
    """``v ≤ c`` when a hypothesis says ``side``, a sum with ``v`` as a term, is ``c`` (or
    at most ``c``), for a ``c`` small enough to enumerate ``v`` next."""
    if side == v or c > MAX_ENUMERATION:
        return
    terms = side.split(" + ")
    if v in terms and all(_ATOM.fullmatch(t) for t in terms):
        yield f"have h{v} : {v} ≤ {c} := by omega", 0.10


def _bound_from_product(name: str, v: str, htype: str) -> Iterator[tuple[str, float]]:
    """``v ≤ c`` from ``name : v * w = c`` (or ``w * v = c``), ``0 < c``, through ``v ∣ c``."""
    x = re.escape(v)
    match = re.fullmatch(rf"{x} \* ([\w'.]+) = (\d+)|([\w'.]+) \* {x} = (\d+)", htype)
    if match is None:
        return
    c = int(match.group(2) or match.group(4))
    if not 0 < c <= MAX_ENUMERATION:
        return
    factor = "Nat.dvd_mul_right" if match.group(1) else "Nat.dvd_mul_left"
    other = match.group(1) or match.group(3)
    divides = f"{name} ▸ {factor} {v} {other}"  # `v ∣ v * w` (or `w * v`), the product as `c`
    yield f"have h{v} : {v} ≤ {c} := Nat.le_of_dvd (by decide) ({divides})", 0.10


def _bounded_side(htype: str) -> tuple[str | None, int]:
    """The sum and the numeral of ``sum = c``, ``sum ≤ c``, ``sum < c`` (either way round);
    none for a statement with a connective or a cast, whose sum is not what is bounded."""
    if any(symbol in htype for symbol in "∧∨→↔¬↑"):
        return None, 0
    bounded = re.fullmatch(r"(.+) (?:=|≤|<) (\d+)|(\d+) (?:=|≥|>) (.+)", htype)
    if bounded is None:
        return None, 0
    return bounded.group(1) or bounded.group(4), int(bounded.group(2) or bounded.group(3))


def _root(c: int, k: int) -> int:
    """The largest ``b`` with ``b ^ k ≤ c``."""
    b = 0
    while (b + 1) ** k <= c:
        b += 1
    return b


def _nonlinear(
    goal: Goal, hyps: list[tuple[list[str], str]], numbers: dict[str, str]
) -> Iterator[tuple[str, float]]:
    """Products compared without ``nlinarith``: ``Nat.mul_le_mul`` and its one-sided forms."""
    target = goal.target
    if re.search(r"\* .* (≤|<) .* \*", target) and not _top_level_arrow(target):
        yield "exact Nat.mul_le_mul (by omega) (by omega)", 0.08
        yield "apply Nat.mul_le_mul <;> omega", 0.06
    if "*" not in target and "^" not in target:
        return
    variables = [v for v in numbers if numbers[v] == "Nat" and v in _WORD.findall(target)]
    for names, htype in hyps:
        if not re.match(r"^[\w'.]+ (≤|<) [\w'.]+$", htype) and not re.match(
            r"^\d+ (≤|<) [\w'.]+$", htype
        ):
            continue
        for name in names:
            yield f"have := Nat.mul_le_mul {name} {name}; omega", 0.06
            for v in variables[:2]:
                yield f"have := Nat.mul_le_mul_right {v} {name}; omega", 0.05


def _fresh(base: str, used: set[str]) -> str:
    name, k = base, 1
    while name in used:
        name, k = f"{base}{k}", k + 1
    used.add(name)
    return name


def _intro(target: str, used: set[str]) -> Iterator[tuple[str, float]]:
    forall = _FORALL.match(target)
    if forall:
        names = [_fresh(v, used) for v in forall.group(1).split()]
        yield f"intro {' '.join(names)}", 0.20
    elif target.startswith("¬") or _top_level_arrow(target):
        yield f"intro {_fresh('h', used)}", 0.20


def _conjuncts(name: str, htype: str, used: set[str]) -> Iterator[tuple[str, float]]:
    """``obtain`` each conjunct of ``a ∧ b ∧ …`` under a name a later tactic can cite
    (``cases`` leaves them inaccessible)."""
    if _binds(htype) or any(_top_level(htype, c) for c in "∨→↔"):
        return
    parts = _top_level(htype, "∧")
    binder = next((i for i, p in enumerate(parts) if _binds(p)), None)
    if binder is not None:  # a binder's body runs to the end: `a ∧ ∃ x, b ∧ c` has two parts
        parts = parts[: binder + 1]
    if len(parts) >= 2:
        taken = set(used)  # a tactic of its own: the names need not differ from others'
        names = [_fresh(f"h{i}", taken) for i in range(1, len(parts) + 1)]
        yield f"obtain ⟨{', '.join(names)}⟩ := {name}", 0.10


def _binds(text: str) -> bool:
    """``text`` opens with a binder, whose body runs to the end."""
    return text[:1] in "∀∃λ" or text.startswith("fun ")


def _top_level(text: str, connective: str) -> list[str]:
    """``text`` split at ``connective`` outside brackets; empty when it has none there."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([{⟨":
            depth += 1
        elif ch in ")]}⟩":
            depth -= 1
        elif ch == connective and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    return [*parts, text[start:].strip()] if parts else []


def _top_level_arrow(target: str) -> bool:
    return bool(_top_level(target, "→"))


def _from_hypothesis(name: str, htype: str, target: str) -> Iterator[tuple[str, float]]:
    if htype == target:
        yield f"exact {name}", 0.5
    if htype.endswith(f"→ {target}"):
        yield f"apply {name}", 0.15
    if _INDUCTIVE_TYPE.match(htype):
        yield f"induction {name}", 0.10
        yield f"induction {name} <;> simp_all", 0.08
        yield f"cases {name}", 0.06
        yield f"cases {name} <;> simp_all", 0.05
    if _SPLITTABLE_HYP.match(htype):
        yield f"cases {name}", 0.08
        yield f"cases {name} <;> omega", 0.06
        yield f"cases {name} <;> simp_all", 0.06


def _from_target(target: str) -> Iterator[tuple[str, float]]:
    if re.search(r"(^|\s)(∧|↔)(\s|$)", target) and not _top_level_arrow(target):
        yield "constructor", 0.12
        yield "constructor <;> omega", 0.08
        yield "constructor <;> simp_all", 0.08
    if target.startswith("∀") or _top_level_arrow(target):
        yield "intros", 0.05
