"""A commit the group rejects (it moved on without this member's generation) closes the
thread's tasks dirty and parks their partitions; the next rebalance that keeps them here
restarts their tasks from the committed offsets (Kafka Streams' TaskMigratedException
handling). Scripted clients make the interleaving exact; the behaviour against a real
broker is covered by test_word_count_app.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import confluent_kafka

from runtime.exec.clock import SystemClock
from runtime.exec.engine_config import EngineConfig
from runtime.exec.thread import StreamThread
from runtime.kafka import OFFSET_BEGINNING, CommitFailedError, TopicPartition, TopicPartitionOffset


class Message:
    def __init__(self, topic: str, partition: int, offset: int) -> None:
        self._tp, self._offset = (topic, partition), offset

    def error(self) -> None:
        return None

    def topic(self) -> str:
        return self._tp[0]

    def partition(self) -> int:
        return self._tp[1]

    def offset(self) -> int:
        return self._offset

    def timestamp(self) -> tuple[int, int]:
        return (1, 1000 + self._offset)

    def key(self) -> bytes:
        return b"k"

    def value(self) -> bytes:
        return b"v"

    def headers(self) -> None:
        return None


class ScriptedConsumer:
    """Each consume() runs the next step: (callback name or None, partitions, messages)."""

    def __init__(self, steps: list[tuple[str | None, list[TopicPartition], list[Message]]],
                 commit_errors: list[BaseException | None]) -> None:
        self.steps = steps
        self.commit_errors = commit_errors
        self.commits: list[list[TopicPartitionOffset]] = []
        self.calls: list[tuple[str, Any]] = []
        self.listeners: dict[str, Callable[[list[TopicPartition]], None]] = {}
        self.done = threading.Event()

    def subscribe(self, topics: Sequence[str], **listeners: Callable[[list[TopicPartition]], None]) -> None:
        self.listeners = listeners

    def consume(self, num_messages: int, timeout: float) -> list[Message]:
        if not self.steps:
            self.done.set()
            time.sleep(0.01)
            return []
        callback, partitions, messages = self.steps.pop(0)
        if callback is not None:
            self.listeners[callback](partitions)
        return messages

    def commit(self, offsets: Sequence[TopicPartitionOffset]) -> None:
        error = self.commit_errors.pop(0) if self.commit_errors else None
        self.calls.append(("commit", list(offsets)))
        if error is not None:
            raise error
        self.commits.append(list(offsets))

    def committed(self, partitions: Sequence[TopicPartition], timeout: float) -> dict[TopicPartition, int | None]:
        done = {(o.topic, o.partition): o.offset for batch in self.commits for o in batch}
        return {p: done.get((p.topic, p.partition)) for p in partitions}

    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        self.calls.append(("pause", list(partitions)))

    def resume(self, partitions: Sequence[TopicPartition]) -> None:
        self.calls.append(("resume", list(partitions)))

    def seek(self, offset: TopicPartitionOffset) -> None:
        self.calls.append(("seek", offset))

    def watermarks(self, partition: TopicPartition, *, cached: bool = True) -> None:
        return None

    def unsubscribe(self) -> None:
        self.calls.append(("unsubscribe", None))

    def close(self) -> None:
        pass


class NullProducer:
    def produce(self, *args: Any, **kwargs: Any) -> None:
        pass

    def poll(self, timeout: float = 0.0) -> int:
        return 0

    def flush(self, timeout: float) -> int:
        return 0

    def close(self) -> None:
        pass


class Clients:
    def __init__(self, consumer: ScriptedConsumer) -> None:
        self.main = consumer

    def consumer(self, config: Mapping[str, Any]) -> Any:
        return self.main if "restore" not in config["client.id"] else ScriptedConsumer([], [])

    def producer(self, config: Mapping[str, Any]) -> Any:
        return NullProducer()


class Task:
    def __init__(self, sub: int, partition: int, log: list[tuple[str, Any]]) -> None:
        self.task_id = f"{sub}_{partition}"
        self._log = log
        log.append(("created", self.task_id))

    def changelog_partitions(self) -> dict[str, tuple[str, int]]:
        return {}

    def process_batch(self, records: Sequence[Any]) -> None:
        self._log.append(("processed", [r.offset for r in records]))

    def punctuate(self, wall_clock_ms: int) -> None:
        pass

    def flush(self) -> None:
        pass

    def node_metrics(self) -> dict[str, dict[str, float]]:
        return {}

    def close(self) -> None:
        self._log.append(("closed", self.task_id))


class Topology:
    def internal_topics(self, application_id: str) -> list[Any]:
        return []


def _run(consumer: ScriptedConsumer) -> tuple[StreamThread, list[tuple[str, Any]]]:
    log: list[tuple[str, Any]] = []
    config = EngineConfig.from_mapping({"application.id": "app", "bootstrap.servers": "127.0.0.1:1",
                                        "commit.interval.ms": 0, "poll.ms": 0})
    thread = StreamThread(
        index=1, client_id="app-1", topology=Topology(), config=config, source_topics={0: ["in"]},
        clients=Clients(consumer), checkpoints=None, clock=SystemClock(),  # type: ignore[arg-type]
        task_factory=lambda topology, sub, partition, **_: Task(sub, partition, log),
    )
    thread.start()
    assert consumer.done.wait(10), "the script did not run to its end"
    thread.shutdown()
    thread.join(10)
    assert not thread.is_alive() and thread.error is None, thread.error
    return thread, log


IN0 = TopicPartition("in", 0)
MOVED_ON = CommitFailedError("offset commit failed: ILLEGAL_GENERATION",
                             code=confluent_kafka.KafkaError.ILLEGAL_GENERATION, group_moved_on=True)


def test_a_rejected_commit_closes_tasks_dirty_and_the_next_rebalance_restarts_them_from_the_commit() -> None:
    consumer = ScriptedConsumer(
        steps=[
            ("on_assign", [IN0], [Message("in", 0, 0), Message("in", 0, 1)]),  # then the commit is rejected
            (None, [], [Message("in", 0, 2)]),        # fetched before the pause: never processed
            ("on_assign", [], []),                    # the rebalance completes, in-0 stays here
            (None, [], [Message("in", 0, 0), Message("in", 0, 1), Message("in", 0, 2)]),
        ],
        commit_errors=[MOVED_ON],
    )
    thread, log = _run(consumer)

    assert log[:4] == [("created", "0_0"), ("processed", [0, 1]), ("closed", "0_0"), ("created", "0_0")]
    assert ("processed", [2]) not in log[:4]
    assert log[4] == ("processed", [0, 1, 2])   # reprocessed: at_least_once after a rejected commit
    kinds = [(kind, arg) for kind, arg in consumer.calls if kind != "commit"]
    assert kinds[:3] == [("pause", [IN0]), ("seek", TopicPartitionOffset("in", 0, OFFSET_BEGINNING)),
                         ("resume", [IN0])]
    assert consumer.commits[0] == [TopicPartitionOffset("in", 0, 3)]
    assert thread.metrics.commits_failed == 1
    assert thread.metrics.tasks_closed_dirty == 1


def test_orphaned_partitions_revoked_by_the_rebalance_are_simply_dropped() -> None:
    consumer = ScriptedConsumer(
        steps=[
            ("on_assign", [IN0], [Message("in", 0, 0)]),
            ("on_revoke", [IN0], []),                 # the new generation gave in-0 to someone else
            ("on_assign", [], []),
        ],
        commit_errors=[MOVED_ON],
    )
    thread, log = _run(consumer)
    assert log == [("created", "0_0"), ("processed", [0]), ("closed", "0_0")]
    assert [kind for kind, _ in consumer.calls if kind in ("seek", "resume")] == []
    assert consumer.commits == []                # nothing committed for a task it no longer owns
    assert thread.metrics.tasks_closed_dirty == 1


def _still_paused(calls: list[tuple[str, Any]]) -> set[TopicPartition]:
    """The partitions librdkafka holds paused after `calls`: a pause outlives the
    partition's revocation and its next assignment (test_clients.py checks this against
    the broker), so only a resume ends it."""
    paused: set[TopicPartition] = set()
    for kind, arg in calls:
        if kind == "pause":
            paused.update(arg)
        elif kind == "resume":
            paused.difference_update(arg)
    return paused


def test_an_orphan_revoked_paused_is_fetched_again_when_it_comes_back() -> None:
    in1 = TopicPartition("in", 1)
    consumer = ScriptedConsumer(
        steps=[
            ("on_assign", [IN0, in1], [Message("in", 0, 0), Message("in", 1, 0)]),  # commit rejected: both parked
            ("on_revoke", [in1], []),                 # the new generation gives in-1 to another member
            ("on_assign", [], []),                    # and keeps in-0 here
            ("on_assign", [in1], []),                 # that member leaves: in-1 comes back
            (None, [], [Message("in", 1, 0)]),
        ],
        commit_errors=[MOVED_ON],
    )
    thread, log = _run(consumer)
    assert _still_paused(consumer.calls) == set()     # in-1 stayed paused: its task never got a record
    assert log.count(("created", "0_1")) == 2
