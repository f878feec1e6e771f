"""One JSON shape for every error: ``{"error": {"code", "message", ...}}``."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import RedisError
from starlette.exceptions import HTTPException

from api.models import ErrorBody
from prover.core.jobs import Forbidden
from prover.core.theorem import InputError
from prover.queue.connect import RedisUnavailable

log = logging.getLogger(__name__)

ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": HTTPStatus(code).phrase}
    for code in (401, 413, 422, 429, 503)
}
BODY_ERRORS: dict[int | str, dict[str, Any]] = ERRORS | {
    400: {"model": ErrorBody, "description": "The body is not UTF-8 JSON"}
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No such job"}
}


class ApiError(Exception):
    """An error answer raised from anywhere in a request."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        headers: dict[str, str] | None = None,
        construct: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers
        self.construct = construct


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"code": code, "message": message, **{k: v for k, v in extra.items() if v is not None}}
    return JSONResponse({"error": body}, status_code=status, headers=headers)


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.headers, construct=exc.construct)


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    code = _CODES.get(exc.status_code, "http_error")
    headers = dict(exc.headers) if exc.headers else None
    return error_response(exc.status_code, code, str(exc.detail), headers)


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Only location, message and type: the offending input may be large or not JSON-ready.
    details = [
        {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg")), "type": e.get("type")}
        for e in exc.errors()
    ]
    return error_response(422, "invalid_request", _summary(details), details=details)


def _summary(details: list[dict[str, Any]]) -> str:
    if not details:
        return "invalid request"
    where = ".".join(details[0]["loc"])
    return f"{where}: {details[0]['msg']}" if where else str(details[0]["msg"])


async def _input(_: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, Forbidden):
        return error_response(422, "forbidden_construct", str(exc), construct=exc.construct)
    return error_response(422, "invalid_statement", str(exc))


async def _redis(_: Request, exc: Exception) -> JSONResponse:
    log.warning("Redis unavailable: %s", exc)
    return error_response(503, "redis_unavailable", f"the queue (Redis) does not answer: {exc}")


async def _internal(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal", "internal error; it has been logged")


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(InputError, _input)
    app.add_exception_handler(RedisError, _redis)
    app.add_exception_handler(RedisUnavailable, _redis)
    app.add_exception_handler(Exception, _internal)
