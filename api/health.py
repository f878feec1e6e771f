"""Probes and metrics (no authentication: they show no job's content)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from redis.exceptions import RedisError

from api.models import Health, Readiness
from api.state import State
from prover.queue.workers import live_workers

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> Health:
    """The process is up."""
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "Not ready"}},
)
def readyz(state: State) -> JSONResponse:
    """Redis answers and at least one verify worker, its Lean REPLs warm, beat in the
    last minute."""
    reasons: list[str] = []
    verifiers = starting = 0
    try:
        state.redis.ping()
        workers = [w for w in live_workers(state.redis, state.keys) if w.get("kind") == "verify"]
        verifiers = sum(1 for w in workers if w.get("warm", True))
        starting = len(workers) - verifiers
        redis_ok = True
    except RedisError as err:
        redis_ok = False
        reasons.append(f"Redis does not answer: {err}")
    if redis_ok and not verifiers:
        reasons.append(
            f"{starting} verify worker(s) still starting their Lean REPLs"
            if starting
            else "no live verify worker (none beat in the last 60 s)"
        )
    body = Readiness(
        status="unready" if reasons else "ready",
        redis=redis_ok,
        verify_workers=verifiers,
        reasons=reasons,
    )
    return JSONResponse(body.model_dump(), status_code=503 if reasons else 200)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}}},
)
def metrics(state: State) -> Response:
    """Prometheus text format."""
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
