"""Window stores that retain duplicates (Kafka's retainDuplicates=true, used by
stream-stream joins): every put is kept under its own sequence number, a null put is a
no-op, and the changelog carries the sequence number so restore brings every copy back
(InMemoryWindowStoreTest / RocksDBWindowStoreTest "shouldFetchAndIterateOverExactKeys"
and "shouldNotThrowConcurrentModificationException... retainDuplicates" cases)."""

from __future__ import annotations

from runtime import Stores
from runtime.state.internals.window_key_schema import from_store_key


def test_duplicates_are_kept_in_write_order_and_null_is_a_no_op() -> None:
    store = Stores.in_memory_window_store("dups", 100, 10, retain_duplicates=True).get()
    store.put(b"k", b"v1", 5)
    store.put(b"k", b"v2", 5)
    store.put(b"k", None, 5)             # cannot delete one duplicate: nothing happens
    store.put(b"kk", b"other", 5)        # a longer key sharing the prefix is another key
    store.put(b"k", b"v3", 7)
    assert list(store.fetch(b"k", 0, 10)) == [(5, b"v1"), (5, b"v2"), (7, b"v3")]
    assert list(store.fetch(b"kk", 0, 10)) == [(5, b"other")]
    assert [from_store_key(k)[2] for k, _ in store.all()] == [1, 2, 3, 4]


def test_restore_from_store_keys_brings_every_duplicate_back() -> None:
    store = Stores.in_memory_window_store("dups", 100, 10, retain_duplicates=True).get()
    store.put(b"k", b"v1", 5)
    store.put(b"k", b"v2", 5)
    restored = Stores.in_memory_window_store("dups", 100, 10, retain_duplicates=True).get()
    for key, value in store.all():
        restored.put(key, value)
    assert list(restored.fetch(b"k", 0, 10)) == [(5, b"v1"), (5, b"v2")]


def test_without_duplicates_a_put_overwrites() -> None:
    store = Stores.in_memory_window_store("plain", 100, 10).get()
    store.put(b"k", b"v1", 5)
    store.put(b"k", b"v2", 5)
    assert list(store.fetch(b"k", 0, 10)) == [(5, b"v2")]
