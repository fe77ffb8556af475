"""Timestamp order across the input partitions of one task (Kafka Streams'
``PartitionGroup`` and ``RecordQueue``, with KIP-695's ``max.task.idle.ms``).

A task that reads several partitions (a join's two sides, a merge of topics) buffers
each partition's records and processes the one whose head has the smallest timestamp,
so that, say, a table update stamped before a stream record is applied before the
stream record is joined. When a partition's buffer is empty the task may have to wait:

- the partition's lag is unknown (nothing fetched yet) or positive (records are on the
  broker but not here yet): wait;
- the lag is zero: wait until ``max.task.idle.ms`` has passed since the partition was
  first seen empty (0, the default, means not at all), then process anyway, counted as
  enforced processing;
- ``max.task.idle.ms`` = -1: never wait.

Timestamps are the ones the task's timestamp extractor gives, as in Kafka, where the
queue extracts them when a record becomes the head.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["IDLE_DISABLED", "PartitionGroup"]

IDLE_DISABLED = -1

TP = tuple[str, int]


class PartitionGroup:
    def __init__(self, partitions: Iterable[TP], max_idle_ms: int,
                 timestamp_of: Callable[[Any, int], int]) -> None:
        """``timestamp_of(record, partition_time)`` extracts a record's timestamp."""
        self._max_idle_ms = max_idle_ms
        self._timestamp_of = timestamp_of
        self._queues: dict[TP, deque[tuple[int, Any]]] = {tp: deque() for tp in partitions}
        self._partition_time: dict[TP, int] = {}
        self._idle_deadlines: dict[TP, int] = {}
        self.enforced_processing = 0

    @property
    def partitions(self) -> list[TP]:
        return list(self._queues)

    def add_partition(self, tp: TP) -> None:
        self._queues.setdefault(tp, deque())

    def remove_partition(self, tp: TP) -> None:
        self._queues.pop(tp, None)
        self._partition_time.pop(tp, None)
        self._idle_deadlines.pop(tp, None)

    def clear(self, tp: TP) -> None:
        """Forget what is buffered for ``tp`` (it is read again from elsewhere)."""
        queue = self._queues.get(tp)
        if queue is not None:
            queue.clear()
        self._partition_time.pop(tp, None)

    def buffered(self, tp: TP) -> int:
        queue = self._queues.get(tp)
        return 0 if queue is None else len(queue)

    def total_buffered(self) -> int:
        return sum(len(q) for q in self._queues.values())

    def add(self, tp: TP, record: Any) -> None:
        queue = self._queues.get(tp)
        if queue is None:
            queue = self._queues[tp] = deque()
        partition_time = self._partition_time.get(tp, -1)
        timestamp = self._timestamp_of(record, partition_time)
        if timestamp > partition_time:
            self._partition_time[tp] = timestamp
        queue.append((timestamp, record))

    def ready(self, now_ms: int, lag_of: Callable[[TP], int | None]) -> bool:
        """Whether the task may process its next record now (PartitionGroup#readyToProcess)."""
        if self._max_idle_ms == IDLE_DISABLED:
            return any(self._queues.values())
        queued = False
        enforced = False
        deadlines = self._idle_deadlines
        for tp, queue in self._queues.items():
            if queue:
                deadlines.pop(tp, None)
                queued = True
                continue
            lag = lag_of(tp)
            if lag is None or lag > 0:
                # records exist (or may) that could come before the buffered ones
                deadlines.pop(tp, None)
                return False
            deadline = deadlines.setdefault(tp, now_ms + self._max_idle_ms)
            if now_ms < deadline:
                return False
            enforced = True
        if queued and enforced:
            self.enforced_processing += 1
        return queued

    def drain(self, now_ms: int, lag_of: Callable[[TP], int | None], limit: int = 10_000) -> list[Any]:
        """The records to process now, in timestamp order, until a partition's buffer
        runs dry and the task has to wait (or ``limit`` records)."""
        out: list[Any] = []
        queues = self._queues
        while len(out) < limit:
            if not self.ready(now_ms, lag_of):
                break
            while len(out) < limit:
                head_tp = None
                head_ts = 0
                for tp, queue in queues.items():
                    if queue and (head_tp is None or queue[0][0] < head_ts):
                        head_tp, head_ts = tp, queue[0][0]
                if head_tp is None:
                    return out
                queue = queues[head_tp]
                out.append(queue.popleft()[1])
                if not queue:
                    break   # a partition ran dry: may the task go on without it?
        return out
