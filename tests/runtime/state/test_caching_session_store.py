"""The caching session store and the session aggregation forwarding through it.

Expected behaviour comes from Kafka's CachingPersistentSessionStoreTest /
CachingInMemorySessionStoreTest (shouldPutFetchFromCache, shouldRemove,
shouldForwardChangedValuesDuringFlush,
shouldNotForwardChangedValuesDuringFlushWhenSendOldValuesDisabled,
shouldFlushItemsToStoreOnEviction, shouldQueryItemsInCacheAndStore,
shouldFetchCorrectlyAcrossSegments), from KStreamSessionWindowAggregate's
SessionCacheFlushListener (records forwarded at flush carry the session end as
timestamp) and from the Kafka Streams developer guide, "Memory Management": with a record
cache, a DSL aggregation forwards only the latest value per key at commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from runtime import Serdes, SessionWindow, SessionWindows, StreamsBuilder, Topology, Windowed
from runtime.exec import ConsumedRecord, MockClock, StreamTask
from runtime.state import Stores
from runtime.state.internals.caching_session_store import CachingSessionStore
from runtime.state.internals.caching_store import set_flush_listener
from runtime.state.internals.session_in_memory import InMemorySessionStore
from runtime.state.internals.session_key_schema import to_store_key
from runtime.state.internals.session_layers import ChangeLoggingSessionBytesStore
from runtime.state.internals.store_settings import StoreSettings, use_settings
from runtime.state.internals.thread_cache import ThreadCache
from runtime.state.internals.wrapped import innermost
from runtime.testing import TopologyTestDriver

STRING, LONG = Serdes.string(), Serdes.long()
DEFAULT_TIMESTAMP = 10


class Context:
    application_id = "app"
    task_id = "0_0"
    partition = 0

    def __init__(self) -> None:
        self.timestamp = DEFAULT_TIMESTAMP
        self.headers: Any = None
        self.logged: list[tuple[bytes, bytes | None, int]] = []

    def changelog_topic(self, store_name: str) -> str:
        return f"app-{store_name}-changelog"

    def record_timestamp(self) -> int:
        return self.timestamp

    def record_headers(self) -> Any:
        return self.headers

    def log_change(self, store_name: str, key: bytes, value: bytes | None, timestamp: int) -> None:
        self.logged.append((key, value, timestamp))


class Forwarded:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, Any, Any, int]] = []

    def __call__(self, key: Any, new: Any, old: Any, timestamp: int, headers: Any) -> None:
        self.calls.append((key, new, old, timestamp))

    def take(self) -> list[tuple[Any, Any, Any, int]]:
        calls, self.calls = self.calls, []
        return calls


@pytest.fixture
def thread_cache() -> Iterator[ThreadCache]:
    yield ThreadCache(10_000_000)


def cached_session_store(thread_cache: ThreadCache | None,
                         retention: int = 1_000_000) -> tuple[Any, Context]:
    with use_settings(StoreSettings(cache=thread_cache)):
        store = Stores.session_store_builder(
            Stores.in_memory_session_store("s", retention), STRING, STRING
        ).with_caching_enabled().build()
    ctx = Context()
    store.init(ctx)
    return store, ctx


def w(key: str, start: int, end: int) -> Windowed:
    return Windowed(key, SessionWindow(start, end))


def test_builder_stacks_metered_over_caching_over_logging(thread_cache: ThreadCache) -> None:
    # Kafka's SessionStoreBuilder: MeteredSessionStore(CachingSessionStore(
    # ChangeLoggingSessionBytesStore(inner)))
    store, _ = cached_session_store(thread_cache)
    assert isinstance(store.wrapped, CachingSessionStore)
    assert isinstance(store.wrapped.wrapped, ChangeLoggingSessionBytesStore)
    assert isinstance(innermost(store), InMemorySessionStore)
    # no record cache configured (statestore.cache.max.bytes 0): no caching layer
    uncached, _ = cached_session_store(None)
    assert isinstance(uncached.wrapped, ChangeLoggingSessionBytesStore)


def test_writes_are_compacted_per_session_until_flush(thread_cache: ThreadCache) -> None:
    store, ctx = cached_session_store(thread_cache)
    ctx.timestamp = 1
    store.put(w("a", 0, 0), "1")
    ctx.timestamp = 2
    store.put(w("a", 0, 0), "2")
    ctx.timestamp = 3
    store.put(w("b", 0, 5), "x")
    ctx.timestamp = 4
    store.put(w("a", 0, 0), "3")
    # shouldPutFetchFromCache: reads see the cache, nothing is below yet
    assert store.fetch_session("a", 0, 0) == "3"
    assert innermost(store).fetch_session(b"a", 0, 0) is None and ctx.logged == []
    store.flush()
    # one changelog write per session, the latest value with the timestamp of the
    # record that wrote it, in the order of the latest updates
    assert ctx.logged == [(to_store_key(b"b", 0, 5), b"x", 3), (to_store_key(b"a", 0, 0), b"3", 4)]
    assert innermost(store).fetch_session(b"a", 0, 0) == b"3"


def test_flush_forwards_changed_values_with_old_values(thread_cache: ThreadCache) -> None:
    # shouldForwardChangedValuesDuringFlush
    store, _ = cached_session_store(thread_cache)
    forwarded = Forwarded()
    set_flush_listener(store, forwarded, True)
    a, b = w("a", 2, 4), w("a", 1, 2)
    store.put(b, "1")
    store.flush()
    assert forwarded.take() == [(b, "1", None, DEFAULT_TIMESTAMP)]
    store.put(a, "1")
    store.flush()
    assert forwarded.take() == [(a, "1", None, DEFAULT_TIMESTAMP)]
    store.put(a, "2")
    store.flush()
    assert forwarded.take() == [(a, "2", "1", DEFAULT_TIMESTAMP)]
    store.remove(a)
    store.flush()
    assert forwarded.take() == [(a, None, "2", DEFAULT_TIMESTAMP)]
    # created and removed between two flushes: nothing to forward
    store.put(a, "1")
    store.put(a, "2")
    store.remove(a)
    store.flush()
    assert forwarded.take() == []


def test_flush_without_old_values(thread_cache: ThreadCache) -> None:
    # shouldNotForwardChangedValuesDuringFlushWhenSendOldValuesDisabled
    store, _ = cached_session_store(thread_cache)
    forwarded = Forwarded()
    set_flush_listener(store, forwarded, False)
    a = w("a", 0, 0)
    for value in ("1", "2", None):
        store.put(a, value)
        store.flush()
    assert forwarded.take() == [(a, "1", None, DEFAULT_TIMESTAMP), (a, "2", None, DEFAULT_TIMESTAMP),
                                (a, None, None, DEFAULT_TIMESTAMP)]
    store.put(a, "1")
    store.put(a, "2")
    store.remove(a)
    store.flush()
    assert forwarded.take() == []


def test_remove_in_the_cache_hides_the_stored_session(thread_cache: ThreadCache) -> None:
    # shouldRemove
    store, _ = cached_session_store(thread_cache)
    store.put(w("a", 0, 0), "2")
    store.put(w("b", 0, 0), "2")
    store.flush()
    store.remove(w("a", 0, 0))
    assert list(store.find_sessions("a", 0, 0)) == []
    assert store.fetch_session("a", 0, 0) is None
    assert store.fetch_session("b", 0, 0) == "2"
    assert innermost(store).fetch_session(b"a", 0, 0) == b"2"   # until the flush


def test_reads_merge_cache_and_store_in_order(thread_cache: ThreadCache) -> None:
    # shouldFetchCorrectlyAcrossSegments / shouldFetchRangeCorrectlyAcrossSegments:
    # half flushed, half cached, one ordered result (session end, then key, then start)
    store, _ = cached_session_store(thread_cache)
    store.put(w("a", 0, 0), "1")
    store.put(w("aa", 0, 0), "1")
    store.put(w("a", 100, 100), "2")
    store.flush()
    store.put(w("a", 200, 200), "3")
    store.put(w("aa", 200, 200), "3")
    store.put(w("a", 100, 100), "2b")   # a cached update of a stored session
    assert [(s, v) for s, v in store.find_sessions("a", 0, 200)] == [
        (w("a", 0, 0), "1"), (w("a", 100, 100), "2b"), (w("a", 200, 200), "3")]
    assert [s for s, _ in store.find_sessions_range("a", "aa", 0, 200)] == [
        w("a", 0, 0), w("aa", 0, 0), w("a", 100, 100), w("a", 200, 200), w("aa", 200, 200)]
    assert [s for s, _ in store.backward_find_sessions("a", 0, 200)] == [
        w("a", 200, 200), w("a", 100, 100), w("a", 0, 0)]
    # earliest end 100 and latest start 150 leave out [0,0] and [200,200]
    assert list(store.find_sessions("a", 100, 150)) == [(w("a", 100, 100), "2b")]


def test_reads_leave_out_sessions_the_store_would_expire(thread_cache: ThreadCache) -> None:
    # retention as the store below: sessions ending at or before stream time - retention
    store, _ = cached_session_store(thread_cache, retention=100)
    store.put(w("a", 0, 10), "old")
    store.put(w("a", 150, 200), "new")   # stream time 200: ends <= 100 are gone
    assert list(store.fetch("a")) == [(w("a", 150, 200), "new")]
    assert store.fetch_session("a", 0, 10) is None


def test_eviction_flushes_to_the_store(thread_cache: ThreadCache) -> None:
    # shouldFlushItemsToStoreOnEviction: once the cache overflows, the least recently
    # used session is evicted and the dirty entries reach the store below
    small = ThreadCache(500)
    store, ctx = cached_session_store(small)
    forwarded = Forwarded()
    set_flush_listener(store, forwarded, False)
    added = []
    i = 0
    while not ctx.logged:
        session = w("a", i * 10, i * 10)
        store.put(session, str(i))
        added.append(session)
        i += 1
    assert len(added) > 1
    named = small.named_cache(store.wrapped.namespace)
    assert len(named) == len(added) - 1
    assert forwarded.calls[0][:2] == (added[0], "0")   # the evicted one goes first
    assert innermost(store).fetch_session(b"a", 0, 0) == b"0"
    assert list(store.find_sessions("a", 0, 0)) == [(added[0], "0")]
    # shouldQueryItemsInCacheAndStore: evicted and cached sessions are all found
    assert [s for s, _ in store.find_sessions("a", 0, len(added) * 10)] == added


def test_close_forgets_the_cache(thread_cache: ThreadCache) -> None:
    # shouldClearNamespaceCacheOnClose
    store, _ = cached_session_store(thread_cache)
    store.put(w("a", 0, 0), "1")
    namespace = store.wrapped.namespace
    assert len(thread_cache.named_cache(namespace)) == 1
    store.close()
    assert namespace not in thread_cache.namespaces


# -- the session aggregation through the cache -------------------------------------------

class ListCollector:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, int]] = []

    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Any = None, partition: int | None = None) -> None:
        self.sent.append((topic, key, value, timestamp))

    def to(self, topic: str) -> list[tuple[Any, ...]]:
        return [(STRING.deserialize(k, topic),
                 None if v is None else LONG.deserialize(v, topic), ts)
                for t, k, v, ts in self.sent if t == topic]


def session_counts() -> Topology:
    b = StreamsBuilder()
    (b.stream("in", key_serde=STRING, value_serde=STRING)
     .group_by_key()
     .windowed_by(SessionWindows.of_inactivity_gap_and_grace(10, 100))
     .count(store="sessions")
     .to_stream()
     .map(lambda s, c: (f"{s.key}@{s.window.start}-{s.window.end}", c))
     .to("out", key_serde=STRING, value_serde=LONG))
    return b.build()


def rec(offset: int, key: str, ts: int) -> ConsumedRecord:
    return ConsumedRecord("in", 0, offset, ts, key.encode(), b"v")


def test_session_count_forwards_latest_sessions_at_commit(tmp_path: Any) -> None:
    # With caching (Kafka's default for DSL session stores) the processor forwards
    # nothing itself; the flush forwards the latest aggregate per session, timestamped
    # with the session end (SessionCacheFlushListener). A session merged away before
    # it was ever flushed was never forwarded, so no tombstone goes for it; one that
    # was flushed gets its tombstone at the next flush.
    collector = ListCollector()
    task = StreamTask(session_counts(), 0, 0, application_id="app", collector=collector,
                      config={"statestore.cache.max.bytes": 10 * 1024 * 1024,
                              "state.dir": str(tmp_path)},
                      clock=MockClock(0))
    try:
        task.process_batch([rec(0, "a", 0), rec(1, "a", 5), rec(2, "b", 7)])
        assert collector.to("out") == []
        task.flush()
        assert collector.to("out") == [("a@0-5", 2, 5), ("b@7-7", 1, 7)]
        task.process(rec(3, "a", 12))   # merges [0,5] into [0,12]
        task.flush()
        assert collector.to("out")[2:] == [("a@0-5", None, 5), ("a@0-12", 3, 12)]
        assert list(task.get_store("sessions").fetch("a")) == [
            (w("a", 0, 12), 3)]
    finally:
        task.close()


def test_the_test_driver_forwards_every_session_update() -> None:
    # DESIGN: the TopologyTestDriver has no record cache, so every update is forwarded,
    # as Kafka's driver does with caching off (KStreamSessionWindowAggregateProcessorTest)
    with TopologyTestDriver(session_counts(),
                            {"statestore.cache.max.bytes": 10 * 1024 * 1024}) as driver:
        source = driver.create_input_topic("in", STRING, STRING)
        for key, ts in (("a", 0), ("a", 5)):
            source.pipe_input(key, "v", ts)
        out = driver.create_output_topic("out", STRING, LONG)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("a@0-0", 1, 0), ("a@0-0", None, 0), ("a@0-5", 2, 5)]
