"""Record caches that hold values typed (value serdes with a copier) must be
indistinguishable from caches that hold bytes, Kafka's design: same reads, same
changelog, same forwarded flushes, same failures. The bytes side of each comparison
runs the same store with a JSON serde subclass, which has no copier."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import Serdes
from runtime.errors import SerializationError, StreamsError
from runtime.serdes.internals.json_serde import JsonSerde
from runtime.state import Stores, ValueAndTimestamp
from runtime.state.internals.caching_store import set_flush_listener
from runtime.state.internals.store_settings import StoreSettings, use_settings
from runtime.state.internals.thread_cache import PENDING, ThreadCache, entry_size
from runtime.state.internals.wrapped import innermost

from tests.runtime.state.test_caching import Context, Forwarded

STRING = Serdes.string()


class BytesJson(JsonSerde):
    """Serializes exactly as JsonSerde; being a subclass, its cache holds bytes."""


def kv_store(value_serde: Any, cache: ThreadCache, timestamped: bool = False) -> tuple[Any, Context]:
    make = (Stores.timestamped_key_value_store_builder if timestamped
            else Stores.key_value_store_builder)
    with use_settings(StoreSettings(cache=cache)):
        store = make(Stores.in_memory_key_value_store("s"), STRING,
                     value_serde).with_caching_enabled().build()
    ctx = Context()
    store.init(ctx)
    return store, ctx


def window_store(value_serde: Any, cache: ThreadCache) -> tuple[Any, Context]:
    with use_settings(StoreSettings(cache=cache)):
        store = Stores.timestamped_window_store_builder(
            Stores.in_memory_window_store("w", 100, 10), STRING, value_serde
        ).with_caching_enabled().build()
    ctx = Context()
    store.init(ctx)
    return store, ctx


def test_typed_caching_is_on_for_json_and_off_for_other_serdes() -> None:
    typed, _ = kv_store(Serdes.json(), ThreadCache(1 << 20))
    plain, _ = kv_store(BytesJson(), ThreadCache(1 << 20))
    assert typed._typed is typed.wrapped and plain._typed is None


def test_reads_are_copies_mutating_them_changes_nothing() -> None:
    store, ctx = kv_store(Serdes.json(), ThreadCache(1 << 20))
    store.put("k", {"a": [1], "b": {"c": 2}})
    got = store.get("k")
    got["a"].append(2)
    got["b"]["c"] = 99
    assert store.get("k") == {"a": [1], "b": {"c": 2}}
    store.flush()
    got = store.get("k")          # a clean entry, decoded once and kept
    got["a"].clear()
    assert store.get("k") == {"a": [1], "b": {"c": 2}}
    assert ctx.logged == [(b"k", b'{"a":[1],"b":{"c":2}}', 0)]


def test_writes_keep_no_reference_to_the_callers_object() -> None:
    store, ctx = kv_store(Serdes.json(), ThreadCache(1 << 20))
    value = {"n": 1, "l": [1]}
    store.put("k", value)
    value["n"] = 2
    value["l"].append(2)
    assert store.get("k") == {"n": 1, "l": [1]}
    store.flush()
    assert ctx.logged == [(b"k", b'{"n":1,"l":[1]}', 0)]


def test_a_value_the_serde_cannot_write_fails_the_put_not_the_flush() -> None:
    store, ctx = kv_store(Serdes.json(), ThreadCache(1 << 20))
    store.put("k", {"ok": 1})
    with pytest.raises(SerializationError):
        store.put("k", {"bad": {1, 2}})
    with pytest.raises(SerializationError):
        store.put("j", {"nan": float("nan")})
    store.flush()
    assert store.get("k") == {"ok": 1} and store.get("j") is None
    assert ctx.logged == [(b"k", b'{"ok":1}', 0)]


def test_values_read_back_as_the_serde_would_give_them() -> None:
    store, _ = kv_store(Serdes.json(), ThreadCache(1 << 20))
    store.put("k", {"t": (1, 2), 3: "x"})
    assert store.get("k") == {"t": [1, 2], "3": "x"}


def test_timestamped_none_value_deletes_and_plain_values_are_refused() -> None:
    store, ctx = kv_store(Serdes.json(), ThreadCache(1 << 20), timestamped=True)
    store.put("k", ValueAndTimestamp({"v": 1}, 5))
    assert store.get("k") == ValueAndTimestamp({"v": 1}, 5)
    store.put("k", ValueAndTimestamp(None, 6))
    assert store.get("k") is None
    with pytest.raises(StreamsError, match="timestamped"):
        store.put("k", {"v": 1})
    store.flush()
    assert store.get("k") is None


def test_many_updates_between_flushes_write_one_changelog_record_with_the_right_size() -> None:
    typed_cache, bytes_cache = ThreadCache(1 << 20), ThreadCache(1 << 20)
    typed, typed_ctx = kv_store(Serdes.json(), typed_cache)
    plain, plain_ctx = kv_store(BytesJson(), bytes_cache)
    for i in range(50):
        for store in (typed, plain):
            store.put("k", {"count": i, "tags": ["x"] * (i % 7)})
    entry = typed.wrapped._named().lookup(b"k")
    assert entry.value is PENDING        # not serialized yet
    typed.flush()
    plain.flush()
    assert typed_ctx.logged == plain_ctx.logged and len(typed_ctx.logged) == 1
    # once encoded, the typed entry counts its real bytes, exactly as a bytes entry
    assert typed_cache.size_bytes == bytes_cache.size_bytes == entry_size(b"k", entry)


def test_typed_entries_evicted_from_a_full_cache_are_written_down_encoded() -> None:
    cache = ThreadCache(600)
    store, ctx = kv_store(Serdes.json(), cache)
    forwarded = Forwarded()
    set_flush_listener(store, forwarded, False)
    for i in range(20):
        store.put(f"k{i:02d}", {"i": i})
    assert cache.size_bytes <= cache.max_bytes
    below = dict(innermost(store).all())
    assert below[b"k00"] == b'{"i":0}'            # evicted, so encoded and written
    store.flush()
    assert dict(innermost(store).all()) == {f"k{i:02d}".encode(): f'{{"i":{i}}}'.encode()
                                            for i in range(20)}
    assert sorted(k for k, *_ in forwarded.calls) == [f"k{i:02d}" for i in range(20)]


# -- typed and bytes caches behave the same, operation by operation --------------------

json_values = st.recursive(
    st.none() | st.integers(-5, 5) | st.floats(-10, 10) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner,
                                                                max_size=3),
    max_leaves=8)
kv_keys = st.sampled_from(["a", "b", "c", "d"])
kv_ops = st.lists(st.one_of(
    st.tuples(st.just("put"), kv_keys, json_values),
    st.tuples(st.just("get"), kv_keys),
    st.tuples(st.just("delete"), kv_keys),
    st.tuples(st.just("put_if_absent"), kv_keys, json_values),
    st.tuples(st.just("all")),
    st.tuples(st.just("flush")),
    st.tuples(st.just("mutate_read"), kv_keys),
), max_size=40)


def apply_kv(store: Any, ctx: Context, ops: list[tuple[Any, ...]]) -> list[Any]:
    seen: list[Any] = []
    for n, (op, *args) in enumerate(ops):
        ctx.timestamp = n
        if op == "put":
            store.put(args[0], args[1])
        elif op == "get":
            seen.append(store.get(args[0]))
        elif op == "delete":
            seen.append(store.delete(args[0]))
        elif op == "put_if_absent":
            seen.append(store.put_if_absent(args[0], args[1]))
        elif op == "all":
            seen.append(list(store.all()))
        elif op == "flush":
            store.flush()
        elif op == "mutate_read":
            got = store.get(args[0])
            if isinstance(got, dict):
                got["mutated"] = True
            elif isinstance(got, list):
                got.append("mutated")
    store.flush()
    return seen


@settings(max_examples=150, deadline=None)
@given(kv_ops)
def test_typed_and_bytes_key_value_caches_agree(ops: list[tuple[Any, ...]]) -> None:
    runs = []
    for serde in (Serdes.json(), BytesJson()):
        store, ctx = kv_store(serde, ThreadCache(1 << 20))
        forwarded = Forwarded()
        set_flush_listener(store, forwarded, True)
        seen = apply_kv(store, ctx, ops)
        runs.append((seen, ctx.logged, forwarded.calls, sorted(innermost(store).all())))
    assert runs[0] == runs[1]


window_starts = st.sampled_from([0, 10, 20, 150])
window_ops = st.lists(st.one_of(
    st.tuples(st.just("put"), kv_keys, json_values, window_starts),
    # update_windows(key, starts, f): f mutates the old value it gets, or returns None
    # (a delete); at the start "raise_at" (when given) it raises after mutating
    st.tuples(st.just("update"), kv_keys, st.lists(window_starts, max_size=4), json_values,
              st.sampled_from([None, 0, 10, 20, 150])),
    st.tuples(st.just("fetch"), kv_keys, st.sampled_from([0, 10, 20, 150])),
    st.tuples(st.just("range"), kv_keys),
    st.tuples(st.just("flush")),
), max_size=40)


@settings(max_examples=150, deadline=None)
@given(window_ops)
def test_typed_and_bytes_window_caches_agree(ops: list[tuple[Any, ...]]) -> None:
    runs = []
    for serde in (Serdes.json(), BytesJson()):
        store, ctx = window_store(serde, ThreadCache(1 << 20))
        forwarded = Forwarded()
        set_flush_listener(store, forwarded, True)
        seen: list[Any] = []
        for n, (op, *args) in enumerate(ops):
            ctx.timestamp = n
            if op == "put":
                value = None if args[1] is None else ValueAndTimestamp(args[1], n)
                store.put(args[0], value, args[2])
            elif op == "update":
                seen.append(update_windows(store, *args))
            elif op == "fetch":
                seen.append(store.fetch(args[0], args[1]))
            elif op == "range":
                seen.append(list(store.fetch(args[0], 0, 200)))
            else:
                store.flush()
        store.flush()
        runs.append((seen, ctx.logged, forwarded.calls, sorted(innermost(store).all())))
    assert runs[0] == runs[1]


def update_windows(store: Any, key: str, starts: list[int], value: Any,
                   raise_at: int | None) -> list[Any]:
    """What the update function saw, through a read-modify-write of several windows."""
    calls: list[Any] = []

    def update(start: int, old: Any) -> Any:
        calls.append((start, copy.deepcopy(old)))
        if old is not None and isinstance(old.value, dict):
            old.value["updated"] = value   # in place, as many aggregators do
        if start == raise_at:  # after mutating: the store must not see it
            raise ValueError("aggregator failed")
        if old is not None and isinstance(old.value, dict):
            return ValueAndTimestamp(old.value, old.timestamp + 1)
        return None if value is None else ValueAndTimestamp(value, start)

    try:
        store.update_windows(key, starts, update)
    except ValueError:
        calls.append("raised")
    return calls


def test_update_windows_reads_and_writes_each_window_in_turn() -> None:
    for serde in (Serdes.json(), BytesJson()):
        store, ctx = window_store(serde, ThreadCache(1 << 20))
        store.put("a", ValueAndTimestamp({"n": 1}, 5), 10)
        seen = update_windows(store, "a", [10, 20, 10], "x", None)
        # the third call sees what the first wrote: each window is written before the next
        assert seen == [(10, ValueAndTimestamp({"n": 1}, 5)), (20, None),
                        (10, ValueAndTimestamp({"n": 1, "updated": "x"}, 6))], serde
        assert store.fetch("a", 10) == ValueAndTimestamp({"n": 1, "updated": "x"}, 7)
        assert store.fetch("a", 20) == ValueAndTimestamp("x", 20)
        assert store.metrics["fetch-total"] == 5 and store.metrics["put-total"] == 4


def test_update_windows_that_fails_keeps_the_windows_written_before() -> None:
    for serde in (Serdes.json(), BytesJson()):
        store, ctx = window_store(serde, ThreadCache(1 << 20))
        store.put("a", ValueAndTimestamp({"n": 1}, 5), 20)
        seen = update_windows(store, "a", [10, 20], "x", 20)
        assert seen[-1] == "raised"
        assert store.fetch("a", 10) == ValueAndTimestamp("x", 10)
        # the failed update mutated only its own copy of the window
        assert store.fetch("a", 20) == ValueAndTimestamp({"n": 1}, 5), serde
