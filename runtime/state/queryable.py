"""Interactive queries: read-only views of a running app's state stores (Kafka Streams'
``KafkaStreams#store(StoreQueryParameters)``, ``QueryableStoreTypes`` and the
``CompositeReadOnly*Store`` classes).

A view spans every local task that hosts the store. It never touches a store itself:
each call hands one small read operation to a :class:`StoreReader` (the app's, see
``runtime.exec.queries``), which runs it on the thread that owns each store and returns
one result per task. So a view may be used from any thread, and results are plain
lists, materialised on the owning thread and bounded by ``limit``, never iterators over
live store contents. Reads go through the whole store stack, record cache included:
they see the latest value a processor wrote, flushed or not.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol, TypeVar

from runtime.state.api import ValueAndTimestamp

__all__ = [
    "DEFAULT_QUERY_LIMIT",
    "QueryableStoreType",
    "QueryableStoreTypes",
    "ReadOnlyKeyValueStore",
    "ReadOnlySessionStore",
    "ReadOnlyWindowStore",
    "StoreQueryParameters",
    "StoreReader",
]

# How many entries a range-like call returns unless told otherwise: a query runs on a
# stream thread between batches and must not hold it for long.
DEFAULT_QUERY_LIMIT = 1000

T = TypeVar("T")
KEY_VALUE = "key-value"
WINDOW = "window"
SESSION = "session"


@dataclass(frozen=True)
class QueryableStoreType:
    """What kind of store a query expects, and whether values keep their timestamps."""

    kind: str                 # "key-value" | "window" | "session"
    timestamped: bool = False

    def __str__(self) -> str:
        return f"{'timestamped ' if self.timestamped else ''}{self.kind} store"


class QueryableStoreTypes:
    """Kafka's ``QueryableStoreTypes``: pass one to :meth:`StoreQueryParameters.from_name_and_type`.

    ``key_value_store()`` and ``window_store()`` give plain values, also for the DSL's
    timestamped stores; the ``timestamped_*`` types give :class:`ValueAndTimestamp`.
    """

    @staticmethod
    def key_value_store() -> QueryableStoreType:
        return QueryableStoreType(KEY_VALUE)

    @staticmethod
    def timestamped_key_value_store() -> QueryableStoreType:
        return QueryableStoreType(KEY_VALUE, timestamped=True)

    @staticmethod
    def window_store() -> QueryableStoreType:
        return QueryableStoreType(WINDOW)

    @staticmethod
    def timestamped_window_store() -> QueryableStoreType:
        return QueryableStoreType(WINDOW, timestamped=True)

    @staticmethod
    def session_store() -> QueryableStoreType:
        return QueryableStoreType(SESSION)


@dataclass(frozen=True)
class StoreQueryParameters:
    """Which store to query and how (Kafka's ``StoreQueryParameters``).

    ``partition``: only the task of that partition (None: every local task).
    ``stale_stores``: also standby tasks and tasks still restoring, whose contents may
    lag behind the active copy (Kafka's ``enableStaleStores``).
    """

    store_name: str
    query_type: QueryableStoreType
    partition: int | None = None
    stale_stores: bool = False

    @staticmethod
    def from_name_and_type(store_name: str, query_type: QueryableStoreType) -> StoreQueryParameters:
        return StoreQueryParameters(store_name, query_type)

    def with_partition(self, partition: int | None) -> StoreQueryParameters:
        return replace(self, partition=partition)

    def enable_stale_stores(self) -> StoreQueryParameters:
        return replace(self, stale_stores=True)


class StoreReader(Protocol):
    """Runs ``operation(store)`` on every local store of the view's parameters, each on
    the thread that owns it; returns ``(partition, result)`` in partition order."""

    def __call__(self, operation: Callable[[Any], T]) -> list[tuple[int, T]]: ...


class _View:
    def __init__(self, params: StoreQueryParameters, reader: StoreReader, *,
                 timestamped_store: bool) -> None:
        self.params = params
        self._reader = reader
        # unwrap ValueAndTimestamp: the store keeps them, the query type does not want them
        self._unwrap = timestamped_store and not params.query_type.timestamped

    @property
    def name(self) -> str:
        return self.params.store_name

    def _value(self, value: Any) -> Any:
        if self._unwrap and isinstance(value, ValueAndTimestamp):
            return value.value
        return value

    def _first(self, operation: Callable[[Any], Any]) -> Any:
        for _partition, found in self._reader(operation):
            if found is not None:
                return self._value(found)
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _limit(limit: int | None) -> int | None:
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, got {limit}")
    return limit


def _take(entries: Iterable[T], limit: int | None) -> list[T]:
    return list(entries if limit is None else itertools.islice(entries, limit))


def _key_bytes(store: Any) -> Callable[[Any], bytes]:
    """The store's own order: serialized key bytes (stores sort by them)."""
    serde = getattr(store, "key_serde", None)
    if serde is None:
        return lambda key: b""
    return lambda key: serde.serialize(key) or b""


def _merge(parts: Sequence[tuple[int, list[tuple[Any, ...]]]], limit: int | None,
           reverse: bool = False) -> list[tuple[Any, ...]]:
    """Merge per-task lists of ``(sort key, *entry)`` already in order; drop the sort
    keys; keep at most ``limit`` entries."""
    merged = heapq.merge(*(entries for _p, entries in parts), key=lambda e: e[0], reverse=reverse)
    return [entry[1:] for entry in _take(merged, limit)]


class ReadOnlyKeyValueStore(_View):
    """Kafka's ``ReadOnlyKeyValueStore`` over every local task of the store.

    Ranges are inclusive, ``None`` means unbounded, and results are in serialized-key
    order across tasks (as one store would give them), at most ``limit`` entries.
    """

    def get(self, key: Any) -> Any:
        return self._first(lambda store: store.get(key))

    def range(self, from_key: Any, to_key: Any, *, limit: int | None = DEFAULT_QUERY_LIMIT) -> list[tuple[Any, Any]]:
        return self._scan(lambda store: store.range(from_key, to_key), limit, reverse=False)

    def reverse_range(self, from_key: Any, to_key: Any, *,
                      limit: int | None = DEFAULT_QUERY_LIMIT) -> list[tuple[Any, Any]]:
        return self._scan(lambda store: store.reverse_range(from_key, to_key), limit, reverse=True)

    def all(self, *, limit: int | None = DEFAULT_QUERY_LIMIT) -> list[tuple[Any, Any]]:
        return self._scan(lambda store: store.all(), limit, reverse=False)

    def reverse_all(self, *, limit: int | None = DEFAULT_QUERY_LIMIT) -> list[tuple[Any, Any]]:
        return self._scan(lambda store: store.reverse_all(), limit, reverse=True)

    def approximate_num_entries(self) -> int:
        return sum(n for _p, n in self._reader(lambda store: store.approximate_num_entries()))

    def _scan(self, scan: Callable[[Any], Iterable[tuple[Any, Any]]], limit: int | None,
              *, reverse: bool) -> list[tuple[Any, Any]]:
        limit = _limit(limit)

        def operation(store: Any) -> list[tuple[Any, ...]]:
            order = _key_bytes(store)
            return [(order(k), k, v) for k, v in _take(scan(store), limit)]

        return [(k, self._value(v)) for k, v in _merge(self._reader(operation), limit, reverse)]


class ReadOnlyWindowStore(_View):
    """Kafka's ``ReadOnlyWindowStore`` over every local task of the store. Times are
    window starts, inclusive."""

    def fetch(self, key: Any, time_from: int, time_to: int | None = None, *,
              limit: int | None = DEFAULT_QUERY_LIMIT) -> Any:
        """With one time: the value of ``key``'s window starting then, or None. With
        two: ``[(window_start, value)]`` for its windows starting in [from, to]."""
        if time_to is None:
            return self._first(lambda store: store.fetch(key, time_from))
        limit = _limit(limit)

        def operation(store: Any) -> list[tuple[Any, ...]]:
            return [(start, start, v) for start, v in _take(store.fetch(key, time_from, time_to), limit)]

        return [(start, self._value(v)) for start, v in _merge(self._reader(operation), limit)]

    def fetch_all(self, time_from: int | None, time_to: int | None, *,
                  limit: int | None = DEFAULT_QUERY_LIMIT) -> list[tuple[Any, Any]]:
        """``[(Windowed(key, window), value)]`` for every window starting in [from, to],
        ordered by window start, then serialized key."""
        return self._windows(lambda store: store.fetch_all(time_from, time_to), limit)

    def all(self, *, limit: int | None = DEFAULT_QUERY_LIMIT) -> list[tuple[Any, Any]]:
        return self._windows(lambda store: store.all(), limit)

    def window_size(self) -> int:
        """The size of the store's windows in ms (a window ends at start + size)."""
        return int(self._reader(lambda store: store.window_size)[0][1])

    def _windows(self, scan: Callable[[Any], Iterable[tuple[Any, Any]]],
                 limit: int | None) -> list[tuple[Any, Any]]:
        limit = _limit(limit)

        def operation(store: Any) -> list[tuple[Any, ...]]:
            order = _key_bytes(store)
            return [((w.window.start, order(w.key)), w, v) for w, v in _take(scan(store), limit)]

        return [(w, self._value(v)) for w, v in _merge(self._reader(operation), limit)]


class ReadOnlySessionStore(_View):
    """Kafka's ``ReadOnlySessionStore`` over every local task of the store."""

    def fetch(self, key: Any, *, limit: int | None = DEFAULT_QUERY_LIMIT) -> list[tuple[Any, Any]]:
        """``[(Windowed(key, SessionWindow), aggregate)]`` for every retained session of
        ``key``, by session end."""
        limit = _limit(limit)

        def operation(store: Any) -> list[tuple[Any, ...]]:
            return [((w.window.end, w.window.start), w, v) for w, v in _take(store.fetch(key), limit)]

        return [(w, v) for w, v in _merge(self._reader(operation), limit)]

    def fetch_session(self, key: Any, session_start: int, session_end: int) -> Any:
        return self._first(lambda store: store.fetch_session(key, session_start, session_end))


VIEWS: dict[str, type[_View]] = {
    KEY_VALUE: ReadOnlyKeyValueStore,
    WINDOW: ReadOnlyWindowStore,
    SESSION: ReadOnlySessionStore,
}
