"""Timestamp order across a task's partitions and max.task.idle.ms (KIP-695), checked
against Kafka Streams' PartitionGroupTest: records come out smallest head timestamp
first; an empty partition with unknown or positive fetched lag makes the task wait; one
known to have zero lag is waited for max.task.idle.ms (0: not at all), after which
processing is enforced and counted; -1 never waits."""

from __future__ import annotations

from typing import Any

from runtime.exec.partition_group import IDLE_DISABLED, PartitionGroup

A = ("left", 0)
B = ("right", 0)


def _ts(record: Any, _partition_time: int) -> int:
    return int(record[1])


def _group(max_idle_ms: int = 0) -> PartitionGroup:
    return PartitionGroup([A, B], max_idle_ms, _ts)


def test_records_come_out_in_timestamp_order_across_partitions() -> None:
    group = _group()
    for name, ts in [("a1", 10), ("a2", 30), ("a3", 50)]:
        group.add(A, (name, ts))
    for name, ts in [("b1", 20), ("b2", 40), ("b3", 60)]:
        group.add(B, (name, ts))
    # A runs dry after a3 while more of A is on the broker: b3 waits for it
    out = group.drain(0, lambda tp: 5)
    assert [r[0] for r in out] == ["a1", "b1", "a2", "b2", "a3"]
    assert group.buffered(B) == 1


def test_an_empty_partition_with_lag_or_unknown_lag_makes_the_task_wait() -> None:
    group = _group()
    group.add(A, ("a1", 10))
    assert group.drain(0, lambda tp: None) == []      # nothing fetched for B yet
    assert group.drain(0, lambda tp: 3) == []         # B's records are on the broker
    assert group.enforced_processing == 0


def test_zero_lag_with_the_default_idle_time_processes_at_once_and_counts_it() -> None:
    group = _group(0)
    group.add(A, ("a1", 10))
    assert group.drain(0, lambda tp: 0) == [("a1", 10)]
    assert group.enforced_processing == 1


def test_zero_lag_waits_max_task_idle_ms_then_enforces() -> None:
    group = _group(100)
    group.add(A, ("a1", 10))
    assert group.drain(1_000, lambda tp: 0) == []     # deadline 1100
    assert group.drain(1_099, lambda tp: 0) == []
    assert group.drain(1_100, lambda tp: 0) == [("a1", 10)]
    assert group.enforced_processing == 1


def test_data_arriving_resets_the_idle_deadline() -> None:
    group = _group(100)
    group.add(A, ("a1", 10))
    assert group.drain(1_000, lambda tp: 0) == []     # B idle since 1000
    group.add(B, ("b1", 20))
    assert [r[0] for r in group.drain(1_050, lambda tp: 0)] == ["a1"]   # B buffered: no wait
    group.add(A, ("a2", 30))
    # B is empty again from 1050 on: a fresh deadline, not the one from 1000
    assert [r[0] for r in group.drain(1_060, lambda tp: 0)] == ["b1"]
    assert group.drain(1_100, lambda tp: 0) == []
    assert group.drain(1_160, lambda tp: 0) == [("a2", 30)]


def test_disabled_idling_never_waits() -> None:
    group = _group(IDLE_DISABLED)
    group.add(A, ("a1", 10))
    assert group.drain(0, lambda tp: 99) == [("a1", 10)]


def test_timestamps_come_from_the_extractor_with_the_partition_time() -> None:
    seen: list[int] = []

    def extract(record: Any, partition_time: int) -> int:
        seen.append(partition_time)
        return record[1] if record[1] >= 0 else partition_time   # like UsePartitionTimeOnInvalidTimestamp

    group = PartitionGroup([A, B], 0, extract)
    group.add(A, ("a1", 10))
    group.add(A, ("bad", -1))     # ordered at A's partition time, 10
    group.add(B, ("b1", 5))
    assert seen == [-1, 10, -1]
    assert [r[0] for r in group.drain(0, lambda tp: 0)] == ["b1", "a1", "bad"]


def test_removed_partitions_are_no_longer_waited_for() -> None:
    group = _group()
    group.add(A, ("a1", 10))
    group.remove_partition(B)
    assert group.drain(0, lambda tp: 7) == [("a1", 10)]
