"""The windowed aggregations' fast path through a typed record cache
(``CachingWindowStore.update_typed``, with ``TypedCodec.modify``/``adopt`` keeping a
fresh aggregate without a copy when reference counts prove nobody else holds it) must
be indistinguishable from a cache that holds bytes: same reads, changelog, forwarded
flushes and store contents, whatever the update function does with what it gets and
what it returns (keeps a reference and mutates it later, mutates in place, nests,
deletes, fails half-way, returns what JSON refuses). The bytes side runs the same store
with a JSON serde subclass, which has no copier."""

from __future__ import annotations

import copy
import json
import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import Serdes, StreamsBuilder, TimeWindows
from runtime.errors import SerializationError
from runtime.exec import ConsumedRecord, MockClock, StreamTask
from runtime.state import ValueAndTimestamp
from runtime.state.internals.caching_store import set_flush_listener
from runtime.state.internals.ownership import PROVABLE
from runtime.state.internals.thread_cache import ThreadCache
from runtime.state.internals.wrapped import innermost

from tests.runtime.exec.test_task import ListCollector
from tests.runtime.state.test_caching import Forwarded
from tests.runtime.state.test_typed_cache import BytesJson, window_store

STRING = Serdes.string()
JSON = Serdes.json()


def codec_of(store: Any) -> Any:
    return store.wrapped._codec  # noqa: SLF001 - the caching layer under the metered one


def test_a_fresh_flat_aggregate_is_kept_and_anything_shared_is_copied() -> None:
    assert PROVABLE, "this interpreter should take the fast path (CPython < 3.13)"
    store, _ = window_store(JSON, ThreadCache(1 << 20))
    adopt = codec_of(store).adopt

    fresh = ValueAndTimestamp({"count": 1, "min": 2.5, "name": "x", "none": None}, 7)
    kept = adopt(fresh)
    assert kept is fresh

    shared = {"count": 1}
    holder = [shared]                      # someone else holds the dict
    pair = ValueAndTimestamp(shared, 7)
    got = adopt(pair)
    assert got == pair and got[0] is not shared
    holder[0]["count"] = 99
    assert got[0] == {"count": 1}

    pair = ValueAndTimestamp({"count": 1}, 7)
    also = pair                            # someone else holds the pair
    assert adopt(pair)[0] is not also[0]

    nested = ValueAndTimestamp({"l": [1]}, 7)   # a container inside: never kept
    assert adopt(nested)[0] is not nested[0]


def test_a_kept_aggregate_mutated_later_through_a_kept_reference_changes_nothing() -> None:
    for serde in (JSON, BytesJson()):
        store, ctx = window_store(serde, ThreadCache(1 << 20))
        leaked: list[Any] = []

        def update(_start: int, old: Any) -> Any:
            agg = {"n": 1 if old is None else old.value["n"] + 1}
            leaked.append(agg)             # the aggregator keeps what it returns
            return ValueAndTimestamp(agg, 5)

        for _ in range(3):
            store.update_windows("a", [10], update)
        for agg in leaked:
            agg["n"] = -1
        assert store.fetch("a", 10) == ValueAndTimestamp({"n": 3}, 5), serde
        store.flush()
        assert ctx.logged == [(b"a" + (10).to_bytes(8, "big") + bytes(4), b'{"n":3}', 5)]


def test_a_nested_value_put_over_a_flat_one_is_copied_the_careful_way() -> None:
    """A value written by put after the fast path kept a flat one must not inherit
    the flat (shallow copy) treatment."""
    for serde in (JSON, BytesJson()):
        store, _ = window_store(serde, ThreadCache(1 << 20))
        for _ in range(2):   # the second one rewrites a pending entry: kept, as flat
            store.update_windows("a", [10], lambda _s, _o: ValueAndTimestamp({"n": 1}, 5))
        store.put("a", ValueAndTimestamp({"l": [1]}, 6), 10)

        def append(_start: int, old: Any) -> Any:
            old.value["l"].append(2)       # in place, in the copy it got
            raise ValueError("fails after mutating")

        try:
            store.update_windows("a", [10], append)
        except ValueError:
            pass
        assert store.fetch("a", 10) == ValueAndTimestamp({"l": [1]}, 6), serde


# -- random operation sequences ------------------------------------------------------

BEHAVIOURS = ["fresh", "in_place", "leak", "nested", "delete", "raise", "nan", "same"]
keys = st.sampled_from(["a", "b"])
starts = st.lists(st.sampled_from([0, 10, 20, 150]), min_size=1, max_size=4)
ops = st.lists(st.one_of(
    st.tuples(st.just("update"), keys, starts, st.sampled_from(BEHAVIOURS), st.integers(0, 3)),
    st.tuples(st.just("put"), keys, st.sampled_from([0, 10, 20, 150]),
              st.sampled_from([{"n": 1}, {"l": [1, {"x": 2}]}, None, "s"])),
    st.tuples(st.just("fetch"), keys, st.sampled_from([0, 10, 20, 150])),
    st.tuples(st.just("mutate_leaked")),
    st.tuples(st.just("flush")),
), max_size=30)


def updater(behaviour: str, n: int, leaked: list[Any], seen: list[Any]) -> Any:
    def update(start: int, old: Any) -> Any:
        seen.append((start, copy.deepcopy(old)))
        agg = old.value if old is not None and isinstance(old.value, dict) else {"n": 0}
        if behaviour == "fresh":
            return ValueAndTimestamp({**agg, "n": agg.get("n", 0) + n, "f": 0.5}, start + n)
        if behaviour == "in_place":
            agg["n"] = agg.get("n", 0) + n
            return ValueAndTimestamp(agg, start)
        if behaviour == "leak":
            out = {"n": n, "s": "é"}
            leaked.append(out)
            return ValueAndTimestamp(out, start)
        if behaviour == "nested":
            return ValueAndTimestamp({"l": [n, {"x": n}]}, start)
        if behaviour == "delete":
            return None if n % 2 else ValueAndTimestamp(None, start)
        if behaviour == "raise":
            agg["n"] = 999                 # mutates its copy, then fails
            raise ValueError("aggregator failed")
        if behaviour == "nan":
            return ValueAndTimestamp({"n": float("nan")}, start)
        return old                         # "same": hands back what it got
    return update


def layered_update(store: Any, key: str, window_starts: list[int], update: Any) -> None:
    """update_windows by the metered layer's own fetch and put, one window at a time."""
    for start in window_starts:
        store.put(key, update(start, store.fetch(key, start)), start)


def run_ops(store: Any, ctx: Any, ops: list[tuple[Any, ...]], layered: bool) -> Any:
    forwarded = Forwarded()
    set_flush_listener(store, forwarded, True)
    leaked: list[Any] = []
    seen: list[Any] = []
    for i, (op, *args) in enumerate(ops):
        ctx.timestamp = i
        if op == "update":
            key, window_starts, behaviour, n = args
            update = updater(behaviour, n, leaked, seen)
            try:
                if layered:
                    layered_update(store, key, window_starts, update)
                else:
                    store.update_windows(key, window_starts, update)
            except ValueError:
                seen.append("raised")
            except SerializationError:
                seen.append("refused")
        elif op == "put":
            value = None if args[2] is None else ValueAndTimestamp(copy.deepcopy(args[2]), i)
            store.put(args[0], value, args[1])
        elif op == "fetch":
            seen.append(store.fetch(args[0], args[1]))
        elif op == "mutate_leaked":
            for agg in leaked:
                agg["n"] = -7
                agg["extra"] = [1]
        else:
            store.flush()
    store.flush()
    # update_windows counts a fetch and a put per window up front: exact unless an
    # update failed half-way
    failed = "raised" in seen or "refused" in seen
    metrics = None if failed else dict(store.metrics)
    return seen, ctx.logged, forwarded.calls, sorted(innermost(store).all()), metrics


@settings(max_examples=300, deadline=None)
@given(ops, st.sampled_from([400, 1 << 20]))
def test_fast_path_layered_path_and_bytes_cache_agree(ops: list[tuple[Any, ...]],
                                                      cache_bytes: int) -> None:
    """The fast path against the same typed cache driven window by window through the
    metered layer's fetch and put, with evictions (400 bytes) or without; and against a
    bytes cache without evictions (a typed entry's size is a guess until it is encoded,
    so with a tiny cache they evict at other moments, by design)."""
    fast = run_ops(*window_store(JSON, ThreadCache(cache_bytes)), ops, layered=False)
    layered = run_ops(*window_store(JSON, ThreadCache(cache_bytes)), ops, layered=True)
    assert fast == layered
    if cache_bytes > 1000:
        as_bytes = run_ops(*window_store(BytesJson(), ThreadCache(cache_bytes)), ops,
                           layered=False)
        assert fast == as_bytes


# -- the stock statistics in a StreamTask --------------------------------------------


def stock_stats(value_serde: Any, in_place: bool) -> Any:
    def add(_key: Any, trade: dict[str, Any], agg: dict[str, Any]) -> dict[str, Any]:
        price = trade["price"]
        low = agg["min"]
        if in_place:
            agg["count"] += 1
            agg["min"] = price if low is None or price < low else low
            agg["sum"] += price
            return agg
        return {"count": agg["count"] + 1, "min": price if low is None or price < low else low,
                "sum": agg["sum"] + price}

    b = StreamsBuilder()
    (b.stream("trades", key_serde=STRING, value_serde=value_serde,
              timestamp_extractor=lambda record, _pt: record.value["ts"])
     .group_by_key()
     .windowed_by(TimeWindows.of_size_and_grace(50, 10).advance_by(10))
     .aggregate(lambda: {"count": 0, "min": None, "sum": 0.0}, add, store="stats",
                value_serde=value_serde)
     .to_stream()
     .map(lambda wk, v: (f"{wk.key}@{wk.window.start}", v))
     .to("stats-out", key_serde=STRING, value_serde=value_serde))
    return b.build()


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.integers(1, 300), st.booleans(), st.sampled_from([0, 1 << 20]))
def test_windowed_aggregation_forwards_and_logs_the_same_as_with_bytes(
        seed: int, count: int, in_place: bool, cache_bytes: int) -> None:
    """No cache (each update forwarded at once) or one that never evicts (a typed
    entry's size is a guess until encoded, so tiny caches evict at other moments)."""
    rng = random.Random(seed)
    records = []
    for i in range(count):
        ticker = rng.choice("ABC")
        ts = 1000 + i * rng.randint(0, 3) - (rng.randint(1, 30) if rng.random() < 0.2 else 0)
        value = json.dumps({"ts": ts, "price": round(rng.uniform(1, 100), 2)})
        records.append(ConsumedRecord("trades", 0, i, ts, ticker.encode(), value.encode()))
    flush_at = {rng.randrange(count) for _ in range(3)}
    outputs = []
    for serde in (JSON, BytesJson()):
        collector = ListCollector()
        task = StreamTask(stock_stats(serde, in_place), 0, 0, application_id="app",
                          collector=collector, config={"statestore.cache.max.bytes": cache_bytes},
                          clock=MockClock(0))
        for i, record in enumerate(records):
            task.process_batch([record])
            if i in flush_at:
                task.flush()
        task.flush()
        task.close()
        outputs.append(collector.sent)
    assert outputs[0] == outputs[1]
    assert outputs[0], "the aggregation forwarded and logged nothing"
