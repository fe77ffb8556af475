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

from studio.deployments.models import Deployment
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
