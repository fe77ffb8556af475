"""RocksDB-backed stores: where their files live, locking, wiping at init, segments of
the window store, duplicates, and the DSL and test driver on top of them.

The shared key-value and window contracts run over both store kinds in test_stores.py
and test_window_store.py; this file covers what only the persistent stores have
(Kafka's RocksDBStoreTest, RocksDBWindowStoreTest / AbstractRocksDBSegmentedBytesStoreTest
"shouldRollSegments" and "shouldBeAbleToWriteToReInitializedStore").
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from runtime import Serdes, StreamsBuilder
from runtime.config import StreamsConfig
from runtime.dsl.options import Materialized
from runtime.errors import ConfigError
from runtime.state import Stores
from runtime.state.internals.in_memory import InMemoryKeyValueStore
from runtime.state.internals.in_memory_window import InMemoryWindowStore
from runtime.state.internals.rocksdb_store import RocksDBKeyValueStore, open_rocksdb
from runtime.state.internals.rocksdb_window_store import RocksDBWindowStore
from runtime.state.internals.store_settings import StoreSettings, use_settings
from runtime.state.internals.window_key_schema import from_store_key
from runtime.state.internals.wrapped import innermost
from runtime.state.stores import dsl_key_value_store, dsl_window_store
from runtime.testing import TopologyTestDriver

STRING, LONG = Serdes.string(), Serdes.long()


class Context:
    application_id = "app"
    task_id = "1_2"
    partition = 2


@pytest.fixture
def state_dir(tmp_path: Any) -> str:
    return str(tmp_path)


def store_path(state_dir: str, name: str = "s") -> str:
    return os.path.join(state_dir, "app", "1_2", "rocksdb", name)


def test_files_live_under_state_dir_app_task_rocksdb_store(state_dir: str) -> None:
    store = RocksDBKeyValueStore("s", state_dir)
    store.init(Context())
    assert store.persistent and store.is_open
    assert store.path == store_path(state_dir)
    assert os.path.isdir(store_path(state_dir))
    store.put(b"k", b"v")
    store.close()
    # closed: the files are released and gone (the changelog restores the next owner)
    assert not store.is_open and not os.path.exists(store_path(state_dir))


def test_a_store_starts_empty_even_over_files_left_behind(state_dir: str) -> None:
    # No local .checkpoint: what a crashed owner left on disk is never applied, so a
    # restore from the changelog cannot apply anything twice.
    os.makedirs(os.path.dirname(store_path(state_dir)))
    leftover = open_rocksdb(store_path(state_dir))
    leftover[b"stale"] = b"1"
    leftover.close()
    store = RocksDBKeyValueStore("s", state_dir)
    store.init(Context())
    assert list(store.all()) == [] and store.get(b"stale") is None
    store.close()


def test_a_directory_in_use_is_left_alone(state_dir: str) -> None:
    first = RocksDBKeyValueStore("s", state_dir)
    first.init(Context())
    first.put(b"a", b"1")
    second = RocksDBKeyValueStore("s", state_dir)
    second.init(Context())
    assert second.path == store_path(state_dir) + ".1"
    assert second.get(b"a") is None and first.get(b"a") == b"1"
    second.close()
    first.close()


def test_reinitialised_store_is_writable(state_dir: str) -> None:
    # RocksDBStoreTest.shouldBeAbleToWriteToReInitializedStore (here: starts empty)
    store = RocksDBKeyValueStore("s", state_dir)
    store.init(Context())
    store.put(b"a", b"1")
    store.close()
    store.init(Context())
    store.put(b"b", b"2")
    assert list(store.all()) == [(b"b", b"2")]
    store.close()


def test_reverse_range_bounds_are_inclusive_and_may_be_absent_keys(state_dir: str) -> None:
    store = RocksDBKeyValueStore("s", state_dir)
    store.init(Context())
    for key in (b"a", b"c", b"e"):
        store.put(key, key)
    assert [k for k, _ in store.reverse_range(b"b", b"d")] == [b"c"]
    assert [k for k, _ in store.reverse_range(b"a", b"e")] == [b"e", b"c", b"a"]
    assert [k for k, _ in store.range(b"b", b"z")] == [b"c", b"e"]
    assert list(store.reverse_all()) == [(b"e", b"e"), (b"c", b"c"), (b"a", b"a")]
    assert store.delete(b"zz") is None and store.delete(b"a") == b"a"
    store.close()


# -- window store ---------------------------------------------------------------------

@pytest.fixture
def window(state_dir: str) -> Iterator[RocksDBWindowStore]:
    store = RocksDBWindowStore("w", 60, 10, state_dir=state_dir, segment_interval=30)
    store.init(Context())
    yield store
    store.close()


def segment_dirs(state_dir: str) -> list[str]:
    return sorted(os.listdir(store_path(state_dir, "w")))


def test_segments_roll_and_expired_ones_are_dropped(window: RocksDBWindowStore,
                                                    state_dir: str) -> None:
    # AbstractRocksDBSegmentedBytesStoreTest.shouldRollSegments: segments are named
    # <store>.<segment id * interval> and dropped once all they hold has expired
    window.put(b"k", b"0", 0)
    window.put(b"k", b"1", 35)
    window.put(b"k", b"2", 65)
    assert segment_dirs(state_dir) == ["w.0", "w.30", "w.60"]
    assert list(window.fetch(b"k", 0, 100)) == [(35, b"1"), (65, b"2")]  # 0 <= 65 - 60
    window.put(b"k", b"3", 95)   # min live start 36: segment 0..29 can go
    assert segment_dirs(state_dir) == ["w.30", "w.60", "w.90"]
    assert list(window.fetch(b"k", 0, 100)) == [(65, b"2"), (95, b"3")]
    assert window.fetch(b"k", 35) is None


def test_fetch_by_key_skips_longer_keys_with_the_same_prefix(window: RocksDBWindowStore) -> None:
    window.put(b"k", b"a", 10)
    window.put(b"k\x00", b"b", 10)
    window.put(b"k", b"c", 40)
    window.put(b"j", b"d", 20)
    assert list(window.fetch(b"k", 0, 50)) == [(10, b"a"), (40, b"c")]
    assert [(w.key, w.window.start, v) for w, v in window.fetch_all(10, 20)] == [
        (b"k", 10, b"a"), (b"k\x00", 10, b"b"), (b"j", 20, b"d")]


def test_duplicates_across_segments_restore_with_their_seqnums(state_dir: str) -> None:
    # RocksDBWindowStoreTest.shouldFetchAndIterateOverExactKeys (retainDuplicates)
    store = RocksDBWindowStore("dups", 100, 10, True, state_dir=state_dir, segment_interval=20)
    store.init(Context())
    store.put(b"k", b"v1", 5)
    store.put(b"k", b"v2", 5)
    store.put(b"k", None, 5)         # a no-op
    store.put(b"k", b"v3", 25)
    assert list(store.fetch(b"k", 0, 30)) == [(5, b"v1"), (5, b"v2"), (25, b"v3")]
    assert store.fetch(b"k", 5) == b"v1"
    assert [from_store_key(k)[2] for k, _ in store.all()] == [1, 2, 3]
    copy = InMemoryWindowStore("dups", 100, 10, True)
    for key, value in store.all():
        copy.put(key, value)
    assert list(copy.fetch(b"k", 0, 30)) == list(store.fetch(b"k", 0, 30))
    store.close()


# -- suppliers, DSL and the test driver ---------------------------------------------------

def test_persistent_suppliers_make_rocksdb_stores(state_dir: str) -> None:
    with use_settings(StoreSettings(state_dir=state_dir)):
        kv = Stores.key_value_store_builder(Stores.persistent_key_value_store("a")).build()
        ts = Stores.timestamped_key_value_store_builder(
            Stores.persistent_timestamped_key_value_store("b")).build()
        w = Stores.window_store_builder(Stores.persistent_window_store("c", 100, 10)).build()
        tw = Stores.timestamped_window_store_builder(
            Stores.persistent_timestamped_window_store("d", 100, 10)).build()
    assert isinstance(innermost(kv), RocksDBKeyValueStore)
    assert isinstance(innermost(ts), RocksDBKeyValueStore)
    assert isinstance(innermost(w), RocksDBWindowStore)
    assert isinstance(innermost(tw), RocksDBWindowStore)
    assert Stores.persistent_window_store("c", 100, 10).persistent
    assert not Stores.in_memory_window_store("c", 100, 10).persistent


@pytest.mark.parametrize(("dsl_store", "kv", "window"), [
    ("in_memory", InMemoryKeyValueStore, InMemoryWindowStore),
    ("rocksDB", RocksDBKeyValueStore, RocksDBWindowStore),
])
def test_default_dsl_store_picks_the_stores_without_a_store_type(
        dsl_store: str, kv: type, window: type, state_dir: str) -> None:
    with use_settings(StoreSettings(state_dir=state_dir, dsl_store=dsl_store)):
        assert isinstance(dsl_key_value_store("s", None).get(), kv)
        assert isinstance(dsl_window_store("w", 100, 10, False, None).get(), window)
        # a store type named in Materialized wins over the default
        assert isinstance(dsl_key_value_store("s", "in_memory").get(), InMemoryKeyValueStore)
        assert isinstance(dsl_key_value_store("s", "rocks_db").get(), RocksDBKeyValueStore)


def test_default_dsl_store_config_is_validated() -> None:
    assert StreamsConfig({})["default.dsl.store"] == "in_memory"
    assert StreamsConfig({"default.dsl.store": "rocksDB"})["default.dsl.store"] == "rocksDB"
    with pytest.raises(ConfigError, match="default.dsl.store"):
        StreamsConfig({"default.dsl.store": "leveldb"})


def test_dsl_count_on_rocksdb_restores_from_its_changelog() -> None:
    b = StreamsBuilder()
    (b.stream("in", key_serde=STRING, value_serde=STRING)
     .group_by_key()
     .count(store=Materialized.as_("counts").with_store_type("rocks_db"))
     .to_stream()
     .to("out", key_serde=STRING, value_serde=LONG))
    topology = b.build()
    with TopologyTestDriver(topology) as first:
        state_dir = first._state_dir  # noqa: SLF001 - checking the driver cleans up
        inp = first.create_input_topic("in", STRING, STRING)
        for key, ts in [("a", 1), ("b", 2), ("a", 3)]:
            inp.pipe_input(key, "x", ts)
        out = first.create_output_topic("out", STRING, LONG)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("a", 1, 1), ("b", 1, 2), ("a", 2, 3)]
        assert isinstance(innermost(first.tasks[0].get_store("counts")), RocksDBKeyValueStore)
        log = "topology-test-driver-counts-changelog"
        changelog = [first.read_raw(log) for _ in range(first.queue_size(log))]
    assert not os.path.exists(state_dir)  # the driver's state dir is gone with it
    with TopologyTestDriver(topology) as second:
        second.tasks[0].restore("counts", [(k, v, ts) for k, v, ts, _ in changelog])
        assert second.get_key_value_store("counts").get("a") == 2
        second.create_input_topic("in", STRING, STRING).pipe_input("a", "x", 9)
        out = second.create_output_topic("out", STRING, LONG)
        assert [(r.key, r.value) for r in out.read_records_to_list()] == [("a", 3)]
