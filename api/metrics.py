"""Prometheus metrics: HTTP latency measured here, queue figures read from Redis per scrape."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from redis.exceptions import RedisError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prover.queue.connect import Redis
from prover.queue.jobs import JobQueue
from prover.queue.keys import Keys
from prover.queue.workers import live_workers

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120)


class Metrics:
    """A registry of its own per app (several apps may live in one process)."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "prover_http_request_duration_seconds",
            "Time to the response headers, by route template.",
            ["method", "route", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.checks = Counter(
            "prover_api_checks", "POST /v1/check verdicts.", ["status"], registry=self.registry
        )
        self.registry.register(QueueCollector(redis, keys))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class QueueCollector(Collector):
    """Jobs by status, queue depths and worker counters, read at scrape time."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis, self.keys = redis, keys

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("prover_redis_up", "1 when Redis answered this scrape.")
        try:
            counts = JobQueue(self.redis, self.keys).counts()
            workers = live_workers(self.redis, self.keys)
        except RedisError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        jobs = GaugeMetricFamily("prover_jobs", "Jobs by status.", labels=["status"])
        depth = GaugeMetricFamily("prover_queue_depth", "Entries not yet taken.", labels=["queue"])
        for name, value in counts.items():
            if name.endswith("_waiting"):
                depth.add_metric([name.removesuffix("_waiting")], value)
            else:
                jobs.add_metric([name], value)
        yield jobs
        yield depth
        yield from _worker_metrics(workers)


def _worker_metrics(workers: list[dict[str, object]]) -> Iterator[Metric]:
    live = GaugeMetricFamily("prover_workers", "Workers seen in the last minute.", labels=["kind"])
    for kind in ("verify", "search"):
        live.add_metric([kind], sum(1 for w in workers if w.get("kind") == kind))
    yield live
    # Each live verify worker counts the tasks it verified since it started; the sum drops
    # when a worker leaves, which Prometheus treats as a counter reset.
    done = sum(int(str(w.get("done", 0))) for w in workers if w.get("kind") == "verify")
    calls = CounterMetricFamily("prover_verifier_calls", "Attempts verified by live workers.")
    calls.add_metric([], done)
    yield calls


class LatencyMiddleware:
    """Observes every HTTP request, labelled by route template (not the raw path)."""

    def __init__(self, app: ASGIApp, histogram: Histogram) -> None:
        self.app, self.histogram = app, histogram

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                route = getattr(scope.get("route"), "path", "unmatched")
                status = str(message["status"])
                self.histogram.labels(scope["method"], route, status).observe(
                    time.perf_counter() - start
                )
            await send(message)

        await self.app(scope, receive, timed)
