"""The search's decisions, on the in-memory store with a scripted verifier and generator:
no Redis, no Lean, milliseconds. The same transition runs on Redis in test_search.py."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

import pytest

from prover.core.jobs import Budget, GeneratorChoice, JobSpec
from prover.core.records import Node, Proposal
from prover.core.search import Value, decide, path_score, state_penalty, visit
from prover.core.theorem import Attempt
from prover.core.verdicts import Crashed, Failed, Goal, Open, Proved, Timeout, Verdict
from prover.generate.base import Generator
from prover.generate.select import Generators, JobGenerators
from prover.search.advance import advance_jobs
from prover.search.memory import MemoryJob, MemoryStore
from prover.settings import GeneratorSettings
from prover.value import VALUE_FILE, ValueModel

STATEMENT = "theorem t (n : Nat) : n + 0 = n"
CRASH = Crashed("the Lean process exited (1) while checking", took_down=True)


def state(name: str) -> Open:
    return Open((Goal(("n : Nat",), name),))


class Script:
    """Verdicts by tactic prefix (anything else fails); whole proofs are proved when
    their prefix was, unless listed in ``bad_whole``."""

    def __init__(
        self, steps: dict[tuple[str, ...], Verdict], bad_whole: frozenset[str] = frozenset()
    ):
        self.steps, self.bad_whole = steps, bad_whole
        self.checked: list[Attempt] = []

    def __call__(self, attempt: Attempt) -> Verdict:
        self.checked.append(attempt)
        if not attempt.prefix:
            return Failed("whole proof rejected") if attempt.proof in self.bad_whole else Proved()
        return self.steps.get(attempt.tactics, Failed("no"))


class Tactics:
    """Proposals by the target of the first goal; counts calls."""

    name = "scripted"

    def __init__(self, by_target: dict[str, list[str]]) -> None:
        self.by_target, self.batches = by_target, 0

    def propose(self, state: str, n: int) -> list[Proposal]:
        target = state.rsplit("⊢ ", 1)[-1]
        tactics = self.by_target.get(target, [])[:n]
        return [Proposal(-0.1 * (k + 1), t) for k, t in enumerate(tactics)]

    def propose_batch(self, states: list[str], n: int) -> list[list[Proposal]]:
        self.batches += 1
        return [self.propose(s, n) for s in states]


def run(
    store: MemoryStore,
    ids: list[str],
    generator: Tactics,
    check: Callable[[Attempt], Verdict],
    passes: int = 500,
    between: Callable[[int], None] = lambda _: None,
    value: Value | None = None,
) -> None:
    """Advance, then check every queued task, until every job is final."""
    generator_for = lambda *_: (generator, {"backend": "scripted"})  # noqa: E731
    for k in range(passes):
        advance_jobs(store, ids, generator_for, store.clock(), value=value)
        between(k)
        tasks, store.outbox = store.outbox, []
        for job_id, task, attempt in tasks:
            store.deliver(job_id, task, check(attempt))
        if all(store.jobs[i].status not in ("queued", "running") for i in ids):
            return
    raise AssertionError("search did not end")


def job(store: MemoryStore, job_id: str = "j", **budget: float) -> MemoryJob:
    store.submit(job_id, JobSpec(statement=STATEMENT, budget=Budget(**budget)))  # type: ignore[arg-type]
    return store.jobs[job_id]


def test_a_two_step_proof_is_confirmed_whole_before_it_is_proved() -> None:
    store = MemoryStore()
    j = job(store)
    script = Script({(): state("A"), ("a",): state("B"), ("a", "c"): Proved()})
    generator = Tactics({"A": ["a", "b"], "B": ["c"]})
    run(store, ["j"], generator, script)
    assert j.status == "proved"
    assert j.fields["tactics"] == '["a", "c"]' and j.fields["proof"] == "by\n  a\n  c"
    whole = [a for a in script.checked if not a.prefix]
    assert [a.proof for a in whole] == ["by\n  a\n  c"]
    assert [e.kind for e in j.edges][-1] == "confirm"
    kinds = [k for k, _ in j.events]
    assert kinds[0] == "started" and kinds[-1] == "finished"


def test_a_prefix_whose_whole_proof_fails_is_never_reported_proved() -> None:
    store = MemoryStore()
    j = job(store)
    script = Script({(): state("A"), ("a",): Proved()}, bad_whole=frozenset({"by\n  a"}))
    run(store, ["j"], Tactics({"A": ["a"]}), script)
    assert j.status == "failed" and "proof" not in j.fields
    assert [e.status for e in j.edges if e.kind == "confirm"] == ["failed"]


@pytest.mark.parametrize(
    "down",
    [
        CRASH,
        Timeout(limit_s=60.0, took_down=True),  # killed at the deadline
    ],
)
def test_a_tactic_that_took_lean_down_is_not_sent_again_in_the_job(down: Verdict) -> None:
    """``boom`` takes the process down at A; on B, A's child, only ``c`` is sent."""
    store = MemoryStore()
    j = job(store, nodes_in_flight=1)
    steps: dict[tuple[str, ...], Verdict] = {
        (): state("A"),
        ("boom",): down,
        ("a",): state("B"),
        ("a", "c"): Proved(),
    }
    script = Script(steps)
    run(store, ["j"], Tactics({"A": ["boom", "a"], "B": ["boom", "c"]}), script)
    assert j.status == "proved"
    assert [a.tactics for a in script.checked if a.prefix] == [(), ("boom",), ("a",), ("a", "c")]
    assert j.crashed == {"boom"}


def test_a_node_is_expanded_again_with_its_next_tactics_until_none_is_left() -> None:
    """Two tactics a visit: A's first two fail, its third proves it on a second visit;
    a node whose tactics are all sent is not put back."""
    store = MemoryStore()
    j = job(store, proposals_per_node=2, nodes_in_flight=1)
    script = Script({(): state("A"), ("c",): Proved()})
    run(store, ["j"], Tactics({"A": ["a", "b", "c", "d"]}), script)
    assert j.status == "proved" and j.fields["tactics"] == '["c"]'
    sent = [a.tactics for a in script.checked if a.prefix]
    assert sent[:4] == [(), ("a",), ("b",), ("c",)]  # no tactic sent twice
    assert j.expansions == 2
    stuck = job(store, "s", proposals_per_node=2)
    run(store, ["s"], Tactics({"A": ["a", "b", "c"]}), Script({(): state("A")}))
    assert stuck.status == "failed" and stuck.expansions == 2
    assert stuck.fields["reason"] == "no open state left to expand"


def test_a_node_sends_at_most_max_proposals_tactics() -> None:
    store = MemoryStore()
    j = job(store, proposals_per_node=128)
    run(store, ["j"], Tactics({"A": [f"t{k}" for k in range(300)]}), Script({(): state("A")}))
    assert j.status == "failed" and j.expansions == 2 and len(j.nodes[0].sent) == 256


def test_a_node_back_on_the_frontier_ranks_by_its_best_untried_tactic() -> None:
    node = Node(0, None, (), "⊢ A", -1.0)
    a, b, c = Proposal(-0.1, "a"), Proposal(-0.5, "b"), Proposal(-2.0, "c")
    once = visit(node, [a, b, c], ["a"], [b, c])
    path = pytest.approx(path_score(node))
    assert once.visits == 1 and once.sent == ("a",)
    assert once.score == pytest.approx(-1.4) and path_score(once) == path
    twice = visit(once, [a, b, c], ["b"], [c])
    assert twice.visits == 2 and twice.sent == ("a", "b")
    assert twice.score == pytest.approx(-2.9) and path_score(twice) == path
    assert Node.from_json(twice.to_json()) == twice
    # A generator's list that is not sorted never raises a node's priority.
    assert visit(node, [b, a], ["b"], [a]).score == node.score


def test_a_tactic_that_crashes_later_does_not_hide_an_untried_one() -> None:
    """One tactic a visit: ``boom`` is sent on A's first visit and crashes; ``b`` and
    ``c`` are still sent on the next ones (positions in the list do not count)."""
    store = MemoryStore()
    j = job(store, proposals_per_node=1, nodes_in_flight=1)
    script = Script({(): state("A"), ("boom",): CRASH, ("c",): Proved()})
    run(store, ["j"], Tactics({"A": ["boom", "b", "c"]}), script)
    assert j.status == "proved"
    assert [a.tactics for a in script.checked if a.prefix] == [(), ("boom",), ("b",), ("c",)]


def test_a_tactic_that_crashed_in_this_pass_leaves_room_for_another() -> None:
    """``boom`` crashes at A; B's list starts with it: B still sends c, d and e."""
    store = MemoryStore()
    j = job(store, proposals_per_node=2, nodes_in_flight=1)
    steps: dict[tuple[str, ...], Verdict] = {
        (): state("A"),
        ("boom",): CRASH,
        ("a",): state("B"),
        ("a", "e"): Proved(),
    }
    script = Script(steps)
    run(store, ["j"], Tactics({"A": ["boom", "a"], "B": ["boom", "c", "d", "e"]}), script)
    assert j.status == "proved" and j.fields["tactics"] == '["a", "e"]'


def test_a_spent_verifier_budget_leaves_the_untried_nodes_open() -> None:
    """The budget runs out in the middle of an expansion: the job is exhausted, not
    failed, and the node was back on the frontier with its tactics left."""
    store = MemoryStore()
    j = job(store, proposals_per_node=3, nodes_in_flight=2, max_verifier_calls=5)
    steps: dict[tuple[str, ...], Verdict] = {(): state("A"), ("a",): state("B")}
    by_target = {"A": ["a", "b", "c", "d", "e"], "B": ["x", "y", "z"]}
    run(store, ["j"], Tactics(by_target), Script(steps))
    assert j.status == "exhausted" and "verifier budget (5) spent" in j.fields["reason"]
    assert j.nodes[0].sent == ("a", "b", "c")
    last = [d for k, d in j.events if k == "expanded" and d["node"] == 0][-1]
    assert last["open"] and last["visits"] == 1


def test_nodes_on_different_visits_get_proposals_in_one_pass() -> None:
    """A's second visit and B's first in one pass: a batch of each size, and each node
    sends its own next tactic."""
    store = MemoryStore()
    j = job(store, proposals_per_node=1, nodes_in_flight=2)
    steps: dict[tuple[str, ...], Verdict] = {(): state("A"), ("a",): state("B")}
    steps[("a", "y")] = Proved()
    script = Script(steps)
    asked: list[tuple[int, list[str]]] = []

    class Counted(Tactics):
        def propose_batch(self, states: list[str], n: int) -> list[list[Proposal]]:
            asked.append((n, [s.rsplit("⊢ ", 1)[-1] for s in states]))
            return super().propose_batch(states, n)

    marks = [0]
    generator = Counted({"A": ["a", "b", "c"], "B": ["x", "y"]})
    run(store, ["j"], generator, script, between=lambda _: marks.append(len(asked)))
    assert j.status == "proved"
    passes = [asked[a:b] for a, b in pairwise(marks)]
    assert [(2, ["B"]), (3, ["A"])] in passes
    sent = [a.tactics for a in script.checked if a.prefix]
    assert len(sent) == len(set(sent))  # nothing sent twice


def test_a_node_waits_for_its_last_expansion_before_the_next() -> None:
    """Two nodes may be in flight, but the one node A has is not expanded twice at once."""
    store = MemoryStore()
    j = job(store, proposals_per_node=1, nodes_in_flight=2)
    script = Script({(): state("A"), ("b",): Proved()})
    in_flight: list[int] = []

    def count(_: int) -> None:
        in_flight.append(sum(1 for s in j.pending.values() if s.kind == "step"))

    run(store, ["j"], Tactics({"A": ["a", "b"]}), script, between=count)
    assert j.status == "proved" and max(in_flight) == 1 and j.expansions == 2


def test_identical_states_are_one_node_and_the_edge_says_merged() -> None:
    store = MemoryStore()
    j = job(store, max_expansions=2)
    steps: dict[tuple[str, ...], Verdict] = {(): state("A"), ("a",): state("B"), ("b",): state("B")}
    run(store, ["j"], Tactics({"A": ["a", "b"]}), Script(steps))
    assert sorted(n.state.rsplit("⊢ ", 1)[-1] for n in j.nodes.values()) == ["A", "B"]
    merged = [e for e in j.edges if e.merged]
    assert len(merged) == 1 and merged[0].child == 1


def test_the_expansion_and_verifier_budgets_end_a_job_with_the_reason() -> None:
    store = MemoryStore()
    endless: dict[tuple[str, ...], Verdict] = {("a",) * k: state(f"S{k}") for k in range(5)}
    by_target = {f"S{k}": ["a"] for k in range(5)}
    expansions = job(store, "e", max_expansions=2)
    calls = job(store, "v", max_verifier_calls=3)
    run(store, ["e", "v"], Tactics(by_target), Script(endless))
    assert expansions.status == "exhausted"
    assert "expansion budget (2) spent" in expansions.fields["reason"]
    assert expansions.expansions == 2
    assert calls.status == "exhausted" and calls.verifier_calls == 3


def test_a_job_with_no_tactics_fails_and_a_bad_statement_is_an_error() -> None:
    store = MemoryStore()
    stuck, bad = job(store, "s"), job(store, "b")
    run(store, ["s"], Tactics({}), Script({(): state("A")}))
    assert stuck.status == "failed" and stuck.fields["reason"] == "no open state left to expand"
    run(store, ["b"], Tactics({}), lambda a: Failed("unknown identifier 'no_such_thing'"))
    assert bad.status == "error" and "does not elaborate" in bad.fields["reason"]


def test_the_time_budget_ends_a_job_at_once() -> None:
    now = [1000.0]
    store = MemoryStore(clock=lambda: now[0])
    j = job(store, max_seconds=5)
    steps: dict[tuple[str, ...], Verdict] = {(): state("A"), ("a",): state("B")}
    generator = Tactics({"A": ["a"], "B": ["a"]})

    def later(k: int) -> None:
        now[0] += 3

    run(store, ["j"], generator, Script(steps), between=later)
    assert j.status == "exhausted" and "time budget (5 s)" in j.fields["reason"]
    assert j.pending == {} and store.outbox == []  # in-flight tasks are dropped with it


def test_no_more_than_nodes_in_flight_nodes_have_tactics_with_the_verifiers() -> None:
    store = MemoryStore()
    j = job(store, nodes_in_flight=2, max_expansions=12)
    wide: dict[tuple[str, ...], Verdict] = {(): state("A")}
    wide.update({(f"t{k}",): state(f"S{k}") for k in range(8)})
    by_target = {"A": [f"t{k}" for k in range(8)]}
    by_target.update({f"S{k}": ["u", "v"] for k in range(8)})
    busy: list[int] = []

    def count(_: int) -> None:
        busy.append(len({s.node for s in j.pending.values() if s.kind == "step"}))

    run(store, ["j"], Tactics(by_target), Script(wide), between=count)
    assert max(busy) == 2 and j.expansions == 9


def test_one_generator_batch_per_pass_across_jobs() -> None:
    store = MemoryStore()
    ids = [f"j{k}" for k in range(5)]
    for job_id in ids:
        job(store, job_id, max_expansions=1)
    generator = Tactics({"A": ["a", "b"]})
    run(store, ids, generator, Script({(): state("A")}))
    assert all(store.jobs[i].expansions == 1 for i in ids)
    assert generator.batches == 1  # five roots back in one pass: one call for all five


def test_a_cancel_between_reading_and_writing_drops_the_write() -> None:
    store = MemoryStore()
    j = job(store)
    generator = Tactics({"A": ["a"]})
    advance_jobs(store, ["j"], lambda *_: (generator, {}))
    view = store.view("j")
    assert view is not None
    transition = decide(view, 0.0)
    store.cancel("j")
    assert not store.commit(view, transition)
    assert j.status == "cancelled" and store.view("j") is None


def goals(*targets: str) -> Open:
    return Open(tuple(Goal(("n : Nat",), t) for t in targets))


def test_a_state_with_fewer_goals_is_expanded_first() -> None:
    store = MemoryStore()
    j = job(store, nodes_in_flight=1, max_expansions=2)
    # "a" scores better than "b" but leaves three goals; "b" leaves one.
    steps: dict[tuple[str, ...], Verdict] = {
        (): state("A"),
        ("a",): goals("B", "B", "B"),
        ("b",): state("C"),
    }
    run(store, ["j"], Tactics({"A": ["a", "b"]}), Script(steps))
    expanded = [data["node"] for kind, data in j.events if kind == "expanded"]
    by_tactics = {n.tactics: n.id for n in j.nodes.values()}
    assert expanded == [by_tactics[()], by_tactics[("b",)]]


def test_a_state_penalty_is_not_inherited_by_its_children() -> None:
    store = MemoryStore()
    j = job(store, length_penalty=0.0)
    steps: dict[tuple[str, ...], Verdict] = {
        (): state("A"),
        ("a",): goals("B", "B"),
        ("a", "c"): state("D"),
    }
    run(store, ["j"], Tactics({"A": ["a"], "B": ["c"]}), Script(steps))
    child = next(n for n in j.nodes.values() if n.tactics == ("a", "c"))
    # The path's scores (-0.1 each), less only the child's own state penalty.
    assert abs(child.score - (-0.2 - state_penalty(child.state))) < 1e-9
    assert state_penalty(goals("B", "B").pretty()) > state_penalty(state("B").pretty())


def test_a_learned_value_ranks_new_states_and_is_not_inherited() -> None:
    store = MemoryStore()
    j = job(store, nodes_in_flight=1, max_expansions=3, length_penalty=0.0)
    # "a" scores better than "b", but the value model finds B's state hopeless.
    steps: dict[tuple[str, ...], Verdict] = {
        (): state("A"),
        ("a",): state("B"),
        ("b",): state("C"),
        ("b", "c"): state("D"),
    }
    values = {"B": -3.0, "C": -0.1}

    def value(text: str) -> float:
        return values.get(text.rsplit("⊢ ", 1)[-1], 0.0)

    run(store, ["j"], Tactics({"A": ["a", "b"], "C": ["c"]}), Script(steps), value=value)
    expanded = [data["node"] for kind, data in j.events if kind == "expanded"]
    by_tactics = {n.tactics: n for n in j.nodes.values()}
    assert expanded[:3] == [by_tactics[t].id for t in [(), ("b",), ("b", "c")]]
    c, d = by_tactics[("b",)], by_tactics[("b", "c")]
    assert c.value == -0.1 and abs(path_score(c) + 0.2) < 1e-9
    # D's priority builds on C's path, not on C's value: -0.2 - 0.1, less D's penalty.
    assert abs(d.score - (-0.3 - state_penalty(d.state))) < 1e-9 and d.value == 0.0


def test_the_settings_value_model_reaches_the_nodes(tmp_path: Path) -> None:
    ValueModel({"t:B": -3.0}, 0.0).save(tmp_path / VALUE_FILE)
    generators = JobGenerators(GeneratorSettings(value_model=str(tmp_path)))  # a model's dir
    store = MemoryStore()
    j = job(store, max_expansions=2)
    steps: dict[tuple[str, ...], Verdict] = {(): state("A"), ("a",): state("B")}
    run(store, ["j"], Tactics({"A": ["a"]}), Script(steps), value=generators.value)
    b = next(n for n in j.nodes.values() if n.tactics == ("a",))
    assert generators.value is not None and b.value == generators.value(b.state) < -3.0


class Flaky(Tactics):
    """Fails its first ``failures`` batches, as a generator server that is down."""

    def __init__(self, by_target: dict[str, list[str]], failures: int) -> None:
        super().__init__(by_target)
        self.failures = failures

    def propose_batch(self, states: list[str], n: int) -> list[list[Proposal]]:
        if self.failures:
            self.failures -= 1
            raise ConnectionError("generator server down")
        return super().propose_batch(states, n)


def test_a_generator_outage_leaves_the_nodes_open_for_later() -> None:
    store = MemoryStore()
    j = job(store)
    script = Script({(): state("A"), ("a",): Proved()})
    run(store, ["j"], Flaky({"A": ["a"]}, failures=3), script)
    assert j.status == "proved" and j.expansions == 1  # not "no open state left"


def test_a_job_without_a_generator_ends_as_an_error_and_the_others_go_on() -> None:
    store = MemoryStore()
    bad, good = job(store, "bad"), job(store, "good")
    generator = Tactics({"A": ["a"]})

    def generator_for(choice: object, theorem: object) -> tuple[Tactics, dict[str, str]]:
        if bad.status == "queued":  # the first job asked for: "bad"
            raise ValueError("no such model")
        return generator, {}

    advance_jobs(store, ["bad", "good"], generator_for)
    assert bad.status == "error" and "no such model" in bad.fields["reason"]
    assert good.status == "running"


class Model(Tactics):
    """A scripted model: notes in ``used`` which models a pass asked."""

    def __init__(self, name: str, by_target: dict[str, list[str]], used: list[set[str]]) -> None:
        super().__init__(by_target)
        self.model, self.used = name, used

    def propose_batch(self, states: list[str], n: int) -> list[list[Proposal]]:
        self.used[-1].add(self.model)
        return super().propose_batch(states, n)


def test_jobs_of_more_models_than_fit_take_turns_without_reloading() -> None:
    """Three models, two slots: a pass asks at most two, a model switch comes at most
    once per model_switch_s (not every pass, as a cache cycled through would), and
    every job is proved."""
    clock = [0.0]
    store = MemoryStore(clock=lambda: clock[0])
    chain = {f"S{i}": [f"t{i}"] for i in range(6)}
    steps: dict[tuple[str, ...], Verdict] = {
        tuple(f"t{k}" for k in range(i)): state(f"S{i}") for i in range(6)
    }
    steps[tuple(f"t{k}" for k in range(6))] = Proved()
    loads: list[str] = []
    used: list[set[str]] = []

    def load(settings: GeneratorSettings, kind: str) -> Generator:
        loads.append(settings.model)
        return Model(settings.model, chain, used)

    base = GeneratorSettings(backend="transformers", max_models=2, model_switch_s=5.0)
    generators = JobGenerators(base, load)
    ids = [f"{m}-{k}" for m in ("m0", "m1", "m2") for k in range(2)]
    for job_id in ids:
        choice = GeneratorChoice(model=job_id.split("-")[0])
        store.submit(job_id, JobSpec(statement=STATEMENT, generator=choice))
    script = Script(steps)
    while any(store.jobs[i].status in ("queued", "running") for i in ids) and clock[0] < 500:
        used.append(set())
        advance_jobs(store, ids, generators, clock[0], admit=generators.admit)
        tasks, store.outbox = store.outbox, []
        for job_id, task, attempt in tasks:
            store.deliver(job_id, task, script(attempt))
        clock[0] += 1.0
    assert all(store.jobs[i].status == "proved" for i in ids)
    assert max(len(models) for models in used) == 2
    assert set(loads) == {"m0", "m1", "m2"}
    assert len(loads) <= 2 + clock[0] / 5.0


def test_a_model_no_pass_had_for_the_switch_time_gives_way_at_once() -> None:
    loads: list[str] = []

    def load(settings: GeneratorSettings, kind: str) -> Generator:
        loads.append(settings.model)
        return Tactics({})

    generators = Generators(max_models=2, switch_s=5.0, load=load)
    a, b, c = (GeneratorSettings(backend="transformers", model=m) for m in "abc")
    assert generators.admit([a, b], 0.0) == [True, True]
    generators.get(a), generators.get(b)
    assert generators.admit([b, c], 1.0) == [True, False]  # a had a pass 1 s ago: c waits
    assert generators.admit([b, c], 4.0) == [True, False]
    assert generators.admit([b, c], 5.0) == [True, True]  # a idle for 5 s: c takes its slot
    generators.get(c)
    symbolic = GeneratorSettings()
    assert generators.admit([a, symbolic], 6.0) == [False, True]  # no model: always served
    assert loads == ["a", "b", "c"]


def test_a_mixed_model_proposes_once_for_jobs_of_different_preambles() -> None:
    """One model batch for both jobs; each job's symbolic part reads its own preamble."""
    target = "f n + g n = g n + f n"
    model = Tactics({target: ["ac_rfl"]})
    settings = GeneratorSettings(backend="mixed", mixed_model_backend="transformers")
    generators = JobGenerators(settings, lambda *_: model)
    store = MemoryStore()
    for name in ("f", "g"):
        preamble = f"def {name} (n : Nat) : Nat := n\n"
        store.submit(name, JobSpec(statement=STATEMENT, preamble=preamble))
    advance_jobs(store, ["f", "g"], generators, admit=generators.admit)
    for job_id, task, _ in store.outbox:
        store.deliver(job_id, task, Open((Goal(("n : Nat",), target),)))
    store.outbox = []
    advance_jobs(store, ["f", "g"], generators, admit=generators.admit)
    assert model.batches == 1
    tactics = {name: {a.tactics[-1] for j, _, a in store.outbox if j == name} for name in "fg"}
    assert {"ac_rfl", "simp [f]"} <= tactics["f"] and "simp [g]" not in tactics["f"]
    assert {"ac_rfl", "simp [g]"} <= tactics["g"] and "simp [f]" not in tactics["g"]
