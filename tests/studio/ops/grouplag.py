"""How far a Kafka Streams application's consumer group is behind, read from the broker
(committed offsets of the group, exact log ends), and how fast it drains a backlog.

Shared by the stream load suite and bench/deployed_compare.py, so that the test's
"maximum" and the bench's figures are measured the same way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from runtime.kafka.watermarks import exact_watermarks
from tests.studio.waiting import wait_for


class GroupLag:
    """Log-end minus committed offset of an application's consumer group, summed over
    its input topic and its repartition topics (found by name once they exist)."""

    def __init__(self, bootstrap: str, application_id: str, input_topic: str) -> None:
        self.application_id, self.input_topic = application_id, input_topic
        self.admin = AdminClient({"bootstrap.servers": bootstrap})
        # Never subscribes: it only asks the coordinator for the group's offsets.
        self.reader = Consumer({"bootstrap.servers": bootstrap, "group.id": application_id,
                                "enable.auto.commit": False})
        self.probe = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{application_id}-lag-probe",
                               "enable.auto.commit": False})

    def partitions(self) -> list[TopicPartition]:
        topics = self.admin.list_topics(timeout=10).topics
        names = [self.input_topic, *sorted(name for name in topics if name.startswith(f"{self.application_id}-")
                                          and name.endswith("-repartition"))]
        return [TopicPartition(name, p) for name in names for p in sorted(topics[name].partitions)]

    def ends(self, partitions: list[TopicPartition]) -> dict[tuple[str, int], int]:
        """Exact log-end offsets (the development broker's ListOffsets under-reports them)."""
        found = exact_watermarks(self.probe, [(tp.topic, tp.partition) for tp in partitions], timeout=10, wait_s=5)
        assert not found.unconfirmed, f"no fetch answered for {sorted(found.unconfirmed)}"
        return {key: high for key, (_, high) in found.marks.items()}

    def sample(self) -> tuple[int, int]:
        """(lines committed on the input topic, total lag)."""
        partitions = self.partitions()
        ends = self.ends(partitions)
        committed_input, lag = 0, 0
        for tp in self.reader.committed(partitions, timeout=10):
            done = max(tp.offset, 0)
            lag += ends[(tp.topic, tp.partition)] - done
            if tp.topic == self.input_topic:
                committed_input += done
        return committed_input, lag

    def close(self) -> None:
        self.reader.close()
        self.probe.close()


@dataclass(frozen=True)
class Drain:
    """A backlog drained: from the first commit on the input topic (`first_done` lines
    committed then) until the whole backlog was committed and no repartition record was
    left, `seconds` later."""

    backlog: int
    first_done: int
    seconds: float

    @property
    def rate(self) -> float:
        """Lines per second, over what was committed after the first commit."""
        return (self.backlog - self.first_done) / self.seconds


def measure_drain(lag: GroupLag, backlog: int, *, start_timeout: float = 240, drain_timeout: float = 900,
                  check: Callable[[], None] | None = None,
                  at_first_commit: Callable[[], None] | None = None) -> Drain:
    """Wait for the application to commit its first offsets on the input topic, then for
    it to drain the `backlog` lines waiting there. Starting at the first commit leaves
    out the process start, the group join and any restore, which differ between the ways
    an application is run; the commit interval (1 s) bounds the error at each end.
    `at_first_commit` is called as soon as the first commit is seen."""
    _, (first_at, first_done) = wait_for("the first commit on the input topic", lambda: (
        (now := lag.sample())[0] > 0, (time.monotonic(), now[0])), start_timeout, interval=0.5, check=check)
    if at_first_commit is not None:
        at_first_commit()
    _, drained_at = wait_for("the backlog to drain", lambda: (
        (now := lag.sample())[0] == backlog and now[1] == 0, time.monotonic()), drain_timeout,
        interval=0.5, check=check)
    return Drain(backlog, first_done, drained_at - first_at)
