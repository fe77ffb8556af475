"""The caching layer of a window store (Kafka's ``CachingWindowStore``).

Entries are cached under the windowed store key (key, window start, seqnum 0) and
written down and forwarded at flush or eviction, like :mod:`caching_store`'s; the
flush listener gets ``Windowed(key, window)`` keys. Stores that retain duplicates are
never cached (Kafka's WindowStoreBuilder disables caching for them).

Retention is applied above the cache too: the layer tracks the largest window start
written through it, and reads leave out windows the store below would have expired.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from sys import getrefcount
from typing import Any

from runtime.state.api import ValueAndTimestamp, WindowStore
from runtime.state.internals.caching_store import CachingLayer
from runtime.state.internals.ownership import LOCAL_REFS, PROVABLE
from runtime.state.internals.thread_cache import NO_TYPED, PENDING, ThreadCache
from runtime.state.internals.window_key_schema import SUFFIX, from_store_key, to_store_key
from runtime.state.internals.window_layers import WrappedWindowStore

__all__ = ["CachingWindowStore"]

_NO_TIMESTAMP = -1
_new = tuple.__new__   # ValueAndTimestamp without its checks


class CachingWindowStore(CachingLayer, WrappedWindowStore):
    def __init__(self, wrapped: WindowStore[Any, Any], thread_cache: ThreadCache) -> None:
        CachingLayer.__init__(self, wrapped, thread_cache)
        self.observed_stream_time = _NO_TIMESTAMP
        self._store_keys: dict[bytes, dict[int, bytes]] = {}   # see update_typed
        # fixed for the store's life; every read asks for it
        self._retention = wrapped.retention_period

    def _window(self, start: int) -> Any:
        from runtime.dsl.windowed import TimeWindow

        return TimeWindow(start, start + max(self.window_size, 1))

    def windowed_key(self, from_key: Any, store_key: bytes) -> Any:
        """The typed ``Windowed`` key a flush listener gets for a cached store key."""
        from runtime.dsl.windowed import Windowed

        key, start, _ = from_store_key(store_key)
        return Windowed(from_key(key), self._window(start))

    def _write_entry(self, store_key: bytes, value: bytes | None, timestamp: int,
                     headers: Any) -> None:
        key, start, _ = from_store_key(store_key)
        listener = self._listener
        if listener is None:
            self.wrapped.put(key, value, start)
            return
        old = self.wrapped.fetch(key, start) if value is None or self._send_old_values else None
        if value is not None or old is not None:
            self.wrapped.put(key, value, start)
            listener(store_key, value, old if self._send_old_values else None, timestamp,
                     headers)

    def _expired(self, start: int) -> bool:
        return start <= self.observed_stream_time - self._retention

    # -- writes and reads ------------------------------------------------------------
    def put(self, key: bytes, value: bytes | None, window_start: int) -> None:
        if window_start > self.observed_stream_time:
            self.observed_stream_time = window_start
        self._put_dirty(to_store_key(key, window_start), value)

    def fetch_typed(self, key: bytes, window_start: int) -> Any:
        """The typed value of one window (the metered layer holds values typed)."""
        if self._expired(window_start):
            return None
        entry = self._named().lookup(to_store_key(key, window_start))
        if entry is not None:
            return self._typed_value(entry)
        codec = self._codec
        assert codec is not None
        return codec.decode(self.wrapped.fetch(key, window_start))

    def put_typed(self, key: bytes, value: Any, window_start: int) -> None:
        codec = self._codec
        assert codec is not None
        # a value the serde refuses fails here, before it changes anything, as it fails
        # in the metered layer above a cache of bytes
        value = codec.normalize(value)
        if window_start > self.observed_stream_time:
            self.observed_stream_time = window_start
        self._put_normalized(to_store_key(key, window_start), value)

    def update_typed(self, key: bytes, window_starts: Iterable[int],
                     update: Callable[[int, Any], Any]) -> None:
        """``put_typed(key, update(start, fetch_typed(key, start)), start)`` for each
        start in turn, with one cache lookup per window instead of two. ``update``
        gets a copy, as from fetch, and must not use this store (the DSL's windowed
        aggregations pass their aggregator); what it returns is adopted (TypedCodec).

        The per-window path of windowed aggregations. For the common case, a window
        whose typed write is not yet flushed, NamedCache's lookup and rewrite_typed and
        TypedCodec's modify are inlined (same package, same bookkeeping); every other
        case takes :meth:`_update_window`."""
        codec = self._codec
        assert codec is not None
        cache = self._named()
        get = cache._entries.get  # noqa: SLF001 - NamedCache.lookup, inlined
        move_to_end = cache._entries.move_to_end  # noqa: SLF001
        modify, copy, normalize = codec.modify, codec.copy, codec.normalize
        plain_flat = codec.plain_flat if PROVABLE else None
        local_outer, local_inner = LOCAL_REFS
        pack = SUFFIX.pack
        # the store keys of this key's recent windows, built once: windows hop over the
        # same few starts record after record (a bytes key also keeps its hash)
        store_keys = self._store_keys.get(key)
        if store_keys is None or len(store_keys) > 64:
            if len(self._store_keys) > 4096:
                self._store_keys.clear()
            store_keys = self._store_keys[key] = {}
        timestamp = self._timestamp_of()
        headers_of = self._headers_of
        headers = headers_of() if headers_of is not None else None
        retention = self._retention
        observed = self.observed_stream_time
        dirty = cache._dirty  # noqa: SLF001 - replaced by a flush: fetched again after one
        hits = 0
        try:
            for start in window_starts:
                store_key = store_keys.get(start)
                if store_key is None:
                    store_key = store_keys[start] = key + pack(start, 0)
                entry = None
                if start > observed - retention:  # else expired: _expired, inlined
                    entry = get(store_key)
                    # PENDING: a typed write not yet flushed, hence dirty
                    if entry is not None and entry.value is PENDING:
                        hits += 1
                        move_to_end(store_key)
                        typed = entry.typed
                        flat = False
                        if plain_flat is None:
                            new = modify(update, start, typed)
                        else:
                            # modify, inlined: values are ValueAndTimestamp pairs
                            if entry.flat:   # a shallow copy is a copy
                                new = update(start, _new(ValueAndTimestamp,
                                                         (typed[0].copy(), typed[1])))
                            else:
                                new = update(start, copy(typed))
                            # adopted as ownership.py explains: ``new`` is held by this
                            # one local, ``inner`` by ``new`` and this one local
                            if type(new) is ValueAndTimestamp and getrefcount(new) == local_outer:
                                inner = new[0]
                                flat = getrefcount(inner) == local_inner and plain_flat(inner)
                            if not flat:
                                new = normalize(new)
                        if start > observed:
                            observed = self.observed_stream_time = start
                        if new is not None:
                            entry.typed = new
                            entry.flat = flat
                            entry.timestamp = timestamp
                            entry.headers = headers
                            # latest update last, as NamedCache._mark_dirty (a
                            # PENDING entry's key is always in _dirty: put it there,
                            # flush encodes it, evict and delete drop both)
                            del dirty[store_key]
                            dirty[store_key] = None
                            continue
                        self._put_dirty(store_key, None)
                        dirty = cache._dirty  # noqa: SLF001
                        continue
                    if entry is not None:
                        hits += 1
                        move_to_end(store_key)
                    else:
                        cache.misses += 1
                self._update_window(key, start, store_key, entry, update, timestamp, headers)
                observed = self.observed_stream_time
                dirty = cache._dirty  # noqa: SLF001
        finally:
            cache.hits += hits

    def _update_window(self, key: bytes, start: int, store_key: bytes, entry: Any,
                       update: Callable[[int, Any], Any], timestamp: int, headers: Any) -> None:
        """One window of :meth:`update_typed` whose entry (None: a miss, or expired) is
        not a pending typed write."""
        codec = self._codec
        assert codec is not None
        if self._expired(start) or (entry is not None and entry.value is None):
            new = update(start, None)   # expired, or a cached delete
            new = codec.adopt(new)      # held in this one local, as adopt requires
        elif entry is None:
            # decoded from bytes, a fresh object: no copy needed
            new = update(start, codec.decode(self.wrapped.fetch(key, start)))
            new = codec.adopt(new)
        else:
            typed = entry.typed
            if typed is NO_TYPED:
                typed = entry.typed = codec.decode(entry.value)
            new = codec.modify(update, start, typed)
        if start > self.observed_stream_time:
            self.observed_stream_time = start
        if new is None:
            self._put_dirty(store_key, None)
            return
        cache = self._named()
        cache.rewrite_typed(store_key, entry, new, timestamp, headers)
        owner = self.thread_cache
        if owner.size_bytes > owner.max_bytes:
            owner.maybe_evict(cache)

    def fetch(self, key: bytes, time_from: int, time_to: int | None = None) -> Any:
        if time_to is None:
            if self._expired(time_from):
                return None
            entry = self._named().get(to_store_key(key, time_from))
            if entry is not None:
                return entry.value
            return self.wrapped.fetch(key, time_from)
        merged = {start: value for start, value in self.wrapped.fetch(key, time_from, time_to)}
        for store_key, entry in self._named().entries_between(
                to_store_key(key, time_from), to_store_key(key, time_to)):
            cached_key, start, _ = from_store_key(store_key)
            if cached_key != key or not time_from <= start <= time_to:
                continue  # a longer key sharing the prefix
            if entry.value is None:
                merged.pop(start, None)
            else:
                merged[start] = entry.value
        return iter([(s, merged[s]) for s in sorted(merged) if not self._expired(s)])

    def _merged(self, time_from: int | None, time_to: int | None) -> list[tuple[int, bytes, bytes]]:
        merged = {(w.window.start, w.key): value
                  for w, value in self.wrapped.fetch_all(time_from, time_to)}
        for store_key, entry in self._named().entries_between(None, None):
            key, start, _ = from_store_key(store_key)
            if (time_from is not None and start < time_from) or \
                    (time_to is not None and start > time_to):
                continue
            if entry.value is None:
                merged.pop((start, key), None)
            else:
                merged[(start, key)] = entry.value
        return [(start, key, merged[(start, key)]) for start, key in sorted(merged)
                if not self._expired(start)]

    def fetch_all(self, time_from: int | None, time_to: int | None
                  ) -> Iterator[tuple[Any, bytes]]:
        from runtime.dsl.windowed import Windowed

        return iter([(Windowed(key, self._window(start)), value)
                     for start, key, value in self._merged(time_from, time_to)])

    def all(self) -> Iterator[tuple[bytes, bytes]]:  # type: ignore[override]
        return iter([(to_store_key(key, start), value)
                     for start, key, value in self._merged(None, None)])
