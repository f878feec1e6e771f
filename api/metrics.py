"""Prometheus metrics: HTTP latency measured here, queue figures read from Redis per scrape."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample
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

    def snapshot(self) -> dict[str, Any]:
        """The same samples as :meth:`render`, as JSON: ``{"time", "metrics": {name:
        [{"labels", "value"}]}}`` (a sample's name, e.g. ``..._bucket``, is its key)."""
        out: dict[str, list[dict[str, Any]]] = {}
        for family in self.registry.collect():
            for sample in family.samples:
                out.setdefault(sample.name, []).append(_sample(sample))
        return {"time": round(time.time(), 3), "metrics": out}


def _sample(sample: Sample) -> dict[str, Any]:
    value = sample.value if math.isfinite(sample.value) else str(sample.value)
    return {"labels": sample.labels, "value": value}


class QueueCollector(Collector):
    """Jobs by status, queue depths and worker counters, read at scrape time."""

    def __init__(self, redis: Redis, keys: Keys) -> None:
        self.redis, self.keys = redis, keys

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("prover_redis_up", "1 when Redis answered this scrape.")
        try:
            counts = JobQueue(self.redis, self.keys).counts()
            workers = live_workers(self.redis, self.keys)
            latencies = recent_check_times(self.redis, self.keys)
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
        yield from _latency_metrics(latencies)


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
    seen = GaugeMetricFamily(
        "prover_worker_last_seen_seconds",
        "Unix time of each live worker's last heartbeat.",
        labels=["worker", "kind"],
    )
    verified = GaugeMetricFamily(
        "prover_worker_verified", "Attempts each live verify worker verified.", labels=["worker"]
    )
    for w in workers:
        name = str(w.get("name", "?"))
        seen.add_metric([name, str(w.get("kind", "?"))], float(str(w.get("last_seen", 0))))
        if w.get("kind") == "verify":
            verified.add_metric([name], float(str(w.get("done", 0))))
    yield seen
    yield verified


# Check latency comes from the verdicts the searches recorded (each edge's ``time_s``, Lean's
# time for that check): the latest of running jobs and of jobs that ended lately.
RECENT_JOBS_S = 300.0
RECENT_JOBS = 50
EDGES_PER_JOB = 200
QUANTILES = (0.5, 0.9, 0.99)


def recent_check_times(redis: Redis, keys: Keys) -> list[float]:
    """``time_s`` of the latest verdicts (``EDGES_PER_JOB`` per job) of the running jobs
    and the jobs finished in the last ``RECENT_JOBS_S``, at most ``RECENT_JOBS`` jobs."""
    running = sorted(redis.smembers(keys.status_set("running")))[:RECENT_JOBS]
    since = time.time() - RECENT_JOBS_S
    ended = redis.zrevrangebyscore(
        keys.finished_index, "+inf", since, start=0, num=RECENT_JOBS - len(running)
    )
    with redis.pipeline(transaction=False) as pipe:
        for job_id in [*running, *ended]:
            pipe.lrange(keys.edges(job_id), -EDGES_PER_JOB, -1)
        lists = pipe.execute()
    return [float(json.loads(e).get("time_s", 0.0)) for edges in lists for e in edges]


def quantile(values: list[float], q: float) -> float:
    """The nearest-rank quantile of ``values`` (not empty)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _latency_metrics(times: list[float]) -> Iterator[Metric]:
    recent = GaugeMetricFamily(
        "prover_verifier_check_seconds",
        "Lean's time per check over the latest verdicts of running and recently ended jobs.",
        labels=["quantile"],
    )
    if times:
        for q in QUANTILES:
            recent.add_metric([str(q)], quantile(times, q))
    yield recent
    count = GaugeMetricFamily(
        "prover_verifier_check_samples", "Verdicts the check-time quantiles are over."
    )
    count.add_metric([], len(times))
    yield count


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
