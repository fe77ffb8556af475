"""The segments of a segmented RocksDB store (Kafka's ``AbstractSegments``), shared by
the window and session stores: one RocksDB per ``interval`` of a timestamp (a window's
start, a session's end), named ``<store>.<segment id * interval>`` inside the store's
locked directory (see :mod:`rocksdb_store`), opened on first write and dropped whole
once every timestamp it can hold has expired."""

from __future__ import annotations

import os
import shutil
from typing import Any

from runtime.errors import StreamsError
from runtime.state.api import StoreContext
from runtime.state.internals.rocksdb_store import StoreDirectory, open_rocksdb, store_directory
from runtime.state.internals.store_settings import current_settings

__all__ = ["Segments"]

# Kafka's default segment interval: max(retention / 2, 60 s)
_MIN_SEGMENT_INTERVAL = 60_000


class Segments:
    def __init__(self, name: str, retention_period: int, state_dir: str | None,
                 interval: int | None) -> None:
        self._name = name
        self.interval = (interval if interval is not None
                         else max(retention_period // 2, _MIN_SEGMENT_INTERVAL))
        # captured now: the task binds its settings only while it builds its stores
        self._state_dir = state_dir if state_dir is not None else current_settings().state_dir
        self._memory_max_bytes = current_settings().rocksdb_memory_max_bytes
        self._dir: StoreDirectory | None = None
        self._open: dict[int, Any] = {}     # segment id -> open Rdict

    @property
    def is_open(self) -> bool:
        return self._dir is not None

    @property
    def path(self) -> str | None:
        return None if self._dir is None else self._dir.path

    def init(self, context: StoreContext) -> None:
        if self._dir is not None:
            raise StreamsError(f"store {self._name} is already open")
        self._dir = store_directory(self._state_dir, context, self._name)

    def close(self) -> None:
        for db in self._open.values():
            db.close()
        self._open.clear()
        if self._dir is not None:
            self._dir.release()
            self._dir = None

    def segment_id(self, timestamp: int) -> int:
        return timestamp // self.interval

    def _segment_path(self, segment_id: int) -> str:
        assert self._dir is not None
        return os.path.join(self._dir.path, f"{self._name}.{segment_id * self.interval}")

    def get(self, segment_id: int) -> Any:
        """The open segment, or None if nothing was written to it."""
        return self._open.get(segment_id)

    def get_or_create(self, segment_id: int) -> Any:
        db = self._open.get(segment_id)
        if db is None:
            if self._dir is None:
                raise StreamsError(f"store {self._name} is not open")
            db = self._open[segment_id] = open_rocksdb(self._segment_path(segment_id), self._memory_max_bytes)
        return db

    def drop_expired(self, min_live: int) -> None:
        """Close and delete the segments whose every timestamp is below ``min_live``."""
        for segment_id in [s for s in self._open if (s + 1) * self.interval - 1 < min_live]:
            self._open.pop(segment_id).close()
            shutil.rmtree(self._segment_path(segment_id), ignore_errors=True)

    def in_range(self, time_from: int, time_to: int | None = None) -> list[Any]:
        """The open segments that can hold timestamps in [time_from, time_to], oldest
        first."""
        low = self.segment_id(time_from)
        high = None if time_to is None else self.segment_id(time_to)
        return [self._open[s] for s in sorted(self._open)
                if s >= low and (high is None or s <= high)]

    def all(self) -> list[Any]:
        return list(self._open.values())
