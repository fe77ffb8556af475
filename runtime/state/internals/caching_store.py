"""The caching layer of a key-value store (Kafka's ``CachingKeyValueStore``).

It sits between the metered layer (serdes) and the change-logging layer, so writes are
compacted per key in the thread's record cache and reach the changelog and the store
below only when the cache is flushed: at each commit, or when the cache is full and
evicts. Each flushed entry goes down with the context (timestamp, headers) of the
record that last wrote it; with a flush listener set (the DSL's aggregations and table
sources), it is also forwarded downstream as ``(key, new, old)``, the old value read
from the store below before the write (Kafka's ``CacheFlushListener``). Reads see the
cache first; a miss reads through and caches the value clean.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from runtime.state.api import KeyValueStore, StateStore, StoreContext
from runtime.state.internals.thread_cache import (
    NO_TYPED,
    CacheEntry,
    DirtyEntry,
    NamedCache,
    ThreadCache,
)
from runtime.state.internals.wrapped import StoreLayer, WrappedKeyValueStore

__all__ = ["CachingKeyValueStore", "CachingLayer", "FlushListener", "TypedCodec",
           "has_dirty_caches", "set_flush_listener"]

logger = logging.getLogger(__name__)

# (key, new value, old value or None, timestamp, headers), typed by the metered layer
FlushListener = Callable[[Any, Any, Any, int, Any], None]
# the same below the metered layer: raw key bytes (or windowed raw key), raw values
RawFlushListener = Callable[[Any, bytes | None, bytes | None, int, Any], None]


class TypedCodec(NamedTuple):
    """How a caching layer holds a store's values typed (all from the metered layer):
    ``normalize`` a written value (= decode(encode(v)), raising as encode would; None
    means delete), ``copy`` a normalized value for a reader, ``encode`` and ``decode``
    bytes; ``adopt``: ``normalize`` for a value the caller holds in exactly one local
    variable and passes nowhere else, which it may return as it is when it can prove
    nobody else refers to it; ``modify(update, start, value)``: ``update(start,
    copy(value))`` adopted, a read-modify-write in one call. ``plain_flat`` (None
    unless values are ValueAndTimestamp pairs of JSON): whether the value inside a pair
    is a flat dict that normalize keeps as it is and a shallow copy fully copies, for
    the windowed aggregations' inlined read-modify-write (caching_window_store.py)."""

    normalize: Callable[[Any], Any]
    copy: Callable[[Any], Any]
    encode: Callable[[Any], bytes | None]
    decode: Callable[[bytes | None], Any]
    adopt: Callable[[Any], Any]
    modify: Callable[[Callable[[int, Any], Any], int, Any], Any]
    plain_flat: Callable[[Any], bool] | None = None


class FlushContext:
    """The task's store context, except that while an entry is written down its own
    record timestamp is the current one (the change-logging layer logs with it)."""

    def __init__(self, context: StoreContext) -> None:
        self._context = context
        self.timestamp: int | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._context, name)

    def record_timestamp(self) -> int:
        ts = self.timestamp
        return self._context.record_timestamp() if ts is None else ts


class CachingLayer(StoreLayer):
    """What the key-value and the window caching layers share: the named cache, the
    record context of writes, the flush listener and the flush itself."""

    _cache: NamedCache | None = None
    _flush_context: FlushContext | None = None
    _listener: RawFlushListener | None = None
    _send_old_values = False
    _codec: TypedCodec | None = None

    def __init__(self, wrapped: Any, thread_cache: ThreadCache) -> None:
        self.wrapped = wrapped
        self.thread_cache = thread_cache
        self.namespace = ""

    def init(self, context: StoreContext) -> None:
        # Kafka names a cache <task id>-<store>; the thread may serve several applications
        self.namespace = f"{context.application_id}-{context.task_id}-{self.name}"
        self._cache = self.thread_cache.named_cache(self.namespace)
        self._cache.listener = self._write_down
        self._flush_context = FlushContext(context)
        # looked up once: every write asks for them
        self._timestamp_of = context.record_timestamp
        self._headers_of = getattr(context, "record_headers", None)
        self.wrapped.init(self._flush_context)

    def set_listener(self, listener: RawFlushListener, send_old_values: bool) -> None:
        self._listener = listener
        self._send_old_values = send_old_values

    def use_typed(self, codec: TypedCodec) -> None:
        """Hold values typed from now on (called by the metered layer after init)."""
        self._codec = codec
        self._named().encode = codec.encode

    def _put_dirty(self, key: bytes, value: bytes | None) -> None:
        """Cache a write with the current record's context; evict if over the size."""
        headers_of = self._headers_of
        cache = self._named()
        cache.put(key, CacheEntry(value, True, self._timestamp_of(),
                                  headers_of() if headers_of is not None else None))
        owner = self.thread_cache
        if owner.size_bytes > owner.max_bytes:
            owner.maybe_evict(cache)

    def _put_typed(self, key: bytes, value: Any) -> None:
        codec = self._codec
        assert codec is not None
        self._put_normalized(key, codec.normalize(value))

    def _put_normalized(self, key: bytes, value: Any) -> None:
        """:meth:`_put_typed` of a value already normalized."""
        if value is None:
            self._put_dirty(key, None)
            return
        headers_of = self._headers_of
        cache = self._cache
        assert cache is not None, "store used before init"
        cache.put_typed(key, value, self._timestamp_of(),
                        headers_of() if headers_of is not None else None)
        owner = self.thread_cache
        if owner.size_bytes > owner.max_bytes:
            owner.maybe_evict(cache)

    def _typed_value(self, entry: CacheEntry) -> Any:
        """A copy of the typed value of a cached entry (decoded once, then kept)."""
        if entry.value is None:
            return None
        codec = self._codec
        assert codec is not None
        typed = entry.typed
        if typed is NO_TYPED:
            typed = entry.typed = codec.decode(entry.value)
        return codec.copy(typed)

    def _named(self) -> NamedCache:
        cache = self._cache
        assert cache is not None, "store used before init"
        return cache

    def _write_down(self, entries: Sequence[DirtyEntry]) -> None:
        ctx = self._flush_context
        assert ctx is not None
        saved = ctx.timestamp
        try:
            for key, value, timestamp, headers in entries:
                ctx.timestamp = timestamp
                self._write_entry(key, value, timestamp, headers)
        finally:
            ctx.timestamp = saved

    def _write_entry(self, key: bytes, value: bytes | None, timestamp: int,
                     headers: Any) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        self._named().flush()
        self.wrapped.flush()

    def close(self) -> None:
        # the task flushed before a clean close; a dirty close drops what is cached
        if self._cache is not None:
            self.thread_cache.close(self.namespace)
            self._cache = None
        self.wrapped.close()

    @property
    def dirty(self) -> bool:
        return self._cache is not None and self._cache.dirty_count > 0


class CachingKeyValueStore(CachingLayer, WrappedKeyValueStore):
    def __init__(self, wrapped: KeyValueStore[Any, Any], thread_cache: ThreadCache) -> None:
        CachingLayer.__init__(self, wrapped, thread_cache)

    def _write_entry(self, key: bytes, value: bytes | None, timestamp: int,
                     headers: Any) -> None:
        listener = self._listener
        if listener is None:
            self.wrapped.put(key, value)
            return
        old = self.wrapped.get(key) if value is None or self._send_old_values else None
        # a key neither stored nor cached before: nothing to write or forward
        if value is not None or old is not None:
            self.wrapped.put(key, value)
            listener(key, value, old if self._send_old_values else None, timestamp, headers)

    # -- reads and writes ------------------------------------------------------------
    def get(self, key: bytes) -> bytes | None:
        cache = self._named()
        entry = cache.get(key)
        if entry is not None:
            return entry.value
        raw: bytes | None = self.wrapped.get(key)
        if raw is not None:
            cache.put(key, CacheEntry(raw))
            owner = self.thread_cache
            if owner.size_bytes > owner.max_bytes:
                owner.maybe_evict(cache)
        return raw

    def put(self, key: bytes, value: bytes | None) -> None:
        self._put_dirty(key, value)

    # -- typed (see the module docstring) ----------------------------------------------
    def get_typed(self, key: bytes) -> Any:
        cache = self._named()
        entry = cache.lookup(key)
        if entry is not None:
            return self._typed_value(entry)
        raw: bytes | None = self.wrapped.get(key)
        if raw is None:
            return None
        codec = self._codec
        assert codec is not None
        typed = codec.decode(raw)
        cache.put(key, CacheEntry(raw, typed=typed))
        owner = self.thread_cache
        if owner.size_bytes > owner.max_bytes:
            owner.maybe_evict(cache)
        return codec.copy(typed)

    def put_typed(self, key: bytes, value: Any) -> None:
        self._put_typed(key, value)

    def put_if_absent(self, key: bytes, value: bytes) -> bytes | None:
        old = self.get(key)
        if old is None:
            self.put(key, value)
        return old

    def delete(self, key: bytes) -> bytes | None:
        old = self.get(key)
        self.put(key, None)
        return old

    def _merged(self, from_key: bytes | None, to_key: bytes | None) -> list[tuple[bytes, bytes]]:
        # Kafka merges two sorted iterators; iterations here are snapshots anyway
        merged = dict(self.wrapped.range(from_key, to_key))
        for key, entry in self._named().entries_between(from_key, to_key):
            if entry.value is None:
                merged.pop(key, None)
            else:
                merged[key] = entry.value
        return sorted(merged.items())

    def range(self, from_key: bytes | None, to_key: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        return iter(self._merged(from_key, to_key))

    def reverse_range(self, from_key: bytes | None,
                      to_key: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        return iter(self._merged(from_key, to_key)[::-1])

    def all(self) -> Iterator[tuple[bytes, bytes]]:
        return self.range(None, None)

    def reverse_all(self) -> Iterator[tuple[bytes, bytes]]:
        return self.reverse_range(None, None)


def set_flush_listener(store: StateStore, listener: FlushListener,
                       send_old_values: bool) -> bool:
    """Have the caching layer of ``store`` (a metered stack) forward its flushed entries
    to ``listener``, typed by the metered layer's serdes. Returns False when the store
    has no caching layer: the caller then forwards every update itself (Kafka's
    ``WrappedStateStore#setFlushListener`` and ``TimestampedTupleForwarder``)."""
    layer: Any = store
    while isinstance(layer, StoreLayer):
        if isinstance(layer, CachingLayer):
            layer.set_listener(_typed(store, layer, listener), send_old_values)
            return True
        layer = layer.wrapped
    return False


def _typed(metered: Any, layer: CachingLayer, listener: FlushListener) -> RawFlushListener:
    from_key, from_value = metered._from_key, metered._from_value  # noqa: SLF001
    windowed = getattr(layer, "windowed_key", None)

    def on_flush(key: Any, new: bytes | None, old: bytes | None, timestamp: int,
                 headers: Any) -> None:
        typed_key = windowed(from_key, key) if windowed is not None else from_key(key)
        listener(typed_key, from_value(new), from_value(old), timestamp, headers)

    return on_flush


def has_dirty_caches(stores: Sequence[StateStore]) -> bool:
    """Whether any cached store still holds unflushed writes (a flush forwarded into a
    store whose cache was flushed before it)."""
    for store in stores:
        layer: Any = store
        while isinstance(layer, StoreLayer):
            if isinstance(layer, CachingLayer) and layer.dirty:
                return True
            layer = layer.wrapped
    return False
