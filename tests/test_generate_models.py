"""Model generators: a tiny checkpoint made here, loaded like a real one, served over
real HTTP, and the vLLM client's behaviour when the server fails."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from prover.generate.hf import TransformersGenerator
from prover.generate.openai_client import OpenAICompletionsGenerator
from prover.generate.select import MixedGenerator
from prover.generate.server import create_app
from prover.generate.symbolic import SymbolicProposer
from prover.generate.tiny import STATES, TACTIC, build_model
from prover.settings import GeneratorSettings


@pytest.fixture(scope="module")
def causal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model("causal", tmp_path_factory.mktemp("causal"))


@pytest.fixture(scope="module")
def seq2seq(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_model("seq2seq", tmp_path_factory.mktemp("seq2seq"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def served(causal: Path) -> Iterator[str]:
    """`prover serve-generator`'s app under a real uvicorn on a free port."""
    import uvicorn

    port = _free_port()
    app = create_app(TransformersGenerator(causal), served_name="tiny")
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            if httpx.get(f"{url}/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    yield url
    server.should_exit = True
    thread.join(timeout=10)


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_checkpoint_loads_and_proposes_what_it_learned(
    kind: str, request: pytest.FixtureRequest
) -> None:
    path: Path = request.getfixturevalue(kind)
    beam = TransformersGenerator(path, temperature=0.0, max_tokens=8)
    proposals = beam.propose(STATES[0], 4)
    assert proposals[0].tactic == TACTIC
    assert all(p.score <= 0 for p in proposals) and proposals == sorted(proposals, reverse=True)
    sampled = TransformersGenerator(path, temperature=1.0, max_tokens=8)
    batched = sampled.propose_batch(STATES, 3)
    assert len(batched) == len(STATES)
    assert all(1 <= len(p) <= 3 for p in batched)
    # A state longer than the model's positions keeps its goal and still gets tactics.
    long = beam.propose_batch(["h : True\n" * 200 + STATES[0], STATES[1]], 2)
    assert len(long) == 2 and long[0] and long[0][0].tactic == TACTIC


def test_served_model_through_the_vllm_client(served: str) -> None:
    client = OpenAICompletionsGenerator(GeneratorSettings(url=served, model="tiny", max_tokens=8))
    proposals = client.propose(STATES[1], 4)
    assert proposals and proposals[0].tactic == TACTIC
    assert client.last_error is None
    raw = httpx.post(
        f"{served}/v1/completions",
        json={"model": "tiny", "prompt": ["a", "b"], "n": 2, "max_tokens": 4, "logprobs": 1},
    ).json()
    assert [c["index"] for c in raw["choices"]] == [0, 1, 2, 3]
    assert all(len(c["logprobs"]["token_logprobs"]) >= 1 for c in raw["choices"])
    assert httpx.get(f"{served}/v1/models").json()["data"][0]["id"] == "tiny"
    cut = httpx.post(
        f"{served}/v1/completions",
        json={
            "model": "tiny",
            "prompt": "[GOAL]n : Nat",
            "max_tokens": 8,
            "logprobs": 1,
            "stop": "g",
        },
    ).json()["choices"][0]
    scored = "".join(cut["logprobs"]["tokens"])
    assert "g" not in cut["text"] and scored.startswith(cut["text"])
    assert scored.count("g") <= 1  # scored up to the token that carried the stop, no further
    bad = httpx.post(f"{served}/v1/completions", json={"model": "tiny", "prompt": "x", "n": 0})
    assert bad.status_code == 422


def test_mixed_generator_merges_and_deduplicates(served: str) -> None:
    client = OpenAICompletionsGenerator(GeneratorSettings(url=served, model="tiny", max_tokens=8))
    mixed = MixedGenerator(client, SymbolicProposer(), symbolic_share=0.5)
    tactics = [p.tactic for p in mixed.propose(STATES[1], 6)]
    assert len(tactics) == len(set(tactics)) == 6
    symbolic = [p.tactic for p in SymbolicProposer().propose(STATES[1], 3)]
    assert TACTIC in tactics and set(symbolic) <= set(tactics)  # half from each, no repeats


@pytest.mark.parametrize("kind", ["causal", "seq2seq"])
def test_a_local_model_ranks_the_symbolic_tactics(
    kind: str, request: pytest.FixtureRequest
) -> None:
    model = TransformersGenerator(request.getfixturevalue(kind), temperature=0.0, max_tokens=8)
    scores = model.score_batch([STATES[0]], [[TACTIC, "simp_all", "induction a <;> simp"]])[0]
    assert scores[0] == max(scores) and all(s <= 0 for s in scores)
    learned = MixedGenerator(model, SymbolicProposer(), symbolic_share=0.0).propose(STATES[2], 4)
    assert learned[0].tactic == TACTIC
    again = model.score_batch([STATES[2]], [[p.tactic for p in learned]])[0]
    assert [p.score for p in learned] == pytest.approx(again, abs=1e-4)
    long = "simp [" + ", ".join(["Nat.add_comm"] * 60) + "]"  # longer than the model's positions
    assert -100 < model.score_batch([STATES[0] * 20], [[long, TACTIC]])[0][0] < 0
    prior = MixedGenerator(model, SymbolicProposer(), symbolic_share=1.0).propose(STATES[2], 4)
    assert prior == SymbolicProposer().propose(STATES[2], 4)  # the prior alone: symbolic's order
    for state in STATES:  # a model that scores them low still sends symbolic's first few
        mixed = MixedGenerator(model, SymbolicProposer(), symbolic_share=0.25).propose(state, 8)
        first = {p.tactic for p in SymbolicProposer().propose(state, 2)}
        assert first == {p.tactic for p in mixed[:2]} and len(mixed) == 8  # sent first


def test_unreachable_server_means_no_proposals() -> None:
    settings = GeneratorSettings(
        url=f"http://127.0.0.1:{_free_port()}", timeout_s=0.5, retries=1, backoff_s=0.05
    )
    client = OpenAICompletionsGenerator(settings)
    assert client.propose(STATES[0], 4) == []
    assert client.last_error is not None and "unreachable" in client.last_error


class _Stub(BaseHTTPRequestHandler):
    """A real HTTP server that answers slowly or with nonsense."""

    mode = "slow"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.mode == "slow":
            time.sleep(1.5)
        body = json.dumps({"choices": [{"text": 5}]} if self.mode == "junk" else {}).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except BrokenPipeError:
            pass  # the client gave up waiting, as it should

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("mode", ["slow", "junk"])
def test_slow_or_malformed_server_is_survived(mode: str) -> None:
    handler = type("Handler", (_Stub,), {"mode": mode})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        client = OpenAICompletionsGenerator(
            GeneratorSettings(url=url, timeout_s=0.3, retries=1, backoff_s=0.05)
        )
        assert client.propose(STATES[0], 4) == []
        if mode == "slow":
            assert client.last_error is not None and "no answer within 0.3 s" in client.last_error
    finally:
        server.shutdown()
