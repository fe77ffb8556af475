"""The deployments feed: /ws/deployments/."""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser, User
from django.test import Client

from studio.connections.models import Connection
from studio.deployments.models import Deployment
from studio.monitoring import keys
from studio.monitoring.routing import websocket_urlpatterns
from studio.topologies.models import TopologyVersion
from studio.workspaces.models import Membership, Role, Workspace

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.asyncio]


@pytest.fixture
def deployments(offline_connection: Connection, wordcount_v1: TopologyVersion, alice: User, celery_queues: Any) -> list[Deployment]:
    return [Deployment.create_running(wordcount_v1, connection=offline_connection, actor=alice, application_id=f"wc-{i}") for i in range(2)]


def metrics(rates: list[float], lags: list[int], errors: int) -> dict[str, Any]:
    return {"application_id": "wc", "timestamp": 1, "state": "RUNNING",
            "threads": {f"t{i}": {"process-rate": r} for i, r in enumerate(rates)},
            "partitions": [{"topic": "lines", "partition": i, "lag": n} for i, n in enumerate(lags)],
            "errors": [{"message": "x"}] * errors, "totals": {"records-in": 0, "records-out": 0}}


def feed(user: Any) -> WebsocketCommunicator:
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), "/ws/deployments/")
    communicator.scope["user"] = user
    return communicator


async def test_anonymous_users_are_refused_with_4401(studio_redis: redis.Redis) -> None:
    communicator = feed(AnonymousUser())
    await communicator.connect()
    assert await communicator.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


async def test_snapshot_then_state_changes_then_summaries(
    settings: Any, studio_redis: redis.Redis, deployments: list[Deployment], alice: User
) -> None:
    settings.RIFFLE_FEED_SUMMARY_INTERVAL_S = 0.3
    first, second = deployments
    # Two replicas of the first deployment report; the second deployment has none.
    studio_redis.set(keys.metrics(first.pk, 1), json.dumps(metrics([2.0, 3.5], [10, 5], 1)), ex=30)
    studio_redis.set(keys.metrics(first.pk, 2), json.dumps(metrics([1.0], [7], 0)), ex=30)
    communicator = feed(alice)
    connected, _ = await communicator.connect()
    assert connected
    snapshot = await communicator.receive_json_from(timeout=5)
    assert snapshot["type"] == "snapshot"
    assert [(d["deployment"]["id"], d["deployment"]["application_id"]) for d in snapshot["deployments"]] == [
        (first.pk, "wc-0"), (second.pk, "wc-1")]
    assert snapshot["deployments"][0]["summary"] == {"input_rate": 6.5, "total_lag": 22, "errors": 1, "replicas": 2}
    assert snapshot["deployments"][1]["summary"] == {
        "input_rate": None, "total_lag": None, "errors": None, "replicas": 0}

    await database_sync_to_async(second.stop)(actor=alice)
    for _ in range(10):  # summaries come in between
        change = await communicator.receive_json_from(timeout=5)
        if change["type"] == "deployment":
            break
    assert (change["deployment"]["id"], change["deployment"]["desired_state"]) == (second.pk, "stopped")

    # The periodic summary follows what replicas report now.
    studio_redis.set(keys.metrics(second.pk, 3), json.dumps(metrics([4.0], [0, 1], 0)), ex=30)
    studio_redis.delete(keys.metrics(first.pk, 2))
    for _ in range(10):
        frame = await communicator.receive_json_from(timeout=5)
        if frame["type"] == "summary" and frame["summaries"][str(second.pk)]["replicas"] == 1:
            break
    assert frame["summaries"] == {
        str(first.pk): {"input_rate": 5.5, "total_lag": 15, "errors": 1, "replicas": 1},
        str(second.pk): {"input_rate": 4.0, "total_lag": 1, "errors": 0, "replicas": 1},
    }
    await communicator.disconnect()


async def test_the_feed_checks_the_session_and_the_origin(
    studio_redis: redis.Redis, deployments: list[Deployment], alice: User
) -> None:
    from studio.asgi import application

    browser = Client()
    await database_sync_to_async(browser.force_login)(alice)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()

    good = WebsocketCommunicator(application, "/ws/deployments/", headers=[
        (b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000"), (b"cookie", cookie)])
    connected, _ = await good.connect()
    assert connected
    assert len((await good.receive_json_from(timeout=5))["deployments"]) == 2
    await good.disconnect()

    foreign = WebsocketCommunicator(application, "/ws/deployments/", headers=[
        (b"host", b"127.0.0.1:8000"), (b"origin", b"http://evil.example"), (b"cookie", cookie)])
    connected, _ = await foreign.connect()
    assert not connected

    no_session = WebsocketCommunicator(application, "/ws/deployments/", headers=[
        (b"host", b"127.0.0.1:8000"), (b"origin", b"http://127.0.0.1:8000")])
    await no_session.connect()
    assert await no_session.receive_output(timeout=5) == {"type": "websocket.close", "code": 4401}


async def test_the_tail_socket_checks_the_origin_too(studio_redis: redis.Redis, alice: User) -> None:
    from studio.asgi import application

    browser = Client()
    await database_sync_to_async(browser.force_login)(alice)
    cookie = f"sessionid={browser.cookies['sessionid'].value}".encode()
    foreign = WebsocketCommunicator(application, "/ws/connections/1/topics/t/tail/", headers=[
        (b"host", b"127.0.0.1:8000"), (b"origin", b"http://evil.example"), (b"cookie", cookie)])
    connected, _ = await foreign.connect()
    assert not connected


async def test_the_feed_holds_only_the_users_workspaces(
    settings: Any, studio_redis: redis.Redis, deployments: list[Deployment], alice: User,
) -> None:
    settings.RIFFLE_FEED_SUMMARY_INTERVAL_S = 60
    first, _ = deployments

    def outsider_with_a_workspace() -> User:
        user = User.objects.create(username="outsider")
        Membership.objects.create(workspace=Workspace.objects.create(name="own", slug="own"),
                                  user=user, role=Role.ADMIN)
        return user

    outsider = await database_sync_to_async(outsider_with_a_workspace)()
    theirs, ours = feed(outsider), feed(alice)
    assert (await theirs.connect())[0] and (await ours.connect())[0]
    assert (await theirs.receive_json_from(timeout=5))["deployments"] == []
    assert len((await ours.receive_json_from(timeout=5))["deployments"]) == 2

    await database_sync_to_async(first.stop)(actor=alice)
    assert (await ours.receive_json_from(timeout=5))["type"] == "deployment"
    assert await theirs.receive_nothing(timeout=1)
    await theirs.disconnect()
    await ours.disconnect()
