"""The record cache of a stream thread (Kafka's ``ThreadCache`` and ``NamedCache``).

One :class:`ThreadCache` per thread holds a :class:`NamedCache` per cached store of
each task on that thread (its namespace); together they stay within the thread's share
of ``statestore.cache.max.bytes``. A write that takes the cache over its size evicts the
least recently used entries *of the cache written to*; evicting a dirty entry first
flushes every dirty entry of that cache, the evicted one first, through its listener
(the caching store writes them down and forwards them). A flush hands the dirty entries
over in the order of their latest update, then forgets deleted keys.

An entry may hold its value typed instead of as bytes (``PENDING`` bytes, the object in
``typed``): a caching layer over a serde with a copier writes values that way, so that
updates compacted in the cache are serialized once, at flush. The cache turns them into
bytes with its ``encode`` before anyone outside sees ``value``. Until then their size is
a guess (the size of the entry they replace), corrected when they are encoded.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

__all__ = ["NO_TYPED", "PENDING", "CacheEntry", "DirtyEntry", "NamedCache", "ThreadCache",
           "entry_size"]

logger = logging.getLogger(__name__)

# What a cached entry costs besides its key and value bytes, counted like Kafka's
# LRUNode/LRUCacheEntry: three references, the dirty flag, offset, timestamp, partition.
_ENTRY_OVERHEAD = 8 + 8 + 8 + 1 + 8 + 8 + 4
# the guessed size of a typed value not yet encoded, when no earlier entry tells better
_TYPED_GUESS = 64


class _Marker:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


PENDING: Any = _Marker("PENDING")    # value: not encoded yet, see ``typed``
NO_TYPED: Any = _Marker("NO_TYPED")  # typed: no typed copy held


class CacheEntry:
    """A cached value (None: a cached delete) with the context of the record that wrote
    it, which travels downstream when the entry is flushed."""

    __slots__ = ("value", "dirty", "timestamp", "headers", "size", "typed", "flat")

    def __init__(self, value: bytes | None, dirty: bool = False, timestamp: int = -1,
                 headers: Any = None, typed: Any = NO_TYPED) -> None:
        self.value = value
        self.dirty = dirty
        self.timestamp = timestamp
        self.headers = headers
        self.size = 0
        # a pristine typed copy of the value, never handed out (readers get copies)
        self.typed = typed
        # set by whoever stores ``typed`` when its value is a flat dict of immutable
        # scalars, whose shallow copy is a full copy (TypedCodec.plain_flat)
        self.flat = False


class DirtyEntry(NamedTuple):
    key: bytes
    value: bytes | None
    timestamp: int
    headers: Any


def entry_size(key: bytes, entry: CacheEntry) -> int:
    value, headers = entry.value, entry.headers
    size = len(key) + _ENTRY_OVERHEAD + (0 if value is None else len(value))
    if headers:
        size += sum(len(k) + len(v or b"") for k, v in headers)
    return size


FlushListener = Callable[[Sequence[DirtyEntry]], None]


class NamedCache:
    """The entries of one store of one task, least recently used first."""

    def __init__(self, name: str, owner: ThreadCache) -> None:
        self.name = name
        self._owner = owner
        self._entries: OrderedDict[bytes, CacheEntry] = OrderedDict()
        self._dirty: dict[bytes, None] = {}      # insertion-ordered set
        self.listener: FlushListener | None = None
        # typed value -> bytes, for entries written typed (PENDING bytes)
        self.encode: Callable[[Any], bytes | None] | None = None
        self.size_bytes = 0
        self.hits = self.misses = self.overwrites = self.evictions = self.flushes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def dirty_count(self) -> int:
        return len(self._dirty)

    def get(self, key: bytes) -> CacheEntry | None:
        entry = self.lookup(key)
        if entry is not None and entry.value is PENDING:
            self._encode(key, entry)
        return entry

    def lookup(self, key: bytes) -> CacheEntry | None:
        """The entry of ``key`` as it is: its ``value`` may be PENDING."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return entry

    def _encode(self, key: bytes, entry: CacheEntry, tracked: bool = True) -> None:
        encode = self.encode
        assert encode is not None, f"cache {self.name}: a typed entry but no encoder"
        entry.value = encode(entry.typed)
        if tracked:  # an evicted entry no longer counts
            size = entry_size(key, entry)
            self._resize(size - entry.size)
            entry.size = size

    def put(self, key: bytes, entry: CacheEntry) -> None:
        dirty = self._dirty
        if not entry.dirty and key in dirty:
            # a clean read-through must never hide a write not yet flushed
            raise RuntimeError(f"cache {self.name}: clean entry put over a dirty one")
        entries = self._entries
        old = entries.get(key)
        if entry.value is PENDING:
            size = entry.size = (old.size if old is not None
                                 else len(key) + _ENTRY_OVERHEAD + _TYPED_GUESS)
        else:
            size = entry.size = entry_size(key, entry)
        if old is not None:
            self.overwrites += 1
            size -= old.size
            entries.move_to_end(key)
        entries[key] = entry
        self.size_bytes += size
        self._owner.size_bytes += size
        if entry.dirty:
            self._mark_dirty(key)

    def _mark_dirty(self, key: bytes) -> None:
        # latest update last: a flush sends keys in the order they were last written
        dirty = self._dirty
        if key in dirty:
            del dirty[key]
        dirty[key] = None

    def put_typed(self, key: bytes, typed: Any, timestamp: int, headers: Any) -> None:
        """A dirty typed write (value PENDING). Rewriting a key whose typed write is not
        yet flushed, the common case between commits, updates that entry in place."""
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
        self.rewrite_typed(key, entry, typed, timestamp, headers)

    def rewrite_typed(self, key: bytes, entry: CacheEntry | None, typed: Any, timestamp: int,
                      headers: Any) -> None:
        """:meth:`put_typed` for a key whose current entry (or None) a :meth:`lookup`
        has just returned: a read-modify-write then costs one lookup."""
        if entry is None or not entry.dirty or entry.value is not PENDING:
            self.put(key, CacheEntry(PENDING, True, timestamp, headers, typed))
            return
        entry.typed = typed
        entry.flat = False   # not known: copied the careful way
        entry.timestamp = timestamp
        entry.headers = headers
        self.overwrites += 1
        self._mark_dirty(key)

    def delete(self, key: bytes) -> CacheEntry | None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._resize(-entry.size)
            self._dirty.pop(key, None)
        return entry

    def _resize(self, delta: int) -> None:
        self.size_bytes += delta
        self._owner.size_bytes += delta

    def entries_between(self, from_key: bytes | None,
                        to_key: bytes | None) -> list[tuple[bytes, CacheEntry]]:
        """Cached entries with keys in [from_key, to_key] (None: unbounded), by key."""
        found = sorted((k, e) for k, e in self._entries.items()
                       if (from_key is None or k >= from_key) and (to_key is None or k <= to_key))
        for key, entry in found:
            if entry.value is PENDING:
                self._encode(key, entry)
        return found

    def keys(self) -> Iterator[bytes]:
        return iter(list(self._entries))

    def flush(self, evicted: tuple[bytes, CacheEntry] | None = None) -> None:
        if not self._dirty and evicted is None:
            return
        if self.listener is None:
            raise RuntimeError(f"cache {self.name} has dirty entries but no flush listener")
        self.flushes += 1
        batch: list[DirtyEntry] = []
        if evicted is not None:
            key, entry = evicted
            if entry.value is PENDING:
                self._encode(key, entry, tracked=False)
            batch.append(DirtyEntry(key, entry.value, entry.timestamp, entry.headers))
            entry.dirty = False
        deleted = []
        for key in self._dirty:
            entry = self._entries[key]
            if entry.value is PENDING:
                self._encode(key, entry)
            batch.append(DirtyEntry(key, entry.value, entry.timestamp, entry.headers))
            entry.dirty = False
            if entry.value is None:
                deleted.append(key)
        self._dirty = {}
        self.listener(batch)
        for key in deleted:
            # written down as deletes: a cached None would only shadow the store
            entry = self._entries.get(key)
            if entry is not None and not entry.dirty:
                self.delete(key)

    def evict(self) -> bool:
        """Drop the least recently used entry, flushing first if it is dirty."""
        if not self._entries:
            return False
        key, entry = self._entries.popitem(last=False)
        self._resize(-entry.size)
        self.evictions += 1
        if entry.dirty:
            self._dirty.pop(key, None)
            self.flush((key, entry))
        return True

    def clear(self) -> None:
        self._resize(-self.size_bytes)
        self._entries.clear()
        self._dirty = {}


class ThreadCache:
    """All the named caches of one thread, within ``max_bytes`` together."""

    _local = threading.local()

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self.size_bytes = 0
        self._caches: dict[str, NamedCache] = {}

    @classmethod
    def for_current_thread(cls, max_bytes: int) -> ThreadCache:
        """The calling thread's cache, resized to ``max_bytes`` if it already exists."""
        cache: ThreadCache | None = getattr(cls._local, "cache", None)
        if cache is None:
            cache = cls._local.cache = cls(max_bytes)
        elif cache.max_bytes != max_bytes:
            cache.resize(max_bytes)
        return cache

    def named_cache(self, namespace: str) -> NamedCache:
        cache = self._caches.get(namespace)
        if cache is None:
            cache = self._caches[namespace] = NamedCache(namespace, self)
        return cache

    def get(self, namespace: str, key: bytes) -> CacheEntry | None:
        cache = self._caches.get(namespace)
        return None if cache is None else cache.get(key)

    def put(self, namespace: str, key: bytes, entry: CacheEntry) -> None:
        cache = self.named_cache(namespace)
        cache.put(key, entry)
        self.maybe_evict(cache)

    def delete(self, namespace: str, key: bytes) -> CacheEntry | None:
        cache = self._caches.get(namespace)
        return None if cache is None else cache.delete(key)

    def maybe_evict(self, cache: NamedCache) -> None:
        """Evict from ``cache`` (the one just written) until the thread's caches fit."""
        while self.size_bytes > self.max_bytes and cache.evict():
            pass

    def flush(self, namespace: str) -> None:
        cache = self._caches.get(namespace)
        if cache is not None:
            cache.flush()

    def has_dirty(self, namespaces: Sequence[str]) -> bool:
        return any(self._caches[n].dirty_count for n in namespaces if n in self._caches)

    def close(self, namespace: str) -> None:
        """Forget a namespace without flushing it (its task is closing)."""
        cache = self._caches.pop(namespace, None)
        if cache is not None:
            cache.clear()

    def resize(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        # shrink by evicting from every cache in turn, as Kafka's ThreadCache#resize
        while self.size_bytes > self.max_bytes:
            progressed = False
            for cache in list(self._caches.values()):
                if self.size_bytes <= self.max_bytes:
                    break
                progressed = cache.evict() or progressed
            if not progressed:
                break

    @property
    def namespaces(self) -> list[str]:
        return list(self._caches)
