"""Redis store checkpoints (runtime/state/checkpoint.py) against the machine's Redis."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from runtime.state.checkpoint import RedisCheckpointStore, checkpoint_key, decode_checkpoint, entries_key

pytestmark = pytest.mark.redis


@pytest.fixture
def app_id(unique_name: Callable[[str], str], redis_url: str) -> Iterator[str]:
    name = unique_name("ckpt")
    yield name
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(match=f"riffle:ckpt:{name}:*"):
        client.delete(key)


def test_it_round_trips_entries_and_offset(redis_url: str, app_id: str) -> None:
    store = RedisCheckpointStore(redis_url)
    entries = [(b"kafka", b"\x00\x00\x00\x00\x00\x00\x00\x03"), (b"\xff\x00", b"")]
    assert store.save(app_id, "counts", 1, 42, entries)
    loaded = store.load(app_id, "counts", 1)
    assert loaded is not None
    assert loaded.offset == 42
    assert loaded.entries == entries
    assert store.load(app_id, "counts", 0) is None


def test_the_value_is_the_documented_json(redis_url: str, app_id: str) -> None:
    store = RedisCheckpointStore(redis_url)
    store.save(app_id, "counts", 0, 7, [(b"a", b"b")])
    raw = redis.Redis.from_url(redis_url).get(f"riffle:ckpt:{app_id}:counts:0")
    assert raw is not None
    assert json.loads(raw) == {"offset": 7, "entries": [["YQ==", "Yg=="]]}
    assert checkpoint_key(app_id, "counts", 0) == f"riffle:ckpt:{app_id}:counts:0"


def test_malformed_checkpoints_are_ignored(redis_url: str, app_id: str) -> None:
    redis.Redis.from_url(redis_url).set(checkpoint_key(app_id, "s", 0), b'{"offset": -1, "entries": []}')
    assert RedisCheckpointStore(redis_url).load(app_id, "s", 0) is None
    with pytest.raises(ValueError):
        decode_checkpoint('{"entries": []}')


@pytest.mark.parametrize("bucket", [
    b"not json", b"[1, 2]", b'{"k": 1}', b'{"k": null}', b'{"k": "\\u20ac"}', b"null",
])
def test_a_malformed_bucket_of_an_incremental_checkpoint_is_ignored(
    redis_url: str, app_id: str, bucket: bytes, caplog: pytest.LogCaptureFixture,
) -> None:
    store = RedisCheckpointStore(redis_url)
    assert store.save_incremental(app_id, "s", 0, 9, base_offset=None, changes=None,
                                  snapshot=lambda: [(b"a", b"1"), (b"b", b"2")])
    loaded = store.load(app_id, "s", 0)
    assert loaded is not None and sorted(loaded.entries) == [(b"a", b"1"), (b"b", b"2")]
    redis.Redis.from_url(redis_url).hset(entries_key(app_id, "s", 0), "7", bucket)
    # Not restored from (the changelog replays instead), and no exception escapes.
    assert store.load(app_id, "s", 0) is None
    assert any("malformed bucket" in r.getMessage() for r in caplog.records)


def test_delete_all_removes_only_that_application(redis_url: str, app_id: str) -> None:
    store = RedisCheckpointStore(redis_url)
    store.save(app_id, "a", 0, 1, [])
    store.save(app_id, "b", 3, 1, [])
    store.save(app_id + "x", "a", 0, 1, [])
    try:
        assert store.delete_all(app_id) == 2
        assert store.load(app_id + "x", "a", 0) is not None
    finally:
        store.delete_all(app_id + "x")


def test_redis_down_is_a_warning_not_an_error(caplog: pytest.LogCaptureFixture) -> None:
    store = RedisCheckpointStore("redis://127.0.0.1:1/0", socket_timeout_s=0.5, retry_after_s=60)
    started = time.monotonic()
    assert store.save("app", "s", 0, 1, [(b"k", b"v")]) is False
    assert store.load("app", "s", 0) is None  # within the back-off: not even tried
    assert store.save("app", "s", 0, 2, []) is False
    assert time.monotonic() - started < 3
    warnings = [r for r in caplog.records if r.levelname == "WARNING" and "unavailable" in r.getMessage()]
    assert len(warnings) == 1
