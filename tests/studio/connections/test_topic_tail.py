"""The topic tail websocket: /ws/connections/<id>/topics/<topic>/tail/."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any
from unittest.mock import ANY

import pytest
import pytest_asyncio
import redis
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from confluent_kafka import Producer
from django.contrib.auth.models import AnonymousUser, User

from studio.connections.consumers import THREAD_PREFIX
from studio.connections.models import Connection
from studio.connections.routing import websocket_urlpatterns

pytestmark = [pytest.mark.kafka, pytest.mark.redis, pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


OPEN: list[WebsocketCommunicator] = []


@pytest_asyncio.fixture(autouse=True)
async def close_sockets() -> AsyncIterator[None]:
    """A failed test still closes its sockets, so that no consumer thread outlives it."""
    yield
    while OPEN:
        await OPEN.pop().disconnect()
    assert await no_tail_threads_within(15)


def tail(connection: Connection, topic: str, user: Any, query: str = "") -> WebsocketCommunicator:
    path = f"/ws/connections/{connection.pk}/topics/{topic}/tail/" + (f"?{query}" if query else "")
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user
    OPEN.append(communicator)
    return communicator


def tail_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX)]


async def no_tail_threads_within(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while tail_threads() and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    return not tail_threads()


async def test_new_records_arrive_decoded_with_their_partition_and_offset(
    studio_redis: redis.Redis, alice: User, connection: Connection,
    create_topic: Callable[..., str], produce: Callable[..., None],
) -> None:
    topic = create_topic("tail", partitions=2)
    produce(topic, b"old-0", b'{"n": 0}', partition=0)
    produce(topic, b"old-1", b'{"n": 1}', partition=0)
    communicator = tail(connection, topic, alice, "value_serde=json")
    connected, _ = await communicator.connect()
    assert connected
    # From the end: what is already there is not shown.
    assert await communicator.receive_json_from(timeout=15) == {"type": "ready", "partitions": {"0": 2, "1": 0}}
    assert len(tail_threads()) == 1

    await asyncio.to_thread(produce, topic, b"k1", b'{"n": 10}', partition=1, timestamp=1_700_000_000_000,
                            headers=[("h", b"v"), ("raw", b"\xff")])
    await asyncio.to_thread(produce, topic, None, b"not json", partition=0, timestamp=1_700_000_001_000)
    got = [await communicator.receive_json_from(timeout=10) for _ in range(2)]
    # Partitions are fetched independently: no order between them.
    first, second = sorted(got, key=lambda frame: -frame["record"]["partition"])
    assert first == {"type": "record", "record": {
        "partition": 1, "offset": 0, "timestamp": 1_700_000_000_000, "key": "k1", "value": {"n": 10},
        "key_error": None, "value_error": None,
        "headers": [{"key": "h", "value": "v", "encoding": "utf-8"},
                    {"key": "raw", "value": "/w==", "encoding": "base64"}]}}
    assert second["record"]["partition"] == 0 and second["record"]["offset"] == 2
    assert second["record"]["key"] is None and second["record"]["value"] is None
    assert second["record"]["value_error"].startswith("not json")

    await communicator.disconnect()
    assert await no_tail_threads_within(15), "the consumer thread outlived its socket"


async def test_last_n_starts_that_many_records_before_the_end(
    studio_redis: redis.Redis, alice: User, connection: Connection,
    create_topic: Callable[..., str], produce: Callable[..., None],
) -> None:
    topic = create_topic("tail-last", partitions=2)
    for i in range(3):
        produce(topic, b"k", str(i).encode(), partition=0)
    communicator = tail(connection, topic, alice, "last=2&key_serde=bytes")
    await communicator.connect()
    assert await communicator.receive_json_from(timeout=15) == {"type": "ready", "partitions": {"0": 1, "1": 0}}
    got = [(await communicator.receive_json_from(timeout=10))["record"] for _ in range(2)]
    assert [(r["offset"], r["key"], r["value"]) for r in got] == [(1, "aw==", "1"), (2, "aw==", "2")]
    await communicator.disconnect()
    assert await no_tail_threads_within(15)


async def test_records_past_the_rate_are_skipped_and_counted(
    settings: Any, studio_redis: redis.Redis, alice: User, connection: Connection,
    create_topic: Callable[..., str], kafka_bootstrap: str,
) -> None:
    settings.RIFFLE_TAIL_MAX_RECORDS_PER_S = 5  # a queue of 10
    topic = create_topic("tail-fast")
    communicator = tail(connection, topic, alice)
    await communicator.connect()
    assert (await communicator.receive_json_from(timeout=15))["type"] == "ready"

    def burst() -> None:
        producer = Producer({"bootstrap.servers": kafka_bootstrap, "linger.ms": 50})
        for i in range(60):
            producer.produce(topic, value=str(i).encode())
        assert producer.flush(10) == 0

    started = time.monotonic()
    await asyncio.to_thread(burst)
    offsets: list[int] = []
    skipped = 0
    while len(offsets) + skipped < 60:
        frame = await communicator.receive_json_from(timeout=10)
        if frame["type"] == "skipped":
            skipped += frame["count"]
        else:
            offsets.append(frame["record"]["offset"])
    elapsed = time.monotonic() - started
    assert skipped > 0 and len(offsets) + skipped == 60
    assert offsets == sorted(offsets) and len(offsets) <= 30
    # 5 per second after a first burst of 5.
    assert elapsed >= (len(offsets) - 5) / 5 - 0.2
    assert await communicator.receive_nothing(timeout=0.5)
    await communicator.disconnect()
    assert await no_tail_threads_within(15)


@pytest.mark.parametrize(("query", "code", "message"), [
    ("value_serde=xml", 4400, "value_serde"),
    ("last=-1", 4400, "last"),
    ("last=many", 4400, "last"),
])
async def test_a_bad_query_is_refused_with_4400(
    studio_redis: redis.Redis, alice: User, connection: Connection, query: str, code: int, message: str,
) -> None:
    communicator = tail(connection, "whatever", alice, query)
    await communicator.connect()
    frame = await communicator.receive_json_from(timeout=5)
    assert frame["type"] == "error" and frame["message"].startswith(message)
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": code}


async def test_an_unknown_topic_is_refused_with_4404(
    studio_redis: redis.Redis, alice: User, connection: Connection,
) -> None:
    communicator = tail(connection, "no-such-topic-here", alice)
    await communicator.connect()
    frame = await communicator.receive_json_from(timeout=15)
    assert frame == {"type": "error", "message": "There is no topic 'no-such-topic-here' on connection 'dev'."}
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}
    await communicator.disconnect()
    assert await no_tail_threads_within(15)


async def test_anonymous_users_and_unknown_connections_are_refused(
    studio_redis: redis.Redis, alice: User, connection: Connection,
) -> None:
    communicator = tail(connection, "t", AnonymousUser())
    await communicator.connect()
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}
    connection_id = connection.pk
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns),
                                         f"/ws/connections/{connection_id + 100}/topics/t/tail/")
    communicator.scope["user"] = alice
    await communicator.connect()
    assert json.loads((await communicator.receive_output(timeout=5))["text"])["type"] == "error"
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}


async def test_a_non_member_cannot_tail_a_workspaces_topic(
    studio_redis: redis.Redis, connection: Connection,
) -> None:
    outsider = await database_sync_to_async(User.objects.create)(username="outsider")
    communicator = tail(connection, "t", outsider)
    await communicator.connect()
    frame = json.loads((await communicator.receive_output(timeout=5))["text"])
    assert frame == {"type": "error", "message": f"There is no connection {connection.pk}."}
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}


async def test_the_end_is_exact_after_a_batch_of_records(
    studio_redis: redis.Redis, alice: User, connection: Connection,
    create_topic: Callable[..., str], kafka_bootstrap: str, produce: Callable[..., None],
) -> None:
    # Some brokers (the development one) answer ListOffsets "latest" with the last
    # batch's base offset + 1: a tail must not show the rest of that batch as new.
    topic = create_topic("tail-batch")
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "linger.ms": 100})
    for i in range(5):
        producer.produce(topic, value=str(i).encode(), partition=0)
    assert producer.flush(10) == 0
    communicator = tail(connection, topic, alice, "last=1")
    await communicator.connect()
    assert await communicator.receive_json_from(timeout=15) == {"type": "ready", "partitions": {"0": 4}}
    assert (await communicator.receive_json_from(timeout=10))["record"]["value"] == "4"
    await asyncio.to_thread(produce, topic, None, b"new", partition=0)
    assert (await communicator.receive_json_from(timeout=10))["record"] == {
        "partition": 0, "offset": 5, "timestamp": ANY, "key": None, "value": "new",
        "key_error": None, "value_error": None, "headers": []}
    assert await communicator.receive_nothing(timeout=0.5)
