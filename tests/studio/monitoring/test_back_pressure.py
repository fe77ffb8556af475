"""A slow websocket client drops old metric frames; it never blocks replicas or others."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
import redis
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import User

from studio.connections.models import Connection
from studio.deployments.models import Deployment
from studio.monitoring.publisher import MetricsPublisher
from studio.monitoring.routing import websocket_urlpatterns
from studio.topologies.models import TopologyVersion

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.asyncio]

REPLICAS = 3
FRAMES = 150  # per replica: far more than a slow client should ever be sent at once


@pytest.fixture
def deployment(offline_connection: Connection, wordcount_v1: TopologyVersion, alice: User, celery_queues: Any) -> Deployment:
    return Deployment.create_running(wordcount_v1, connection=offline_connection, actor=alice)


def gated(gate: asyncio.Event) -> Any:
    """The websocket app behind a client that stops reading: while `gate` is clear, the
    server's sends wait, as they do when the socket's buffers are full."""
    app = URLRouter(websocket_urlpatterns)

    async def slow(scope: Any, receive: Any, send: Any) -> None:
        async def send_when_read(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.send":
                await gate.wait()
            await send(message)

        await app(scope, receive, send_when_read)

    return slow


async def test_a_client_that_stops_reading_gets_the_latest_frames_and_blocks_nobody(
    studio_redis: redis.Redis, deployment: Deployment, alice: User
) -> None:
    path = f"/ws/deployments/{deployment.pk}/"
    gate = asyncio.Event()
    gate.set()
    slow = WebsocketCommunicator(gated(gate), path)
    fast = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    for communicator in (slow, fast):
        communicator.scope["user"] = alice
        assert (await communicator.connect())[0]
        assert (await communicator.receive_json_from(timeout=5))["type"] == "snapshot"
    gate.clear()  # the slow client stops reading

    def publish() -> float:
        publishers = [MetricsPublisher(deployment.pk, r) for r in range(REPLICAS)]
        slowest = 0.0
        for i in range(FRAMES):
            for r, publisher in enumerate(publishers):
                started = time.monotonic()
                publisher({"timestamp": 1_732_500_000_000 + i * 1000, "seq": i, "replica": r})
                slowest = max(slowest, time.monotonic() - started)
        return slowest

    slowest = await asyncio.to_thread(publish)  # raising here fails the test
    assert slowest < 1.0, f"a publish took {slowest:.2f} s"

    # The fast client is not held up by the slow one: it gets each replica's last frame.
    last_seen: dict[str, int] = {}
    while len(last_seen) < REPLICAS or min(last_seen.values()) < FRAMES - 1:
        frame = await fast.receive_json_from(timeout=5)
        last_seen[frame["replica"]] = frame["metrics"]["seq"]
    assert await slow.receive_nothing(timeout=1.0)  # nothing got through the gate yet

    gate.set()  # the slow client resumes
    frames = []
    while not await slow.receive_nothing(timeout=1.0):
        frames.append(await slow.receive_json_from(timeout=1))
    # At most the frame that was on its way when the client stopped, then the latest of
    # each replica: no backlog.
    assert 1 <= len(frames) <= 1 + REPLICAS, [(f["replica"], f["metrics"]["seq"]) for f in frames]
    latest = {f["replica"]: f["metrics"]["seq"] for f in frames}
    assert latest == {str(r): FRAMES - 1 for r in range(REPLICAS)}

    # And the connection still works as usual afterwards.
    await asyncio.to_thread(MetricsPublisher(deployment.pk, 0), {"timestamp": 1_732_600_000_000, "seq": -1})
    assert (await slow.receive_json_from(timeout=5))["metrics"]["seq"] == -1
    for communicator in (slow, fast):
        await communicator.disconnect()


async def test_a_client_that_stops_reading_gets_the_latest_records_frames_of_each_replica_in_order(
    studio_redis: redis.Redis, deployment: Deployment, alice: User
) -> None:
    from channels.layers import get_channel_layer

    from studio.monitoring import keys
    from studio.monitoring.consumers import RECORD_FRAMES_KEPT

    gate = asyncio.Event()
    gate.set()
    slow = WebsocketCommunicator(gated(gate), f"/ws/deployments/{deployment.pk}/")
    slow.scope["user"] = alice
    assert (await slow.connect())[0]
    assert (await slow.receive_json_from(timeout=5))["type"] == "snapshot"
    gate.clear()
    sent = 40
    for seq in range(sent):
        for replica in ("1", "2"):
            await get_channel_layer().group_send(keys.group(deployment.pk), {
                "type": "records.batch", "replica": replica,
                "text": json.dumps({"type": "records", "replica": replica, "seq": seq, "samples": [], "errors": []})})
    await asyncio.sleep(0.5)   # the consumer has taken every message off its channel
    gate.set()
    frames = []
    while not await slow.receive_nothing(timeout=1.0):
        frames.append(await slow.receive_json_from(timeout=1))
    by_replica = {r: [f["seq"] for f in frames if f["replica"] == r] for r in ("1", "2")}
    # The first frame may have been on its way when the gate closed; after it, each
    # replica's latest RECORD_FRAMES_KEPT, oldest first.
    latest = list(range(sent - RECORD_FRAMES_KEPT, sent))
    for seqs in by_replica.values():
        assert seqs[-RECORD_FRAMES_KEPT:] == latest and len(seqs) <= RECORD_FRAMES_KEPT + 1, by_replica
    await slow.disconnect()
