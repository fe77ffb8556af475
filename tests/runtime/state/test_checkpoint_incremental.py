"""Incremental Redis checkpoints (runtime/state/checkpoint.py save_incremental, the
StreamTask's dirty keys) against the machine's Redis.

Expected states come from a brute-force model: a dict with every write applied in
order (the compacted changelog's meaning), never from the engine's own output.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
import json
from typing import Any

import pytest
import redis

from runtime import Serdes, StreamsBuilder
from runtime.exec import ConsumedRecord, MockClock, StreamTask
from runtime.state.checkpoint import RedisCheckpointStore, checkpoint_key, entries_key

pytestmark = pytest.mark.redis

STORE, PARTITION = "store", 0


@pytest.fixture
def app_id(unique_name: Callable[[str], str], redis_url: str) -> Iterator[str]:
    name = unique_name("ckinc")
    yield name
    RedisCheckpointStore(redis_url).delete_all(name)


def no_snapshot() -> Iterable[tuple[bytes, bytes]]:
    raise AssertionError("an incremental checkpoint must not read the whole store")


def hash_of(redis_url: str, app_id: str) -> dict[bytes, bytes]:
    return redis.Redis.from_url(redis_url).hgetall(entries_key(app_id, STORE, PARTITION))


def loaded(store: RedisCheckpointStore, app_id: str) -> tuple[int, dict[bytes, bytes]]:
    checkpoint = store.load(app_id, STORE, PARTITION)
    assert checkpoint is not None
    return checkpoint.offset, dict(checkpoint.entries)


def test_only_dirty_keys_are_written(redis_url: str, app_id: str) -> None:
    store = RedisCheckpointStore(redis_url)
    model = {b"k%d" % i: b"v%d" % i for i in range(100)}
    assert store.save_incremental(app_id, STORE, PARTITION, 100, base_offset=None, changes=None,
                                  snapshot=lambda: sorted(model.items()))
    before = hash_of(redis_url, app_id)
    assert sum(len(json.loads(v)) for v in before.values()) == 100
    model[b"k5"] = b"new"
    model[b"\xff\x00"] = b""       # binary key, empty value
    assert store.save_incremental(app_id, STORE, PARTITION, 102, base_offset=100,
                                  changes=[(b"k5", b"new"), (b"\xff\x00", b"")], snapshot=no_snapshot)
    after = hash_of(redis_url, app_id)
    # only the buckets of the two changed keys were rewritten (at most two)
    changed = {f for f in after.keys() | before.keys() if before.get(f) != after.get(f)}
    assert 1 <= len(changed) <= 2
    assert loaded(store, app_id) == (102, model)


def test_deletes_are_removed(redis_url: str, app_id: str) -> None:
    store = RedisCheckpointStore(redis_url)
    assert store.save_incremental(app_id, STORE, PARTITION, 3, base_offset=None, changes=None,
                                  snapshot=lambda: [(b"a", b"1"), (b"b", b"2"), (b"c", b"3")])
    assert store.save_incremental(app_id, STORE, PARTITION, 5, base_offset=3,
                                  changes=[(b"b", None), (b"zz", None)], snapshot=no_snapshot)
    assert loaded(store, app_id) == (5, {b"a": b"1", b"c": b"3"})
    assert store.count_all(app_id) == 1
    assert store.delete_all(app_id) == 1
    assert hash_of(redis_url, app_id) == {}
    assert store.load(app_id, STORE, PARTITION) is None


def test_a_base_redis_no_longer_holds_means_a_whole_rewrite(redis_url: str, app_id: str) -> None:
    # Offset and contents must agree: changes relative to offset 10 are never added to
    # a checkpoint at another offset (a later owner's, or an earlier write's whose
    # outcome we never learnt); the whole store replaces it instead.
    store = RedisCheckpointStore(redis_url)
    assert store.save_incremental(app_id, STORE, PARTITION, 12, base_offset=None, changes=None,
                                  snapshot=lambda: [(b"ghost", b"x"), (b"a", b"old")])
    model = {b"a": b"1", b"b": b"2"}
    assert store.save_incremental(app_id, STORE, PARTITION, 20, base_offset=10,
                                  changes=[(b"b", b"2")], snapshot=lambda: model.items())
    assert loaded(store, app_id) == (20, model)


def test_malformed_metadata_means_a_whole_rewrite_not_a_crash(redis_url: str, app_id: str) -> None:
    redis.Redis.from_url(redis_url).set(checkpoint_key(app_id, STORE, PARTITION),
                                        b'{"offset": "x", "layout": "hash"}')
    store = RedisCheckpointStore(redis_url)
    assert store.load(app_id, STORE, PARTITION) is None
    assert store.save_incremental(app_id, STORE, PARTITION, 4, base_offset=3, changes=[(b"a", b"1")],
                                  snapshot=lambda: [(b"a", b"1"), (b"b", b"1")])
    assert loaded(store, app_id) == (4, {b"a": b"1", b"b": b"1"})


def test_a_failed_checkpoint_never_yields_one_missing_writes(redis_url: str, app_id: str) -> None:
    good = RedisCheckpointStore(redis_url)
    down = RedisCheckpointStore("redis://127.0.0.1:1/0", socket_timeout_s=0.5, retry_after_s=60)
    model = {b"a": b"1", b"b": b"1"}
    assert good.save_incremental(app_id, STORE, PARTITION, 2, base_offset=None, changes=None,
                                 snapshot=lambda: model.items())
    # Redis unreachable at offset 4: the caller keeps its changes (a, c) and its base.
    model.update({b"a": b"2", b"c": b"1"})
    assert not down.save_incremental(app_id, STORE, PARTITION, 4, base_offset=2,
                                     changes=[(b"a", b"2"), (b"c", b"1")], snapshot=no_snapshot)
    assert loaded(good, app_id) == (2, {b"a": b"1", b"b": b"1"})  # untouched, still consistent
    # within the back-off the changes are not even gathered
    assert not down.save_incremental(app_id, STORE, PARTITION, 4, base_offset=2,
                                     changes=no_snapshot, snapshot=no_snapshot)  # type: ignore[arg-type]
    # Back at offset 5 with the accumulated changes: nothing lost.
    model[b"b"] = b"2"
    assert good.save_incremental(app_id, STORE, PARTITION, 5, base_offset=2,
                                 changes=[(b"a", b"2"), (b"c", b"1"), (b"b", b"2")], snapshot=no_snapshot)
    assert loaded(good, app_id) == (5, model)
    # Redis loses everything (flushdb, restart without persistence): the next
    # checkpoint's few changes alone would miss a, b and c, so it rewrites the whole.
    client = redis.Redis.from_url(redis_url)
    client.delete(checkpoint_key(app_id, STORE, PARTITION), entries_key(app_id, STORE, PARTITION))
    model[b"d"] = b"1"
    assert good.save_incremental(app_id, STORE, PARTITION, 6, base_offset=5,
                                 changes=[(b"d", b"1")], snapshot=lambda: model.items())
    assert loaded(good, app_id) == (6, model)


def test_a_half_written_hash_is_never_loaded_without_its_offset(redis_url: str, app_id: str) -> None:
    # The hash without its metadata key (e.g. the metadata lost) is no checkpoint.
    redis.Redis.from_url(redis_url).hset(entries_key(app_id, STORE, PARTITION), "YQ==", "MQ==")
    assert RedisCheckpointStore(redis_url).load(app_id, STORE, PARTITION) is None


# -- a StreamTask's dirty keys: checkpoint + changelog tail == full changelog replay ---

class ChangelogCollector:
    """The changelog as a list: its index is the record's offset."""

    def __init__(self) -> None:
        self.records: list[tuple[bytes, bytes | None, int]] = []

    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Sequence[tuple[str, bytes]] | None = None,
             partition: int | None = None) -> None:
        if topic.endswith("-changelog"):
            assert key is not None
            self.records.append((key, value, timestamp))


def table_task(collector: Any, tmp_path: Any) -> StreamTask:
    b = StreamsBuilder()
    b.stream("in", key_serde=Serdes.string(), value_serde=Serdes.string()).to_table(store="tbl")
    return StreamTask(b.build(), 0, 0, application_id="ckinc", collector=collector,
                      config={"statestore.cache.max.bytes": 0, "state.dir": str(tmp_path)},
                      clock=MockClock(0))


def rec(offset: int, key: str, value: str | None) -> ConsumedRecord:
    return ConsumedRecord("in", 0, offset, 100 + offset, key.encode(),
                          None if value is None else value.encode(), ())


def test_checkpoint_plus_tail_equals_a_full_replay(redis_url: str, app_id: str, tmp_path: Any) -> None:
    store = RedisCheckpointStore(redis_url)
    collector = ChangelogCollector()
    task = table_task(collector, tmp_path / "a")
    task.enable_checkpoint_changes()
    model: dict[str, str] = {}
    base: int | None = None
    offset = 0
    # three commit intervals checkpointed, then a tail that is not
    rounds = [[("a", "1"), ("b", "1"), ("c", "1")], [("a", "2"), ("b", None), ("d", "1")],
              [("c", None), ("e", "1"), ("a", "3")], [("d", "2"), ("f", "1"), ("e", None)]]
    for n, writes in enumerate(rounds):
        for key, value in writes:
            task.process(rec(offset, key, value))
            offset += 1
            if value is None:
                model.pop(key, None)
            else:
                model[key] = value
        task.flush()
        if n == len(rounds) - 1:
            break
        covered = len(collector.records)
        changes = task.checkpoint_changes("tbl")
        assert changes is not None and len(changes) == len(writes)  # only this round's keys
        assert store.save_incremental(app_id, "tbl", 0, covered, base_offset=base, changes=changes,
                                      snapshot=lambda: task.store_snapshot("tbl"))
        task.clear_checkpoint_changes("tbl")
        base = covered
    checkpoint = store.load(app_id, "tbl", 0)
    assert checkpoint is not None and checkpoint.offset == base
    from_checkpoint = table_task(ChangelogCollector(), tmp_path / "b")
    from_checkpoint.enable_checkpoint_changes()
    from_checkpoint.load_snapshot("tbl", checkpoint.entries)
    from_checkpoint.restore("tbl", collector.records[checkpoint.offset:])
    replayed = table_task(ChangelogCollector(), tmp_path / "c")
    replayed.restore("tbl", collector.records)
    want = {k.encode(): v.encode() for k, v in model.items()}
    # the local format holds the timestamp in front of the value; compare plain values
    assert {k: v[8:] for k, v in from_checkpoint.store_snapshot("tbl")} == want
    assert dict(from_checkpoint.store_snapshot("tbl")) == dict(replayed.store_snapshot("tbl"))
    # the replayed tail is dirty: the new owner's next checkpoint writes it
    tail_keys = {k for k, _, _ in collector.records[checkpoint.offset:]}
    assert {k for k, _ in from_checkpoint.checkpoint_changes("tbl") or []} == tail_keys
    # without Redis checkpoints nothing is tracked (no memory spent): whole only
    assert replayed.checkpoint_changes("tbl") is None
    for t in (task, from_checkpoint, replayed):
        t.close()
