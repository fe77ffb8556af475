"""A stream thread restoring one task while it processes another (Kafka Streams' state
updater behaviour), with in-memory clients so that the interleaving is exact: the
restoring task's partitions are paused and what was fetched for them is held back until
its stores are restored; the other task processes meanwhile; revocation and shutdown
mid-restore close the task as it is. The same against the development broker:
tests/runtime/kafka/test_restore_concurrency.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runtime.exec.clock import SystemClock
from runtime.exec.engine_config import EngineConfig
from runtime.exec.thread import StreamThread, ThreadState
from runtime.kafka import TopicPartition, TopicPartitionOffset
from tests.runtime.exec.restore_fakes import FakeChangelogConsumer, Message, RecordingListener, StoresTask, records
from tests.runtime.kafka.test_task_migrated import NullProducer

IN0, IN1 = TopicPartition("in", 0), TopicPartition("in", 1)
CL0, CL1 = TopicPartition("app-s-changelog", 0), TopicPartition("app-s-changelog", 1)


class GroupConsumer:
    """The group consumer: assigns ``assign`` on the first consume(), then returns the
    partitions' records round-robin, never from a paused partition. ``revoke()`` takes
    partitions away at the next consume()."""

    def __init__(self, logs: Mapping[TopicPartition, list[Message]], assign: list[TopicPartition]) -> None:
        self.logs = {tp: list(ms) for tp, ms in logs.items()}
        self.positions: dict[TopicPartition, int] = {}
        self.paused: set[TopicPartition] = set()
        self.calls: list[tuple[str, Any]] = []
        self.listeners: dict[str, Callable[[list[TopicPartition]], None]] = {}
        self._assign: list[TopicPartition] | None = assign
        self._revoke: list[TopicPartition] = []
        self._lock = threading.Lock()

    def subscribe(self, topics: Sequence[str], **listeners: Callable[[list[TopicPartition]], None]) -> None:
        self.listeners = listeners

    def revoke(self, partitions: list[TopicPartition]) -> None:
        with self._lock:
            self._revoke.extend(partitions)

    def consume(self, num_messages: int, timeout: float) -> list[Message]:
        with self._lock:
            revoke, self._revoke = self._revoke, []
        if revoke:
            self.listeners["on_revoke"](revoke)
            for tp in revoke:
                self.positions.pop(tp, None)
            self.listeners["on_assign"]([])
        if self._assign is not None:
            assign, self._assign = self._assign, None
            self.listeners["on_assign"](assign)
            self.positions.update({tp: 0 for tp in assign})
        out: list[Message] = []
        progressed = True
        while len(out) < num_messages and progressed:
            progressed = False
            for tp in sorted(self.positions):
                log = self.logs.get(tp, [])
                if tp not in self.paused and self.positions[tp] < len(log) and len(out) < num_messages:
                    out.append(log[self.positions[tp]])
                    self.positions[tp] += 1
                    progressed = True
        if not out:
            time.sleep(min(timeout, 0.005))
        return out

    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        self.calls.append(("pause", sorted(partitions)))
        self.paused.update(partitions)

    def resume(self, partitions: Sequence[TopicPartition]) -> None:
        self.calls.append(("resume", sorted(partitions)))
        self.paused.difference_update(partitions)

    def commit(self, offsets: Sequence[TopicPartitionOffset]) -> None:
        self.calls.append(("commit", sorted(offsets, key=lambda o: (o.topic, o.partition))))

    def committed(self, partitions: Sequence[TopicPartition], timeout: float) -> dict[TopicPartition, int | None]:
        return {p: None for p in partitions}

    def watermarks(self, partition: TopicPartition, *, cached: bool = True) -> None:
        return None

    def unsubscribe(self) -> None:
        pass

    def close(self) -> None:
        self.calls.append(("close", None))


class StallingChangelogConsumer(FakeChangelogConsumer):
    """Gives ``limit`` events in all, then nothing: a restore that never finishes."""

    def __init__(self, logs: Mapping[TopicPartition, Sequence[tuple[int, bytes, bytes | None]]], limit: int) -> None:
        super().__init__(logs)
        self.limit = limit

    def consume(self, num_messages: int, timeout: float) -> list[Message]:
        out = super().consume(min(num_messages, self.limit), timeout) if self.limit > 0 else []
        self.limit -= len(out)
        if not out:
            time.sleep(min(timeout, 0.005))
        return out


class Task(StoresTask):
    """A one-store task that logs what it processes, with its store's size then."""

    def process_batch(self, batch: Sequence[Any]) -> None:
        self.events.append(("process", self.task_id, [r.offset for r in batch], len(self.stores["s"])))

    def punctuate(self, wall_clock_ms: int) -> None:
        pass

    def flush(self) -> None:
        pass

    def node_metrics(self) -> dict[str, dict[str, float]]:
        return {}

    def task_metrics(self) -> dict[str, Any]:
        return {}

    def store_metrics(self) -> dict[str, Any]:
        return {}


class Topology:
    def internal_topics(self, application_id: str) -> list[Any]:
        return []


def _thread(main: GroupConsumer, restore: FakeChangelogConsumer, events: list[tuple[Any, ...]],
            listener: RecordingListener, tasks: dict[str, Task]) -> tuple[StreamThread, list[str]]:
    config = EngineConfig.from_mapping({
        "application.id": "app", "bootstrap.servers": "127.0.0.1:1", "commit.interval.ms": 60_000,
        "poll.ms": 5, "max.poll.records": 2, "restore.consumer.max.poll.records": 5,
    })

    class Clients:
        def consumer(self, settings: Mapping[str, Any]) -> Any:
            assert "max.poll.records" not in settings   # librdkafka would reject it
            return restore if "restore" in settings["client.id"] else main

        def producer(self, settings: Mapping[str, Any]) -> Any:
            return NullProducer()

    def make_task(topology: Any, sub: int, partition: int, **_: Any) -> Task:
        task = Task(f"{sub}_{partition}", {"s": ("app-s-changelog", partition)}, events)
        tasks[task.task_id] = task
        return task

    states: list[str] = []
    thread = StreamThread(
        index=1, client_id="app-1", topology=Topology(), config=config, source_topics={0: ["in"]},
        clients=Clients(), checkpoints=None, clock=SystemClock(),  # type: ignore[arg-type]
        task_factory=make_task, restore_listener=listener,
        on_state_change=lambda _t, _old, new: states.append(new),
    )
    return thread, states


def _wait(predicate: Callable[[], Any], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


def _stop(thread: StreamThread) -> None:
    thread.shutdown()
    thread.join(10)
    assert not thread.is_alive() and thread.error is None, thread.error


def test_a_task_restores_while_the_other_processes_and_then_processes_what_was_held_back() -> None:
    events: list[tuple[Any, ...]] = []
    listener = RecordingListener(events)
    main = GroupConsumer({IN0: [Message(IN0, o) for o in range(3)],
                          IN1: [Message(IN1, o) for o in range(8)]}, assign=[IN0, IN1])
    restore = FakeChangelogConsumer({CL0: records(60), CL1: []})
    tasks: dict[str, Task] = {}
    thread, states = _thread(main, restore, events, listener, tasks)
    thread.start()
    try:
        _wait(lambda: sum(len(e[2]) for e in events if e[:2] == ("process", "0_0")) == 3, "task 0_0 processing")
    finally:
        _stop(thread)

    end0 = events.index(("end", CL0, "s", 60))
    process1 = [i for i, e in enumerate(events) if e[:2] == ("process", "0_1")]
    process0 = [i for i, e in enumerate(events) if e[:2] == ("process", "0_0")]
    # 0_1 (an empty changelog) ran while 0_0 was restoring, between its batches, on
    # records polled after the restore began ...
    polled_later = [i for i in process1 if min(events[i][2]) > 0]
    assert polled_later and polled_later[0] < end0
    assert any(polled_later[0] < i < end0 for i, e in enumerate(events) if e[0] == "batch" and e[1] == CL0)
    assert sorted(o for i in process1 for o in events[i][2]) == list(range(8))
    # ... and 0_0 processed nothing before its store was whole, then every record once, in order.
    assert process0 and min(process0) > end0
    assert [o for i in process0 for o in events[i][2]] == [0, 1, 2]
    assert all(events[i][3] == 60 for i in process0)
    assert all(e[4] <= 5 for e in events if e[0] == "batch")
    # Both paused at assignment; 0_1's resumed first (it had nothing to restore).
    pauses = [c for c in main.calls if c[0] in ("pause", "resume")]
    assert pauses[0] == ("pause", [IN0, IN1])
    assert pauses[1:3] == [("resume", [IN1]), ("resume", [IN0])]
    # The thread (and so the app) is RUNNING only once nothing restores.
    assert states[:3] == [ThreadState.STARTING, ThreadState.PARTITIONS_ASSIGNED, ThreadState.RUNNING]
    assert thread.metrics.restore_records == 60 and thread.metrics.restored["0_0"] == 60


def test_revocation_and_shutdown_mid_restore_close_the_task_as_it_is() -> None:
    events: list[tuple[Any, ...]] = []
    listener = RecordingListener(events)
    main = GroupConsumer({IN0: [Message(IN0, 0)], IN1: [Message(IN1, 0)]}, assign=[IN0, IN1])
    # 12 records in all, then the changelogs never reach their end
    restore = StallingChangelogConsumer({CL0: records(1000), CL1: records(1000)}, limit=12)
    tasks: dict[str, Task] = {}
    thread, _states = _thread(main, restore, events, listener, tasks)
    thread.start()
    try:
        _wait(lambda: restore.limit == 0, "the restore to stall")
        main.revoke([IN0])
        _wait(lambda: tasks["0_0"].closed, "task 0_0 closed on revocation")
        assert [e[1:3] for e in listener.of("suspended")] == [(CL0, "s")]
        assert [tp for tp in restore.positions] == [CL1]       # only 0_1's changelog is still read
        assert thread.active_tasks == frozenset({(0, 1)})
    finally:
        _stop(thread)
    assert tasks["0_1"].closed
    assert [e[1:3] for e in listener.of("suspended")] == [(CL0, "s"), (CL1, "s")]
    assert sum(e[3] for e in listener.of("suspended")) == 12
    assert not [e for e in events if e[0] in ("process", "end")]
    assert not [c for c in main.calls if c[0] == "commit"]    # nothing processed: nothing committed
