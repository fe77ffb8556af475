"""The caching layer of a session store (Kafka's ``CachingSessionStore``).

Sessions are cached under their ``SessionKeySchema`` store key (key, end, start), so
writes to one session are compacted between flushes; a removal caches a None. At flush
or eviction each dirty session is written to the store below and, with a flush listener
(the DSL's session aggregations), forwarded as ``(Windowed(key, session), new, old)``;
a session created and removed between two flushes is neither written nor forwarded,
as in Kafka. Reads merge the cache over the store below, dirty removals hiding stored
sessions.

Retention is applied above the cache too: the layer tracks the largest session end
written through it, and reads leave out sessions the store below would have expired.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from runtime.state.api import SessionStore
from runtime.state.internals.caching_store import CachingLayer
from runtime.state.internals.session_key_schema import from_store_key, to_store_key
from runtime.state.internals.session_layers import WrappedSessionStore
from runtime.state.internals.thread_cache import ThreadCache

__all__ = ["CachingSessionStore"]

_NO_TIMESTAMP = -1
_MAX_TIME = 2**63 - 1

# (end, key, start) -> value: sorting the keys gives the session stores' iteration order
_Merged = dict[tuple[int, bytes, int], bytes]


def _session(key: bytes, start: int, end: int) -> Any:
    from runtime.dsl.windowed import SessionWindow, Windowed

    return Windowed(key, SessionWindow(start, end))


class CachingSessionStore(CachingLayer, WrappedSessionStore):
    def __init__(self, wrapped: SessionStore[Any, Any], thread_cache: ThreadCache) -> None:
        CachingLayer.__init__(self, wrapped, thread_cache)
        self.observed_stream_time = _NO_TIMESTAMP

    def windowed_key(self, from_key: Any, store_key: bytes) -> Any:
        """The typed ``Windowed`` key a flush listener gets for a cached store key."""
        key, start, end = from_store_key(store_key)
        return _session(from_key(key), start, end)

    def _write_entry(self, store_key: bytes, value: bytes | None, timestamp: int,
                     headers: Any) -> None:
        key, start, end = from_store_key(store_key)
        session = _session(key, start, end)
        listener = self._listener
        if listener is None:
            self.wrapped.put(session, value)
            return
        old = (self.wrapped.fetch_session(key, start, end)
               if value is None or self._send_old_values else None)
        # a session neither stored nor forwarded before: nothing to write or forward
        if value is not None or old is not None:
            self.wrapped.put(session, value)
            listener(store_key, value, old if self._send_old_values else None, timestamp,
                     headers)

    def _expired(self, end: int) -> bool:
        return end <= self.observed_stream_time - self.retention_period

    # -- writes -----------------------------------------------------------------------
    def put(self, session_key: Any, aggregate: bytes | None) -> None:
        if isinstance(session_key, bytes):
            key, start, end = from_store_key(session_key)
        else:
            key, start, end = session_key.key, session_key.window.start, session_key.window.end
        if key is None:
            raise ValueError("session key cannot be None")
        if end > self.observed_stream_time:
            self.observed_stream_time = end
        self._put_dirty(to_store_key(key, start, end), aggregate)

    def remove(self, session_key: Any) -> None:
        self.put(session_key, None)

    # -- reads ------------------------------------------------------------------------
    def fetch_session(self, key: bytes, session_start: int, session_end: int) -> bytes | None:
        if self._expired(session_end):
            return None
        entry = self._named().get(to_store_key(key, session_start, session_end))
        if entry is not None:
            return entry.value
        return self.wrapped.fetch_session(key, session_start, session_end)  # type: ignore[no-any-return]

    def _merged(self, key_from: bytes | None, key_to: bytes | None, earliest_end: int,
                latest_start: int) -> _Merged:
        # one key's sessions are adjacent, below and in the cache: seek when there is one
        single = key_from is not None and key_from == key_to
        stored = (self.wrapped.find_sessions(key_from, earliest_end, latest_start) if single
                  else self.wrapped.find_sessions_range(key_from, key_to, earliest_end,
                                                        latest_start))
        merged: _Merged = {(w.window.end, w.key, w.window.start): value for w, value in stored}
        low = to_store_key(key_from, 0, 0) if single else None  # type: ignore[arg-type]
        high = to_store_key(key_to, _MAX_TIME, _MAX_TIME) if single else None  # type: ignore[arg-type]
        for store_key, entry in self._named().entries_between(low, high):
            key, start, end = from_store_key(store_key)
            if (key_from is not None and key < key_from) or \
                    (key_to is not None and key > key_to) or \
                    end < earliest_end or start > latest_start:
                continue
            if entry.value is None:
                merged.pop((end, key, start), None)
            else:
                merged[(end, key, start)] = entry.value
        return merged

    def _sessions(self, key_from: bytes | None, key_to: bytes | None, earliest_end: int,
                  latest_start: int) -> Iterator[tuple[Any, bytes]]:
        merged = self._merged(key_from, key_to, earliest_end, latest_start)
        return iter([(_session(key, start, end), merged[(end, key, start)])
                     for end, key, start in sorted(merged) if not self._expired(end)])

    def find_sessions(self, key: bytes, earliest_session_end_time: int,
                      latest_session_start_time: int) -> Iterator[tuple[Any, bytes]]:
        return self._sessions(key, key, earliest_session_end_time, latest_session_start_time)

    def find_sessions_range(self, key_from: bytes | None, key_to: bytes | None,
                            earliest_session_end_time: int,
                            latest_session_start_time: int) -> Iterator[tuple[Any, bytes]]:
        if key_from is not None and key_to is not None and key_from > key_to:
            # the store below logs the invalid range and returns nothing
            return self.wrapped.find_sessions_range(key_from, key_to, earliest_session_end_time,
                                                    latest_session_start_time)
        return self._sessions(key_from, key_to, earliest_session_end_time,
                              latest_session_start_time)

    def all(self) -> Iterator[tuple[bytes, bytes]]:  # type: ignore[override]
        """Every session as ``(store key, value)`` in the changelog key layout."""
        merged = self._merged(None, None, 0, _MAX_TIME)
        return iter([(to_store_key(key, start, end), merged[(end, key, start)])
                     for end, key, start in sorted(merged) if not self._expired(end)])
