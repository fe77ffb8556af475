"""The layers of a window store stack: metered (serdes) → change-logging → in-memory.

A facade (what the test driver hands out) unwraps :class:`ValueAndTimestamp` values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

from runtime.serdes import Serde
from runtime.state.api import StoreContext, ValueAndTimestamp, WindowStore
from runtime.state.internals.timestamped_bytes import raw_value, timestamp_of
from runtime.state.internals.metered import StoreSerdes, TimestampedValues
from runtime.state.internals.window_key_schema import to_store_key
from runtime.state.internals.wrapped import StoreLayer

__all__ = [
    "ChangeLoggingTimestampedWindowBytesStore",
    "ChangeLoggingWindowBytesStore",
    "MeteredTimestampedWindowStore",
    "MeteredWindowStore",
    "WindowStoreFacade",
    "WrappedWindowStore",
]

_NO_TIMESTAMP = -1


class WrappedWindowStore(StoreLayer, WindowStore[Any, Any]):
    """A window layer; by default every call goes to ``wrapped``."""

    def __init__(self, wrapped: WindowStore[Any, Any]) -> None:
        self.wrapped = wrapped

    @property
    def window_size(self) -> int:
        return self.wrapped.window_size

    @property
    def retention_period(self) -> int:
        return self.wrapped.retention_period

    def put(self, key: Any, value: Any, window_start: int) -> None:
        self.wrapped.put(key, value, window_start)

    def fetch(self, key: Any, time_from: int, time_to: int | None = None) -> Any:
        return self.wrapped.fetch(key, time_from, time_to)

    def fetch_all(self, time_from: int | None, time_to: int | None) -> Iterator[tuple[Any, Any]]:
        return self.wrapped.fetch_all(time_from, time_to)

    def all(self) -> Iterator[tuple[Any, Any]]:
        return self.wrapped.all()

    def approximate_num_entries(self) -> int:
        return self.wrapped.approximate_num_entries()  # type: ignore[attr-defined,no-any-return]


class ChangeLoggingWindowBytesStore(WrappedWindowStore):
    """Logs every write under the windowed store key (key + window start + seqnum 0)
    with the current record's timestamp; a delete logs a tombstone."""

    def __init__(self, wrapped: WindowStore[Any, Any]) -> None:
        super().__init__(wrapped)
        self._context: StoreContext | None = None

    def init(self, context: StoreContext) -> None:
        self._context = context
        super().init(context)

    def put(self, key: bytes, value: bytes | None, window_start: int) -> None:
        self.wrapped.put(key, value, window_start)
        self._log(to_store_key(key, window_start), value)

    def _log(self, store_key: bytes, value: bytes | None) -> None:
        ctx = self._context
        assert ctx is not None, "store used before init"
        ctx.log_change(self.name, store_key, value, ctx.record_timestamp())


class ChangeLoggingTimestampedWindowBytesStore(ChangeLoggingWindowBytesStore):
    """Values are timestamp-prefixed; the changelog gets the plain value and the
    timestamp as the record timestamp (Kafka's ChangeLoggingTimestampedWindowBytesStore)."""

    def _log(self, store_key: bytes, value: bytes | None) -> None:
        ctx = self._context
        assert ctx is not None, "store used before init"
        if value is None:
            ctx.log_change(self.name, store_key, None, ctx.record_timestamp())
        else:
            ctx.log_change(self.name, store_key, raw_value(value), timestamp_of(value))


class MeteredWindowStore(StoreSerdes, WrappedWindowStore):
    """Typed keys and values on top of a bytes window store."""

    def __init__(self, wrapped: WindowStore[Any, Any], key_serde: Serde[Any] | None,
                 value_serde: Serde[Any] | None) -> None:
        super().__init__(wrapped)
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._topic: str | None = None
        self.metrics: dict[str, int] = {"put-total": 0, "fetch-total": 0}

    def put(self, key: Any, value: Any, window_start: int) -> None:
        self.metrics["put-total"] += 1
        typed = self._typed
        if typed is not None:
            typed.put_typed(self._key(key), value, window_start)
            return
        self.wrapped.put(self._key(key), self._value(value), window_start)

    def fetch(self, key: Any, time_from: int, time_to: int | None = None) -> Any:
        self.metrics["fetch-total"] += 1
        typed = self._typed
        if typed is not None and time_to is None:
            return typed.fetch_typed(self._key(key), time_from)
        found = self.wrapped.fetch(self._key(key), time_from, time_to)
        if time_to is None:
            return self._from_value(found)
        return iter([(start, self._from_value(v)) for start, v in found])

    def update_windows(self, key: Any, window_starts: Sequence[int],
                       update: Callable[[int, Any], Any]) -> None:
        """Read-modify-write of windows of one key: for each start in turn,
        ``put(key, update(start, fetch(key, start)), start)``. ``update`` gets a value of
        its own, as from ``fetch``. With the record cache holding values typed, each
        window costs one cache lookup and the key is serialized once."""
        typed = self._typed
        # timed operations (metrics.recording.level DEBUG) shadow fetch and put
        if typed is not None and "latencies" not in self.__dict__:
            metrics = self.metrics
            metrics["fetch-total"] += len(window_starts)
            metrics["put-total"] += len(window_starts)
            typed.update_typed(self._key(key), window_starts, update)
            return
        for start in window_starts:
            self.put(key, update(start, self.fetch(key, start)), start)

    def _windowed(self, it: Iterator[tuple[Any, bytes]]) -> Iterator[tuple[Any, Any]]:
        from runtime.dsl.windowed import Windowed

        return iter([(Windowed(self._from_key(w.key), w.window), self._from_value(v))
                     for w, v in it])

    def fetch_all(self, time_from: int | None, time_to: int | None) -> Iterator[tuple[Any, Any]]:
        self.metrics["fetch-total"] += 1
        return self._windowed(self.wrapped.fetch_all(time_from, time_to))

    def all(self) -> Iterator[tuple[Any, Any]]:
        # Below this layer all() gives raw store keys (for snapshots); ask for every window.
        return self._windowed(self.wrapped.fetch_all(None, None))


class MeteredTimestampedWindowStore(TimestampedValues, MeteredWindowStore):
    """Values are :class:`ValueAndTimestamp`; bytes below are timestamp-prefixed."""


class WindowStoreFacade(WrappedWindowStore):
    """Plain values over a timestamped window store (Kafka's ``WindowStoreFacade``):
    reads drop the timestamp, writes carry no timestamp (-1)."""

    def init(self, context: StoreContext) -> None:
        raise RuntimeError("a facade is never initialised")

    def put(self, key: Any, value: Any, window_start: int) -> None:
        self.wrapped.put(key, ValueAndTimestamp.make(value, _NO_TIMESTAMP), window_start)

    def fetch(self, key: Any, time_from: int, time_to: int | None = None) -> Any:
        found = self.wrapped.fetch(key, time_from, time_to)
        if time_to is None:
            return ValueAndTimestamp.get_value_or_null(found)
        return iter([(start, vt.value) for start, vt in found])

    @staticmethod
    def _unwrap(it: Iterator[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
        return iter([(k, vt.value) for k, vt in it])

    def fetch_all(self, time_from: int | None, time_to: int | None) -> Iterator[tuple[Any, Any]]:
        return self._unwrap(self.wrapped.fetch_all(time_from, time_to))

    def all(self) -> Iterator[tuple[Any, Any]]:
        return self._unwrap(self.wrapped.all())
