"""Engine metrics: what each stream thread records, and the JSON-safe snapshot the app
hands to ``on_metrics`` (shape fixed in docs/internals.md, "Engine ↔ studio")."""

from __future__ import annotations

import base64
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Any

from runtime.kafka.reachability import merge_reachability

__all__ = ["Latency", "MetricsAggregator", "ThreadMetrics", "json_safe"]

logger = logging.getLogger(__name__)

MAX_SAMPLES = 20
MAX_ERRORS = 50
_MAX_TEXT = 1000


def json_safe(value: Any, _depth: int = 0) -> Any:
    """A JSON-encodable rendering of a record key or value for the dashboard."""
    if value is None or isinstance(value, (bool, int, str)):
        return value[:_MAX_TEXT] if isinstance(value, str) else value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")[:_MAX_TEXT]
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(raw[:_MAX_TEXT]).decode("ascii")
    if _depth >= 5:
        return str(value)[:_MAX_TEXT]
    if isinstance(value, Mapping):
        return {str(k): json_safe(v, _depth + 1) for k, v in list(value.items())[:100]}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v, _depth + 1) for v in list(value)[:100]]
    # Windowed keys and other objects: their str() (Kafka Streams' "[key@start/end]").
    return str(value)[:_MAX_TEXT]


def now_ms() -> int:
    return int(time.time() * 1000)


class Latency:
    """One of Kafka Streams' thread-level sensors: ``<op>-total`` counts operations
    since start, ``<op>-latency-avg/max`` (ms) cover the window since the last
    :meth:`drain` (Kafka's are windowed too); None when the window saw no operation,
    where Kafka reports NaN."""

    __slots__ = ("count", "_n", "_sum", "_max")

    def __init__(self) -> None:
        self.count = 0
        self._n = 0
        self._sum = 0.0
        self._max = 0.0

    def record(self, seconds: float, n: int = 1) -> None:
        """``n`` operations took ``seconds`` together (Kafka records a batch's mean)."""
        self.count += n
        self._n += n
        self._sum += seconds
        per = seconds / n
        if per > self._max:
            self._max = per

    def drain(self, op: str) -> dict[str, float | None]:
        n = self._n
        out: dict[str, float | None] = {
            f"{op}-total": self.count,
            f"{op}-latency-avg": round(self._sum / n * 1000, 6) if n else None,
            f"{op}-latency-max": round(self._max * 1000, 6) if n else None,
        }
        self._n, self._sum, self._max = 0, 0.0, 0.0
        return out


class ThreadMetrics:
    """Counters and samples of one stream thread; also the tasks' ``TaskObserver``.

    Written by the stream thread only; :meth:`publish` swaps in an immutable snapshot
    part that the app's reporter thread reads."""

    def __init__(self, thread_name: str, internal_topics: frozenset[str] = frozenset()) -> None:
        self.thread_name = thread_name
        self._internal_topics = internal_topics
        self.records_in = 0
        self.records_out = 0
        # Offset commits that failed, and tasks closed without committing what they had
        # processed: only the latter lets a new owner reprocess (at_least_once).
        self.commits_failed = 0
        self.tasks_closed_dirty = 0
        # (node, topic, key, value, timestamp) of the latest outputs, made JSON-safe only
        # when published: most outputs are pushed out of the deque before anyone looks
        self._samples: deque[tuple[str, str, Any, Any, int]] = deque(maxlen=MAX_SAMPLES)
        self._errors: deque[dict[str, Any]] = deque(maxlen=MAX_ERRORS)
        self._retired_nodes: dict[str, dict[str, float]] = {}
        # Kafka Streams' stream-thread-metrics sensors, recorded by the thread's loop.
        self.poll = Latency()
        self.process = Latency()
        self.punctuate = Latency()
        self.commit = Latency()
        # Per task: seconds spent processing since the last publish (active-process-ratio)
        # and changelog records restored (restore-total).
        self.task_busy: dict[str, float] = {}
        self.restored: dict[str, int] = {}
        # Kafka's state-updater metrics, for the restoring this thread does itself.
        self.restore_records = 0
        self.active_restoring_tasks = 0
        self._window_start = time.monotonic()
        self._lock = threading.Lock()
        self._part: dict[str, Any] | None = None

    # TaskObserver
    def on_output(self, sink_node: str, topic: str, key: Any, value: Any, timestamp: int) -> None:
        if topic in self._internal_topics:
            return
        self.records_out += 1
        self._samples.append((sink_node, topic, key, value, timestamp))

    def record_restore(self, records: int) -> None:
        """A restore step applied ``records`` changelog records."""
        self.restore_records += records

    def on_error(self, error: BaseException) -> None:
        """A record skipped by a log-and-continue handler inside a task: never silent."""
        self.record_error(error)

    def record_error(self, error: BaseException, **where: Any) -> dict[str, Any] | None:
        """Add an error entry; the same exception object is recorded only once."""
        if getattr(error, "_riffle_recorded", False):
            return None
        try:
            error._riffle_recorded = True  # type: ignore[attr-defined]
        except AttributeError:
            pass
        entry: dict[str, Any] = {"node": None, "topic": None, "partition": None, "offset": None}
        to_dict = getattr(error, "to_dict", None)
        if callable(to_dict):
            entry.update({k: json_safe(v) for k, v in to_dict().items()})
        entry.update({k: json_safe(v) for k, v in where.items()})
        entry.setdefault("message", str(error))
        entry["message"] = str(entry.get("message") or error)[:_MAX_TEXT]
        entry["type"] = type(error).__name__
        entry["thread"] = self.thread_name
        entry["timestamp"] = now_ms()
        with self._lock:
            self._errors.append(entry)
        return entry

    def retire_task(self, node_metrics: Mapping[str, Mapping[str, float]]) -> None:
        """Keep a closed task's totals so node totals never go backwards."""
        _add_totals(self._retired_nodes, node_metrics)

    def node_totals(self, live: Sequence[Mapping[str, Mapping[str, float]]]) -> dict[str, dict[str, float]]:
        totals: dict[str, dict[str, float]] = {n: dict(m) for n, m in self._retired_nodes.items()}
        for metrics in live:
            _add_totals(totals, metrics)
        return totals

    def thread_metrics(self, partitions: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """The stream-thread-metrics group, latency windows restarted."""
        out: dict[str, Any] = {}
        for op in ("process", "poll", "commit", "punctuate"):
            out.update(getattr(self, op).drain(op))
        lags = [p["lag"] for p in partitions if p.get("lag") is not None]
        # The consumer's records-lag-max, over this thread's partitions.
        out["records-lag-max"] = max(lags) if lags else None
        out["restore-records-total"] = self.restore_records
        out["active-restoring-tasks"] = self.active_restoring_tasks
        return out

    def task_window(self, tasks: Mapping[str, dict[str, Any]], remaining: Mapping[str, int] | None = None) -> None:
        """Add active-process-ratio, restore-total and restore-remaining-records-total
        (``remaining``, for the tasks still restoring) to the tasks' own metrics, and
        start the next window."""
        now = time.monotonic()
        elapsed = now - self._window_start
        self._window_start = now
        busy, self.task_busy = self.task_busy, {}
        for task_id, values in tasks.items():
            values["active-process-ratio"] = round(min(busy.get(task_id, 0.0) / elapsed, 1.0), 4) if elapsed > 0 else 0.0
            values["restore-total"] = self.restored.get(task_id, 0)
            values["restore-remaining-records-total"] = (remaining or {}).get(task_id, 0)

    def publish(self, *, state: str, tasks: Sequence[str], nodes: Mapping[str, Mapping[str, float]],
                partitions: Sequence[Mapping[str, Any]],
                task_metrics: Mapping[str, Mapping[str, Any]] | None = None,
                stores: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
                broker: Mapping[str, Any] | None = None) -> None:
        with self._lock:
            errors = list(self._errors)
        part = {
            "thread": self.thread_name,
            "state": state,
            "tasks": list(tasks),
            "nodes": {n: dict(m) for n, m in nodes.items()},
            "partitions": [dict(p) for p in partitions],
            "samples": [{"node": node, "topic": topic, "key": json_safe(key),
                         "value": json_safe(value), "timestamp": timestamp}
                        for node, topic, key, value, timestamp in list(self._samples)],
            "errors": errors,
            "totals": {"records-in": self.records_in, "records-out": self.records_out,
                       "commit-failed-total": self.commits_failed,
                       "task-closed-dirty-total": self.tasks_closed_dirty},
            # Added by the Kafka-named metrics (see docs/internals.md); older readers
            # ignore them.
            "thread_metrics": self.thread_metrics(partitions),
            "task_metrics": {t: dict(m) for t, m in (task_metrics or {}).items()},
            "stores": {t: {s: dict(m) for s, m in by_store.items()} for t, by_store in (stores or {}).items()},
            "broker": dict(broker) if broker is not None else None,
        }
        with self._lock:
            self._part = part

    def part(self) -> dict[str, Any] | None:
        with self._lock:
            if self._part is None:
                return None
            # Errors recorded since the last publish (e.g. the one that stopped the
            # thread) must still reach the dashboard.
            return {**self._part, "errors": list(self._errors)}


def _add_totals(into: dict[str, dict[str, float]], metrics: Mapping[str, Mapping[str, float]]) -> None:
    for node, values in metrics.items():
        slot = into.setdefault(node, {})
        for name, number in values.items():
            # Totals add up across tasks; rates and gauges are recomputed by the app.
            if name.endswith("-total") and isinstance(number, (int, float)):
                slot[name] = slot.get(name, 0) + number


class MetricsAggregator:
    """Merges the threads' parts into one snapshot and derives per-node rates from the
    change of ``process-total`` between snapshots."""

    def __init__(self, application_id: str) -> None:
        self._application_id = application_id
        self._previous: tuple[float, dict[tuple[str, str], float]] | None = None

    def snapshot(self, state: str, parts: Sequence[Mapping[str, Any]],
                 extra_errors: Sequence[Mapping[str, Any]] = (), *, advance: bool = True,
                 state_since: int | None = None) -> dict[str, Any]:
        """Merge ``parts``; ``advance`` makes this snapshot the base of the next rates.
        ``state_since``: epoch ms when the app entered ``state``."""
        tasks: list[str] = []
        nodes: dict[str, dict[str, float]] = {}
        partitions: list[dict[str, Any]] = []
        samples: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = list(extra_errors)
        records_in = records_out = commits_failed = closed_dirty = 0
        threads: dict[str, dict[str, Any]] = {}
        task_metrics: dict[str, dict[str, Any]] = {}
        stores: dict[str, dict[str, dict[str, Any]]] = {}
        for part in parts:
            threads[part["thread"]] = dict(part.get("thread_metrics") or {})
            task_metrics.update((t, dict(m)) for t, m in (part.get("task_metrics") or {}).items())
            stores.update((t, {s: dict(m) for s, m in by_store.items()})
                          for t, by_store in (part.get("stores") or {}).items())
            tasks.extend(part["tasks"])
            _add_totals(nodes, part["nodes"])
            partitions.extend(part["partitions"])
            samples.extend(part["samples"])
            errors.extend(part["errors"])
            records_in += part["totals"]["records-in"]
            records_out += part["totals"]["records-out"]
            commits_failed += part["totals"].get("commit-failed-total", 0)
            closed_dirty += part["totals"].get("task-closed-dirty-total", 0)
        now = time.monotonic()
        previous = self._previous
        current: dict[tuple[str, str], float] = {}
        _derive_rates(nodes, "node", now, previous, current)
        for node, values in nodes.items():
            _e2e_latency(node, values, previous, current)
            values.setdefault("process-rate", 0.0)
            if "process-total" in values:
                values["process-total"] = int(values["process-total"])
        _derive_rates(threads, "thread", now, previous, current)
        _derive_rates(task_metrics, "task", now, previous, current)
        for task_id, by_store in stores.items():
            _derive_rates(by_store, f"store:{task_id}", now, previous, current)
        if advance:
            self._previous = (now, current)
        samples.sort(key=lambda s: s.get("timestamp") or 0)
        errors.sort(key=lambda e: e.get("timestamp") or 0)
        partitions.sort(key=lambda p: (p["topic"], p["partition"]))
        return {
            "application_id": self._application_id,
            "timestamp": now_ms(),
            "state": state,
            "state_since": state_since,
            "tasks": sorted(tasks, key=_task_sort_key),
            "nodes": nodes,
            "partitions": partitions,
            "samples": samples[-MAX_SAMPLES:],
            "errors": errors[-MAX_ERRORS:],
            "totals": {"records-in": records_in, "records-out": records_out,
                       "commit-failed-total": commits_failed, "task-closed-dirty-total": closed_dirty},
            "threads": threads,
            "task_metrics": {t: task_metrics[t] for t in sorted(task_metrics, key=_task_sort_key)},
            "stores": stores,
            "broker": merge_reachability([part.get("broker") for part in parts]),
        }


def _derive_rates(entries: Mapping[str, dict[str, Any]], section: str, now: float,
                  previous: tuple[float, Mapping[tuple[str, str], float]] | None,
                  current: dict[tuple[str, str], float]) -> None:
    """``<op>-rate`` per second for each ``<op>-total``, from its change since the
    previous snapshot (0 on the first); Kafka's rates are windowed the same way."""
    for ident, values in entries.items():
        for name, number in list(values.items()):
            if not name.endswith("-total") or "remaining" in name or not isinstance(number, (int, float)):
                continue
            key = (section, f"{ident}\x00{name}")
            current[key] = float(number)
            rate = 0.0
            if previous is not None and now > previous[0]:
                rate = max(float(number) - previous[1].get(key, 0.0), 0.0) / (now - previous[0])
            values[name[:-len("-total")] + "-rate"] = round(rate, 3)


def _e2e_latency(node: str, values: dict[str, Any],
                 previous: tuple[float, Mapping[tuple[str, str], float]] | None,
                 current: Mapping[tuple[str, str], float]) -> None:
    """A sink's ``record-e2e-latency-avg`` (ms) over the window since the previous
    snapshot: the change of the latency sum over the change of the record count (None
    when no record reached it). The two totals' rates mean nothing and are dropped."""
    if "record-e2e-latency-count-total" not in values:
        return
    values.pop("record-e2e-latency-sum-rate", None)
    values.pop("record-e2e-latency-count-rate", None)
    sum_key, count_key = (("node", f"{node}\x00record-e2e-latency-{part}-total") for part in ("sum", "count"))
    before = previous[1] if previous is not None else {}
    records = current.get(count_key, 0.0) - before.get(count_key, 0.0)
    latency = current.get(sum_key, 0.0) - before.get(sum_key, 0.0)
    values["record-e2e-latency-avg"] = round(latency / records, 3) if records > 0 else None


def _task_sort_key(task_id: str) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in task_id.split("_"))
    except ValueError:
        return (1 << 30,)
