"""GET /api/deployments/<id>/metrics/: the history replicas write, read back aligned."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from django.test import Client

from studio.deployments.models import Deployment
from studio.monitoring import history, keys
from studio.monitoring.publisher import MetricsPublisher

pytestmark = pytest.mark.redis

T0 = 1_732_500_000_000  # a multiple of 10 s


def snapshot(t: int, *, rate: float, lag: list[int], latency: float | None = 2.0, entries: int = 0,
             errors: int = 0, records_in: int = 0) -> dict[str, Any]:
    """A snapshot shaped as runtime.exec.metrics makes them: two threads, two tasks."""
    return {
        "application_id": "wc", "timestamp": t, "state": "RUNNING", "tasks": ["0_0", "0_1"],
        "nodes": {}, "samples": [],
        "partitions": [{"topic": "lines", "partition": i, "committed": 0, "end_offset": n, "lag": n}
                       for i, n in enumerate(lag)],
        "errors": [{"message": "boom", "timestamp": t}] * errors,
        "totals": {"records-in": records_in, "records-out": 0, "commit-failed-total": 0,
                   "task-closed-dirty-total": 0},
        "threads": {
            "wc-1": {"process-rate": rate / 2, "process-total": records_in // 2,
                     "commit-latency-avg": latency, "records-lag-max": max(lag), "restore-records-total": 0},
            "wc-2": {"process-rate": rate / 2, "process-total": records_in - records_in // 2,
                     "commit-latency-avg": None, "records-lag-max": min(lag), "restore-records-total": 0},
        },
        "task_metrics": {"0_0": {"dropped-records-total": 1, "dropped-records-rate": 0.0,
                                 "restore-remaining-records-total": 0},
                         "0_1": {"dropped-records-total": 2, "dropped-records-rate": 0.5,
                                 "restore-remaining-records-total": 0}},
        "stores": {"0_0": {"counts": {"num-entries": entries}}, "0_1": {"counts": {"num-entries": 1}}},
    }


def series_of(body: list[dict[str, Any]]) -> dict[str, list[list[Any]]]:
    return {s["series"]: s["points"] for s in body}


def test_points_of_every_replica_are_aligned_and_combined(
    api: Client, deployment: Deployment, studio_redis: redis.Redis
) -> None:
    one, two = MetricsPublisher(deployment.pk, 1), MetricsPublisher(deployment.pk, 2)
    # Replica 1 reports every second: only one snapshot per 10 s step reaches the history.
    for s in range(0, 30):
        one(snapshot(T0 + s * 1000, rate=10.0 + s, lag=[s, 1], records_in=100 + s, entries=5))
    # Replica 2 reports at T0+3s and T0+24s only (it started late, then stalled).
    two(snapshot(T0 + 3000, rate=4.0, lag=[7, 0], latency=6.0, records_in=40, errors=2))
    two(snapshot(T0 + 24_000, rate=2.0, lag=[3, 0], latency=None, records_in=50))
    assert studio_redis.zcard(keys.history(deployment.pk)) == 3 + 2

    response = api.get(f"/api/deployments/{deployment.pk}/metrics/?since={T0}&until={T0 + 30_000}"
                       "&step=10&series=process-rate,records-lag,records-lag-max,commit-latency-avg,"
                       "records-in-total,num-entries,error-count,dropped-records-total")
    assert response.status_code == 200, response.content
    got = series_of(response.json())
    # Replica 1 wrote at T0, T0+10s, T0+20s (s = 0, 10, 20); replica 2 at T0+3s and T0+24s.
    assert got["process-rate"] == [[T0, 10.0 + 4.0], [T0 + 10_000, 20.0], [T0 + 20_000, 30.0 + 2.0],
                                   [T0 + 30_000, None]]
    assert got["records-lag"] == [[T0, 1 + 7], [T0 + 10_000, 11], [T0 + 20_000, 21 + 3], [T0 + 30_000, None]]
    assert got["records-lag-max"] == [[T0, 7], [T0 + 10_000, 10], [T0 + 20_000, 20], [T0 + 30_000, None]]
    # A mean across replicas; replica 2's null latency at T0+24s counts for nothing.
    assert got["commit-latency-avg"] == [[T0, 4.0], [T0 + 10_000, 2.0], [T0 + 20_000, 2.0], [T0 + 30_000, None]]
    assert got["records-in-total"] == [[T0, 140], [T0 + 10_000, 110], [T0 + 20_000, 170], [T0 + 30_000, None]]
    assert got["num-entries"][0] == [T0, 6 + 1]
    assert got["error-count"][0] == [T0, 2]
    assert got["dropped-records-total"][1] == [T0 + 10_000, 3]

    # A coarser step: per replica, counters keep their last value and gauges their mean.
    response = api.get(f"/api/deployments/{deployment.pk}/metrics/?since={T0 + 5000}&until={T0 + 29_000}"
                       "&step=30&series=process-rate,records-in-total")
    got = series_of(response.json())
    assert got == {"process-rate": [[T0, (10.0 + 20.0 + 30.0) / 3 + (4.0 + 2.0) / 2]],
                   "records-in-total": [[T0, 120 + 50]]}


def test_the_history_is_trimmed_by_age_and_by_count(
    settings: Any, deployment: Deployment, studio_redis: redis.Redis
) -> None:
    settings.RIFFLE_METRICS_HISTORY_RETENTION_S = 60
    settings.RIFFLE_METRICS_HISTORY_MAX_POINTS = 4
    publisher = MetricsPublisher(deployment.pk, 1)
    for s in range(0, 100, 10):
        publisher(snapshot(T0 + s * 1000, rate=s, lag=[0]))
    key = keys.history(deployment.pk)
    assert studio_redis.zcard(key) == 4  # the cap; the age alone would keep 7
    assert [int(score) for _, score in studio_redis.zrange(key, 0, -1, withscores=True)] == [
        T0 + 60_000, T0 + 70_000, T0 + 80_000, T0 + 90_000]
    assert 0 < studio_redis.ttl(key) <= 60
    settings.RIFFLE_METRICS_HISTORY_MAX_POINTS = 100
    publisher(snapshot(T0 + 200_000, rate=1, lag=[0]))  # everything else is now too old
    assert studio_redis.zcard(key) == 1


@pytest.mark.parametrize(("query", "parameter"), [
    ("since=abc", "since"),
    ("until=-5", "until"),
    ("step=0", "step"),
    ("series=process-rate,nope", "series"),
    (f"since={T0 + 1000}&until={T0}", "since"),
    (f"since=0&until={T0}&step=1", "step"),
])
def test_bad_parameters_are_400_naming_the_parameter(
    api: Client, deployment: Deployment, studio_redis: redis.Redis, query: str, parameter: str
) -> None:
    response = api.get(f"/api/deployments/{deployment.pk}/metrics/?{query}")
    assert response.status_code == 400
    assert [p["path"] for p in response.json()["problems"]] == [parameter]


def test_defaults_give_every_series_for_the_last_hour(
    api: Client, deployment: Deployment, studio_redis: redis.Redis
) -> None:
    body = api.get(f"/api/deployments/{deployment.pk}/metrics/").json()
    assert [s["series"] for s in body] == list(history.SERIES)
    points = body[0]["points"]
    assert len(points) in (360, 361) and all(v is None for _, v in points)
    assert points[1][0] - points[0][0] == 10_000


def test_an_unknown_deployment_is_404(api: Client, studio_redis: redis.Redis) -> None:
    assert api.get("/api/deployments/4242/metrics/").status_code == 404


def test_redis_down_is_503_with_a_message(settings: Any, api: Client, deployment: Deployment) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = api.get(f"/api/deployments/{deployment.pk}/metrics/")
    assert response.status_code == 503
    assert "Redis is unavailable" in response.json()["message"]
