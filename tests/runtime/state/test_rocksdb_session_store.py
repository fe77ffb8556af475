"""The RocksDB session store against the same contract as the in-memory one.

Each behavioural check runs on both stores. Expected values come from Kafka's
AbstractSessionBytesStoreTest (shared by its RocksDB and in-memory session store tests)
and the SessionStore javadoc: sessions are found by "earliest session end <= end and
start <= latest session start", times inclusive. Where Kafka's two stores differ (its
segmented RocksDB store expires whole segments, so may return a few expired sessions)
this engine holds both to the in-memory store's exact per-session expiry, as the
SessionStore docstring of runtime.state.api says.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from runtime import Serdes, SessionWindow, Windowed
from runtime.state import Stores
from runtime.state.internals.rocksdb_session_store import RocksDBSessionStore
from runtime.state.internals.session_in_memory import InMemorySessionStore
from runtime.state.internals.session_key_schema import to_store_key
from runtime.state.internals.store_settings import StoreSettings, use_settings
from runtime.state.internals.wrapped import innermost

RETENTION_PERIOD = 10_000  # AbstractSessionBytesStoreTest.RETENTION_PERIOD
MAX = 2**63 - 1


class Context:
    application_id = "app"
    task_id = "0_0"
    partition = 0

    def __init__(self) -> None:
        self.logged: list[tuple[bytes, bytes | None]] = []

    def changelog_topic(self, store_name: str) -> str:
        return f"app-{store_name}-changelog"

    def record_timestamp(self) -> int:
        return 0

    def log_change(self, store_name: str, key: bytes, value: bytes | None, timestamp: int) -> None:
        self.logged.append((key, value))


@pytest.fixture(params=["in_memory", "rocksdb"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_store(kind: str, tmp_path: Any) -> Iterator[Any]:
    """Builds a (logged, typed: string keys, long values) session store of ``kind``."""
    made: list[Any] = []

    def make(retention: int = RETENTION_PERIOD) -> Any:
        supplier = (Stores.persistent_session_store("s", retention) if kind == "rocksdb"
                    else Stores.in_memory_session_store("s", retention))
        with use_settings(StoreSettings(state_dir=str(tmp_path))):
            store = Stores.session_store_builder(supplier, Serdes.string(),
                                                 Serdes.long()).build()
        store.init(Context())
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def w(key: str, start: int, end: int) -> Windowed:
    return Windowed(key, SessionWindow(start, end))


def values(it: Iterator[tuple[Any, Any]]) -> set[Any]:
    return {v for _, v in it}


def test_supplier_picks_the_store(make_store: Any, kind: str) -> None:
    store = make_store()
    expected = RocksDBSessionStore if kind == "rocksdb" else InMemorySessionStore
    assert isinstance(innermost(store), expected)
    assert store.persistent is (kind == "rocksdb")


def test_put_and_find_sessions_in_range(make_store: Any) -> None:
    # shouldPutAndFindSessionsInRange
    store = make_store()
    store.put(w("a", 10, 10), 1)
    store.put(w("a", 500, 1000), 2)
    store.put(w("a", 1500, 2000), 1)
    store.put(w("a", 2500, 3000), 2)
    assert list(store.find_sessions("a", 0, 1000)) == [(w("a", 10, 10), 1),
                                                        (w("a", 500, 1000), 2)]
    assert list(store.find_sessions("a", 400, 600)) == [(w("a", 500, 1000), 2)]
    # shouldPutAndBackwardFindSessionsInRange: the same sessions, last first
    assert list(store.backward_find_sessions("a", 0, 1000)) == [(w("a", 500, 1000), 2),
                                                                 (w("a", 10, 10), 1)]


def test_fetch_all_sessions_with_same_record_key(make_store: Any) -> None:
    # shouldFetchAllSessionsWithSameRecordKey / shouldBackwardFetchAllSessionsWithSameRecordKey
    store = make_store()
    expected = [(w("a", 0, 0), 1), (w("a", 10, 10), 2), (w("a", 100, 100), 3),
                (w("a", 1000, 1000), 4)]
    for key, value in expected:
        store.put(key, value)
    store.put(w("aa", 0, 0), 5)  # a longer key sharing the prefix must not show up
    assert list(store.fetch("a")) == expected
    assert list(store.backward_fetch("a")) == expected[::-1]


def test_find_values_within_merging_session_window_range(make_store: Any) -> None:
    # shouldFindValuesWithinMergingSessionWindowRange: negative earliest end is fine
    store = make_store()
    store.put(w("a", 0, 0), 1)
    store.put(w("a", 1000, 1000), 2)
    assert list(store.find_sessions("a", -1, 1000)) == [(w("a", 0, 0), 1),
                                                         (w("a", 1000, 1000), 2)]


def test_find_sessions_to_merge(make_store: Any) -> None:
    # shouldFindSessionsToMerge: end >= 150 and start <= 300
    store = make_store()
    for i, (start, end) in enumerate([(0, 100), (101, 200), (201, 300), (301, 400),
                                      (401, 500)]):
        store.put(w("a", start, end), i + 1)
    assert list(store.find_sessions("a", 150, 300)) == [(w("a", 101, 200), 2),
                                                         (w("a", 201, 300), 3)]


def test_fetch_exact_keys_with_a_shared_prefix(make_store: Any) -> None:
    # shouldFetchExactKeys: "a" and "aa" share a prefix; huge ends cross segments
    far = 0x7A00000000000000
    store = make_store(far)
    store.put(w("a", 0, 0), 1)
    store.put(w("aa", 0, 10), 2)
    store.put(w("a", 10, 20), 3)
    store.put(w("aa", 10, 20), 4)
    store.put(w("a", far - 2, far - 1), 5)
    assert values(store.find_sessions("a", 0, MAX)) == {1, 3, 5}
    assert values(store.find_sessions("aa", 0, MAX)) == {2, 4}
    assert values(store.find_sessions_range("a", "aa", 0, MAX)) == {1, 2, 3, 4, 5}
    assert values(store.find_sessions_range("a", "aa", 10, 0)) == {2}
    assert values(store.find_sessions_range(None, "aa", 0, MAX)) == {1, 2, 3, 4, 5}
    assert values(store.find_sessions_range(None, None, 0, MAX)) == {1, 2, 3, 4, 5}


def test_iteration_order_is_end_then_key_then_start(make_store: Any) -> None:
    # the SessionStore contract of runtime.state.api (Kafka's InMemorySessionStore order)
    store = make_store()
    store.put(w("b", 0, 10), 1)
    store.put(w("a", 5, 10), 2)
    store.put(w("a", 0, 10), 3)
    store.put(w("a", 0, 1), 4)
    store.put(w("c", 0, 1), 5)
    assert list(store.fetch_range("a", "b")) == [
        (w("a", 0, 1), 4), (w("a", 0, 10), 3), (w("a", 5, 10), 2), (w("b", 0, 10), 1)]
    assert list(store.find_sessions_range(None, None, 5, 100)) == [
        (w("a", 0, 10), 3), (w("a", 5, 10), 2), (w("b", 0, 10), 1)]
    # shouldNotThrowInvalidRangeExceptionWithNegativeFromKey: from > to is just empty
    assert list(store.fetch_range("b", "a")) == []


def test_order_holds_across_segments(make_store: Any) -> None:
    # CachingPersistentSessionStoreTest.shouldFetchCorrectlyAcrossSegments and
    # shouldFetchRangeCorrectlyAcrossSegments; retention 10^6 gives 500 s segments, and
    # these ends fall in segments 0, 1 and 2 while all staying live
    ends = [400_000, 600_000, 1_100_000]
    store = make_store(1_000_000)
    for i in (2, 0, 1):
        store.put(w("aa", ends[i], ends[i]), 10 + i)
        store.put(w("a", ends[i], ends[i]), i)
    assert [s.window.end for s, _ in store.fetch("a")] == ends
    assert [(s.key, v) for s, v in store.find_sessions_range("a", "aa", 0, MAX)] == [
        ("a", 0), ("aa", 10), ("a", 1), ("aa", 11), ("a", 2), ("aa", 12)]


def test_fetch_exact_session_and_remove(make_store: Any) -> None:
    # shouldFetchExactSession, shouldReturnNullOnSessionNotFound, shouldRemove,
    # shouldRemoveOnNullAggValue, shouldNotThrowExceptionRemovingNonexistentKey
    store = make_store()
    store.put(w("a", 0, 4), 1)
    store.put(w("aa", 0, 3), 2)
    store.put(w("aa", 0, 4), 3)
    store.put(w("aa", 1, 4), 4)
    store.put(w("aaa", 0, 6), 5)
    assert store.fetch_session("aa", 0, 4) == 3
    assert store.fetch_session("a", 1, 4) is None
    assert store.fetch_session("any key", 0, 5) is None
    store.remove(w("aa", 0, 4))
    assert store.fetch_session("aa", 0, 4) is None
    assert list(store.fetch("aa")) == [(w("aa", 0, 3), 2), (w("aa", 1, 4), 4)]
    store.put(w("aa", 0, 3), None)  # a None aggregate is a tombstone
    assert list(store.fetch("aa")) == [(w("aa", 1, 4), 4)]
    store.remove(w("nothing", 0, 1))
    assert list(store.fetch("a")) == [(w("a", 0, 4), 1)]


def test_remove_expired_and_skip_expired_puts(make_store: Any) -> None:
    # shouldRemoveExpired (InMemorySessionStore branch): stream time is the largest
    # session end put; a session ending at or before stream time - retention is gone
    store = make_store()
    store.put(w("a", 0, 0), 1)
    store.put(w("aa", 0, 10), 2)
    store.put(w("a", 10, 20), 3)
    store.put(w("aa", 10, RETENTION_PERIOD), 4)  # stream time 10000: end 0 expires
    assert values(store.find_sessions_range("a", "b", 0, MAX)) == {2, 3, 4}
    assert store.fetch_session("a", 0, 0) is None
    assert store.fetch_session("aa", 0, 10) == 2
    # shouldMeasureExpiredRecords: a write to an expired session is skipped and counted
    store.put(w("late", 0, 0), 9)
    assert store.fetch_session("late", 0, 0) is None
    assert innermost(store).expired_records == 1
    store.put(w("aa", 20, 3 * RETENTION_PERIOD), 6)  # everything before 20001 expires
    assert list(store.find_sessions_range(None, None, 0, MAX)) == [
        (w("aa", 20, 3 * RETENTION_PERIOD), 6)]


def test_expired_segments_are_dropped(tmp_path: Any) -> None:
    # Kafka's segmented stores delete a segment once all it can hold has expired
    store = RocksDBSessionStore("s", 100_000, state_dir=str(tmp_path))  # 60 s segments
    store.init(Context())  # type: ignore[arg-type]
    try:
        store.put(Windowed(b"k", SessionWindow(0, 10)), b"1")
        store.put(Windowed(b"k", SessionWindow(0, 70_000)), b"2")
        assert sorted(os.listdir(store.path)) == ["s.0", "s.60000"]
        # min live end 100001: segment 0 (ends up to 59999) goes; segment 1 (60000 to
        # 119999) may still hold live ends, so it stays, its expired session filtered
        store.put(Windowed(b"k", SessionWindow(0, 200_000)), b"3")
        assert sorted(os.listdir(store.path)) == ["s.180000", "s.60000"]
        assert [v for _, v in store.fetch(b"k")] == [b"3"]
    finally:
        store.close()


def test_all_gives_changelog_keys_and_put_takes_them_back(kind: str, tmp_path: Any) -> None:
    # the task restores (put) and snapshots (all) the innermost store in the
    # changelog's SessionKeySchema layout
    def inner() -> Any:
        store: Any = (RocksDBSessionStore("s", 100, state_dir=str(tmp_path)) if kind == "rocksdb"
                      else InMemorySessionStore("s", 100))
        store.init(Context())
        return store

    source, copy = inner(), inner()
    try:
        source.put(Windowed(b"b", SessionWindow(1, 7)), b"2")
        source.put(Windowed(b"a", SessionWindow(3, 7)), b"1")
        source.put(Windowed(b"a", SessionWindow(0, 2)), b"0")
        dumped = list(source.all())
        assert dumped == [(to_store_key(b"a", 0, 2), b"0"), (to_store_key(b"a", 3, 7), b"1"),
                          (to_store_key(b"b", 1, 7), b"2")]
        for key, value in dumped:
            copy.put(key, value)
        assert copy.fetch_session(b"a", 3, 7) == b"1"
        copy.put(to_store_key(b"a", 3, 7), None)  # a changelog tombstone removes it
        assert [v for _, v in copy.fetch_range(None, None)] == [b"0", b"2"]
    finally:
        source.close()
        copy.close()


def test_dsl_default_store_follows_default_dsl_store(tmp_path: Any) -> None:
    # Kafka's DslStoreSuppliers: a Materialized without a store type gets what
    # default.dsl.store says
    from runtime.state.stores import dsl_session_store

    supplier = dsl_session_store("s", 1000, None)
    for dsl_store, expected in (("rocksDB", RocksDBSessionStore),
                                ("in_memory", InMemorySessionStore)):
        with use_settings(StoreSettings(state_dir=str(tmp_path), dsl_store=dsl_store)):
            assert isinstance(supplier.get(), expected)
    assert isinstance(dsl_session_store("s", 1000, "rocks_db").get(), RocksDBSessionStore)
    assert isinstance(dsl_session_store("s", 1000, "in_memory").get(), InMemorySessionStore)
