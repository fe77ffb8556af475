"""State store interfaces: what processors program against."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from typing import Any, Generic, NamedTuple, Protocol, TypeVar

__all__ = [
    "KeyValueStore",
    "SessionStore",
    "StateStore",
    "StoreContext",
    "TimestampedKeyValueStore",
    "TimestampedWindowStore",
    "ValueAndTimestamp",
    "WindowStore",
]

K = TypeVar("K")
V = TypeVar("V")


class ValueAndTimestamp(NamedTuple):
    """A value with the timestamp of the record that last updated it (Kafka's class)."""

    value: Any
    timestamp: int

    @staticmethod
    def make(value: Any, timestamp: int) -> ValueAndTimestamp | None:
        return None if value is None else ValueAndTimestamp(value, timestamp)

    @staticmethod
    def get_value_or_null(vt: ValueAndTimestamp | None) -> Any:
        return None if vt is None else vt.value


class StoreContext(Protocol):
    """What a task offers the stores it hosts while they are initialised and used."""

    @property
    def application_id(self) -> str: ...

    @property
    def task_id(self) -> object: ...

    @property
    def partition(self) -> int: ...

    def changelog_topic(self, store_name: str) -> str: ...

    def record_timestamp(self) -> int: ...

    def log_change(self, store_name: str, key: bytes, value: bytes | None,
                   timestamp: int) -> None: ...

    def default_key_serde(self) -> Any: ...

    def default_value_serde(self) -> Any: ...


class StateStore(ABC):
    """A named store owned by one task."""

    @property
    @abstractmethod
    def name(self) -> str: ...

    @property
    def persistent(self) -> bool:
        return False

    @abstractmethod
    def init(self, context: StoreContext) -> None: ...

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None

    @property
    def is_open(self) -> bool:
        return True


class KeyValueStore(StateStore, Generic[K, V]):
    """A key-value store: ordered by serialized key bytes, like Kafka's stores.

    ``range`` bounds are inclusive; ``None`` means unbounded. Iterations return a
    snapshot, so the store may be modified while iterating.
    """

    @abstractmethod
    def get(self, key: K) -> V | None: ...

    @abstractmethod
    def put(self, key: K, value: V | None) -> None:
        """Store ``value`` under ``key``; ``None`` deletes the key."""

    @abstractmethod
    def put_if_absent(self, key: K, value: V) -> V | None:
        """Store ``value`` unless ``key`` has one; return the previous value."""

    def put_all(self, entries: Iterable[tuple[K, V | None]]) -> None:
        for key, value in entries:
            self.put(key, value)

    @abstractmethod
    def delete(self, key: K) -> V | None:
        """Remove ``key``; return the value it had."""

    @abstractmethod
    def range(self, from_key: K | None, to_key: K | None) -> Iterator[tuple[K, V]]: ...

    @abstractmethod
    def reverse_range(self, from_key: K | None, to_key: K | None) -> Iterator[tuple[K, V]]: ...

    @abstractmethod
    def all(self) -> Iterator[tuple[K, V]]: ...

    @abstractmethod
    def reverse_all(self) -> Iterator[tuple[K, V]]: ...

    @abstractmethod
    def approximate_num_entries(self) -> int: ...


class TimestampedKeyValueStore(KeyValueStore[K, ValueAndTimestamp]):
    """A key-value store whose values are :class:`ValueAndTimestamp` (what the DSL uses)."""


class WindowStore(StateStore, Generic[K, V]):
    """A store of values per (key, window start) (Kafka's ``WindowStore``).

    Time bounds are inclusive and refer to window starts. Entries whose window start is
    older than stream time minus the retention period are gone (or never stored).
    Iterations return snapshots, ordered by window start, then by serialized key.
    """

    @property
    @abstractmethod
    def window_size(self) -> int: ...

    @property
    @abstractmethod
    def retention_period(self) -> int: ...

    @abstractmethod
    def put(self, key: K, value: V | None, window_start: int) -> None:
        """Store ``value`` for the window of ``key`` starting at ``window_start``;
        ``None`` deletes it."""

    @abstractmethod
    def fetch(self, key: K, time_from: int, time_to: int | None = None) -> Any:
        """With one time: the value of the window starting then, or None. With two: an
        iterator of ``(window_start, value)`` for windows starting in [from, to]."""

    @abstractmethod
    def fetch_all(self, time_from: int | None, time_to: int | None) -> Iterator[tuple[Any, V]]:
        """``(Windowed(key, window), value)`` for every window starting in [from, to]."""

    @abstractmethod
    def all(self) -> Iterator[tuple[Any, V]]:
        """``(Windowed(key, window), value)`` for every entry still retained."""


class TimestampedWindowStore(WindowStore[K, ValueAndTimestamp]):
    """A window store whose values are :class:`ValueAndTimestamp` (what the DSL uses)."""


class SessionStore(StateStore, Generic[K, V]):
    """Aggregates per session: ``Windowed(key, SessionWindow(start, end))`` → value
    (Kafka's ``SessionStore``). Times are inclusive. Sessions whose end is at or before
    observed stream time (the largest session end written) minus the retention period
    are gone. Iterations return snapshots ordered by session end, then by serialized
    key, then by session start, as Kafka's in-memory session store does.
    """

    @abstractmethod
    def put(self, session_key: Any, aggregate: V | None) -> None:
        """Store ``aggregate`` for the session ``session_key`` (a ``Windowed``); None
        removes it."""

    @abstractmethod
    def remove(self, session_key: Any) -> None: ...

    @abstractmethod
    def fetch_session(self, key: K, session_start: int, session_end: int) -> V | None: ...

    @abstractmethod
    def find_sessions(self, key: K, earliest_session_end_time: int,
                      latest_session_start_time: int) -> Iterator[tuple[Any, V]]:
        """Sessions of ``key`` that end at or after ``earliest_session_end_time`` and
        start at or before ``latest_session_start_time``."""

    @abstractmethod
    def find_sessions_range(self, key_from: K | None, key_to: K | None,
                            earliest_session_end_time: int,
                            latest_session_start_time: int) -> Iterator[tuple[Any, V]]:
        """:meth:`find_sessions` for keys in [key_from, key_to] (None: unbounded)."""

    def backward_find_sessions(self, key: K, earliest_session_end_time: int,
                               latest_session_start_time: int) -> Iterator[tuple[Any, V]]:
        return iter(list(self.find_sessions(key, earliest_session_end_time,
                                            latest_session_start_time))[::-1])

    def fetch(self, key: K) -> Iterator[tuple[Any, V]]:
        """Every retained session of ``key``."""
        return self.find_sessions(key, 0, _MAX_TIME)

    def fetch_range(self, key_from: K | None, key_to: K | None) -> Iterator[tuple[Any, V]]:
        return self.find_sessions_range(key_from, key_to, 0, _MAX_TIME)

    def backward_fetch(self, key: K) -> Iterator[tuple[Any, V]]:
        return iter(list(self.fetch(key))[::-1])

    @abstractmethod
    def all(self) -> Iterator[tuple[Any, V]]:
        """``(Windowed(key, SessionWindow), value)`` for every retained session."""


_MAX_TIME = 2**63 - 1
