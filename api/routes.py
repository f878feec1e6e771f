"""The versioned API: jobs, their trees and events, synchronous checks, queue stats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal

import anyio
from fastapi import APIRouter, Body, Header, Path, Query, Response
from fastapi.responses import StreamingResponse

from api.check import verify
from api.errors import BODY_ERRORS, ERRORS, NOT_FOUND, ApiError
from api.events import follow, is_final
from api.models import (
    BatchCreated,
    BatchRequest,
    CheckRequest,
    ErrorBody,
    JobCreated,
    JobList,
    Stats,
    Tree,
    VerdictOut,
)
from api.security import Client, reserve_jobs, track_jobs
from api.state import ApiState, Authed, AuthedStream, State
from prover.core.jobs import Forbidden, JobInfo, JobSpec, JobStatus
from prover.core.screen import screen_attempt
from prover.core.theorem import Attempt, InputError, Theorem
from prover.core.verdicts import Status as VerdictStatus
from prover.core.verdicts import Verdict, verdict_to_dict
from prover.data.export import stream_rows
from prover.data.sources import ExportError, Filters, RedisSource
from prover.data.views import Splitter
from prover.queue.workers import live_workers
from prover.settings import GeneratorSettings

router = APIRouter(prefix="/v1")

JOB_ID = r"^[0-9a-f]{32}$"
JobId = Annotated[str, Path(pattern=JOB_ID, description="As returned on submit.")]
STREAM_ID = r"^\d{1,20}(-\d{1,20})?$"
StreamId = Annotated[
    str | None, Query(pattern=STREAM_ID, description="Replay the events after this id.")
]
LastEventId = Annotated[
    str | None, Header(pattern=STREAM_ID, description="Sent by EventSource on reconnection.")
]
SSE_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "`text/event-stream`: `id` (stream id), `event` (kind), `data` (JSON).",
        "content": {"text/event-stream": {"schema": {"type": "string"}}},
    },
    204: {"description": "The job is final and no event follows the given id."},
}

SpecBody = Annotated[
    JobSpec,
    Body(
        openapi_examples={
            "induction": {"value": {"statement": "theorem t (n : Nat) : 0 + n = n"}},
            "with definitions": {
                "value": {
                    "statement": "theorem d (n : Nat) : double n = 2 * n",
                    "preamble": "def double (n : Nat) : Nat := n + n",
                    "budget": {"max_expansions": 20, "max_seconds": 120},
                    "label": "examples",
                }
            },
        }
    ),
]
CheckBody = Annotated[
    CheckRequest,
    Body(
        openapi_examples={
            "omega": {
                "value": {"statement": "theorem c (a b : Nat) : a + b = b + a", "proof": "by omega"}
            }
        }
    ),
]


def _visible(state: ApiState, client: Client, job_id: str) -> None:
    """404 unless the job exists and the caller may see it (its own, or not scoped)."""
    owner = state.queue.owner(job_id)
    if owner is None or (client.scoped and owner != client.tenant):
        raise ApiError(404, "job_not_found", f"no job {job_id!r}")


def _job(info: JobInfo | None, job_id: str) -> JobInfo:
    if info is None:
        raise ApiError(404, "job_not_found", f"no job {job_id!r}")
    return info


@router.post("/jobs", status_code=201, tags=["jobs"], responses=BODY_ERRORS)
def submit_job(spec: SpecBody, client: Authed, state: State) -> JobCreated:
    """Queue one theorem for proof search; answers at once."""
    cap = state.settings.max_active_jobs
    reserve_jobs(state.redis, state.keys, client.owner, 1, cap)
    job_id = state.queue.submit(spec, state.input_limit, client.tenant)
    track_jobs(state.redis, state.keys, client.owner, [job_id])
    return JobCreated(id=job_id)


@router.post("/jobs/batch", status_code=201, tags=["jobs"], responses=BODY_ERRORS)
def submit_batch(body: BatchRequest, client: Authed, state: State) -> BatchCreated:
    """Queue up to 1000 theorems: all of them, or none when one is bad."""
    for i, spec in enumerate(body.jobs):
        _validate(spec, state.input_limit, f"jobs[{i}]")
    cap = state.settings.max_active_jobs
    reserve_jobs(state.redis, state.keys, client.owner, len(body.jobs), cap)
    ids = [state.queue.submit(spec, state.input_limit, client.tenant) for spec in body.jobs]
    track_jobs(state.redis, state.keys, client.owner, ids)
    return BatchCreated(jobs=[JobCreated(id=i) for i in ids])


def _validate(spec: JobSpec, limit: int, where: str) -> None:
    try:
        spec.theorem(limit)
    except Forbidden as err:
        raise ApiError(422, "forbidden_construct", f"{where}: {err}", None, err.construct) from None
    except InputError as err:
        raise ApiError(422, "invalid_statement", f"{where}: {err}") from None


@router.get("/jobs", tags=["jobs"], responses=ERRORS)
def list_jobs(
    client: Authed,
    state: State,
    response: Response,
    status: Annotated[JobStatus | None, Query()] = None,
    label: Annotated[str | None, Query(max_length=200, description="Exactly this label.")] = None,
    name: Annotated[
        str | None,
        Query(min_length=1, max_length=200, description="Names containing this, any case."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Matches to skip.")] = 0,
) -> JobList:
    """The caller's newest jobs (every tenant's for an admin key), filtered, one page of
    them; the ``X-Total-Count`` header says how many match."""
    index = state.keys.owned(client.tenant) if client.scoped else state.keys.job_index
    if status is None and label is None and name is None:
        total = int(state.redis.zcard(index))
        ids = list(state.redis.zrevrange(index, offset, offset + limit - 1))
    else:
        matching = _matching(state, index, status, label, name)
        total, ids = len(matching), matching[offset : offset + limit]
    response.headers["X-Total-Count"] = str(total)
    return JobList(jobs=[info for info in map(state.queue.get, ids) if info is not None])


def _matching(
    state: ApiState, index: str, status: str | None, label: str | None, name: str | None
) -> list[str]:
    """Ids in ``index``, newest first, whose job has the status, label and name asked for
    (one pipelined read of three fields per job, not the whole job)."""
    ids = list(state.redis.zrevrange(index, 0, -1))
    with state.redis.pipeline(transaction=False) as pipe:
        for job_id in ids:
            pipe.hmget(state.keys.job(job_id), ["status", "label", "name"])
        rows = pipe.execute()
    needle = name.casefold() if name else None
    return [
        job_id
        for job_id, (s, lab, n) in zip(ids, rows, strict=True)
        if s is not None
        and (status is None or s == status)
        and (label is None or (lab or "") == label)
        and (needle is None or needle in (n or "").casefold())
    ]


@router.get("/jobs/{job_id}", tags=["jobs"], responses=ERRORS | NOT_FOUND)
def get_job(job_id: JobId, client: Authed, state: State) -> JobInfo:
    _visible(state, client, job_id)
    return _job(state.queue.get(job_id), job_id)


@router.delete("/jobs/{job_id}", tags=["jobs"], responses=ERRORS | NOT_FOUND)
def cancel_job(job_id: JobId, client: Authed, state: State) -> JobInfo:
    """Cancel the search; a final job is left as it is."""
    _visible(state, client, job_id)
    return _job(state.queue.cancel(job_id), job_id)


@router.get("/jobs/{job_id}/tree", tags=["jobs"], responses=ERRORS | NOT_FOUND)
def get_tree(job_id: JobId, client: Authed, state: State) -> Tree:
    """Every proof state reached so far, and every tactic verified."""
    _visible(state, client, job_id)
    tree = state.queue.tree(job_id)
    if tree is None:
        raise ApiError(404, "job_not_found", f"no job {job_id!r}")
    return Tree.model_validate(tree)


@router.get(
    "/jobs/{job_id}/events",
    tags=["jobs"],
    response_class=StreamingResponse,
    responses=SSE_RESPONSES | ERRORS | NOT_FOUND,
)
async def job_events(
    job_id: JobId,
    client: AuthedStream,
    state: State,
    after: StreamId = None,
    last_event_id: LastEventId = None,
) -> Response:
    """Server-Sent Events: the job's events from the start (or after ``Last-Event-ID`` /
    ``after``), then live, ending with the ``finished`` event."""
    start = last_event_id or after or "0"
    await anyio.to_thread.run_sync(_visible, state, client, job_id)
    final = await is_final(state.queue, job_id)
    if final and not await anyio.to_thread.run_sync(state.queue.events, job_id, start, 1):
        return Response(status_code=204)  # EventSource then stops reconnecting
    stream = follow(state.queue, job_id, start, state.settings.keepalive_s)
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(stream, media_type="text/event-stream", headers=headers)


CHECK_RESPONSES = BODY_ERRORS | {504: {"model": ErrorBody, "description": "No verdict in time"}}


@router.post(
    "/check",
    tags=["check"],
    response_model=VerdictOut,
    response_model_exclude_none=True,
    responses=CHECK_RESPONSES,
)
def check(body: CheckBody, _: Authed, state: State) -> dict[str, Any]:
    """Verify one whole proof now, through the verifier workers (waits for the verdict)."""
    limit = state.input_limit
    theorem = Theorem.parse(body.statement, body.preamble, tuple(body.imports), limit=limit)
    attempt = Attempt.whole(theorem, body.proof, limit=limit)
    verdict = screen_attempt(attempt) or _verify(state, attempt)
    state.metrics.checks.labels(verdict.status).inc()
    return verdict_to_dict(verdict)


def _verify(state: ApiState, attempt: Attempt) -> Verdict:
    workers = live_workers(state.redis, state.keys)
    if not any(w.get("kind") == "verify" for w in workers):
        message = "no live verify worker: start one (`prover worker verify`)"
        raise ApiError(503, "no_verifier", message)
    timeout = state.settings.check_timeout_s
    verdict = verify(state.redis, state.keys, attempt, timeout)
    if verdict is None:
        message = f"no verdict within {timeout:.0f} s: the verify workers are busy or stuck"
        raise ApiError(504, "verify_timeout", message)
    return verdict


@router.get("/stats", tags=["queue"], responses=ERRORS)
def stats(_: Authed, state: State) -> Stats:
    """Jobs by status, queue depths and live workers."""
    kinds = [w.get("kind") for w in live_workers(state.redis, state.keys)]
    return Stats(
        **state.queue.counts(),
        verify_workers=kinds.count("verify"),
        search_workers=kinds.count("search"),
    )


@router.get("/metrics", tags=["queue"], responses=ERRORS)
def metrics_json(_: Authed, state: State) -> dict[str, Any]:
    """The samples of ``/metrics`` as JSON, ``{"time", "metrics": {name: [{"labels",
    "value"}]}}``: what the dashboard's service page charts."""
    return state.metrics.snapshot()


EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON lines: `view`, `split` (by theorem), then the view's fields.",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    },
}


@router.get("/feedback/export", tags=["feedback"], responses=ERRORS | EXPORT_RESPONSES)
def export_feedback(
    client: Authed,
    state: State,
    view: Annotated[Literal["sft", "preferences", "value", "raw", "leandojo"], Query()] = "sft",
    label: Annotated[str | None, Query(max_length=200)] = None,
    job: Annotated[str | None, Query(pattern=JOB_ID)] = None,
    verdict: Annotated[VerdictStatus | None, Query()] = None,
    model: Annotated[str | None, Query(max_length=500)] = None,
    since: Annotated[float | None, Query(description="`recorded_at` (epoch) from")] = None,
    until: Annotated[float | None, Query(description="`recorded_at` (epoch) before")] = None,
    seed: Annotated[int, Query(ge=0, le=2**31)] = 0,
    progress: Annotated[bool, Query(description="sft: all steps that made progress")] = False,
) -> StreamingResponse:
    """The dataset export of the recorded feedback, streamed (``prover export`` writes
    the same views to files, with a manifest and a dataset card). A scoped key exports
    the records of its own jobs only."""
    jobs = frozenset([job] if job else [])
    if client.scoped:
        owned = frozenset(state.queue.owned(client.tenant))
        jobs = jobs & owned if jobs else owned
        if not jobs:
            return StreamingResponse(iter(()), media_type="application/x-ndjson")
    try:
        filters = Filters(
            since=since,
            until=until,
            jobs=jobs,
            labels=frozenset([label] if label else []),
            verdicts=frozenset([verdict] if verdict else []),
            models=frozenset([model] if model else []),
        )
    except ExportError as err:
        raise ApiError(422, "bad_filter", str(err)) from None
    source = RedisSource(url="", prefix=state.keys.prefix, client=state.redis)
    template = GeneratorSettings().prompt_template
    rows = stream_rows(source, [view], filters, Splitter(seed=seed), progress, template=template)

    def lines() -> Iterator[str]:
        for name, split, row in rows:
            yield json.dumps({"view": name, "split": split, **row}, ensure_ascii=False) + "\n"

    return StreamingResponse(lines(), media_type="application/x-ndjson")
