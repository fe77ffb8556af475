from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client

from studio.deployments.models import Deployment, ReprocessOperation
from studio.monitoring import keys
from studio.monitoring.routing import websocket_urlpatterns
from studio.topologies.models import TopologyVersion
from studio.workspaces.models import Membership, Role, Workspace

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.asyncio]


@pytest.fixture
def deployment(wordcount_v1: TopologyVersion, alice: User, celery_queues: Any, offline_connection: Any) -> Deployment:
    return Deployment.create_running(wordcount_v1, connection=offline_connection, actor=alice)


def communicator_for(path: str, user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user
    return communicator


async def test_anonymous_users_are_refused_with_4401(studio_redis: redis.Redis, deployment: Deployment) -> None:
    communicator = communicator_for(f"/ws/deployments/{deployment.pk}/", AnonymousUser())
    await communicator.connect()
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


async def test_unknown_deployments_are_refused_with_4404(studio_redis: redis.Redis, alice: User) -> None:
    communicator = communicator_for("/ws/deployments/4242/", alice)
    await communicator.connect()
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}


async def test_a_non_member_is_refused_as_if_it_did_not_exist(
    studio_redis: redis.Redis, deployment: Deployment,
) -> None:
    outsider = await database_sync_to_async(User.objects.create)(username="outsider")
    communicator = communicator_for(f"/ws/deployments/{deployment.pk}/", outsider)
    await communicator.connect()
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4404}


async def test_a_viewer_is_let_in(studio_redis: redis.Redis, deployment: Deployment, team: Workspace) -> None:
    def make_viewer() -> User:
        user = User.objects.create(username="vera")
        Membership.objects.create(workspace=team, user=user, role=Role.VIEWER)
        return user

    viewer = await database_sync_to_async(make_viewer)()
    communicator = communicator_for(f"/ws/deployments/{deployment.pk}/", viewer)
    connected, _ = await communicator.connect()
    assert connected
    assert (await communicator.receive_json_from(timeout=5))["type"] == "snapshot"
    await communicator.disconnect()


async def test_it_sends_a_snapshot_then_relays_updates(
    studio_redis: redis.Redis, deployment: Deployment, alice: User
) -> None:
    latest = {"application_id": deployment.application_id, "state": "RUNNING", "totals": {"records-in": 5}}
    studio_redis.set(keys.metrics(deployment.pk, 11), json.dumps(latest), ex=30)
    communicator = communicator_for(f"/ws/deployments/{deployment.pk}/", alice)
    connected, _ = await communicator.connect()
    assert connected
    snapshot = await communicator.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    assert snapshot["deployment"]["id"] == deployment.pk
    assert snapshot["deployment"]["observed_state"] == "starting"
    assert snapshot["metrics"] == {"11": latest}

    # What a replica publishes reaches the client...
    await get_channel_layer().group_send(
        keys.group(deployment.pk),
        {"type": "metrics.update", "replica": "11", "metrics": {"state": "RUNNING"}},
    )
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "metrics", "replica": "11", "metrics": {"state": "RUNNING"},
    }
    # ...and so does a state change, once it is committed.
    await database_sync_to_async(deployment.stop)(actor=alice)
    update = await communicator.receive_json_from(timeout=5)
    assert update["type"] == "deployment"
    assert (update["deployment"]["desired_state"], update["deployment"]["observed_state"]) == (
        "stopped", "stopping",
    )
    assert await communicator.receive_nothing(timeout=0.5)  # one change, one message
    await communicator.disconnect()


async def test_a_reset_operation_is_followed_from_asked_to_ended(
    studio_redis: redis.Redis, deployment: Deployment, alice: User
) -> None:
    communicator = communicator_for(f"/ws/deployments/{deployment.pk}/", alice)
    assert (await communicator.connect())[0]
    assert (await communicator.receive_json_from(timeout=5))["type"] == "snapshot"
    operation = await database_sync_to_async(ReprocessOperation.begin)(
        deployment, "reset", actor=alice, request={"target": "earliest"})
    asked = await communicator.receive_json_from(timeout=5)
    assert asked["type"] == "operation"
    assert (asked["operation"]["id"], asked["operation"]["kind"], asked["operation"]["state"]) == (
        operation.pk, "reset", "pending")
    await database_sync_to_async(operation.finish)("failed", "the group never emptied")
    ended = await communicator.receive_json_from(timeout=5)
    assert (ended["operation"]["state"], ended["operation"]["message"]) == ("failed", "the group never emptied")
    await communicator.disconnect()


async def test_the_asgi_stack_authenticates_by_session_and_checks_the_origin(
    studio_redis: redis.Redis, deployment: Deployment, alice: User
) -> None:
    from studio.asgi import application

    browser = Client()
    await database_sync_to_async(browser.force_login)(alice)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    path = f"/ws/deployments/{deployment.pk}/"

    good = WebsocketCommunicator(application, path, headers=[
        (b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000"), (b"cookie", cookie)])
    connected, _ = await good.connect()
    assert connected
    assert (await good.receive_json_from(timeout=5))["type"] == "snapshot"
    await good.disconnect()

    foreign = WebsocketCommunicator(application, path, headers=[
        (b"host", b"127.0.0.1:8000"), (b"origin", b"http://evil.example"), (b"cookie", cookie)])
    connected, _ = await foreign.connect()
    assert not connected

    no_session = WebsocketCommunicator(application, path, headers=[
        (b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")])
    await no_session.connect()
    assert await no_session.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


async def test_the_snapshot_has_the_latest_samples_errors_and_status_then_frames_follow(
    studio_redis: redis.Redis, deployment: Deployment, alice: User
) -> None:
    from studio.monitoring.samples import LiveFeed

    # What a replica relayed before this client connected...
    feed = LiveFeed(deployment.pk, 5)
    feed.start()
    for offset in (3, 4):
        feed.on_sample({"node": "split", "task": "0_0", "topic": "lines", "partition": 0,
                        "offset": offset, "key": None, "value": ["a", "b"], "timestamp": 9})
    feed.on_error({"node": "split", "topic": "lines", "partition": 0, "offset": 2, "key": None,
                   "value": b"x" * 5000, "kind": "ProcessingError", "type": "ValueError",
                   "message": "boom", "decision": "continued"})
    feed.on_state("RUNNING", "REBALANCING")
    await database_sync_to_async(feed.close)()

    communicator = communicator_for(f"/ws/deployments/{deployment.pk}/", alice)
    connected, _ = await communicator.connect()
    assert connected
    snapshot = await communicator.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    assert [s["offset"] for s in snapshot["samples"]["split"]] == [4, 3]
    assert snapshot["samples"]["split"][0]["value"] == ["a", "b"]
    [error] = snapshot["errors"]
    assert (error["offset"], error["decision"], error["truncated"]) == (2, "continued", ["value"])
    assert len(error["value"]) == 4096
    assert snapshot["status"]["5"]["state"] == "RUNNING"

    # ...and what it relays while the client is connected: the samples and errors it
    # gathered within its linger as one "records" frame, oldest first.
    live = LiveFeed(deployment.pk, 6)
    live.start()
    live.on_sample({"node": "count", "offset": 10, "key": "kafka", "value": 2, "timestamp": 1})
    live.on_error({"node": "count", "offset": 11, "decision": "failed", "type": "KeyError", "message": "x"})
    live.on_sample({"node": "split", "offset": 12, "key": None, "value": ["x"], "timestamp": 2})
    live.on_state("stopped", None, scope="replica")
    await database_sync_to_async(live.close)()
    records = await communicator.receive_json_from(timeout=5)
    assert records["type"] == "records" and records["replica"] == "6"
    assert [(s["replica"], s["node"], s["offset"], s["key"], s["value"]) for s in records["samples"]] == [
        ("6", "count", 10, "kafka", 2), ("6", "split", 12, None, ["x"])]
    assert [(e["offset"], e["decision"]) for e in records["errors"]] == [(11, "failed")]
    status = await communicator.receive_json_from(timeout=5)
    assert status["type"] == "status"
    assert (status["status"]["scope"], status["status"]["state"]) == ("replica", "stopped")
    await communicator.disconnect()


async def test_a_previous_releases_single_sample_and_error_frames_still_reach_the_socket(
    studio_redis: redis.Redis, deployment: Deployment, alice: User
) -> None:
    # A replica started before an upgrade keeps sending one frame per record until it
    # is replaced; its dashboards must not go blank meanwhile.
    communicator = communicator_for(f"/ws/deployments/{deployment.pk}/", alice)
    assert (await communicator.connect())[0]
    assert (await communicator.receive_json_from(timeout=5))["type"] == "snapshot"
    sample = {"replica": "3", "node": "count", "offset": 7}
    await get_channel_layer().group_send(keys.group(deployment.pk), {
        "type": "sample.record", "sample": {"replica": "3", "node": "count"},
        "text": json.dumps({"type": "sample", "sample": sample})})
    await get_channel_layer().group_send(keys.group(deployment.pk), {
        "type": "error.record", "error": {"replica": "3", "node": "count", "offset": 8}})
    assert await communicator.receive_json_from(timeout=5) == {"type": "sample", "sample": sample}
    assert await communicator.receive_json_from(timeout=5) == {
        "type": "error", "error": {"replica": "3", "node": "count", "offset": 8}}
    await communicator.disconnect()


async def test_relayed_frames_skip_the_database_hop_that_connecting_keeps(
    studio_redis: redis.Redis, deployment: Deployment, alice: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    import channels.consumer

    hops: list[str] = []
    original = channels.consumer.aclose_old_connections

    async def counted() -> None:
        hops.append("close_old_connections")
        await original()

    monkeypatch.setattr(channels.consumer, "aclose_old_connections", counted)
    communicator = communicator_for(f"/ws/deployments/{deployment.pk}/", alice)
    assert (await communicator.connect())[0]
    assert (await communicator.receive_json_from(timeout=5))["type"] == "snapshot"
    assert hops == ["close_old_connections"]  # websocket.connect reads the database
    for n in range(5):
        await get_channel_layer().group_send(
            keys.group(deployment.pk), {"type": "metrics.update", "replica": str(n), "metrics": {"n": n}})
    received = [await communicator.receive_json_from(timeout=5) for _ in range(5)]
    assert sorted(frame["metrics"]["n"] for frame in received) == [0, 1, 2, 3, 4]
    assert hops == ["close_old_connections"]
    await communicator.disconnect()


async def test_every_relayed_message_type_has_its_handler() -> None:
    from channels.consumer import get_handler_name

    from studio.monitoring.consumers import DeploymentConsumer, FeedConsumer

    for consumer in (DeploymentConsumer, FeedConsumer):
        assert consumer.RELAYS
        missing = [t for t in consumer.RELAYS if not callable(getattr(consumer, get_handler_name({"type": t}), None))]
        assert not missing, (consumer.__name__, missing)
