"""The innermost key-value store: bytes to bytes in a dict, ordered on demand."""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator

from runtime.state.api import KeyValueStore, StoreContext

__all__ = ["InMemoryKeyValueStore"]


class InMemoryKeyValueStore(KeyValueStore[bytes, bytes]):
    """Keys sort as unsigned bytes, which is what Python's ``bytes`` ordering is."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._data: dict[bytes, bytes] = {}
        # Sorted keys are rebuilt only when a range is asked for after an insert or
        # delete: aggregations write far more often than anything scans.
        self._sorted: list[bytes] | None = None
        self._open = False

    @property
    def name(self) -> str:
        return self._name

    @property
    def is_open(self) -> bool:
        return self._open

    def init(self, context: StoreContext) -> None:
        self._open = True

    def close(self) -> None:
        self._open = False

    def get(self, key: bytes) -> bytes | None:
        return self._data.get(key)

    def put(self, key: bytes, value: bytes | None) -> None:
        if value is None:
            self.delete(key)
            return
        if key not in self._data:
            self._sorted = None
        self._data[key] = value

    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        # A restore loads a million entries here: one dict update in C instead of a put
        # per entry. Only the last write of a key decides its final state, so
        # collapsing the entries per key first changes nothing.
        if type(self).put is not InMemoryKeyValueStore.put:
            # A subclass that keeps more than the dict up to date sees every write.
            super().put_all(entries)
            return
        latest = dict(entries)
        if None in latest.values():
            for key, value in latest.items():
                self.put(key, value)
            return
        data = self._data
        if not data:   # a restore into the empty store: the new dict is the store
            self._data, self._sorted = latest, None
            return
        if not latest.keys() <= data.keys():   # new keys: the sorted order is stale
            self._sorted = None
        data.update(latest)

    def put_if_absent(self, key: bytes, value: bytes) -> bytes | None:
        old = self._data.get(key)
        if old is None:
            self.put(key, value)
        return old

    def delete(self, key: bytes) -> bytes | None:
        old = self._data.pop(key, None)
        if old is not None:
            self._sorted = None
        return old

    def _keys(self) -> list[bytes]:
        if self._sorted is None:
            self._sorted = sorted(self._data)
        return self._sorted

    def _slice(self, from_key: bytes | None, to_key: bytes | None) -> list[bytes]:
        keys = self._keys()
        lo = 0 if from_key is None else bisect.bisect_left(keys, from_key)
        hi = len(keys) if to_key is None else bisect.bisect_right(keys, to_key)
        return keys[lo:hi]

    def range(self, from_key: bytes | None, to_key: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        data = self._data
        return iter([(k, data[k]) for k in self._slice(from_key, to_key)])

    def reverse_range(self, from_key: bytes | None,
                      to_key: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        data = self._data
        return iter([(k, data[k]) for k in reversed(self._slice(from_key, to_key))])

    def all(self) -> Iterator[tuple[bytes, bytes]]:
        return self.range(None, None)

    def reverse_all(self) -> Iterator[tuple[bytes, bytes]]:
        return self.reverse_range(None, None)

    def approximate_num_entries(self) -> int:
        return len(self._data)
