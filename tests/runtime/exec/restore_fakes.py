"""In-memory stand-ins for the restore tests without a broker: an assign-only consumer
over in-memory partitions (with librdkafka's end-of-partition events and
offset-out-of-range errors), a task that applies restore batches to dicts, and a
listener that records its calls."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import confluent_kafka

from runtime.kafka import OFFSET_BEGINNING, TopicPartition, TopicPartitionOffset


class Message:
    def __init__(self, tp: TopicPartition, offset: int, key: bytes | None = None, value: bytes | None = None,
                 error: Any = None) -> None:
        self._tp, self._offset, self._key, self._value, self._error = tp, offset, key, value, error

    def error(self) -> Any:
        return self._error

    def topic(self) -> str:
        return self._tp.topic

    def partition(self) -> int:
        return self._tp.partition

    def offset(self) -> int:
        return self._offset

    def key(self) -> bytes | None:
        return self._key

    def value(self) -> bytes | None:
        return self._value

    def timestamp(self) -> tuple[int, int]:
        return (1, 1000 + self._offset)

    def headers(self) -> None:
        return None


Record = tuple[int, bytes, bytes | None]   # offset, key, value


class FakeChangelogConsumer:
    """``consume(n)`` returns up to ``n`` events, taking one per assigned partition in
    turn (``sequential``: every event of one partition before the next's, as the
    development broker's fetch responses come); a partition read to its end yields one
    end-of-partition event (again after it grows); a position past the end yields
    librdkafka's offset reset error and then nothing until reassigned.

    ``watermarks()`` are librdkafka's cached ones: None until a fetch, then as of the
    last fetch, kept across assignments. Each consume() is a fetch of every assigned
    partition, except the first ``fetch_lag`` after an assignment, which return
    nothing."""

    def __init__(self, logs: Mapping[TopicPartition, Sequence[Record]], *, sequential: bool = False,
                 fetch_lag: int = 0) -> None:
        self.logs = {tp: list(records) for tp, records in logs.items()}
        self.sequential = sequential
        self.fetch_lag = fetch_lag
        self._lag = 0
        self.cached: dict[TopicPartition, tuple[int, int]] = {}
        self.positions: dict[TopicPartition, int] = {}
        self._eof: set[TopicPartition] = set()
        self._broken: set[TopicPartition] = set()
        self.metadata_loaded: list[str] = []
        self.assignments: list[list[TopicPartitionOffset]] = []
        self.returned: list[int] = []   # events per consume()
        self.closed = False

    def append(self, tp: TopicPartition, key: bytes, value: bytes | None) -> int:
        offset = self._end(tp)
        self.logs.setdefault(tp, []).append((offset, key, value))
        return offset

    def _end(self, tp: TopicPartition) -> int:
        records = self.logs.get(tp, [])
        return records[-1][0] + 1 if records else 0

    def _low(self, tp: TopicPartition) -> int:
        records = self.logs.get(tp, [])
        return records[0][0] if records else 0

    def load_metadata(self, topics: Iterable[str], timeout: float) -> None:
        self.metadata_loaded.extend(topics)

    def assign(self, offsets: Sequence[TopicPartitionOffset]) -> None:
        self.assignments.append(list(offsets))
        self.positions = {}
        for o in offsets:
            tp = TopicPartition(o.topic, o.partition)
            self.positions[tp] = self._low(tp) if o.offset == OFFSET_BEGINNING else o.offset
        self._eof.clear()
        self._broken.clear()
        self._lag = self.fetch_lag

    def unassign(self) -> None:
        self.assignments.append([])
        self.positions = {}

    def consume(self, num_messages: int, timeout: float) -> list[Message]:
        out: list[Message] = []
        if self._lag > 0:
            self._lag -= 1
        else:
            for tp in self.positions:
                self.cached[tp] = (self._low(tp), self._end(tp))
            progressed = True
            while len(out) < num_messages and progressed:
                progressed = False
                for tp in sorted(self.positions):
                    while len(out) < num_messages:
                        message = self._next(tp)
                        if message is None:
                            break
                        out.append(message)
                        progressed = True
                        if not self.sequential:
                            break
        self.returned.append(len(out))
        return out

    def _next(self, tp: TopicPartition) -> Message | None:
        if tp in self._broken:
            return None
        position, end = self.positions[tp], self._end(tp)
        if position > end:
            self._broken.add(tp)
            return Message(tp, position, error=confluent_kafka.KafkaError(confluent_kafka.KafkaError._AUTO_OFFSET_RESET))
        for offset, key, value in self.logs.get(tp, []):
            if offset >= position:
                self.positions[tp] = offset + 1
                self._eof.discard(tp)
                return Message(tp, offset, key, value)
        if tp not in self._eof:
            self._eof.add(tp)
            return Message(tp, end, error=confluent_kafka.KafkaError(confluent_kafka.KafkaError._PARTITION_EOF))
        return None

    def watermarks(self, partition: TopicPartition, *, cached: bool = True) -> tuple[int, int] | None:
        return self.cached.get(partition)

    def close(self) -> None:
        self.closed = True


class StoresTask:
    """A task whose stores are dicts; ``changelogs``: store -> (topic, partition)."""

    def __init__(self, task_id: str, changelogs: Mapping[str, tuple[str, int]],
                 events: list[tuple[Any, ...]] | None = None) -> None:
        self.task_id = task_id
        self._changelogs = dict(changelogs)
        self.stores: dict[str, dict[bytes, bytes]] = {s: {} for s in changelogs}
        self.snapshots: list[tuple[str, list[tuple[bytes, bytes]]]] = []
        self.events = events if events is not None else []
        self.closed = False

    def changelog_partitions(self) -> dict[str, tuple[str, int]]:
        return dict(self._changelogs)

    def restore(self, store_name: str, batch: Iterable[tuple[bytes, bytes | None, int]]) -> None:
        items = list(batch)
        self.events.append(("restore", self.task_id, store_name, len(items)))
        for key, value, _timestamp in items:
            if value is None:
                self.stores[store_name].pop(key, None)
            else:
                self.stores[store_name][key] = value

    def load_snapshot(self, store_name: str, entries: Iterable[tuple[bytes, bytes]]) -> None:
        items = list(entries)
        self.snapshots.append((store_name, items))
        self.stores[store_name].update(items)

    def close(self) -> None:
        self.closed = True


class RecordingListener:
    """A StateRestoreListener that records every call as a tuple."""

    def __init__(self, events: list[tuple[Any, ...]] | None = None) -> None:
        self.events = events if events is not None else []

    def on_restore_start(self, tp: TopicPartition, store: str, start: int, end: int) -> None:
        self.events.append(("start", tp, store, start, end))

    def on_batch_restored(self, tp: TopicPartition, store: str, batch_end: int, n: int) -> None:
        self.events.append(("batch", tp, store, batch_end, n))

    def on_restore_end(self, tp: TopicPartition, store: str, total: int) -> None:
        self.events.append(("end", tp, store, total))

    def on_restore_suspended(self, tp: TopicPartition, store: str, total: int) -> None:
        self.events.append(("suspended", tp, store, total))

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [e for e in self.events if e[0] == kind]


def records(n: int, *, start: int = 0, key: str = "k{}", value: str = "{}") -> list[Record]:
    return [(start + i, key.format(i).encode(), value.format(i).encode()) for i in range(n)]
