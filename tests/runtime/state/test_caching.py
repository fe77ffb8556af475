"""The record cache: ThreadCache/NamedCache, the caching key-value and window layers, and
DSL aggregations that forward through the cache's flush listener.

Expected behaviour comes from Kafka's NamedCacheTest, ThreadCacheTest,
CachingInMemoryKeyValueStoreTest, CachingPersistentWindowStoreTest and the "Memory
Management" page of the Kafka Streams developer guide (record caches in the DSL).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from runtime import Serdes, StreamsBuilder, Topology
from runtime.dsl.options import Materialized
from runtime.exec import ConsumedRecord, MockClock, StreamTask
from runtime.state import Stores, ValueAndTimestamp
from runtime.state.internals.caching_store import CachingKeyValueStore, set_flush_listener
from runtime.state.internals.caching_window_store import CachingWindowStore
from runtime.state.internals.store_settings import StoreSettings, use_settings
from runtime.state.internals.thread_cache import CacheEntry, DirtyEntry, ThreadCache, entry_size
from runtime.state.internals.wrapped import innermost
from runtime.testing import TopologyTestDriver

STRING, LONG = Serdes.string(), Serdes.long()


# -- NamedCache / ThreadCache ------------------------------------------------------------

def flushed_into(cache: ThreadCache, namespace: str) -> list[list[DirtyEntry]]:
    batches: list[list[DirtyEntry]] = []
    cache.named_cache(namespace).listener = lambda entries: batches.append(list(entries))
    return batches


def dirty(value: bytes | None, ts: int = 0) -> CacheEntry:
    return CacheEntry(value, True, ts)


def test_flush_sends_dirty_entries_in_order_of_their_latest_update() -> None:
    # NamedCacheTest.shouldFlushDirtyEntriesOnEviction / ThreadCacheTest ordering
    cache = ThreadCache(10_000)
    batches = flushed_into(cache, "ns")
    cache.put("ns", b"a", dirty(b"1", 1))
    cache.put("ns", b"b", dirty(b"2", 2))
    cache.put("ns", b"a", dirty(b"3", 3))     # a moves behind b
    cache.put("ns", b"c", CacheEntry(b"clean"))  # clean entries are never flushed
    cache.flush("ns")
    assert batches == [[DirtyEntry(b"b", b"2", 2, None), DirtyEntry(b"a", b"3", 3, None)]]
    cache.flush("ns")
    assert len(batches) == 1  # nothing dirty: no flush at all


def test_eviction_removes_the_least_recently_used_and_flushes_it_first() -> None:
    # NamedCacheTest.shouldEvictEldestEntry + shouldFlushDirtyEntriesOnEviction: evicting
    # a dirty entry flushes every dirty entry of that cache, the evicted one first.
    one = entry_size(b"a", dirty(b"1"))
    cache = ThreadCache(3 * one)
    batches = flushed_into(cache, "ns")
    cache.put("ns", b"a", dirty(b"1"))
    cache.put("ns", b"b", dirty(b"2"))
    cache.put("ns", b"c", dirty(b"3"))
    assert cache.get("ns", b"a") is not None   # a is now the most recently used
    cache.put("ns", b"d", dirty(b"4"))         # over the limit: b (eldest) goes
    assert [[e.key for e in batch] for batch in batches] == [[b"b", b"a", b"c", b"d"]]
    assert cache.get("ns", b"b") is None
    assert cache.named_cache("ns").dirty_count == 0
    assert cache.size_bytes <= cache.max_bytes


def test_eviction_only_touches_the_cache_written_to() -> None:
    # ThreadCache#maybeEvict evicts from the namespace being written
    one = entry_size(b"a", dirty(b"1"))
    cache = ThreadCache(2 * one)
    first, second = flushed_into(cache, "t1"), flushed_into(cache, "t2")
    cache.put("t1", b"a", dirty(b"1"))
    cache.put("t1", b"b", dirty(b"2"))
    cache.put("t2", b"x", dirty(b"9"))       # over: t2 evicts its own (only) entry
    assert first == [] and [[e.key for e in b] for b in second] == [[b"x"]]
    assert cache.get("t1", b"a") is not None


def test_deleted_entries_leave_the_cache_after_a_flush() -> None:
    # NamedCacheTest.shouldRemoveDeletedValuesOnFlush
    cache = ThreadCache(10_000)
    batches = flushed_into(cache, "ns")
    cache.put("ns", b"gone", dirty(None))
    cache.put("ns", b"kept", dirty(b"v"))
    cache.flush("ns")
    assert [e.value for e in batches[0]] == [None, b"v"]
    assert cache.get("ns", b"gone") is None and cache.get("ns", b"kept") is not None
    assert len(cache.named_cache("ns")) == 1


def test_close_forgets_a_namespace_without_flushing() -> None:
    cache = ThreadCache(10_000)
    batches = flushed_into(cache, "ns")
    cache.put("ns", b"a", dirty(b"1"))
    cache.close("ns")
    assert batches == [] and cache.size_bytes == 0 and cache.namespaces == []


def test_resize_evicts_until_the_new_size_holds() -> None:
    # ThreadCacheTest.shouldEvictAfterResize (ours evicts round-robin over the caches)
    cache = ThreadCache(10_000)
    batches = flushed_into(cache, "ns")
    for i in range(10):
        cache.put("ns", bytes([i]), dirty(b"v"))
    cache.resize(entry_size(b"\x00", dirty(b"v")) * 2)
    assert len(cache.named_cache("ns")) == 2 and len(batches) == 1 and len(batches[0]) == 10


def test_a_clean_read_through_never_hides_a_dirty_write() -> None:
    cache = ThreadCache(10_000)
    cache.put("ns", b"a", dirty(b"1"))
    with pytest.raises(RuntimeError):
        cache.named_cache("ns").put(b"a", CacheEntry(b"stale"))


# -- caching key-value store ---------------------------------------------------------

class Context:
    application_id = "app"
    task_id = "0_0"
    partition = 0

    def __init__(self) -> None:
        self.timestamp = 0
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

    def default_key_serde(self) -> Any:
        return STRING

    def default_value_serde(self) -> Any:
        return STRING


def cached_kv(thread_cache: ThreadCache, *, timestamped: bool = False,
              persistent: bool = False, state_dir: str = "") -> tuple[Any, Context]:
    supplier = (Stores.persistent_key_value_store("s") if persistent
                else Stores.in_memory_key_value_store("s"))
    make = Stores.timestamped_key_value_store_builder if timestamped \
        else Stores.key_value_store_builder
    with use_settings(StoreSettings(state_dir=state_dir, cache=thread_cache)):
        store = make(supplier, STRING, STRING).with_caching_enabled().build()
    ctx = Context()
    store.init(ctx)
    return store, ctx


class Forwarded:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, Any, Any, int, Any]] = []

    def __call__(self, key: Any, new: Any, old: Any, timestamp: int, headers: Any) -> None:
        self.calls.append((key, new, old, timestamp, headers))


@pytest.fixture
def thread_cache() -> Iterator[ThreadCache]:
    yield ThreadCache(10_000_000)


def test_builder_stacks_metered_over_caching_over_logging(thread_cache: ThreadCache) -> None:
    store, _ = cached_kv(thread_cache)
    assert isinstance(store.wrapped, CachingKeyValueStore)
    with use_settings(StoreSettings()):  # no cache configured: no caching layer
        plain = Stores.key_value_store_builder(
            Stores.in_memory_key_value_store("s")).with_caching_enabled().build()
    assert not isinstance(plain.wrapped, CachingKeyValueStore)
    with use_settings(StoreSettings(cache=thread_cache)):  # caching not asked for
        off = Stores.key_value_store_builder(Stores.in_memory_key_value_store("s")).build()
    assert not isinstance(off.wrapped, CachingKeyValueStore)


def test_writes_reach_the_changelog_and_store_only_at_flush(thread_cache: ThreadCache) -> None:
    # CachingInMemoryKeyValueStoreTest.shouldPutGetToFromCache / shouldFlushAll...
    store, ctx = cached_kv(thread_cache)
    ctx.timestamp = 5
    store.put("a", "1")
    ctx.timestamp = 7
    store.put("a", "2")
    assert store.get("a") == "2"
    assert ctx.logged == [] and innermost(store).get(b"a") is None
    ctx.timestamp = 99  # the flush logs with each entry's own record timestamp
    store.flush()
    assert ctx.logged == [(b"a", b"2", 7)]
    assert innermost(store).get(b"a") == b"2"


def test_forwards_old_values_when_enabled(thread_cache: ThreadCache) -> None:
    # CachingInMemoryKeyValueStoreTest.shouldForwardOldValuesWhenEnabled
    store, ctx = cached_kv(thread_cache)
    forwarded = Forwarded()
    assert set_flush_listener(store, forwarded, True)
    store.put("1", "a")
    store.flush()
    store.put("1", "b")
    store.put("1", "c")
    store.flush()
    store.put("1", None)
    store.flush()
    assert [(k, n, o) for k, n, o, _, _ in forwarded.calls] == [
        ("1", "a", None), ("1", "c", "a"), ("1", None, "c")]
    forwarded.calls.clear()
    # neither in the store nor forwarded before: a put-then-delete is never forwarded
    store.put("1", "a")
    store.put("1", "b")
    store.put("1", None)
    store.flush()
    assert forwarded.calls == []


def test_does_not_forward_old_values_when_disabled(thread_cache: ThreadCache) -> None:
    # CachingInMemoryKeyValueStoreTest.shouldNotForwardOldValuesWhenDisabled
    store, _ = cached_kv(thread_cache)
    forwarded = Forwarded()
    set_flush_listener(store, forwarded, False)
    store.put("1", "a")
    store.flush()
    store.put("1", "b")
    store.flush()
    store.put("1", None)
    store.flush()
    assert [(k, n, o) for k, n, o, _, _ in forwarded.calls] == [
        ("1", "a", None), ("1", "b", None), ("1", None, None)]


def test_flush_forwards_the_timestamp_and_headers_of_the_last_write(
        thread_cache: ThreadCache) -> None:
    store, ctx = cached_kv(thread_cache, timestamped=True)
    forwarded = Forwarded()
    set_flush_listener(store, forwarded, False)
    ctx.timestamp, ctx.headers = 3, (("h", b"1"),)
    store.put("k", ValueAndTimestamp("x", 3))
    ctx.timestamp, ctx.headers = 4, (("h", b"2"),)
    store.put("k", ValueAndTimestamp("y", 4))
    store.flush()
    assert forwarded.calls == [("k", ValueAndTimestamp("y", 4), None, 4, (("h", b"2"),))]
    # the changelog gets the plain value with the value's timestamp
    assert ctx.logged == [(b"k", b"y", 4)]


def test_reads_merge_cache_and_store(thread_cache: ThreadCache) -> None:
    # CachingInMemoryKeyValueStoreTest.shouldIterateAllStoredItems / shouldDeleteItemsFromCache
    # / shouldNotShowItemsDeletedFromCacheButFlushedToStoreBeforeDelete
    store, _ = cached_kv(thread_cache)
    for k in "abcd":
        store.put(k, k.upper())
    store.flush()
    store.put("b", None)        # deleted in the cache, still in the store below
    store.put("e", "E")         # only in the cache
    assert store.delete("c") == "C"
    assert store.get("b") is None and store.get("c") is None
    assert list(store.all()) == [("a", "A"), ("d", "D"), ("e", "E")]
    assert list(store.range("b", "e")) == [("d", "D"), ("e", "E")]
    assert list(store.reverse_range(None, "d")) == [("d", "D"), ("a", "A")]
    assert store.put_if_absent("a", "Z") == "A" and store.put_if_absent("z", "Z") is None
    store.flush()
    assert [k for k, _ in innermost(store).all()] == [b"a", b"d", b"e", b"z"]


def test_evicted_entries_are_written_to_the_store(thread_cache: ThreadCache) -> None:
    # CachingInMemoryKeyValueStoreTest.shouldFlushEvictedItemsIntoUnderlyingStore
    small = ThreadCache(3 * entry_size(b"k0", dirty(b"v0")) + 10)
    store, ctx = cached_kv(small)
    for i in range(5):
        store.put(f"k{i}", f"v{i}")
    below = dict(innermost(store).all())
    assert below[b"k0"] == b"v0"  # evicted, so flushed
    assert small.size_bytes <= small.max_bytes
    assert [v for _, v in store.all()] == [f"v{i}" for i in range(5)]


def test_close_drops_the_namespace(thread_cache: ThreadCache) -> None:
    store, _ = cached_kv(thread_cache)
    store.put("a", "1")
    store.close()
    assert thread_cache.namespaces == [] and thread_cache.size_bytes == 0


def test_cached_rocksdb_store(thread_cache: ThreadCache, tmp_path: Any) -> None:
    store, ctx = cached_kv(thread_cache, persistent=True, state_dir=str(tmp_path))
    store.put("a", "1")
    assert innermost(store).get(b"a") is None
    store.flush()
    assert innermost(store).get(b"a") == b"1" and ctx.logged == [(b"a", b"1", 0)]
    store.close()


# -- caching window store -------------------------------------------------------------

def cached_window(thread_cache: ThreadCache, retention: int = 100,
                  size: int = 10) -> tuple[Any, Context]:
    with use_settings(StoreSettings(cache=thread_cache)):
        store = Stores.window_store_builder(
            Stores.in_memory_window_store("w", retention, size), STRING, STRING
        ).with_caching_enabled().build()
    ctx = Context()
    store.init(ctx)
    return store, ctx


def test_window_store_caches_and_forwards_windowed_keys(thread_cache: ThreadCache) -> None:
    # CachingPersistentWindowStoreTest.shouldForwardOldValuesWhenEnabled /
    # shouldPutFetchFromCache
    from runtime import TimeWindow, Windowed

    store, ctx = cached_window(thread_cache)
    assert isinstance(store.wrapped, CachingWindowStore)
    forwarded = Forwarded()
    set_flush_listener(store, forwarded, True)
    ctx.timestamp = 1
    store.put("1", "a", 0)
    assert store.fetch("1", 0) == "a" and innermost(store).fetch(b"1", 0) is None
    store.flush()
    store.put("1", "b", 0)
    store.put("1", "c", 0)
    store.flush()
    store.put("1", None, 0)
    store.flush()
    window = Windowed("1", TimeWindow(0, 10))
    assert [(k, n, o) for k, n, o, _, _ in forwarded.calls] == [
        (window, "a", None), (window, "c", "a"), (window, None, "c")]
    assert ctx.logged[-1][1] is None


def test_window_reads_merge_cache_and_store(thread_cache: ThreadCache) -> None:
    # CachingPersistentWindowStoreTest.shouldIterateCacheAndStore /
    # shouldFetchAllWithinTimestampRange
    store, _ = cached_window(thread_cache)
    store.put("a", "store0", 0)
    store.put("a", "store10", 10)
    store.put("b", "b10", 10)
    store.flush()
    store.put("a", "cache10", 10)
    store.put("a", "cache20", 20)
    store.put("b", None, 10)
    assert list(store.fetch("a", 0, 20)) == [(0, "store0"), (10, "cache10"), (20, "cache20")]
    assert store.fetch("b", 10) is None
    assert [(w.key, w.window.start, v) for w, v in store.fetch_all(5, 20)] == [
        ("a", 10, "cache10"), ("a", 20, "cache20")]
    store.put("a", "late", 200)  # stream time 200: windows before 101 are gone
    assert list(store.fetch("a", 0, 300)) == [(200, "late")]


def test_duplicate_retaining_window_stores_are_never_cached(thread_cache: ThreadCache) -> None:
    with use_settings(StoreSettings(cache=thread_cache)):
        store = Stores.window_store_builder(
            Stores.in_memory_window_store("j", 100, 10, retain_duplicates=True)
        ).with_caching_enabled().build()
    assert not isinstance(store.wrapped, CachingWindowStore)


# -- DSL aggregations over a cached store, in a StreamTask -----------------------------

class ListCollector:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, int, Any]] = []

    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Sequence[tuple[str, bytes]] | None = None,
             partition: int | None = None) -> None:
        self.sent.append((topic, key, value, timestamp, headers))

    def to(self, topic: str) -> list[tuple[Any, ...]]:
        return [(STRING.deserialize(k, topic), LONG.deserialize(v, topic), ts)
                for t, k, v, ts, _ in self.sent if t == topic]


def summed(materialized: Materialized | None = None) -> Topology:
    b = StreamsBuilder()
    (b.stream("in", key_serde=STRING, value_serde=LONG)
     .group_by_key()
     .reduce(lambda agg, v: agg + v, store=materialized or "sums")
     .to_stream()
     .to("out", key_serde=STRING, value_serde=LONG))
    return b.build()


def rec(offset: int, key: str, value: int, ts: int,
        headers: tuple[tuple[str, bytes], ...] = ()) -> ConsumedRecord:
    return ConsumedRecord("in", 0, offset, ts, STRING.serialize(key, "in"),
                          LONG.serialize(value, "in"), headers)


DOCS_INPUT = [("A", 1, 1), ("D", 5, 2), ("A", 20, 3), ("A", 300, 4)]


def make_task(topology: Topology, tmp_path: Any, cache_bytes: int,
              config: dict[str, Any] | None = None) -> tuple[StreamTask, ListCollector]:
    collector = ListCollector()
    task = StreamTask(topology, 0, 0, application_id="cache-test", collector=collector,
                      config={"statestore.cache.max.bytes": cache_bytes,
                              "state.dir": str(tmp_path), "default.key.serde": "string",
                              "default.value.serde": "long", **(config or {})},
                      clock=MockClock(0))
    return task, collector


def test_memory_management_example_emits_only_the_latest_sum_at_commit(tmp_path: Any) -> None:
    # Kafka Streams docs, Memory Management, "Record caches in the DSL": a sum over
    # <A,1>, <D,5>, <A,20>, <A,300> emits <A,1>, <A,21>, <A,321> without a cache and
    # only <A,321> when all four records fall between two commits.
    task, collector = make_task(summed(), tmp_path, 10 * 1024 * 1024)
    try:
        task.process_batch([rec(i, k, v, ts) for i, (k, v, ts) in enumerate(DOCS_INPUT)])
        assert collector.sent == []   # nothing before the commit, not even the changelog
        task.flush()
        # dirty keys go in the order of their latest update: D (ts 2) then A (ts 4)
        assert collector.to("out") == [("D", 5, 2), ("A", 321, 4)]
        assert collector.to("cache-test-sums-changelog") == [("D", 5, 2), ("A", 321, 4)]
        task.process(rec(4, "A", 4000, 9))
        task.flush()
        assert collector.to("out")[-1] == ("A", 4321, 9)
    finally:
        task.close()


def test_without_a_cache_every_update_is_forwarded(tmp_path: Any) -> None:
    task, collector = make_task(summed(), tmp_path, 0)
    try:
        task.process_batch([rec(i, k, v, ts) for i, (k, v, ts) in enumerate(DOCS_INPUT)])
        assert collector.to("out") == [("A", 1, 1), ("D", 5, 2), ("A", 21, 3), ("A", 321, 4)]
    finally:
        task.close()


def test_materialized_with_caching_disabled_forwards_every_update(tmp_path: Any) -> None:
    topology = summed(Materialized.as_("sums").with_caching_disabled())
    task, collector = make_task(topology, tmp_path, 10 * 1024 * 1024)
    try:
        task.process_batch([rec(i, k, v, ts) for i, (k, v, ts) in enumerate(DOCS_INPUT)])
        assert [v for _, v, _ in collector.to("out")] == [1, 5, 21, 321]
    finally:
        task.close()


def test_flushed_records_keep_the_headers_of_the_last_update(tmp_path: Any) -> None:
    task, collector = make_task(summed(), tmp_path, 10 * 1024 * 1024)
    try:
        task.process(rec(0, "A", 1, 1, (("trace", b"1"),)))
        task.process(rec(1, "A", 2, 2, (("trace", b"2"),)))
        task.flush()
        assert [h for t, _, _, _, h in collector.sent if t == "out"] == [(("trace", b"2"),)]
    finally:
        task.close()


def test_a_tiny_cache_evicts_and_forwards_between_commits(tmp_path: Any) -> None:
    # A cache too small to hold even one entry evicts (and so flushes) every write at
    # once: every update goes downstream, as without a cache.
    task, collector = make_task(summed(), tmp_path, 1)
    try:
        records = [("A", 1, 1), ("B", 2, 2), ("A", 3, 3), ("B", 4, 4)]
        task.process_batch([rec(i, k, v, ts) for i, (k, v, ts) in enumerate(records)])
        task.flush()
        assert collector.to("out") == [("A", 1, 1), ("B", 2, 2), ("A", 4, 3), ("B", 6, 4)]
    finally:
        task.close()


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_windowed_count_forwards_the_latest_count_per_window_at_commit(
        tmp_path: Any, level: str) -> None:
    # KStreamWindowAggregate through a cached window store (Kafka caches windowed
    # aggregation stores by default): one record per window and commit, with the
    # window's latest count and largest timestamp. At DEBUG the store's operations are
    # timed, and the aggregation's fused read-modify-write gives way to timed ones.
    from runtime import TimeWindows

    b = StreamsBuilder()
    (b.stream("in", key_serde=STRING, value_serde=LONG)
     .group_by_key()
     .windowed_by(TimeWindows.of_size_and_grace(10, 20))
     .count(store="wcounts")
     .to_stream()
     .map(lambda w, c: (f"{w.key}@{w.window.start}", c))
     .to("out", key_serde=STRING, value_serde=LONG))
    topology = b.build()
    assert topology.build_subtopology(0, "cache-test").stores[0].caching_enabled
    task, collector = make_task(topology, tmp_path, 10 * 1024 * 1024,
                                {"metrics.recording.level": level})
    try:
        records = [("a", 1, 1), ("a", 1, 4), ("b", 1, 5), ("a", 1, 12), ("a", 1, 3)]
        task.process_batch([rec(i, k, v, ts) for i, (k, v, ts) in enumerate(records)])
        assert collector.to("out") == []
        task.flush()
        # dirty order = latest update: b@0, a@10, then a@0 (its late record at ts 3 came
        # last, within grace; the window's timestamp stays its largest, 4)
        assert collector.to("out") == [("b@0", 1, 5), ("a@10", 1, 12), ("a@0", 3, 4)]
        task.process(rec(5, "b", 1, 40))   # closes a@0, b@0 and a@10 (end + 20 <= 40)
        task.process(rec(6, "a", 1, 2))    # late: dropped, nothing cached for it
        task.flush()
        assert collector.to("out")[3:] == [("b@40", 1, 40)]
        metrics = task.store_metrics()["wcounts"]
        assert (metrics["put-total"], metrics["fetch-total"]) == (6, 6)
        assert (metrics.get("put-latency-avg", 0) > 0) == (level == "DEBUG")
    finally:
        task.close()


def test_test_driver_never_caches() -> None:
    # DESIGN: the driver has no record cache, whatever statestore.cache.max.bytes says
    with TopologyTestDriver(summed(), {"statestore.cache.max.bytes": 10 * 1024 * 1024,
                                       "default.key.serde": "string",
                                       "default.value.serde": "long"}) as driver:
        inp = driver.create_input_topic("in", STRING, LONG)
        for k, v, ts in DOCS_INPUT:
            inp.pipe_input(k, v, ts)
        out = driver.create_output_topic("out", STRING, LONG)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("A", 1, 1), ("D", 5, 2), ("A", 21, 3), ("A", 321, 4)]


# -- on Kafka: StreamsApp with a record cache -------------------------------------------

@pytest.mark.kafka
@pytest.mark.slow
@pytest.mark.timeout(120)
def test_word_count_app_emits_only_compacted_counts_at_commit(
        kafka_bootstrap: str, create_topic: Callable[..., str],
        unique_name: Callable[[str], str]) -> None:
    # Memory Management (record caches): with a cache and commits far apart, a count
    # reaches the output and the changelog once per key and commit, not once per record.
    # The commit interval outlasts the test, so the only commit is the one on close:
    # every word must appear exactly once, with its final count, in both topics.
    from runtime.app import StreamsApp
    from tests.runtime.kafka.helpers import (
        counts_per_key_in_order,
        dsl_word_count,
        make_lines,
        produce_lines,
        read_topic,
        wait_until,
        word_counts,
    )

    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    lines = make_lines(300, seed=11)
    produce_lines(kafka_bootstrap, lines_topic, lines)
    expected = dict(word_counts(lines))
    app_id = unique_name("wc-cache")
    snapshots: list[dict[str, Any]] = []
    app = StreamsApp(dsl_word_count(lines_topic, counts_topic),
                     {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
                      "commit.interval.ms": 600_000, "statestore.cache.max.bytes": 10 << 20,
                      "riffle.metrics.interval.ms": 100},
                     on_metrics=snapshots.append)
    app.start()
    try:
        # every line and every repartitioned word consumed, yet nothing committed
        total_in = len(lines) + sum(expected.values())
        wait_until(lambda: snapshots and snapshots[-1]["totals"]["records-in"] >= total_in,
                   60, f"{total_in} records processed")
        assert read_topic(kafka_bootstrap, counts_topic, timeout=2.0) == []
    finally:
        assert app.close(30)
    output = counts_per_key_in_order(read_topic(kafka_bootstrap, counts_topic))
    assert output == {word: [count] for word, count in expected.items()}
    changelog = counts_per_key_in_order(read_topic(kafka_bootstrap, f"{app_id}-counts-changelog"))
    assert changelog == {word: [count] for word, count in expected.items()}
