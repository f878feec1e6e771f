"""The FastAPI application."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import redis as redis_py
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from api import dashboard, errors, health, routes
from api.limits import BodyLimitMiddleware
from api.metrics import LatencyMiddleware, Metrics
from api.security import TokenBuckets
from api.settings import ApiSettings
from api.state import ApiState
from prover.queue.connect import Redis, RedisUnavailable
from prover.queue.jobs import JobQueue
from prover.queue.keys import Keys
from prover.settings import LeanSettings, RedisSettings

DESCRIPTION = """Submit Lean 4 theorems for proof search, follow their searches live, and
check proofs. Every error is `{"error": {"code", "message"}}`. See docs/api.md."""


def create_app(
    settings: ApiSettings | None = None, redis: Redis | None = None, keys: Keys | None = None
) -> FastAPI:
    """The API and dashboard on ``redis`` (default: ``PROVER_REDIS_URL``) under ``keys``."""
    settings = settings or ApiSettings()
    if redis is None or keys is None:
        redis_settings = RedisSettings()
        redis = redis or _client(redis_settings)
        keys = keys or Keys(redis_settings.prefix)
    # /docs and /redoc with their assets served from the package, not a CDN: offline.
    app = FastAPIOffline(title="prover", version=_version(), description=DESCRIPTION)
    metrics = Metrics(redis, keys)
    app.state.api = ApiState(
        settings=settings,
        redis=redis,
        keys=keys,
        queue=JobQueue(redis, keys),
        input_limit=LeanSettings().max_input_bytes,
        buckets=TokenBuckets(redis, keys, settings.rate_per_minute),
        metrics=metrics,
        auth=settings.auth_required(),
        key_hashes=settings.key_hashes(),
        admin_hashes=settings.admin_hashes(),
    )
    errors.install(app)
    app.include_router(routes.router)
    app.include_router(health.router)
    dashboard.install(app)
    # Added innermost first: CORS wraps everything, so error answers carry its headers.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(LatencyMiddleware, histogram=metrics.latency)
    if settings.origins():
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.origins(),
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
        )
    return app


def _client(settings: RedisSettings) -> Redis:
    """A client that connects on first use, so the API starts (and says 503) without Redis."""
    if not settings.url:
        raise RedisUnavailable("the API needs a shared Redis: set PROVER_REDIS_URL")
    return redis_py.Redis.from_url(settings.url, decode_responses=True, socket_connect_timeout=5)


def _version() -> str:
    try:
        return version("prover")
    except PackageNotFoundError:
        return "0"
