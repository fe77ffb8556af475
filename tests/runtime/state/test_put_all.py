"""put_all (Kafka's KeyValueStore#putAll), which a restore from a Redis checkpoint uses to
load a store in bulk: the store ends exactly as after the same puts one by one, in order
(None deletes), for the in-memory store's dict fast path, its subclasses that track
more than the dict, and RocksDB's write batches."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.state.api import KeyValueStore
from runtime.state.internals import rocksdb_store
from runtime.state.internals.in_memory import InMemoryKeyValueStore
from runtime.state.internals.rocksdb_store import RocksDBKeyValueStore
from runtime.state.internals.time_ordered_buffer import (
    BufferedRecord,
    InMemoryTimeOrderedBufferBytes,
    RecordContext,
    encode,
)


class Context:
    application_id = "app"
    task_id = "0_0"
    partition = 0


@pytest.fixture(params=["in_memory", "rocksdb"])
def make_store(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[Callable[[], KeyValueStore[bytes, bytes]]]:
    opened: list[KeyValueStore[bytes, bytes]] = []

    def make() -> KeyValueStore[bytes, bytes]:
        store: KeyValueStore[bytes, bytes]
        if request.param == "in_memory":
            store = InMemoryKeyValueStore("s")
        else:
            store = RocksDBKeyValueStore(f"s{len(opened)}", str(tmp_path))
        store.init(Context())  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield make
    for store in opened:
        if store.is_open:
            store.close()


keys = st.binary(min_size=1, max_size=3)
writes = st.lists(st.tuples(keys, st.one_of(st.none(), st.binary(max_size=4))), max_size=40)


# The fixture makes new stores on each call, so sharing it across examples is safe.
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=writes, batch=writes)
def test_put_all_equals_the_puts_one_by_one(make_store: Callable[[], KeyValueStore[bytes, bytes]],
                                           before: list[tuple[bytes, bytes | None]],
                                           batch: list[tuple[bytes, bytes | None]]) -> None:
    bulk, single = make_store(), make_store()
    for store in (bulk, single):
        for key, value in before:
            store.put(key, value)
        list(store.all())   # an ordered view exists before the bulk write (it must not go stale)
    bulk.put_all(iter(batch))   # an iterator, as a restore passes it
    for key, value in batch:
        single.put(key, value)
    assert list(bulk.all()) == list(single.all())
    assert list(bulk.reverse_range(None, None)) == list(single.reverse_range(None, None))
    for key, _ in before + batch:
        assert bulk.get(key) == single.get(key)
    bulk.close()
    single.close()


def test_rocksdb_writes_large_batches_in_chunks(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rocksdb_store, "_PUT_ALL_CHUNK", 7)
    store = RocksDBKeyValueStore("s", str(tmp_path))
    store.init(Context())  # type: ignore[arg-type]
    entries = [(b"%03d" % i, b"v%d" % i) for i in range(50)] + [(b"%03d" % i, None) for i in range(0, 50, 5)]
    store.put_all(entries)
    assert list(store.all()) == [(b"%03d" % i, b"v%d" % i) for i in range(50) if i % 5]
    store.close()


def test_a_subclass_that_tracks_every_write_sees_each_entry() -> None:
    # The suppress buffer keeps its time order and size from each put; a bulk dict
    # update would leave them behind.
    def entry(time: int) -> bytes:
        return encode(BufferedRecord(time, None, None, b"v", RecordContext(time)))

    buffer = InMemoryTimeOrderedBufferBytes("b")
    buffer.init(Context())  # type: ignore[arg-type]
    buffer.put_all([(b"late", entry(20)), (b"early", entry(10))])
    assert buffer.min_time() == 10
    assert buffer.oldest() is not None and buffer.oldest()[0] == b"early"  # type: ignore[index]
    assert buffer.buffer_size > 0
