"""The persistent window store: Kafka's segmented ``RocksDBWindowStore``.

Entries live in segments, one RocksDB per ``segment interval`` of window starts
(``max(retention / 2, 60 s)``, Kafka's default), under the store's directory (see
:mod:`rocksdb_store` for where, locking and wiping). Keys use Kafka's
``WindowKeySchema`` layout (key, 8-byte window start, 4-byte sequence number), so one
key's windows are adjacent and ``fetch(key, from, to)`` is a seek and a short scan.
A segment is dropped whole once every window start it can hold has expired.

Retention otherwise behaves exactly as :class:`InMemoryWindowStore`: a window starting
at or before ``observed stream time - retention`` is never returned and writes to it are
skipped (Kafka's segmented store expires a whole segment at a time, so it may still
return a few expired windows; this one filters them, so both stores pass the same
contract). Iterations are snapshots ordered by window start, then key.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from runtime.state.api import StoreContext, WindowStore
from runtime.state.internals.rocksdb_segments import Segments
from runtime.state.internals.window_key_schema import SUFFIX_SIZE, from_store_key, to_store_key

__all__ = ["RocksDBWindowStore"]

logger = logging.getLogger(__name__)

_NO_TIMESTAMP = -1
_MAX_SEQNUM = 2**31 - 1


class RocksDBWindowStore(WindowStore[bytes, bytes]):
    def __init__(self, name: str, retention_period: int, window_size: int,
                 retain_duplicates: bool = False, state_dir: str | None = None,
                 segment_interval: int | None = None) -> None:
        if not 0 <= window_size <= retention_period:  # suppliers say why in detail
            raise ValueError(f"window store {name}: need 0 <= size ({window_size}) <= "
                             f"retention ({retention_period})")
        self._name = name
        self._retention = retention_period
        self._window_size = window_size
        self._retain_duplicates = retain_duplicates
        self._segments = Segments(name, retention_period, state_dir, segment_interval)
        self._seqnum = 0
        self.observed_stream_time = _NO_TIMESTAMP
        self.expired_records = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def persistent(self) -> bool:
        return True

    @property
    def window_size(self) -> int:
        return self._window_size

    @property
    def retention_period(self) -> int:
        return self._retention

    @property
    def retain_duplicates(self) -> bool:
        return self._retain_duplicates

    @property
    def is_open(self) -> bool:
        return self._segments.is_open

    def init(self, context: StoreContext) -> None:
        self._segments.init(context)

    def close(self) -> None:
        self._segments.close()

    # -- segments (by window start) ---------------------------------------------------
    def _min_live_time(self) -> int:
        return self.observed_stream_time - self._retention + 1

    def _remove_expired_segments(self) -> None:
        self._segments.drop_expired(self._min_live_time())

    # -- writes -----------------------------------------------------------------------
    def _next_seqnum(self) -> int:
        self._seqnum = 0 if self._seqnum == _MAX_SEQNUM else self._seqnum + 1
        return self._seqnum

    def put(self, key: bytes, value: bytes | None, window_start: int | None = None) -> None:
        seqnum = None
        if window_start is None:
            key, window_start, seqnum = from_store_key(key)
        if window_start > self.observed_stream_time:
            self.observed_stream_time = window_start
        self._remove_expired_segments()
        if window_start <= self.observed_stream_time - self._retention:
            self.expired_records += 1
            logger.warning("Skipping record for expired segment: store %s, window start %d, "
                           "stream time %d", self._name, window_start, self.observed_stream_time)
            return
        if self._retain_duplicates:
            if value is None:
                return  # deleting one duplicate is not possible: a no-op, as in Kafka
            seqnum = self._next_seqnum() if seqnum is None else seqnum
        else:
            seqnum = 0
        store_key = to_store_key(key, window_start, seqnum)
        if value is None:
            db = self._segments.get(self._segments.segment_id(window_start))
            if db is not None:
                del db[store_key]
            return
        self._segments.get_or_create(self._segments.segment_id(window_start))[store_key] = value

    # -- reads ------------------------------------------------------------------------
    def _window(self, start: int) -> Any:
        from runtime.dsl.windowed import TimeWindow

        return TimeWindow(start, start + max(self._window_size, 1))

    def _key_windows(self, key: bytes, time_from: int, time_to: int) -> list[tuple[int, int, bytes]]:
        """``(start, seqnum, value)`` of ``key``'s windows starting in [from, to]."""
        low = max(time_from, self._min_live_time())
        if low > time_to:
            return []
        first, last = to_store_key(key, low, 0), to_store_key(key, time_to, _MAX_SEQNUM)
        size = len(key) + SUFFIX_SIZE
        out = []
        for db in self._segments.in_range(low, time_to):
            for stored, value in db.items(from_key=first):
                if stored > last:
                    break
                # longer keys that start with ``key`` can sort in between
                if len(stored) != size or not stored.startswith(key):
                    continue
                _, start, seqnum = from_store_key(stored)
                if low <= start <= time_to:
                    out.append((start, seqnum, value))
        out.sort(key=lambda t: (t[0], t[1]))
        return out

    def fetch(self, key: bytes, time_from: int, time_to: int | None = None) -> Any:
        self._remove_expired_segments()
        if time_to is None:
            if time_from <= self.observed_stream_time - self._retention:
                return None
            if not self._retain_duplicates:
                db = self._segments.get(self._segments.segment_id(time_from))
                return None if db is None else db.get(to_store_key(key, time_from, 0))
            found = self._key_windows(key, time_from, time_from)
            return found[0][2] if found else None
        return iter([(start, value) for start, _, value in
                     self._key_windows(key, time_from, time_to)])

    def _entries(self, time_from: int | None,
                 time_to: int | None) -> list[tuple[int, bytes, int, bytes]]:
        """``(start, key, seqnum, value)`` of live windows starting in [from, to]."""
        self._remove_expired_segments()
        low = self._min_live_time() if time_from is None else max(time_from, self._min_live_time())
        if time_to is not None and low > time_to:
            return []
        out = []
        for db in self._segments.in_range(low, time_to):
            for stored, value in db.items():
                key, start, seqnum = from_store_key(stored)
                if start >= low and (time_to is None or start <= time_to):
                    out.append((start, key, seqnum, value))
        out.sort(key=lambda t: (t[0], t[1], t[2]))
        return out

    def fetch_all(self, time_from: int | None, time_to: int | None
                  ) -> Iterator[tuple[Any, bytes]]:
        from runtime.dsl.windowed import Windowed

        return iter([(Windowed(key, self._window(start)), value)
                     for start, key, _, value in self._entries(time_from, time_to)])

    def all(self) -> Iterator[tuple[bytes, bytes]]:  # type: ignore[override]
        """Every entry as ``(store key, value)`` in the changelog key layout."""
        return iter([(to_store_key(key, start, seqnum), value)
                     for start, key, seqnum, value in self._entries(None, None)])

    def approximate_num_entries(self) -> int:
        return sum(int(db.property_int_value("rocksdb.estimate-num-keys") or 0)
                   for db in self._segments.all())
