"""What the dashboard reads besides the jobs' own endpoints: the job list's filters and
pages, and ``/v1/metrics`` (the samples of ``/metrics`` as JSON). A real uvicorn server on
the real Redis (a key prefix of this module's); no worker reads it, so jobs stay queued."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.app import create_app
from api.metrics import quantile
from api.settings import ApiSettings
from prover.queue.workers import Registry
from tests.apiserver import redis_prefix, serving

Jobs = tuple[str, list[str]]


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    settings = ApiSettings(rate_per_minute=1e6)
    with redis_prefix() as (redis, keys), serving(create_app(settings, redis, keys)) as url:
        Registry(redis, keys, "verify-dash-1", "verify").beat(done=7, warm=True)
        yield url


@pytest.fixture(scope="module")
def jobs(site: str) -> Jobs:
    """25 jobs: 10 labelled ``red`` named ``apple<k>``, 15 ``blue`` named ``pear<k>``;
    the last 3 cancelled. Ids newest first."""
    specs = [
        {"statement": f"theorem apple{k} (n : Nat) : n + 0 = n", "label": "red"} for k in range(10)
    ] + [
        {"statement": f"theorem pear{k} (n : Nat) : 0 + n = n", "label": "blue"} for k in range(15)
    ]
    ids = []
    for spec in specs:  # one at a time: each its own submission time, so the order is known
        created = httpx.post(f"{site}/v1/jobs", json=spec)
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    for job_id in ids[-3:]:
        assert httpx.delete(f"{site}/v1/jobs/{job_id}").status_code == 200
    return site, ids[::-1]


def listed(site: str, **params: str | int) -> tuple[list[str], int]:
    response = httpx.get(f"{site}/v1/jobs", params=params)
    assert response.status_code == 200, response.text
    return [j["id"] for j in response.json()["jobs"]], int(response.headers["X-Total-Count"])


def test_the_job_list_pages_through_the_newest_first(jobs: Jobs) -> None:
    site, ids = jobs
    assert listed(site, limit=10) == (ids[:10], 25)
    assert listed(site, limit=10, offset=20) == (ids[20:], 25)
    assert listed(site, limit=10, offset=30) == ([], 25)


def test_the_job_list_filters_by_status_label_and_name(jobs: Jobs) -> None:
    site, ids = jobs
    assert listed(site, status="cancelled") == (ids[:3], 3)
    assert listed(site, label="red", limit=4, offset=2) == (ids[17:21], 10)
    assert listed(site, label="red", status="cancelled") == ([], 0)
    assert listed(site, name="PEAR1") == ([*ids[:5], ids[13]], 6)  # pear14..pear10, pear1
    assert listed(site, name="apple3", label="red")[1] == 1
    assert listed(site, label="green") == ([], 0)


@pytest.mark.parametrize(
    "params",
    [
        {"offset": -1},
        {"offset": "x"},
        {"limit": 0},
        {"limit": 1001},
        {"status": "sleeping"},
        {"name": ""},
        {"label": "x" * 201},
    ],
)
def test_bad_list_parameters_are_422(site: str, params: dict[str, str | int]) -> None:
    response = httpx.get(f"{site}/v1/jobs", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid_request"


def test_v1_metrics_holds_the_samples_of_metrics(site: str) -> None:
    snapshot = httpx.get(f"{site}/v1/metrics").json()
    text = httpx.get(f"{site}/metrics").text
    scraped = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if not s.name.startswith("prover_http_")  # changed by these very requests
    }
    mine = {
        (name, tuple(sorted(s["labels"].items()))): s["value"]
        for name, samples in snapshot["metrics"].items()
        for s in samples
        if not name.startswith("prover_http_")
    }
    assert mine == scraped
    assert snapshot["metrics"]["prover_worker_verified"] == [
        {"labels": {"worker": "verify-dash-1"}, "value": 7.0}
    ]
    (seen,) = snapshot["metrics"]["prover_worker_last_seen_seconds"]
    assert seen["labels"] == {"worker": "verify-dash-1", "kind": "verify"}
    assert 0 <= snapshot["time"] - seen["value"] < 60
    # No search ran here: no check time to report, and zero samples said so.
    assert "prover_verifier_check_seconds" not in snapshot["metrics"]
    assert snapshot["metrics"]["prover_verifier_check_samples"][0]["value"] == 0


def test_v1_metrics_needs_the_key_when_keys_are_on() -> None:
    digest = hashlib.sha256(b"dash").hexdigest()
    with (
        redis_prefix() as (redis, keys),
        serving(create_app(ApiSettings(keys=digest), redis, keys)) as url,
    ):
        assert httpx.get(f"{url}/v1/metrics").status_code == 401
        answer = httpx.get(f"{url}/v1/metrics", headers={"Authorization": "Bearer dash"})
        assert answer.status_code == 200 and "prover_jobs" in answer.json()["metrics"]


def test_quantiles_are_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert quantile(values, 0.5) == 50.0
    assert quantile(values, 0.99) == 99.0
    assert quantile([3.0], 0.99) == 3.0
