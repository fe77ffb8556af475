"""Session stores: the in-memory store (Kafka's InMemorySessionStore and
AbstractSessionBytesStoreTest), change-logging with Kafka's SessionKeySchema changelog
keys (key bytes, 8-byte end, 8-byte start; ChangeLoggingSessionBytesStoreTest), the
metered layer, and restore/snapshot through the task (the engine's restore path)."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from runtime import Serdes, SessionWindow, SessionWindows, StreamsBuilder, Windowed
from runtime.exec import ConsumedRecord, MockClock, StreamTask
from runtime.state import Stores
from runtime.state.internals.rocksdb_session_store import RocksDBSessionStore
from runtime.state.internals.session_in_memory import InMemorySessionStore
from runtime.state.internals.session_key_schema import from_store_key, to_store_key
from runtime.state.internals.session_layers import (
    ChangeLoggingSessionBytesStore,
    MeteredSessionStore,
)
from runtime.state.internals.wrapped import innermost

RETENTION_PERIOD = 10_000  # AbstractSessionBytesStoreTest.RETENTION_PERIOD


class RecordingContext:
    application_id = "app"
    task_id = "0_0"
    partition = 0

    def __init__(self) -> None:
        self.timestamp = 0
        self.logged: list[tuple[str, bytes, bytes | None, int]] = []

    def changelog_topic(self, store_name: str) -> str:
        return f"app-{store_name}-changelog"

    def record_timestamp(self) -> int:
        return self.timestamp

    def log_change(self, store_name: str, key: bytes, value: bytes | None, timestamp: int) -> None:
        self.logged.append((store_name, key, value, timestamp))

    def default_key_serde(self) -> Any:
        return Serdes.string()

    def default_value_serde(self) -> Any:
        return Serdes.long()


def session_store(retention: int = RETENTION_PERIOD) -> tuple[Any, RecordingContext]:
    store = Stores.session_store_builder(Stores.in_memory_session_store("s", retention),
                                         Serdes.string(), Serdes.long()).build()
    ctx = RecordingContext()
    store.init(ctx)
    return store, ctx


def w(key: str, start: int, end: int) -> Windowed:
    return Windowed(key, SessionWindow(start, end))


def test_key_schema_layout() -> None:
    # SessionKeySchema.toBinary: key bytes, then end, then start, big-endian longs
    assert to_store_key(b"k", 10, 20) == b"k" + struct.pack(">qq", 20, 10)
    assert from_store_key(b"k" + struct.pack(">qq", 20, 10)) == (b"k", 10, 20)
    with pytest.raises(ValueError):
        from_store_key(b"short")


def test_put_and_find_sessions_in_range() -> None:
    # AbstractSessionBytesStoreTest.shouldPutAndFindSessionsInRange
    store, _ = session_store()
    store.put(w("a", 10, 10), 1)
    store.put(w("a", 500, 1000), 2)
    store.put(w("a", 1500, 2000), 1)
    store.put(w("a", 2500, 3000), 2)
    assert list(store.find_sessions("a", 0, 1000)) == [(w("a", 10, 10), 1), (w("a", 500, 1000), 2)]
    assert list(store.find_sessions("a", 400, 600)) == [(w("a", 500, 1000), 2)]
    assert list(store.backward_find_sessions("a", 0, 1000)) == [
        (w("a", 500, 1000), 2), (w("a", 10, 10), 1)]


def test_find_sessions_to_merge() -> None:
    # AbstractSessionBytesStoreTest.shouldFindSessionsToMerge
    store, _ = session_store()
    for i, (start, end) in enumerate([(0, 100), (101, 200), (201, 300), (301, 400), (401, 500)]):
        store.put(w("a", start, end), i + 1)
    assert list(store.find_sessions("a", 150, 300)) == [(w("a", 101, 200), 2), (w("a", 201, 300), 3)]


def test_fetch_exact_remove_and_null_aggregate() -> None:
    # shouldFetchExactSession, shouldReturnNullOnSessionNotFound, shouldRemove,
    # shouldRemoveOnNullAggValue, shouldNotThrowExceptionRemovingNonexistentKey
    store, _ = session_store()
    store.put(w("a", 0, 4), 1)
    store.put(w("aa", 0, 3), 2)
    store.put(w("aa", 0, 4), 3)
    assert store.fetch_session("aa", 0, 4) == 3
    assert store.fetch_session("a", 1, 4) is None
    store.remove(w("aa", 0, 4))
    assert store.fetch_session("aa", 0, 4) is None
    store.put(w("aa", 0, 3), None)
    assert list(store.fetch("aa")) == []
    store.remove(w("nothing", 0, 1))
    assert list(store.fetch("a")) == [(w("a", 0, 4), 1)]


def test_fetch_within_key_range_orders_by_end_then_key() -> None:
    # InMemorySessionStore iterates end times, then keys, then starts
    store, _ = session_store()
    store.put(w("b", 0, 10), 1)
    store.put(w("a", 5, 10), 2)
    store.put(w("a", 0, 10), 3)
    store.put(w("a", 0, 1), 4)
    store.put(w("c", 0, 1), 5)
    assert list(store.fetch_range("a", "b")) == [
        (w("a", 0, 1), 4), (w("a", 0, 10), 3), (w("a", 5, 10), 2), (w("b", 0, 10), 1)]
    assert list(store.find_sessions_range(None, None, 5, 100)) == [
        (w("a", 0, 10), 3), (w("a", 5, 10), 2), (w("b", 0, 10), 1)]
    assert list(store.fetch_range("b", "a")) == []  # invalid range: empty, as in Kafka


def test_remove_expired_and_skip_expired_puts() -> None:
    # AbstractSessionBytesStoreTest.shouldRemoveExpired (in-memory branch)
    store, _ = session_store()
    store.put(w("a", 0, 0), 1)
    store.put(w("aa", 0, 10), 2)
    store.put(w("a", 10, 20), 3)
    store.put(w("aa", 10, RETENTION_PERIOD), 4)  # stream time 10000: end 0 <= 0 expires
    assert {v for _, v in store.find_sessions_range("a", "b", 0, 2**63 - 1)} == {2, 3, 4}
    # a put ending at or before stream time - retention is skipped (shouldMeasureExpiredRecords)
    store.put(w("late", 0, 0), 9)
    assert store.fetch_session("late", 0, 0) is None
    assert innermost(store).expired_records == 1


def test_change_logging_uses_session_key_schema_and_record_timestamp() -> None:
    # ChangeLoggingSessionBytesStoreTest: logChange(name, SessionKeySchema.toBinary(key),
    # value, context.timestamp()); remove logs a tombstone
    store, ctx = session_store()
    ctx.timestamp = 42
    store.put(w("k", 5, 9), 3)
    store.remove(w("k", 5, 9))
    key = b"k" + struct.pack(">qq", 9, 5)
    assert ctx.logged == [("s", key, struct.pack(">q", 3), 42), ("s", key, None, 42)]
    assert isinstance(store, MeteredSessionStore)
    assert isinstance(store.wrapped, ChangeLoggingSessionBytesStore)
    assert isinstance(innermost(store), InMemorySessionStore)


def test_logging_disabled_and_builder_config() -> None:
    builder = Stores.session_store_builder(Stores.persistent_session_store("s", 5000))
    assert builder.log_config == {"cleanup.policy": "compact,delete",
                                  "retention.ms": str(5000 + 86_400_000)}
    store = builder.with_logging_disabled().build()
    # persistent means RocksDB, as Stores.persistentSessionStore in Kafka
    assert isinstance(store.wrapped, RocksDBSessionStore)
    assert repr(Stores.in_memory_session_store("x", 7)) == "Stores.in_memory_session_store('x', 7)"


def test_all_gives_changelog_store_keys_and_put_takes_them_back() -> None:
    inner = InMemorySessionStore("s", 100)
    inner.init(RecordingContext())  # type: ignore[arg-type]
    inner.put(Windowed(b"a", SessionWindow(3, 7)), b"1")
    assert list(inner.all()) == [(b"a" + struct.pack(">qq", 7, 3), b"1")]
    copy = InMemorySessionStore("s", 100)
    for key, value in inner.all():
        copy.put(key, value)
    assert copy.fetch_session(b"a", 3, 7) == b"1"
    copy.put(b"a" + struct.pack(">qq", 7, 3), None)  # a changelog tombstone removes it
    assert copy.approximate_num_entries() == 0


def test_session_store_requires_keys() -> None:
    store, _ = session_store()
    with pytest.raises(Exception):
        store.put(w(None, 0, 0), 1)  # type: ignore[arg-type]


# -- restore through the task ------------------------------------------------------------
class ListCollector:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, int]] = []

    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Any = None, partition: int | None = None) -> None:
        self.sent.append((topic, key, value, timestamp))


def session_count_task() -> tuple[StreamTask, ListCollector]:
    b = StreamsBuilder()
    (b.stream("in", key_serde=Serdes.string(), value_serde=Serdes.string()).group_by_key()
     .windowed_by(SessionWindows.of_inactivity_gap_and_grace(10, 100)).count(store="sessions"))
    collector = ListCollector()
    # no record cache: every update reaches the changelog at once
    task = StreamTask(b.build(), 0, 0, application_id="app", collector=collector,
                      config={"statestore.cache.max.bytes": 0}, clock=MockClock(0))
    return task, collector


def test_session_store_restores_from_its_changelog_and_from_a_snapshot() -> None:
    task, collector = session_count_task()
    for offset, (key, ts) in enumerate([("a", 0), ("a", 5), ("b", 7), ("a", 30), ("a", 12)]):
        task.process(ConsumedRecord("in", 0, offset, ts, key.encode(), b"v"))
    assert task.changelog_partitions() == {"sessions": ("app-sessions-changelog", 0)}
    # ordered by session end, then key
    expected = [(w("b", 7, 7), 1), (w("a", 0, 12), 3), (w("a", 30, 30), 1)]
    assert list(task.get_store("sessions").all()) == expected
    changelog = [(k, v, ts) for topic, k, v, ts in collector.sent
                 if topic == "app-sessions-changelog"]
    # merging [0,5] into [0,12] sent a tombstone for [0,5] (key a, end 5, start 0)
    assert (b"a" + struct.pack(">qq", 5, 0), None, 12) in changelog

    restored, _ = session_count_task()
    restored.restore("sessions", changelog)
    assert list(restored.get_store("sessions").all()) == expected

    reloaded, _ = session_count_task()
    reloaded.load_snapshot("sessions", task.store_snapshot("sessions"))
    assert list(reloaded.get_store("sessions").all()) == expected
    # the restored store keeps aggregating: a@40 joins [30,30]
    reloaded.process(ConsumedRecord("in", 0, 5, 40, b"a", b"v"))
    assert reloaded.get_store("sessions").fetch_session("a", 30, 40) == 2
    for t in (task, restored, reloaded):
        t.close()
