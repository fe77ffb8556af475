"""The persistent session store: Kafka's segmented ``RocksDBSessionStore``.

Sessions live in segments, one RocksDB per ``segment interval`` of session *ends*
(``max(retention / 2, 60 s)``, Kafka's RocksDbSessionBytesStoreSupplier), under the
store's directory (see :mod:`rocksdb_store` for where, locking and wiping). Keys use
Kafka's ``SessionKeySchema`` layout (key, 8-byte end, 8-byte start), so one key's
sessions are adjacent in a segment and ``find_sessions(key, ...)`` is a seek and a short
scan. A segment is dropped whole once every session end it can hold has expired.

Retention and ordering otherwise behave exactly as :class:`InMemorySessionStore`: a
session ending at or before ``observed stream time - retention`` is never returned and
writes to it are skipped (Kafka's segmented store expires a whole segment at a time and
so may still return a few expired sessions; this one filters them, so both stores pass
the same contract). Iterations are snapshots ordered by session end, then key bytes,
then session start, whatever segment the sessions live in.
"""

from __future__ import annotations

import logging
import struct
from collections.abc import Iterator
from typing import Any

from runtime.state.api import SessionStore, StoreContext
from runtime.state.internals.rocksdb_segments import Segments
from runtime.state.internals.session_key_schema import SUFFIX_SIZE, from_store_key, to_store_key

__all__ = ["RocksDBSessionStore"]

logger = logging.getLogger(__name__)

_NO_TIMESTAMP = -1
_MAX_TIME = 2**63 - 1
_TIMES = struct.Struct(">qq")

# (end, key, start, value): the in-memory store's iteration order, by tuple comparison
_Session = tuple[int, bytes, int, bytes]


class RocksDBSessionStore(SessionStore[bytes, bytes]):
    def __init__(self, name: str, retention_period: int, state_dir: str | None = None,
                 segment_interval: int | None = None) -> None:
        if retention_period < 0:
            raise ValueError("retentionPeriod cannot be negative")
        self._name = name
        self._retention = retention_period
        self._segments = Segments(name, retention_period, state_dir, segment_interval)
        self.observed_stream_time = _NO_TIMESTAMP
        self.expired_records = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def persistent(self) -> bool:
        return True

    @property
    def retention_period(self) -> int:
        return self._retention

    @property
    def is_open(self) -> bool:
        return self._segments.is_open

    @property
    def path(self) -> str | None:
        return self._segments.path

    def init(self, context: StoreContext) -> None:
        self._segments.init(context)

    def flush(self) -> None:
        # WAL off and nothing read back from disk across restarts: nothing to sync
        return None

    def close(self) -> None:
        self._segments.close()

    # -- segments (by session end) ----------------------------------------------------
    def _min_live_end(self) -> int:
        # as the in-memory store: nothing below 0 survives a read, even before any put
        return max(0, self.observed_stream_time - self._retention + 1)

    def _remove_expired_segments(self) -> None:
        self._segments.drop_expired(self._min_live_end())

    # -- writes -----------------------------------------------------------------------
    def put(self, session_key: Any, aggregate: bytes | None) -> None:
        # bytes: a changelog key (restore); otherwise a Windowed of key bytes
        if isinstance(session_key, bytes):
            key, start, end = from_store_key(session_key)
        else:
            key, start, end = session_key.key, session_key.window.start, session_key.window.end
        if end > self.observed_stream_time:
            self.observed_stream_time = end
        self._remove_expired_segments()
        if end <= self.observed_stream_time - self._retention:
            self.expired_records += 1
            logger.warning("Skipping record for expired segment: store %s, session end %d, "
                           "stream time %d", self._name, end, self.observed_stream_time)
            return
        store_key = to_store_key(key, start, end)
        if aggregate is None:
            db = self._segments.get(self._segments.segment_id(end))
            if db is not None:
                del db[store_key]
            return
        self._segments.get_or_create(self._segments.segment_id(end))[store_key] = aggregate

    def remove(self, session_key: Any) -> None:
        self.put(session_key, None)

    # -- reads ------------------------------------------------------------------------
    def fetch_session(self, key: bytes, session_start: int, session_end: int) -> bytes | None:
        self._remove_expired_segments()
        if session_end < self._min_live_end():
            return None
        db = self._segments.get(self._segments.segment_id(session_end))
        return None if db is None else db.get(to_store_key(key, session_start, session_end))

    def _key_sessions(self, key: bytes, earliest_end: int, latest_start: int) -> list[_Session]:
        low = max(earliest_end, self._min_live_end())
        first = key + _TIMES.pack(low, 0)
        last = key + _TIMES.pack(_MAX_TIME, _MAX_TIME)
        size = len(key) + SUFFIX_SIZE
        out = []
        for db in self._segments.in_range(low):
            for stored, value in db.items(from_key=first):
                if stored > last:
                    break
                # longer keys that start with ``key`` can sort in between
                if len(stored) != size or not stored.startswith(key):
                    continue
                _, start, end = from_store_key(stored)
                if end >= low and start <= latest_start:
                    out.append((end, key, start, value))
        return out

    def _range_sessions(self, key_from: bytes | None, key_to: bytes | None, earliest_end: int,
                        latest_start: int) -> list[_Session]:
        low = max(earliest_end, self._min_live_end())
        out = []
        for db in self._segments.in_range(low):
            items = db.items() if key_from is None else db.items(from_key=key_from)
            for stored, value in items:
                key, start, end = from_store_key(stored)
                # no early stop at key_to: a key past it may still prefix a longer one in range
                if (key_from is not None and key < key_from) or \
                        (key_to is not None and key > key_to):
                    continue
                if end >= low and start <= latest_start:
                    out.append((end, key, start, value))
        return out

    @staticmethod
    def _windowed(sessions: list[_Session]) -> Iterator[tuple[Any, bytes]]:
        from runtime.dsl.windowed import SessionWindow, Windowed

        sessions.sort(key=lambda s: (s[0], s[1], s[2]))
        return iter([(Windowed(key, SessionWindow(start, end)), value)
                     for end, key, start, value in sessions])

    def find_sessions(self, key: bytes, earliest_session_end_time: int,
                      latest_session_start_time: int) -> Iterator[tuple[Any, bytes]]:
        self._remove_expired_segments()
        return self._windowed(self._key_sessions(key, earliest_session_end_time,
                                                 latest_session_start_time))

    def find_sessions_range(self, key_from: bytes | None, key_to: bytes | None,
                            earliest_session_end_time: int,
                            latest_session_start_time: int) -> Iterator[tuple[Any, bytes]]:
        if key_from is not None and key_to is not None and key_from > key_to:
            logger.warning("Returning empty iterator for fetch with invalid key range: from > to.")
            return iter(())
        self._remove_expired_segments()
        return self._windowed(self._range_sessions(key_from, key_to, earliest_session_end_time,
                                                   latest_session_start_time))

    def all(self) -> Iterator[tuple[bytes, bytes]]:  # type: ignore[override]
        """Every session as ``(store key, value)`` in the changelog key layout."""
        self._remove_expired_segments()
        sessions = self._range_sessions(None, None, 0, _MAX_TIME)
        sessions.sort(key=lambda s: (s[0], s[1], s[2]))
        return iter([(to_store_key(key, start, end), value)
                     for end, key, start, value in sessions])

    def approximate_num_entries(self) -> int:
        return sum(int(db.property_int_value("rocksdb.estimate-num-keys") or 0)
                   for db in self._segments.all())
