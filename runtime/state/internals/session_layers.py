"""The layers of a session store stack: metered (serdes) → change-logging → in-memory
(Kafka's MeteredSessionStore / ChangeLoggingSessionBytesStore)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from runtime.serdes import Serde
from runtime.state.api import SessionStore, StoreContext
from runtime.state.internals.metered import StoreSerdes
from runtime.state.internals.session_key_schema import to_store_key
from runtime.state.internals.wrapped import StoreLayer

__all__ = ["ChangeLoggingSessionBytesStore", "MeteredSessionStore", "WrappedSessionStore"]


class WrappedSessionStore(StoreLayer, SessionStore[Any, Any]):
    """A session layer; by default every call goes to ``wrapped``."""

    def __init__(self, wrapped: SessionStore[Any, Any]) -> None:
        self.wrapped = wrapped

    @property
    def retention_period(self) -> int:
        return self.wrapped.retention_period  # type: ignore[attr-defined,no-any-return]

    def put(self, session_key: Any, aggregate: Any) -> None:
        self.wrapped.put(session_key, aggregate)

    def remove(self, session_key: Any) -> None:
        self.wrapped.remove(session_key)

    def fetch_session(self, key: Any, session_start: int, session_end: int) -> Any:
        return self.wrapped.fetch_session(key, session_start, session_end)

    def find_sessions(self, key: Any, earliest_session_end_time: int,
                      latest_session_start_time: int) -> Iterator[tuple[Any, Any]]:
        return self.wrapped.find_sessions(key, earliest_session_end_time,
                                          latest_session_start_time)

    def find_sessions_range(self, key_from: Any, key_to: Any, earliest_session_end_time: int,
                            latest_session_start_time: int) -> Iterator[tuple[Any, Any]]:
        return self.wrapped.find_sessions_range(key_from, key_to, earliest_session_end_time,
                                                latest_session_start_time)

    def all(self) -> Iterator[tuple[Any, Any]]:
        return self.wrapped.all()

    def approximate_num_entries(self) -> int:
        return self.wrapped.approximate_num_entries()  # type: ignore[attr-defined,no-any-return]


class ChangeLoggingSessionBytesStore(WrappedSessionStore):
    """Logs every write under the session store key (key + end + start) with the current
    record's timestamp; a removal logs a tombstone."""

    def __init__(self, wrapped: SessionStore[Any, Any]) -> None:
        super().__init__(wrapped)
        self._context: StoreContext | None = None

    def init(self, context: StoreContext) -> None:
        self._context = context
        super().init(context)

    def put(self, session_key: Any, aggregate: bytes | None) -> None:
        self.wrapped.put(session_key, aggregate)
        self._log(session_key, aggregate)

    def remove(self, session_key: Any) -> None:
        self.wrapped.remove(session_key)
        self._log(session_key, None)

    def _log(self, session_key: Any, value: bytes | None) -> None:
        ctx = self._context
        assert ctx is not None, "store used before init"
        window = session_key.window
        ctx.log_change(self.name, to_store_key(session_key.key, window.start, window.end),
                       value, ctx.record_timestamp())


class MeteredSessionStore(StoreSerdes, WrappedSessionStore):
    """Typed keys and values on top of a bytes session store."""

    def __init__(self, wrapped: SessionStore[Any, Any], key_serde: Serde[Any] | None,
                 value_serde: Serde[Any] | None) -> None:
        super().__init__(wrapped)
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._topic: str | None = None
        self.metrics: dict[str, int] = {"put-total": 0, "remove-total": 0, "fetch-total": 0}

    def _session_key(self, session_key: Any) -> Any:
        from runtime.dsl.windowed import Windowed

        return Windowed(self._key(session_key.key), session_key.window)

    def _windowed(self, it: Iterator[tuple[Any, bytes]]) -> Iterator[tuple[Any, Any]]:
        from runtime.dsl.windowed import Windowed

        self.metrics["fetch-total"] += 1
        return iter([(Windowed(self._from_key(w.key), w.window), self._from_value(v))
                     for w, v in it])

    def _bound(self, key: Any) -> bytes | None:
        return None if key is None else self._key(key)

    def put(self, session_key: Any, aggregate: Any) -> None:
        self.metrics["put-total"] += 1
        self.wrapped.put(self._session_key(session_key), self._value(aggregate))

    def remove(self, session_key: Any) -> None:
        self.metrics["remove-total"] += 1
        self.wrapped.remove(self._session_key(session_key))

    def fetch_session(self, key: Any, session_start: int, session_end: int) -> Any:
        self.metrics["fetch-total"] += 1
        return self._from_value(self.wrapped.fetch_session(self._key(key), session_start,
                                                           session_end))

    def find_sessions(self, key: Any, earliest_session_end_time: int,
                      latest_session_start_time: int) -> Iterator[tuple[Any, Any]]:
        return self._windowed(self.wrapped.find_sessions(
            self._key(key), earliest_session_end_time, latest_session_start_time))

    def find_sessions_range(self, key_from: Any, key_to: Any, earliest_session_end_time: int,
                            latest_session_start_time: int) -> Iterator[tuple[Any, Any]]:
        return self._windowed(self.wrapped.find_sessions_range(
            self._bound(key_from), self._bound(key_to), earliest_session_end_time,
            latest_session_start_time))

    def all(self) -> Iterator[tuple[Any, Any]]:
        # Below this layer all() gives raw store keys (for snapshots); ask for every session.
        return self._windowed(self.wrapped.find_sessions_range(None, None, 0, 2**63 - 1))
