"""The restore state machine (runtime/exec/restore.py ``ChangelogReader``) without a
broker: bounded steps over several tasks' changelogs, the checkpoint rules, source-topic
and standby starts, unregistering mid-restore, and the restore listener's calls. The
same code against the development broker: tests/runtime/kafka/test_restore*.py."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.errors import TaskCorruptedError
from runtime.exec.restore import ChangelogReader, RestoreProgress
from runtime.kafka import OFFSET_BEGINNING, TopicPartition, TopicPartitionOffset
from runtime.state.checkpoint import Checkpoint
from tests.runtime.exec.restore_fakes import FakeChangelogConsumer, RecordingListener, StoresTask, records

A = TopicPartition("app-a-changelog", 0)
B = TopicPartition("app-b-changelog", 1)


class Checkpoints:
    """load() answers from a dict: (store, partition) -> Checkpoint."""

    def __init__(self, saved: dict[tuple[str, int], Checkpoint]) -> None:
        self.saved = saved

    def load(self, application_id: str, store: str, partition: int) -> Checkpoint | None:
        return self.saved.get((store, partition))


def _reader(consumer: FakeChangelogConsumer, *, max_poll_records: int = 1000, checkpoints: Any = None,
            listener: Any = None, stall_timeout_s: float = 60.0) -> ChangelogReader:
    return ChangelogReader(consumer, application_id="app", checkpoints=checkpoints,  # type: ignore[arg-type]
                           max_poll_records=max_poll_records, listener=listener, stall_timeout_s=stall_timeout_s)


def _run(reader: ChangelogReader, limit: int = 1000) -> list[RestoreProgress]:
    steps = []
    while reader.tasks():
        steps.append(reader.restore_once(0.0))
        assert len(steps) < limit, "the restore never finished"
    return steps


def test_each_step_is_bounded_and_tasks_restore_side_by_side() -> None:
    consumer = FakeChangelogConsumer({A: records(10), B: records(3, value="b{}")})
    listener = RecordingListener()
    reader = _reader(consumer, max_poll_records=4, listener=listener)
    a = StoresTask("0_0", {"a": (A.topic, A.partition)})
    b = StoresTask("0_1", {"b": (B.topic, B.partition)})
    reader.register("A", a)
    reader.register("B", b)

    steps = _run(reader)

    assert all(n <= 4 for n in consumer.returned)           # events per step, EOFs included
    assert all(step.records <= 4 for step in steps)
    done = [key for step in steps for key in step.completed]
    assert done == ["B", "A"]                                # the short one did not wait for the long one
    assert sum(step.restored.get("A", 0) for step in steps) == 10
    assert a.stores["a"] == {f"k{i}".encode(): str(i).encode() for i in range(10)}
    assert b.stores["b"] == {f"k{i}".encode(): f"b{i}".encode() for i in range(3)}
    [result] = next(step.completed["A"] for step in steps if "A" in step.completed)
    assert (result.store, result.changelog, result.end_offset, result.records_replayed) == ("a", A, 10, 10)
    assert not result.from_checkpoint
    # The listener, per changelog: start, batches covering every record in order, end.
    for tp, store, n in ((A, "a", 10), (B, "b", 3)):
        calls = [e for e in listener.events if e[1] == tp]
        assert calls[0] == ("start", tp, store, 0, n)
        batches = [e for e in calls if e[0] == "batch"]
        assert sum(e[4] for e in batches) == n
        assert [e[3] for e in batches] == sorted({e[3] for e in batches}) and batches[-1][3] == n - 1
        assert calls[-1] == ("end", tp, store, n)
    assert consumer.assignments[-1] == []                     # nothing left to fetch


def test_topic_metadata_is_loaded_once_per_topic_before_its_first_assignment() -> None:
    # librdkafka delays the first fetch of a partition whose leader it does not know
    # yet (offset-query retry, 500 ms); the reader asks for the metadata first
    consumer = FakeChangelogConsumer({A: records(2), B: records(2)})
    reader = _reader(consumer)
    reader.register("A", StoresTask("0_0", {"a": (A.topic, A.partition)}))
    reader.restore_once(0.0)
    assert consumer.metadata_loaded == [A.topic]
    reader.register("B", StoresTask("0_1", {"b": (B.topic, B.partition)}))
    _run(reader)
    reader.register("A2", StoresTask("0_0", {"a": (A.topic, A.partition)}))
    _run(reader)
    assert consumer.metadata_loaded == [A.topic, B.topic]


def test_a_checkpoint_is_applied_once_the_changelog_proves_its_offset_then_the_tail() -> None:
    consumer = FakeChangelogConsumer({A: records(4)})
    listener = RecordingListener()
    checkpoints = Checkpoints({("a", 0): Checkpoint(2, [(b"k0", b"0"), (b"k1", b"1"), (b"gone", b"x")])})
    reader = _reader(consumer, checkpoints=checkpoints, listener=listener)
    task = StoresTask("0_0", {"a": (A.topic, A.partition)})
    reader.register("A", task)

    [result] = [r for step in _run(reader) for r in step.completed.get("A", [])]

    assert consumer.assignments[0] == [TopicPartitionOffset(A.topic, A.partition, 2)]
    assert task.snapshots == [("a", [(b"k0", b"0"), (b"k1", b"1"), (b"gone", b"x")])]
    assert task.events == [("restore", "0_0", "a", 2)]       # only the tail is replayed
    assert result.from_checkpoint and result.checkpoint_offset == 2 and result.records_replayed == 2
    assert listener.of("start") == [("start", A, "a", 2, 4)]
    assert listener.of("end") == [("end", A, "a", 2)]


def test_a_checkpoint_past_the_changelog_end_is_discarded_and_the_whole_changelog_replayed() -> None:
    consumer = FakeChangelogConsumer({A: records(3)})
    checkpoints = Checkpoints({("a", 0): Checkpoint(500, [(b"ghost", b"9")])})
    listener = RecordingListener()
    reader = _reader(consumer, checkpoints=checkpoints, listener=listener)
    task = StoresTask("0_0", {"a": (A.topic, A.partition)})
    reader.register("A", task)

    [result] = [r for step in _run(reader) for r in step.completed.get("A", [])]

    assert task.snapshots == []                              # the stale snapshot never leaked in
    assert task.stores["a"] == {b"k0": b"0", b"k1": b"1", b"k2": b"2"}
    assert not result.from_checkpoint and result.records_replayed == 3
    assert consumer.assignments[1] == [TopicPartitionOffset(A.topic, A.partition, OFFSET_BEGINNING)]
    assert listener.of("start") == [("start", A, "a", 0, 3)]  # announced once, from where it really began


def test_an_empty_changelog_and_a_checkpoint_at_its_end_complete_with_nothing_replayed() -> None:
    consumer = FakeChangelogConsumer({A: [], B: records(2)})
    checkpoints = Checkpoints({("b", 1): Checkpoint(2, [(b"k0", b"0"), (b"k1", b"1")])})
    reader = _reader(consumer, checkpoints=checkpoints)
    task = StoresTask("0_0", {"a": (A.topic, A.partition), "b": (B.topic, B.partition)})
    reader.register("T", task)

    results = [r for step in _run(reader) for r in step.completed.get("T", [])]

    assert [(r.store, r.end_offset, r.records_replayed, r.from_checkpoint) for r in results] == [
        ("a", 0, 0, False), ("b", 2, 0, True)]
    assert task.stores == {"a": {}, "b": {b"k0": b"0", b"k1": b"1"}}


def test_a_source_topic_changelog_is_restored_up_to_the_committed_offset_only() -> None:
    consumer = FakeChangelogConsumer({A: records(6), B: records(2)})
    listener = RecordingListener()
    # A Redis checkpoint must not be used for a source-topic store: it may be ahead.
    reader = _reader(consumer, listener=listener,
                     checkpoints=Checkpoints({("a", 0): Checkpoint(6, [(b"k5", b"5")])}))
    task = StoresTask("0_0", {"a": (A.topic, A.partition)})
    unread = StoresTask("1_1", {"b": (B.topic, B.partition)})
    reader.register("T", task, source_ends={A: 3})
    reader.register("U", unread, source_ends={B: 0})          # nothing committed yet: nothing to read

    steps = _run(reader)

    assert task.stores["a"] == {b"k0": b"0", b"k1": b"1", b"k2": b"2"} and task.snapshots == []
    [result] = [r for step in steps for r in step.completed.get("T", [])]
    assert (result.end_offset, result.records_replayed) == (3, 3)
    assert unread.stores["b"] == {} and all(B.topic not in {o.topic for o in a} for a in consumer.assignments)
    assert listener.of("start") == [("start", B, "b", 0, 0), ("start", A, "a", 0, 3)]
    assert listener.of("end") == [("end", B, "b", 0), ("end", A, "a", 3)]


def test_a_standby_position_replays_the_rest_or_fails_when_the_changelog_lost_it() -> None:
    consumer = FakeChangelogConsumer({A: records(5), B: records(2)})
    reader = _reader(consumer)
    handed = StoresTask("0_0", {"a": (A.topic, A.partition)})
    handed.stores["a"] = {b"k0": b"0", b"k1": b"1", b"k2": b"2"}   # what the standby copied in
    gone = StoresTask("0_1", {"b": (B.topic, B.partition)})
    reader.register("A", handed, positions={A: 3})
    reader.register("B", gone, positions={B: 50})

    steps = _run(reader)

    [result] = [r for step in steps for r in step.completed.get("A", [])]
    assert (result.standby_offset, result.records_replayed, result.end_offset) == (3, 2, 5)
    assert len(handed.stores["a"]) == 5
    [failure] = [step.failed["B"] for step in steps if "B" in step.failed]
    assert isinstance(failure, TaskCorruptedError) and "no longer holds" in str(failure)
    assert not any("B" in step.completed for step in steps)


def test_unregistering_mid_restore_suspends_it_and_stops_reading_its_changelog() -> None:
    consumer = FakeChangelogConsumer({A: records(10), B: records(10)})
    listener = RecordingListener()
    reader = _reader(consumer, max_poll_records=4, listener=listener)
    reader.register("A", StoresTask("0_0", {"a": (A.topic, A.partition)}))
    reader.register("B", StoresTask("0_1", {"b": (B.topic, B.partition)}))
    reader.restore_once(0.0)
    reader.restore_once(0.0)

    reader.unregister("A")

    assert listener.of("suspended") == [("suspended", A, "a", 4)]
    assert [tp.topic for tp in consumer.positions] == [B.topic]      # A is no longer fetched
    assert consumer.assignments[-1] == [TopicPartitionOffset(B.topic, B.partition, 4)]  # B goes on from where it was
    _run(reader)
    assert listener.of("end") == [("end", B, "b", 10)]
    assert reader.tasks() == []


def test_a_restore_that_stops_progressing_fails_the_task() -> None:
    consumer = FakeChangelogConsumer({A: records(1)})
    reader = _reader(consumer, stall_timeout_s=0.0)
    consumer.consume = lambda n, timeout: []  # type: ignore[method-assign]   # a broker that never answers
    reader.register("A", StoresTask("0_0", {"a": (A.topic, A.partition)}))
    progress = reader.restore_once(0.0)
    assert "made no progress" in str(progress.failed["A"]) and reader.tasks() == []


class Exploding(RecordingListener):
    def on_batch_restored(self, *args: Any) -> None:
        raise RuntimeError("listener bug")

    def on_restore_end(self, *args: Any) -> None:
        raise RuntimeError("listener bug")


def test_a_failing_listener_is_logged_and_the_restore_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    consumer = FakeChangelogConsumer({A: records(5)})
    task = StoresTask("0_0", {"a": (A.topic, A.partition)})
    reader = _reader(consumer, max_poll_records=2, listener=Exploding())
    reader.register("A", task)
    steps = _run(reader)
    assert "A" in steps[-1].completed and len(task.stores["a"]) == 5
    assert any("state restore listener on_batch_restored failed" in r.getMessage() for r in caplog.records)


class StartOnly:
    """A listener object without the optional on_restore_suspended."""

    def __init__(self) -> None:
        self.started: list[TopicPartition] = []

    def on_restore_start(self, tp: TopicPartition, store: str, start: int, end: int) -> None:
        self.started.append(tp)

    def on_batch_restored(self, *args: Any) -> None:
        pass

    def on_restore_end(self, *args: Any) -> None:
        pass


def test_a_listener_without_on_restore_suspended_is_fine() -> None:
    consumer = FakeChangelogConsumer({A: records(5)})
    listener = StartOnly()
    reader = _reader(consumer, max_poll_records=2, listener=listener)
    reader.register("A", StoresTask("0_0", {"a": (A.topic, A.partition)}))
    reader.restore_once(0.0)
    reader.unregister("A")
    assert listener.started == [A]


def test_remaining_records_follow_the_restore() -> None:
    consumer = FakeChangelogConsumer({A: records(10)})
    reader = _reader(consumer, max_poll_records=4)
    reader.register("A", StoresTask("0_0", {"a": (A.topic, A.partition)}))
    assert reader.remaining("A") == 0        # unknown until a fetch tells the end
    reader.restore_once(0.0)
    assert reader.remaining("A") == 6
    _run(reader)
    assert reader.remaining("A") == 0


def test_restore_task_blocks_until_the_task_is_restored() -> None:
    consumer = FakeChangelogConsumer({A: records(7)})
    task = StoresTask("0_0", {"a": (A.topic, A.partition)})
    [result] = _reader(consumer, max_poll_records=3).restore_task(task)
    assert result.records_replayed == 7 and len(task.stores["a"]) == 7
    assert consumer.assignments[-1] == []


def test_a_changelog_at_its_end_completes_without_waiting_behind_other_changelogs_records() -> None:
    # The development broker returns a partition's records all before the next one's:
    # B's end-of-partition event comes after every record of A. The fetch told B's end.
    consumer = FakeChangelogConsumer({A: records(40), B: []}, sequential=True)
    reader = _reader(consumer, max_poll_records=4)
    reader.register("A", StoresTask("0_0", {"a": (A.topic, A.partition)}))
    reader.register("B", StoresTask("0_1", {"b": (B.topic, B.partition)}))
    first = reader.restore_once(0.0)
    assert list(first.completed) == ["B"] and first.restored == {"A": 4}
    assert [key for step in _run(reader) for key in step.completed] == ["A"]


def test_watermarks_cached_before_the_assignment_are_not_taken_for_the_end() -> None:
    # This instance restored A up to 5 before (librdkafka still caches that end);
    # meanwhile another owner wrote 3 more records. A checkpoint at 5 is not the end.
    consumer = FakeChangelogConsumer({A: records(8)}, fetch_lag=1)
    consumer.cached[A] = (0, 5)
    checkpoints = Checkpoints({("a", 0): Checkpoint(5, [(b"k0", b"0")])})
    reader = _reader(consumer, checkpoints=checkpoints)
    task = StoresTask("0_0", {"a": (A.topic, A.partition)})
    reader.register("A", task)
    assert not reader.restore_once(0.0).completed             # no fetch yet: nothing known
    [result] = [r for step in _run(reader) for r in step.completed.get("A", [])]
    assert (result.end_offset, result.records_replayed) == (8, 3)
    assert set(task.stores["a"]) == {b"k0", b"k5", b"k6", b"k7"}


def test_every_changelog_starts_once_a_fetch_told_its_end_and_is_suspended_if_dropped_unread() -> None:
    consumer = FakeChangelogConsumer({A: records(20), B: records(20)}, sequential=True)
    listener = RecordingListener()
    reader = _reader(consumer, max_poll_records=4, listener=listener)
    reader.register("A", StoresTask("0_0", {"a": (A.topic, A.partition)}))
    reader.register("B", StoresTask("0_1", {"b": (B.topic, B.partition)}))
    reader.restore_once(0.0)
    assert listener.of("start") == [("start", A, "a", 0, 20), ("start", B, "b", 0, 20)]
    assert [e[1] for e in listener.of("batch")] == [A]       # B's records queue behind A's
    reader.unregister("B")
    assert listener.of("suspended") == [("suspended", B, "b", 0)]


def test_max_poll_records_is_the_engines_with_kafka_streams_prefixes_and_never_reaches_librdkafka() -> None:
    from runtime.errors import ConfigError
    from runtime.exec.engine_config import EngineConfig
    from runtime.kafka.config import main_consumer_config, restore_consumer_config

    base = {"application.id": "app", "bootstrap.servers": "127.0.0.1:1"}
    assert (EngineConfig.from_mapping(base).max_poll_records,
            EngineConfig.from_mapping(base).restore_max_poll_records) == (1000, 1000)
    config = {**base, "max.poll.records": 300, "restore.consumer.max.poll.records": 50,
              "consumer.max.poll.records": 70, "restore.consumer.fetch.wait.max.ms": 10}
    engine = EngineConfig.from_mapping(config)
    assert (engine.max_poll_records, engine.restore_max_poll_records) == (70, 50)
    assert EngineConfig.from_mapping({**base, "max.poll.records": 300}).restore_max_poll_records == 300
    with pytest.raises(ConfigError):
        EngineConfig.from_mapping({**base, "restore.consumer.max.poll.records": 0})
    restore = restore_consumer_config(config, client_id="r")
    main = main_consumer_config(config, client_id="m", assignment_strategy="range")
    assert "max.poll.records" not in restore and "max.poll.records" not in main
    assert restore["fetch.wait.max.ms"] == 10
