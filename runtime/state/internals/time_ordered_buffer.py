"""The suppression buffer: latest update per key, evicted in order of buffer time
(Kafka's ``InMemoryTimeOrderedKeyValueChangeBuffer``).

It is a key-value stack like any other (typed layer → change-logging → in memory), so
its changelog is compacted, keyed by the record key, and restored with the task. The
innermost store keeps the time order itself, decoded from each value, so a restore
(which writes below every layer) rebuilds it too.

Value layout (big-endian): buffer time (8), then the record context: timestamp (8),
offset (8), partition (4), topic (4-byte length, -1 = none, UTF-8), header count (4)
and per header key (length + UTF-8) and value (length, -1 = none); then the prior,
old and new values, each a 4-byte length (-1 = None) and the serialized bytes. Kafka
keeps the same parts (with its own layout, time last); the changelog is not meant to be
read by Java.
"""

from __future__ import annotations

import struct
import sys
from collections.abc import Callable
from typing import Any, NamedTuple

from sortedcontainers import SortedList

from runtime.processors.change import Change
from runtime.serdes import Serde
from runtime.state.api import StoreContext, ValueAndTimestamp
from runtime.state.internals.builders import KeyValueBytesStoreSupplier, StoreBuilder
from runtime.state.internals.change_logging import ChangeLoggingKeyValueBytesStore
from runtime.state.internals.in_memory import InMemoryKeyValueStore
from runtime.state.internals.metered import MeteredKeyValueStore
from runtime.state.internals.wrapped import innermost

__all__ = [
    "BufferedRecord",
    "InMemoryTimeOrderedBufferBytes",
    "RecordContext",
    "TimeOrderedBufferBuilder",
    "TimeOrderedKeyValueBuffer",
]

_LONG = struct.Struct(">q")
_INT = struct.Struct(">i")
_CONTEXT = struct.Struct(">qqi")
NO_TIME = sys.maxsize


class RecordContext(NamedTuple):
    """Where a buffered update came from; its timestamp and headers go out with it."""

    timestamp: int
    offset: int = -1
    partition: int = -1
    topic: str | None = None
    headers: tuple[tuple[str, bytes], ...] | None = None

    def size_estimate(self) -> int:
        # Kafka's ProcessorRecordContext.residentMemorySizeEstimate
        size = 8 + 8 + 4 + (len(self.topic) if self.topic else 0)
        for key, value in self.headers or ():
            size += len(key) + (len(value) if value is not None else 0)
        return size


class BufferedRecord(NamedTuple):
    """One buffer entry: serialized ``prior`` (what downstream last saw for the key),
    ``old`` and ``new`` values of the latest update, and its record context."""

    time: int
    prior: bytes | None
    old: bytes | None
    new: bytes | None
    context: RecordContext

    def size_estimate(self, key: bytes) -> int:
        # Kafka's BufferValue.residentMemorySizeEstimate plus the key
        size = len(key) + self.context.size_estimate()
        for part in (self.prior, self.old if self.old != self.prior else None, self.new):
            size += len(part) if part is not None else 0
        return size


def _put_bytes(out: list[bytes], data: bytes | None) -> None:
    if data is None:
        out.append(_INT.pack(-1))
    else:
        out.append(_INT.pack(len(data)))
        out.append(data)


def _get_bytes(data: bytes, pos: int) -> tuple[bytes | None, int]:
    (length,) = _INT.unpack_from(data, pos)
    pos += 4
    if length < 0:
        return None, pos
    return data[pos:pos + length], pos + length


def encode(entry: BufferedRecord) -> bytes:
    ctx = entry.context
    out = [_LONG.pack(entry.time), _CONTEXT.pack(ctx.timestamp, ctx.offset, ctx.partition)]
    _put_bytes(out, None if ctx.topic is None else ctx.topic.encode())
    headers = ctx.headers or ()
    out.append(_INT.pack(len(headers)))
    for key, value in headers:
        _put_bytes(out, key.encode())
        _put_bytes(out, value)
    for part in (entry.prior, entry.old, entry.new):
        _put_bytes(out, part)
    return b"".join(out)


def decode(data: bytes) -> BufferedRecord:
    (time,) = _LONG.unpack_from(data)
    timestamp, offset, partition = _CONTEXT.unpack_from(data, 8)
    pos = 8 + _CONTEXT.size
    raw_topic, pos = _get_bytes(data, pos)
    (count,) = _INT.unpack_from(data, pos)
    pos += 4
    headers = []
    for _ in range(count):
        raw_key, pos = _get_bytes(data, pos)
        value, pos = _get_bytes(data, pos)
        headers.append(((raw_key or b"").decode(), value))
    prior, pos = _get_bytes(data, pos)
    old, pos = _get_bytes(data, pos)
    new, pos = _get_bytes(data, pos)
    context = RecordContext(timestamp, offset, partition,
                            None if raw_topic is None else raw_topic.decode(),
                            tuple(headers) if headers else None)  # type: ignore[arg-type]
    return BufferedRecord(time, prior, old, new, context)


def buffer_time_of(data: bytes) -> int:
    return int(_LONG.unpack_from(data)[0])


class InMemoryTimeOrderedBufferBytes(InMemoryKeyValueStore):
    """Bytes to bytes, plus the entries ordered by (buffer time, key bytes) and the
    buffer's size, kept up to date by every write (restores included)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self._order: SortedList = SortedList()
        self._times: dict[bytes, int] = {}
        self._sizes: dict[bytes, int] = {}
        self.buffer_size = 0

    def put(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self.delete(key)
            return
        time = buffer_time_of(value)
        previous = self._times.get(key)
        if previous != time:
            if previous is not None:
                self._order.remove((previous, key))
            self._order.add((time, key))
            self._times[key] = time
        size = decode(value).size_estimate(key)
        self.buffer_size += size - self._sizes.get(key, 0)
        self._sizes[key] = size
        super().put(key, value)

    def delete(self, key: bytes) -> bytes | None:
        time = self._times.pop(key, None)
        if time is not None:
            self._order.remove((time, key))
            self.buffer_size -= self._sizes.pop(key)
        return super().delete(key)

    def min_time(self) -> int:
        return self._order[0][0] if self._order else NO_TIME  # type: ignore[no-any-return]

    def oldest(self) -> tuple[bytes, bytes] | None:
        if not self._order:
            return None
        key = self._order[0][1]
        return key, self._data[key]


class TimeOrderedKeyValueBuffer(MeteredKeyValueStore):
    """Typed access for the suppress processor. ``get``/``all`` (what a test driver
    sees) give :class:`BufferedRecord` values with the parts still serialized."""

    def __init__(self, wrapped: Any, key_serde: Serde[Any] | None,
                 value_serde: Serde[Any] | None) -> None:
        super().__init__(wrapped, key_serde, None)
        self.change_serde = value_serde
        self._bytes: InMemoryTimeOrderedBufferBytes | None = None

    def init(self, context: StoreContext) -> None:
        if self.change_serde is None:
            self.change_serde = context.default_value_serde()
        self.value_serde = _BufferedRecordSerde()
        super().init(context)
        inner = innermost(self)
        assert isinstance(inner, InMemoryTimeOrderedBufferBytes)
        self._bytes = inner

    @property
    def _inner(self) -> InMemoryTimeOrderedBufferBytes:
        assert self._bytes is not None, "buffer used before init"
        return self._bytes

    def _serialize_value(self, value: Any) -> bytes | None:
        assert self.change_serde is not None
        return None if value is None else self.change_serde.serialize(value, self._topic)

    def _deserialize_value(self, data: bytes | None) -> Any:
        assert self.change_serde is not None
        return None if data is None else self.change_serde.deserialize(data, self._topic)

    # -- what the suppress processor uses ------------------------------------------------
    def buffer(self, time: int, key: Any, change: Change, context: RecordContext) -> None:
        """Hold the latest update of ``key``. A key already buffered keeps its place in
        time order (Kafka's non-resetting semantics) and the prior value it had."""
        old = self._serialize_value(change[1])
        new = self._serialize_value(change[0])
        existing: BufferedRecord | None = self.get(key)
        if existing is None:
            entry = BufferedRecord(time, old, old, new, context)
        else:
            entry = BufferedRecord(existing.time, existing.prior, old, new, context)
        self.put(key, entry)

    def prior_value(self, key: Any) -> tuple[bool, ValueAndTimestamp | None]:
        """``(True, value before the buffered updates)`` if ``key`` is buffered."""
        existing: BufferedRecord | None = self.get(key)
        if existing is None:
            return False, None
        return True, ValueAndTimestamp.make(self._deserialize_value(existing.prior),
                                            existing.context.timestamp)

    def evict_while(self, predicate: Callable[[], bool],
                    emit: Callable[[Any, Change, RecordContext], None]) -> None:
        """Pass the oldest entries to ``emit``, then drop them, while ``predicate``."""
        inner = self._inner
        while predicate():
            oldest = inner.oldest()
            if oldest is None:
                return
            raw_key, raw_value = oldest
            entry = decode(raw_value)
            key = self._from_key(raw_key)
            change = Change(self._deserialize_value(entry.new), self._deserialize_value(entry.old))
            emit(key, change, entry.context)
            self.delete(key)

    def min_timestamp(self) -> int:
        return self._inner.min_time()

    def num_records(self) -> int:
        return self._inner.approximate_num_entries()

    def buffer_size(self) -> int:
        return self._inner.buffer_size


class _BufferedRecordSerde(Serde[Any]):
    def serialize(self, data: Any, topic: str | None = None, headers: Any = None) -> bytes | None:
        return None if data is None else encode(data)

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Any = None) -> Any:
        return None if data is None else decode(data)


class TimeOrderedBufferBuilder(StoreBuilder):
    """Always in memory (as in Kafka); logged unless the BufferConfig says otherwise."""

    def __init__(self, name: str, key_serde: Serde[Any] | None,
                 value_serde: Serde[Any] | None) -> None:
        supplier = KeyValueBytesStoreSupplier(name, InMemoryTimeOrderedBufferBytes, False,
                                              "in_memory_time_ordered_buffer")
        super().__init__(supplier, key_serde, value_serde)

    def build(self) -> TimeOrderedKeyValueBuffer:
        store: Any = self.supplier.get()
        if self.logging_enabled:
            store = ChangeLoggingKeyValueBytesStore(store)
        return TimeOrderedKeyValueBuffer(store, self.key_serde, self.value_serde)
