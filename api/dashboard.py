"""The dashboard: one static page (plain JS + SVG) for ``/`` (the job list), every
``/jobs/<id>`` (one search, live) and ``/service`` (the service's pulse)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).resolve().parent / "static"
NO_CACHE = {"Cache-Control": "no-cache"}

router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers=NO_CACHE)


@router.get("/jobs/{job_id}")
def job_page(job_id: str) -> FileResponse:
    # The page reads the id from its URL: a pasted or reloaded job URL works.
    return FileResponse(STATIC / "index.html", headers=NO_CACHE)


@router.get("/service")
def service_page() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers=NO_CACHE)


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
