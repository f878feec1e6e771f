"""What every request handler shares (kept on ``app.state.api``), and the dependencies
that authenticate and rate-limit the caller."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials

from api.metrics import Metrics
from api.security import Client, TokenBuckets, bearer, identify, limit_rate
from api.settings import ApiSettings
from prover.queue.connect import Redis
from prover.queue.jobs import JobQueue
from prover.queue.keys import Keys


@dataclass
class ApiState:
    settings: ApiSettings
    redis: Redis
    keys: Keys
    queue: JobQueue
    input_limit: int
    buckets: TokenBuckets
    metrics: Metrics
    auth: bool
    key_hashes: frozenset[str]
    admin_hashes: frozenset[str]


def api_state(request: Request) -> ApiState:
    return cast(ApiState, request.app.state.api)


State = Annotated[ApiState, Depends(api_state)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


def _admit(request: Request, state: ApiState, token: str | None) -> Client:
    host = request.client.host if request.client else None
    client = identify(token, host, state.auth, state.key_hashes, state.admin_hashes)
    limit_rate(state.buckets, client)
    return client


def authorize(request: Request, state: State, credentials: Credentials) -> Client:
    """The caller of a /v1 endpoint, authenticated (when auth is on) and within its rate."""
    return _admit(request, state, credentials.credentials if credentials else None)


def authorize_stream(
    request: Request,
    state: State,
    credentials: Credentials,
    token: Annotated[
        str | None, Query(description="The API key, for EventSource (it cannot send headers).")
    ] = None,
) -> Client:
    """As :func:`authorize`, also taking the key from ``?token=``."""
    return _admit(request, state, credentials.credentials if credentials else token)


Authed = Annotated[Client, Depends(authorize)]
AuthedStream = Annotated[Client, Depends(authorize_stream)]
