"""The innermost window store: values per (window start, key bytes) in memory.

Like Kafka's ``InMemoryWindowStore`` it keeps one segment per window start and tracks
the largest window start it has seen (its stream time); segments whose start is at or
before ``stream time - retention`` are dropped, and writes to them are ignored.

Besides the typed window-store calls it takes the changelog's key layout
(:mod:`window_key_schema`) in a two-argument ``put(store_key, value)``, and ``all()``
gives that layout back: this is how the task restores it from a changelog and
snapshots it for checkpoints.

A store that retains duplicates (the stream-stream join stores) keeps every put: as in
Kafka, each write gets the next sequence number, appended to the key bytes, so equal
keys with equal timestamps live side by side; a None value is then a no-op rather than a
delete, and ``fetch`` returns all of them in write order.
"""

from __future__ import annotations

import bisect
import logging
import struct
from collections.abc import Iterator
from typing import Any

from runtime.state.api import StoreContext, WindowStore
from runtime.state.internals.window_key_schema import from_store_key, to_store_key

_SEQNUM = struct.Struct(">i")
_SEQNUM_SIZE = _SEQNUM.size
_MAX_SEQNUM = 2**31 - 1

__all__ = ["InMemoryWindowStore"]

logger = logging.getLogger(__name__)

_NO_TIMESTAMP = -1


class InMemoryWindowStore(WindowStore[bytes, bytes]):
    def __init__(self, name: str, retention_period: int, window_size: int,
                 retain_duplicates: bool = False) -> None:
        if retention_period < 0:
            raise ValueError("retentionPeriod cannot be negative")
        if window_size < 0:
            raise ValueError("windowSize cannot be negative")
        if window_size > retention_period:
            raise ValueError(f"The retention period of the window store {name} must be no "
                             f"smaller than its window size. Got size=[{window_size}], "
                             f"retention=[{retention_period}]")
        self._name = name
        self._retention = retention_period
        self._window_size = window_size
        self._retain_duplicates = retain_duplicates
        self._seqnum = 0
        self._segments: dict[int, dict[bytes, bytes]] = {}
        self._starts: list[int] = []      # sorted keys of _segments
        self.observed_stream_time = _NO_TIMESTAMP
        self.expired_records = 0
        self._open = False

    @property
    def name(self) -> str:
        return self._name

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
        return self._open

    def init(self, context: StoreContext) -> None:
        self._open = True

    def close(self) -> None:
        self._open = False

    # -- writes -----------------------------------------------------------------------
    def _next_seqnum(self) -> int:
        # Java's int counter wraps around; keep the same 4-byte range
        self._seqnum = 0 if self._seqnum == _MAX_SEQNUM else self._seqnum + 1
        return self._seqnum

    def put(self, key: bytes, value: bytes | None, window_start: int | None = None) -> None:
        seqnum = None
        if window_start is None:
            key, window_start, seqnum = from_store_key(key)
        self._remove_expired_segments()
        if window_start > self.observed_stream_time:
            self.observed_stream_time = window_start
        if window_start <= self.observed_stream_time - self._retention:
            self.expired_records += 1
            logger.warning("Skipping record for expired segment: store %s, window start %d, "
                           "stream time %d", self._name, window_start, self.observed_stream_time)
            return
        if self._retain_duplicates:
            if value is None:
                return  # deleting one duplicate is not possible: a no-op, as in Kafka
            key = key + _SEQNUM.pack(self._next_seqnum() if seqnum is None else seqnum)
        segment = self._segments.get(window_start)
        if value is None:
            if segment is not None:
                segment.pop(key, None)
                if not segment:
                    del self._segments[window_start]
                    self._starts.remove(window_start)
            return
        if segment is None:
            segment = self._segments[window_start] = {}
            bisect.insort(self._starts, window_start)
        segment[key] = value
        self._remove_expired_segments()

    def _min_live_time(self) -> int:
        return self.observed_stream_time - self._retention + 1

    def _remove_expired_segments(self) -> None:
        min_live = self._min_live_time()
        starts = self._starts
        cut = bisect.bisect_left(starts, min_live)
        if cut:
            for start in starts[:cut]:
                del self._segments[start]
            del starts[:cut]

    # -- reads ------------------------------------------------------------------------
    def _window(self, start: int) -> Any:
        # runtime.dsl imports the stores, so the window classes are imported on use
        from runtime.dsl.windowed import TimeWindow

        return TimeWindow(start, start + max(self._window_size, 1))

    def _starts_between(self, time_from: int | None, time_to: int | None) -> list[int]:
        low = self._min_live_time() if time_from is None else max(time_from, self._min_live_time())
        starts = self._starts
        lo = bisect.bisect_left(starts, low)
        hi = len(starts) if time_to is None else bisect.bisect_right(starts, time_to)
        return starts[lo:hi]

    def fetch(self, key: bytes, time_from: int, time_to: int | None = None) -> Any:
        self._remove_expired_segments()
        if time_to is None:
            if time_from <= self.observed_stream_time - self._retention:
                return None
            segment = self._segments.get(time_from)
            if segment is None:
                return None
            if self._retain_duplicates:
                found = self._duplicates(segment, key)
                return found[0] if found else None
            return segment.get(key)
        out = []
        for start in self._starts_between(time_from, time_to):
            segment = self._segments[start]
            if self._retain_duplicates:
                out.extend((start, v) for v in self._duplicates(segment, key))
                continue
            value = segment.get(key)
            if value is not None:
                out.append((start, value))
        return iter(out)

    @staticmethod
    def _duplicates(segment: dict[bytes, bytes], key: bytes) -> list[bytes]:
        """The values of ``key`` in one segment, in key-bytes (hence sequence) order."""
        size = len(key) + _SEQNUM_SIZE
        return [segment[k] for k in sorted(segment)
                if len(k) == size and k.startswith(key)]

    def _split(self, stored: bytes) -> tuple[bytes, int]:
        if not self._retain_duplicates:
            return stored, 0
        return stored[:-_SEQNUM_SIZE], _SEQNUM.unpack_from(stored, len(stored) - _SEQNUM_SIZE)[0]

    def fetch_all(self, time_from: int | None, time_to: int | None
                  ) -> Iterator[tuple[Any, bytes]]:
        from runtime.dsl.windowed import Windowed

        self._remove_expired_segments()
        out = []
        for start in self._starts_between(time_from, time_to):
            segment = self._segments[start]
            window = self._window(start)
            out.extend((Windowed(self._split(k)[0], window), segment[k]) for k in sorted(segment))
        return iter(out)

    def all(self) -> Iterator[tuple[bytes, bytes]]:  # type: ignore[override]
        """Every entry as ``(store key, value)`` in the changelog key layout."""
        self._remove_expired_segments()
        return iter([(to_store_key(*self._split_with_start(k, start)), segment[k])
                     for start in self._starts for segment in (self._segments[start],)
                     for k in sorted(segment)])

    def _split_with_start(self, stored: bytes, start: int) -> tuple[bytes, int, int]:
        key, seqnum = self._split(stored)
        return key, start, seqnum

    def approximate_num_entries(self) -> int:
        return sum(len(s) for s in self._segments.values())
