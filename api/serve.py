"""Running the API: uvicorn, and optionally a verifier worker and a coordinator."""

from __future__ import annotations

import threading

import uvicorn

from api.app import create_app
from api.settings import ApiSettings
from prover.queue.connect import redis_for_run
from prover.queue.keys import Keys
from prover.queue.workers import stop_on_signals
from prover.search.local import LocalSettings, Workers
from prover.settings import RedisSettings

COORDINATED_JOBS = 64


class ServeError(RuntimeError):
    """A setting makes serving impossible; the message says which."""


def serve(host: str, port: int, workers: bool) -> None:
    """Serve until SIGINT/SIGTERM. With ``workers``, a verifier worker and a coordinator
    run on threads of this process, on the configured Redis or an embedded one."""
    settings = ApiSettings(host=host, port=port)
    if settings.auth_required() and not settings.key_hashes():
        raise ServeError(
            f"{host} is not a loopback address, so API keys are required: set "
            "PROVER_API_KEYS to comma-separated sha256 hex digests of the keys"
        )
    redis_settings = RedisSettings()
    if not workers and not redis_settings.url:
        raise ServeError("without workers the API needs a shared Redis: set PROVER_REDIS_URL")
    with redis_for_run(redis_settings) as redis:
        keys = Keys(redis_settings.prefix)
        config = uvicorn.Config(
            create_app(settings, redis, keys), host=host, port=port, timeout_graceful_shutdown=5
        )
        server = uvicorn.Server(config)
        if not workers:
            # uvicorn re-raises the signal that stopped it once it is done; a handler of
            # ours then takes it, instead of the default one ending the process at once.
            stop_on_signals(threading.Event())
            server.run()
            return
        local = LocalSettings(redis=redis_settings)
        with Workers(redis, keys, local, COORDINATED_JOBS) as pool:
            stop_on_signals(pool.stop)  # so that the workers finish and Lean is closed
            threading.Thread(target=_exit_with, args=(pool, server), daemon=True).start()
            server.run()
        pool.raise_failure()


def _exit_with(pool: Workers, server: uvicorn.Server) -> None:
    """A worker that fails stops the pool; then the server stops too, and says why."""
    pool.stop.wait()
    server.should_exit = True
