"""studio.monitoring.samples: JSON renderings with caps, and LiveFeed relaying samples,
errors and status changes to Redis and the deployment's group (real Redis and channel
layer)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from runtime import Windowed
from runtime.dsl.windowed import Window
from runtime.state import ValueAndTimestamp
from studio.monitoring import keys
from studio.monitoring.samples import (
    MAX_PREVIEW_BYTES,
    LiveFeed,
    read_errors,
    read_samples,
    read_status,
    to_json_safe,
)
from tests.studio.monitoring.group_listener import GroupListener

# -- to_json_safe --------------------------------------------------------------------------


def test_plain_values_pass_through() -> None:
    value = {"a": [1, 2.5, None, True], "b": "text"}
    assert to_json_safe(value) == (value, False)


def test_bytes_become_text_or_base64() -> None:
    assert to_json_safe(b"hello") == ("hello", False)
    assert to_json_safe(b"\xff\x00") == ("base64:/wA=", False)
    assert to_json_safe({"raw": bytearray(b"x")}) == ({"raw": "x"}, False)


def test_engine_objects_get_a_readable_shape() -> None:
    windowed = Windowed("user-1", Window(1000, 2000))
    assert to_json_safe(windowed) == ({"key": "user-1", "window": {"start": 1000, "end": 2000}}, False)
    assert to_json_safe(ValueAndTimestamp({"n": 1}, 5)) == ({"value": {"n": 1}, "timestamp": 5}, False)
    assert to_json_safe({1: {2, 3}, "f": float("nan")}) in (({"1": [2, 3], "f": "nan"}, False),
                                                             ({"1": [3, 2], "f": "nan"}, False))
    assert to_json_safe(object())[0].startswith("<object object")


def test_a_large_value_is_cut_to_a_4kb_preview_and_says_so() -> None:
    value = {"text": "é" * 5000}
    preview, truncated = to_json_safe(value)
    assert truncated is True
    assert isinstance(preview, str) and preview.startswith('{"text":"éé')
    assert len(preview.encode("utf-8")) <= MAX_PREVIEW_BYTES
    assert len(preview.encode("utf-8")) > MAX_PREVIEW_BYTES - 4
    assert to_json_safe("x" * 100, max_bytes=10) == ('"xxxxxxxxx', True)


def test_long_collections_and_deep_nesting_are_cut_and_flagged() -> None:
    rendered, truncated = to_json_safe(list(range(150)))
    assert rendered == list(range(100)) and truncated is True
    deep: Any = "bottom"
    for _ in range(12):
        deep = [deep]
    rendered, truncated = to_json_safe(deep)
    assert truncated is True
    json.dumps(rendered)


# -- LiveFeed --------------------------------------------------------------------------------

SAMPLE = {"node": "count", "task": "0_1", "topic": "lines", "partition": 1, "offset": 41,
          "key": "kafka", "value": 3, "timestamp": 1700000000000, "headers": [("h", b"v")]}
ERROR = {"node": "parse", "task": "0_0", "topic": "lines", "partition": 0, "offset": 7,
         "key": b"k", "value": b"\xff", "timestamp": 5, "kind": "DeserializationError",
         "type": "SerializationError", "message": "invalid UTF-8", "decision": "dlq",
         "dead_letter_topic": "dlq"}


@pytest.mark.redis
def test_it_relays_and_keeps_samples_errors_and_status(studio_redis: redis.Redis,
                                                       listen: Callable[[str], GroupListener]) -> None:
    listener = listen(keys.group(21))
    feed = LiveFeed(21, 4)
    feed.start()
    feed.on_sample(SAMPLE)
    feed.on_error(ERROR)
    feed.on_state("ERROR", "RUNNING", "boom")
    feed.close()

    sample = {"replica": "4", "node": "count", "task": "0_1", "topic": "lines", "partition": 1,
              "offset": 41, "timestamp": 1700000000000, "key": "kafka", "value": 3, "truncated": [],
              "headers": [["h", "v"]]}
    # The sample and the error, offered within the linger, travel as one frame, encoded
    # once for every socket, with the replica that keys it; the status on its own.
    relayed = listener.receive()
    assert (relayed["type"], relayed["replica"]) == ("records.batch", "4")
    records = json.loads(relayed["text"])
    assert (records["type"], records["replica"], records["samples"]) == ("records", "4", [sample])
    [error] = records["errors"]
    assert {k: error[k] for k in ("offset", "key", "value", "decision", "type")} == {
        "offset": 7, "key": "k", "value": "base64:/w==", "decision": "dlq", "type": "SerializationError"}
    status_message = listener.receive()
    assert (status_message["type"], status_message["status"]["replica"]) == ("status.update", "4")
    status = json.loads(status_message["text"])["status"]
    assert {k: status[k] for k in ("replica", "scope", "state", "previous", "reason")} == {
        "replica": "4", "scope": "app", "state": "ERROR", "previous": "RUNNING", "reason": "boom"}

    assert read_samples(21) == {"count": [sample]}
    assert read_samples(21, "count") == {"count": [sample]}
    assert read_samples(21, "other") == {}
    assert [e["offset"] for e in read_errors(21)] == [7]
    assert read_status(21)["4"]["state"] == "ERROR"
    assert 0 < studio_redis.ttl(keys.samples(21, "count")) <= keys.SAMPLES_TTL_S
    assert 0 < studio_redis.ttl(keys.errors(21)) <= keys.ERRORS_TTL_S
    assert feed.dropped == 0 and feed.sent == 3


@pytest.mark.redis
def test_what_arrives_within_the_linger_is_one_frame_and_what_comes_later_the_next(
        studio_redis: redis.Redis, listen: Callable[[str], GroupListener]) -> None:
    listener = listen(keys.group(25))
    feed = LiveFeed(25, 1, linger_s=0.2)
    feed.start()
    for offset in (1, 2, 3):
        feed.on_sample({**SAMPLE, "offset": offset})
    time.sleep(0.8)   # the first frame went out after 0.2 s
    feed.on_sample({**SAMPLE, "offset": 4})
    feed.close()
    frames = [json.loads(listener.receive()["text"]) for _ in range(2)]
    assert [[s["offset"] for s in frame["samples"]] for frame in frames] == [[1, 2, 3], [4]]
    assert feed.sent == 4


@pytest.mark.redis
def test_a_flood_of_errors_is_relayed_whole_in_frames_of_at_most_200(
        studio_redis: redis.Redis, listen: Callable[[str], GroupListener]) -> None:
    listener = listen(keys.group(26))
    feed = LiveFeed(26, 1)   # not started: the errors wait in the queue, as behind a slow Redis
    for offset in range(450):
        feed.on_error({**ERROR, "offset": offset})
    feed.start()
    feed.close()
    frames = [json.loads(listener.receive()["text"]) for _ in range(3)]
    assert [len(frame["errors"]) for frame in frames] == [200, 200, 50]
    assert [e["offset"] for frame in frames for e in frame["errors"]] == list(range(450))
    assert feed.sent == 450 and feed.dropped == 0


@pytest.mark.redis
def test_only_the_latest_few_are_kept(studio_redis: redis.Redis) -> None:
    feed = LiveFeed(22, 1)
    feed.start()
    for offset in range(12):
        feed.on_sample({**SAMPLE, "offset": offset})
    for offset in range(keys.ERRORS_KEPT + 5):
        feed.on_error({**ERROR, "offset": offset})
    feed.close()
    assert [s["offset"] for s in read_samples(22)["count"]] == [11, 10, 9, 8, 7]
    errors = read_errors(22)
    assert len(errors) == keys.ERRORS_KEPT and errors[0]["offset"] == keys.ERRORS_KEPT + 4
    assert [e["offset"] for e in read_errors(22, limit=3)] == [104, 103, 102]


@pytest.mark.redis
def test_a_full_queue_drops_and_counts_instead_of_blocking(studio_redis: redis.Redis) -> None:
    feed = LiveFeed(23, 1, queue_size=2)   # not started: nothing drains the queue
    started = time.monotonic()
    for offset in range(10):
        feed.on_sample({**SAMPLE, "offset": offset})
    assert time.monotonic() - started < 0.5
    assert feed.dropped == 8
    feed.start()
    feed.close()
    assert [s["offset"] for s in read_samples(23)["count"]] == [1, 0]


@pytest.mark.redis
def test_a_redis_outage_costs_frames_not_the_engine(settings: Any, studio_redis: redis.Redis) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"   # nothing listens on port 1
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}
    feed = LiveFeed(24, 1)
    feed.start()
    feed.on_sample(SAMPLE)   # must not raise
    feed.close(timeout=10)
    assert feed.dropped == 1 and feed.sent == 0
