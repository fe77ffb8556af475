"""A bounded metrics history per deployment, for the dashboard's charts after a reload.

Replicas write (from `MetricsPublisher`, at most once per `RIFFLE_METRICS_HISTORY_STEP_S`)
one point of a few series taken from their metrics snapshot; readers align the points of
every replica on a step and combine the replicas. Storage: one Redis sorted set per
deployment (`keys.history`), scored by the snapshot's time in ms, whose members are JSON
`{"r": replica, "t": ms, "v": {series: number|null}}`; points older than the retention
and past the cap are trimmed on every write, and the key expires a retention after the
last write (a deleted deployment's history goes away on its own).
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypedDict

import redis
from django.conf import settings

from studio.monitoring import keys
from studio.monitoring.connections import sync_redis

__all__ = [
    "SERIES", "HistoryUnavailableError", "SeriesDict", "SummaryDict", "history_points", "point_of", "read",
    "summary_of", "write",
]

logger = logging.getLogger(__name__)


def _sum(values: list[float]) -> float:
    return sum(values)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


# name -> how the replicas' values of one step combine. Within one replica and one step,
# counters (`*-total`) keep their last value, the others their mean.
SERIES: dict[str, Callable[[list[float]], float]] = {
    "process-rate": _sum,                     # records processed per second (threads)
    "process-total": _sum,                    # records processed since each replica started
    "records-in-total": _sum,                 # totals.records-in
    "records-out-total": _sum,                # totals.records-out
    "records-lag": _sum,                      # total lag: the partitions' lag summed
    "records-lag-max": max,                   # the threads' records-lag-max, largest
    "commit-latency-avg": _mean,              # ms, the threads' mean
    "dropped-records-total": _sum,            # tasks' dropped-records-total
    "dropped-records-rate": _sum,
    "restore-remaining-records-total": _sum,  # tasks still restoring: records to go
    "restore-records-total": _sum,            # threads' restore-records-total
    "num-entries": _sum,                      # entries of every store
    "error-count": _sum,                      # errors the replica's snapshot lists (last 50)
}


class SeriesDict(TypedDict):
    series: str
    points: list[list[float | None]]  # [t in ms, value or null], one per step


class HistoryUnavailableError(Exception):
    """Redis could not be read."""


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def _total(values: Iterable[Any]) -> float | None:
    numbers = [n for n in (_number(v) for v in values) if n is not None]
    return sum(numbers) if numbers else None


def point_of(snapshot: Mapping[str, Any]) -> dict[str, float | None]:
    """The history series of one replica's metrics snapshot (docs/internals.md)."""
    threads = list((snapshot.get("threads") or {}).values())
    tasks = list((snapshot.get("task_metrics") or {}).values())
    stores = [m for by_store in (snapshot.get("stores") or {}).values() for m in by_store.values()]
    totals = snapshot.get("totals") or {}
    partitions = snapshot.get("partitions") or []
    lag_max = [n for n in (_number(t.get("records-lag-max")) for t in threads) if n is not None]
    latencies = [n for n in (_number(t.get("commit-latency-avg")) for t in threads) if n is not None]
    return {
        "process-rate": _total(t.get("process-rate") for t in threads),
        "process-total": _total(t.get("process-total") for t in threads),
        "records-in-total": _number(totals.get("records-in")),
        "records-out-total": _number(totals.get("records-out")),
        "records-lag": _total(p.get("lag") for p in partitions),
        "records-lag-max": max(lag_max) if lag_max else None,
        "commit-latency-avg": sum(latencies) / len(latencies) if latencies else None,
        "dropped-records-total": _total(t.get("dropped-records-total") for t in tasks),
        "dropped-records-rate": _total(t.get("dropped-records-rate") for t in tasks),
        "restore-remaining-records-total": _total(t.get("restore-remaining-records-total") for t in tasks),
        "restore-records-total": _total(t.get("restore-records-total") for t in threads),
        "num-entries": _total(m.get("num-entries") for m in stores),
        "error-count": float(len(snapshot.get("errors") or [])),
    }


class SummaryDict(TypedDict):
    input_rate: float | None  # records processed per second, all replicas' threads
    total_lag: float | None   # the partitions' lag summed
    errors: int | None        # errors the replicas' snapshots list (each keeps its last 50)
    replicas: int             # replicas that reported within the metrics TTL


def summary_of(snapshots: Sequence[Mapping[str, Any]]) -> SummaryDict:
    """The feed's summary of a deployment from its replicas' latest snapshots."""
    points = [point_of(s) for s in snapshots]

    def total(name: str) -> float | None:
        values = [p[name] for p in points if p[name] is not None]
        return round(sum(values), 6) if values else None  # type: ignore[arg-type]

    errors = total("error-count")
    return {"input_rate": total("process-rate"), "total_lag": total("records-lag"),
            "errors": int(errors) if errors is not None else None, "replicas": len(points)}


def step_s() -> int:
    return int(settings.RIFFLE_METRICS_HISTORY_STEP_S)


def retention_s() -> int:
    return int(settings.RIFFLE_METRICS_HISTORY_RETENTION_S)


def write(deployment_id: int, replica_id: int | str, snapshot: Mapping[str, Any],
          client: redis.Redis | None = None) -> None:
    """Add one replica's point at the snapshot's time; trim by age and by count.

    Raises redis.RedisError; the publisher catches it."""
    t = int(snapshot.get("timestamp") or 0)
    member = json.dumps({"r": str(replica_id), "t": t, "v": point_of(snapshot)}, separators=(",", ":"))
    key = keys.history(deployment_id)
    cap = int(settings.RIFFLE_METRICS_HISTORY_MAX_POINTS)
    pipe = (client or sync_redis()).pipeline(transaction=False)
    pipe.zadd(key, {member: t})
    pipe.zremrangebyscore(key, "-inf", f"({t - retention_s() * 1000}")
    pipe.zremrangebyrank(key, 0, -cap - 1)  # keep the newest `cap`
    pipe.expire(key, retention_s())
    pipe.execute()


def read(deployment_id: int, since_ms: int, until_ms: int, step_ms: int,
         series: Sequence[str]) -> list[SeriesDict]:
    """The series on the steps of [since, until]: points at t = since + k·step, each
    covering [t, t + step); null where no replica wrote."""
    try:
        members = sync_redis().zrangebyscore(keys.history(deployment_id), since_ms, f"({until_ms + step_ms}")
    except (redis.RedisError, OSError) as exc:
        raise HistoryUnavailableError(str(exc)) from exc
    return history_points([json.loads(m) for m in members], since_ms, until_ms, step_ms, series)


def history_points(entries: Iterable[Mapping[str, Any]], since_ms: int, until_ms: int, step_ms: int,
                   series: Sequence[str]) -> list[SeriesDict]:
    steps = list(range(since_ms, until_ms + 1, step_ms))
    # (series, step index, replica) -> the replica's values in that step, oldest first
    found: dict[tuple[str, int, str], list[float]] = {}
    for entry in sorted(entries, key=lambda e: e["t"]):
        index = (int(entry["t"]) - since_ms) // step_ms
        if not 0 <= index < len(steps):
            continue
        for name in series:
            value = _number(entry["v"].get(name))
            if value is not None:
                found.setdefault((name, index, entry["r"]), []).append(value)
    out: list[SeriesDict] = []
    for name in series:
        by_step: dict[int, list[float]] = {}
        for (s, index, _replica), values in found.items():
            if s == name:
                by_step.setdefault(index, []).append(values[-1] if name.endswith("-total") else _mean(values))
        combine = SERIES[name]
        points: list[list[float | None]] = []
        for index, t in enumerate(steps):
            values = by_step.get(index)
            points.append([t, round(combine(values), 6) if values else None])
        out.append({"series": name, "points": points})
    return out
