"""The engine's metrics snapshot (runtime/exec/metrics.py): JSON-safe, merged across
threads, rates from the change of totals."""

from __future__ import annotations

import json
import math
import time

from runtime.errors import ProcessingError
from runtime.exec.metrics import MAX_SAMPLES, MetricsAggregator, ThreadMetrics, json_safe


class Windowed:
    def __str__(self) -> str:
        return "[kafka@0/5000]"


def test_json_safe_renders_anything_a_record_may_hold() -> None:
    value = {"b": b"caf\xc3\xa9", "raw": b"\xff\x00", "nan": math.nan, "w": Windowed(), "t": (1, 2.5, None)}
    safe = json_safe(value)
    assert safe == {"b": "café", "raw": "base64:/wA=", "nan": "nan", "w": "[kafka@0/5000]", "t": [1, 2.5, None]}
    json.dumps(safe, allow_nan=False)


def test_thread_parts_merge_into_one_snapshot_with_rates() -> None:
    one, two = ThreadMetrics("t1"), ThreadMetrics("t2")
    for i in range(30):
        one.on_output("sink", "out", f"k{i}", i, 1000 + i)
    two.on_error(ProcessingError("boom", node="split", topic="in", partition=1, offset=7, task_id="0_1"))
    one.records_in, two.records_in = 10, 5
    one.commits_failed, two.commits_failed, two.tasks_closed_dirty = 1, 2, 1
    one.publish(state="RUNNING", tasks=["1_0"], nodes={"src": {"process-total": 10}},
                partitions=[{"topic": "in", "partition": 0, "committed": 3, "end_offset": 5, "lag": 2}])
    two.publish(state="RUNNING", tasks=["0_1"], nodes={"src": {"process-total": 5}}, partitions=[])
    aggregator = MetricsAggregator("wc")

    first = aggregator.snapshot("RUNNING", [one.part(), two.part()])  # type: ignore[list-item]
    assert first["tasks"] == ["0_1", "1_0"]
    assert first["nodes"] == {"src": {"process-total": 15, "process-rate": 0.0}}
    assert first["totals"] == {"records-in": 15, "records-out": 30,
                               "commit-failed-total": 3, "task-closed-dirty-total": 1}
    assert len(first["samples"]) == MAX_SAMPLES and first["samples"][-1]["key"] == "k29"
    [error] = first["errors"]
    assert (error["node"], error["topic"], error["partition"], error["offset"]) == ("split", "in", 1, 7)
    json.dumps(first, allow_nan=False)

    time.sleep(0.2)
    one.publish(state="RUNNING", tasks=["1_0"], nodes={"src": {"process-total": 110}}, partitions=[])
    second = aggregator.snapshot("RUNNING", [one.part(), two.part()])  # type: ignore[list-item]
    rate = second["nodes"]["src"]["process-rate"]
    assert 100 / 0.4 < rate < 100 / 0.19


def test_writes_to_internal_topics_are_neither_output_nor_samples() -> None:
    metrics = ThreadMetrics("t", internal_topics=frozenset({"wc-counts-repartition"}))
    metrics.on_output("to-repartition", "wc-counts-repartition", "kafka", "kafka", 1)
    metrics.on_output("to-counts", "counts", "kafka", 1, 1)
    metrics.publish(state="RUNNING", tasks=[], nodes={}, partitions=[])
    snapshot = MetricsAggregator("wc").snapshot("RUNNING", [metrics.part()])  # type: ignore[list-item]
    assert snapshot["totals"]["records-out"] == 1
    assert [(s["topic"], s["value"]) for s in snapshot["samples"]] == [("counts", 1)]


def test_closed_tasks_keep_their_totals() -> None:
    metrics = ThreadMetrics("t")
    metrics.retire_task({"src": {"process-total": 4, "process-rate": 9.0}})
    assert metrics.node_totals([{"src": {"process-total": 1}}]) == {"src": {"process-total": 5}}
