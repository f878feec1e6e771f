"""A learned value: how likely an open proof state is to be proved.

Trained on the export's ``value`` view, (state, solved) pairs from the feedback: a state
is solved when a tactic tried on it proved it or lies on its job's proof. The model is a
logistic regression over sparse features of the goals (their count, the hypotheses'
count, the targets' tokens and token pairs, the hypotheses' types' tokens), with local
names folded into one token so that what is learned carries over between theorems. It
is small and quick on a CPU (microseconds a state), and lives in one JSON file.
"""

from __future__ import annotations

import json
import math
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from prover.core.goals import parse_goals, split_hypothesis
from prover.core.theorem import InputError

FORMAT = "prover-value-1"
VALUE_FILE = "value.json"
LEAST = -20.0  # estimates are kept above this: no state is quite hopeless
MAX_CLASS_WEIGHT = 5.0  # so that one row of a rare class is not a giant step
# Identifiers (Unicode letters, subscripts, Lean's inaccessible-name mark), numbers, symbols.
_TOKEN = re.compile(r"[^\W\d][\w.'!?✝]*|\d+|[^\s\w]+")


class ValueModelError(InputError):
    """A value model that cannot be read, or no rows to fit one on."""


def _tokens(text: str, local: set[str]) -> list[str]:
    out = []
    for token in _TOKEN.findall(text):
        head, dot, rest = token.partition(".")
        if head in local:  # `xs` and `xs.length` alike
            out.append("<local>" + dot + rest)
        elif token.isdigit():
            out.append("<digit>" if len(token) == 1 else "<number>")
        else:
            out.append(token)
    return out


def features(state: str) -> list[str]:
    """The state's features: goal and hypothesis counts, bucketed, and its tokens."""
    goals = parse_goals(state)
    found = {f"goals={min(len(goals), 4)}"}
    for goal in goals:
        hyps = [split_hypothesis(hyp) for hyp in goal.hypotheses]
        local = {name for names, _ in hyps for name in names}
        types = [htype for _, htype in hyps]
        found.add(f"hyps={min(len(types), 6)}")
        found.add(f"length={min(len(goal.target) // 16, 8)}")
        target = _tokens(goal.target, local)
        found.update(f"t:{t}" for t in target)
        found.update(f"t:{a} {b}" for a, b in pairwise(target))
        found.update(f"h:{t}" for hyp in types for t in _tokens(hyp, local))
    return sorted(found)


@dataclass
class ValueModel:
    """A logistic regression over :func:`features`."""

    weights: dict[str, float] = field(default_factory=dict)
    bias: float = 0.0

    def logit(self, state: str) -> float:
        return _logit(self, features(state))

    def log_solvable(self, state: str) -> float:
        """The estimated log-probability that ``state`` is proved."""
        z = self.logit(state)
        # log(sigmoid(z)), stable for large |z|.
        log_p = -math.log1p(math.exp(-z)) if z > -30 else z
        return max(log_p, LEAST)

    def __call__(self, state: str) -> float:
        return self.log_solvable(state)

    def save(self, path: Path) -> None:
        data = {"format": FORMAT, "bias": self.bias, "weights": self.weights}
        path.write_text(json.dumps(data, ensure_ascii=False, sort_keys=True) + "\n", "utf-8")

    @classmethod
    def load(cls, path: Path | str) -> ValueModel:
        path = Path(path)
        if path.is_dir():
            path = path / VALUE_FILE
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise ValueModelError(f"cannot read the value model {path}: {err}") from err
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueModelError(f"{path} is not a value model (format {FORMAT!r})")
        weights, bias = data.get("weights"), data.get("bias")
        numbers = [bias, *weights.values()] if isinstance(weights, dict) else [None]
        if not all(_finite(x) for x in numbers):
            raise ValueModelError(f"{path}: a value model needs a finite bias and weights")
        assert isinstance(weights, dict) and isinstance(bias, int | float)
        return cls({str(k): float(v) for k, v in weights.items()}, float(bias))


def _finite(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


@dataclass(frozen=True)
class FitReport:
    rows: int
    solved: int
    features: int
    accuracy: float  # on the rows fitted (their share of right calls at p = 0.5)


def fit(
    rows: Iterable[tuple[str, bool]],
    epochs: int = 20,
    lr: float = 0.2,
    l2: float = 1e-4,
    seed: int = 0,
) -> tuple[ValueModel, FitReport]:
    """Fit on (state, solved) pairs by stochastic gradient descent; the classes are
    weighted to count equally (at most ``MAX_CLASS_WEIGHT`` a row), since solved states
    are few."""
    data = [(features(state), solved) for state, solved in rows]
    solved = sum(1 for _, s in data if s)
    if not data or solved in (0, len(data)):
        raise ValueModelError(
            f"a value model needs solved and unsolved states; got {solved} of {len(data)}"
        )
    half = len(data) / 2
    weight = {
        True: min(half / solved, MAX_CLASS_WEIGHT),
        False: min(half / (len(data) - solved), MAX_CLASS_WEIGHT),
    }
    model, rng = ValueModel(), random.Random(seed)
    order = list(range(len(data)))
    for epoch in range(epochs):
        rng.shuffle(order)
        step = lr / (1 + epoch)
        for i in order:
            _update(model, data[i][0], data[i][1], step * weight[data[i][1]], l2)
    right = sum(1 for f, s in data if (_logit(model, f) > 0) == s)
    report = FitReport(len(data), solved, len(model.weights), round(right / len(data), 3))
    return model, report


def _logit(model: ValueModel, found: Sequence[str]) -> float:
    return model.bias + sum(model.weights.get(f, 0.0) for f in found)


def _update(model: ValueModel, found: Sequence[str], solved: bool, step: float, l2: float) -> None:
    z = max(min(_logit(model, found), 30.0), -30.0)
    error = (1.0 if solved else 0.0) - 1 / (1 + math.exp(-z))
    model.bias += step * error
    for f in found:
        w = model.weights.get(f, 0.0)
        model.weights[f] = w + step * (error - l2 * w)
