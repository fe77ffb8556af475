"""The innermost session store: values per (session end, key bytes, session start).

Like Kafka's ``InMemorySessionStore`` it tracks the largest session end it has seen
(its stream time); sessions ending at or before ``stream time - retention`` are dropped,
and writes to them are ignored (logged and counted). Iterations go by session end, then
key bytes, then session start.

Besides the typed calls (keys are ``Windowed`` of key bytes) it takes the changelog's key
layout (:mod:`session_key_schema`) in ``put(store_key, value)``, and ``all()`` gives that
layout back: this is how the task restores it from a changelog and snapshots it.
"""

from __future__ import annotations

import bisect
import logging
from collections.abc import Iterator
from typing import Any

from runtime.state.api import SessionStore, StoreContext
from runtime.state.internals.session_key_schema import from_store_key, to_store_key

__all__ = ["InMemorySessionStore"]

logger = logging.getLogger(__name__)

_NO_TIMESTAMP = -1


class InMemorySessionStore(SessionStore[bytes, bytes]):
    def __init__(self, name: str, retention_period: int) -> None:
        if retention_period < 0:
            raise ValueError("retentionPeriod cannot be negative")
        self._name = name
        self._retention = retention_period
        self._by_end: dict[int, dict[bytes, dict[int, bytes]]] = {}
        self._ends: list[int] = []       # sorted keys of _by_end
        self.observed_stream_time = _NO_TIMESTAMP
        self.expired_records = 0
        self._open = False

    @property
    def name(self) -> str:
        return self._name

    @property
    def retention_period(self) -> int:
        return self._retention

    @property
    def is_open(self) -> bool:
        return self._open

    def init(self, context: StoreContext) -> None:
        self._open = True

    def close(self) -> None:
        self._by_end.clear()
        self._ends.clear()
        self._open = False

    # -- writes -----------------------------------------------------------------------
    def put(self, session_key: Any, aggregate: bytes | None) -> None:
        if isinstance(session_key, bytes):
            key, start, end = from_store_key(session_key)
        else:
            key, start, end = session_key.key, session_key.window.start, session_key.window.end
        self._remove_expired()
        if end > self.observed_stream_time:
            self.observed_stream_time = end
        if end <= self.observed_stream_time - self._retention:
            self.expired_records += 1
            logger.warning("Skipping record for expired segment: store %s, session end %d, "
                           "stream time %d", self._name, end, self.observed_stream_time)
            return
        if aggregate is None:
            self._remove(key, start, end)
            return
        keys = self._by_end.get(end)
        if keys is None:
            keys = self._by_end[end] = {}
            bisect.insort(self._ends, end)
        keys.setdefault(key, {})[start] = aggregate

    def remove(self, session_key: Any) -> None:
        window = session_key.window
        self._remove(session_key.key, window.start, window.end)

    def _remove(self, key: bytes, start: int, end: int) -> None:
        keys = self._by_end.get(end)
        if keys is None:
            return
        starts = keys.get(key)
        if starts is None:
            return
        starts.pop(start, None)
        if not starts:
            del keys[key]
            if not keys:
                del self._by_end[end]
                self._ends.remove(end)

    def _remove_expired(self) -> None:
        min_live = max(0, self.observed_stream_time - self._retention + 1)
        ends = self._ends
        cut = bisect.bisect_left(ends, min_live)
        if cut:
            for end in ends[:cut]:
                del self._by_end[end]
            del ends[:cut]

    # -- reads ------------------------------------------------------------------------
    def fetch_session(self, key: bytes, session_start: int, session_end: int) -> bytes | None:
        self._remove_expired()
        if session_end <= self.observed_stream_time - self._retention:
            return None
        starts = self._by_end.get(session_end, {}).get(key)
        return None if starts is None else starts.get(session_start)

    def _sessions(self, key_from: bytes | None, key_to: bytes | None, earliest_end: int,
                  latest_start: int) -> Iterator[tuple[Any, bytes]]:
        from runtime.dsl.windowed import SessionWindow, Windowed

        self._remove_expired()
        out = []
        ends = self._ends
        for end in ends[bisect.bisect_left(ends, earliest_end):]:
            keys = self._by_end[end]
            for key in sorted(keys):
                if (key_from is not None and key < key_from) or \
                        (key_to is not None and key > key_to):
                    continue
                starts = keys[key]
                out.extend((Windowed(key, SessionWindow(start, end)), starts[start])
                           for start in sorted(starts) if start <= latest_start)
        return iter(out)

    def find_sessions(self, key: bytes, earliest_session_end_time: int,
                      latest_session_start_time: int) -> Iterator[tuple[Any, bytes]]:
        return self._sessions(key, key, earliest_session_end_time, latest_session_start_time)

    def find_sessions_range(self, key_from: bytes | None, key_to: bytes | None,
                            earliest_session_end_time: int,
                            latest_session_start_time: int) -> Iterator[tuple[Any, bytes]]:
        if key_from is not None and key_to is not None and key_from > key_to:
            logger.warning("Returning empty iterator for fetch with invalid key range: from > to.")
            return iter(())
        return self._sessions(key_from, key_to, earliest_session_end_time,
                              latest_session_start_time)

    def all(self) -> Iterator[tuple[bytes, bytes]]:  # type: ignore[override]
        """Every session as ``(store key, value)`` in the changelog key layout."""
        return iter([(to_store_key(w.key, w.window.start, w.window.end), v)
                     for w, v in self._sessions(None, None, 0, 2**63 - 1)])

    def approximate_num_entries(self) -> int:
        return sum(len(starts) for keys in self._by_end.values() for starts in keys.values())
