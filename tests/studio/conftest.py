"""Fixtures for the studio's tests: people, API clients, documents, isolated Redis use.

Redis-backed fixtures point the studio's keys, the channel layer and Celery at the
session's test Redis under a key prefix of their own, and delete those keys afterwards.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from celery import Celery
from django.contrib.auth.models import User
from django.test import Client

from studio import celery_app
from studio.connections.models import Connection
from studio.topologies.examples import example_document
from studio.topologies.models import Topology, TopologyVersion
from studio.workspaces.models import Membership, Role, Workspace


@pytest.fixture
def alice(db: None) -> User:
    return User.objects.create_user("alice", password="alice-password-1")


@pytest.fixture
def team(alice: User) -> Workspace:
    """The workspace most tests work in; alice is its admin."""
    workspace = Workspace.objects.create(name="team", slug="team")
    Membership.objects.create(workspace=workspace, user=alice, role=Role.ADMIN)
    return workspace


@pytest.fixture
def api(alice: User, team: Workspace) -> Client:
    """A logged-in client (alice, admin of `team`) that sends JSON."""
    client = Client(enforce_csrf_checks=False)
    client.force_login(alice)
    return client


@pytest.fixture
def anonymous() -> Client:
    return Client()


def post_json(client: Client, path: str, body: Any = None) -> Any:
    return client.post(path, data=json.dumps(body if body is not None else {}),
                       content_type="application/json")


@pytest.fixture
def offline_connection(team: Workspace, db: None) -> Connection:
    """A connection for deployments that never reach Kafka (nothing listens on port 1)."""
    return Connection.objects.create(workspace=team, name="offline", bootstrap_servers="127.0.0.1:1")


@pytest.fixture
def broker_connection(team: Workspace, db: None, kafka_bootstrap: str) -> Connection:
    """A connection to the session's broker."""
    return Connection.objects.create(workspace=team, name="broker", bootstrap_servers=kafka_bootstrap)


@pytest.fixture
def wordcount_document() -> dict[str, Any]:
    return example_document("wordcount")


@pytest.fixture
def wordcount(db: None, alice: User, team: Workspace, wordcount_document: dict[str, Any]) -> Topology:
    topology = Topology.objects.create(workspace=team, name="word count", description="counts words",
                                       created_by=alice)
    topology.add_version(wordcount_document, message="first", created_by=alice)
    return topology


@pytest.fixture
def wordcount_v1(wordcount: Topology) -> TopologyVersion:
    return wordcount.versions.get(number=1)


# -- Redis, channel layer, Celery ------------------------------------------------------


@pytest.fixture
def key_prefix() -> str:
    return f"t-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def studio_redis(settings: Any, redis_url: str, key_prefix: str) -> Iterator[redis.Redis]:
    """The studio's Redis keys and channel layer on the test Redis, under `key_prefix`."""
    settings.REDIS_URL = redis_url
    settings.RIFFLE_KEY_PREFIX = f"{key_prefix}:riffle"
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [redis_url], "prefix": f"{key_prefix}:asgi"},
        }
    }
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        yield client
    finally:
        stale = list(client.scan_iter(match=f"{key_prefix}:*"))
        if stale:
            client.delete(*stale)
        client.close()


class Queues:
    """Read what was enqueued on the test broker (kombu keeps a Redis list per queue)."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix

    def tasks(self, queue: str) -> list[tuple[str, list[Any]]]:
        """(task name, args) of every message waiting in `queue`, oldest first."""
        found = []
        for raw in reversed(self.client.lrange(f"{self.prefix}{queue}", 0, -1)):
            message = json.loads(raw)
            body = json.loads(_decode_body(message))
            found.append((message["headers"]["task"], body[0]))
        return found


def _decode_body(message: dict[str, Any]) -> str:
    import base64

    body = message["body"]
    if message.get("properties", {}).get("body_encoding") == "base64":
        return base64.b64decode(body).decode()
    return body


@pytest.fixture
def celery_queues(studio_redis: redis.Redis, redis_url: str, key_prefix: str) -> Iterator[Queues]:
    """Celery sends to the test Redis under `key_prefix` while the test runs.

    A separate app, made current: the studio's tasks are shared tasks, which resolve
    against the current app whenever they are used.
    """
    prefix = f"{key_prefix}:celery:"
    app = Celery("studio-test", set_as_current=False,
                 task_cls="celery.contrib.django.task:DjangoTask")
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=redis_url, result_backend=redis_url,
        broker_transport_options={"global_keyprefix": prefix},
        result_backend_transport_options={"global_keyprefix": prefix},
    )
    # Current for this thread, default for the others (database_sync_to_async runs the
    # ORM, and so on_commit callbacks, on a worker thread).
    app.set_current()
    app.set_default()
    try:
        yield Queues(studio_redis, prefix)
    finally:
        celery_app.set_current()
        celery_app.set_default()
        app.close()


# -- databases -------------------------------------------------------------------------


def _refuse_nul_like_postgresql(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
    def check(value: Any) -> None:
        # NUL in text, or "\u0000" in JSON text (jsonb refuses it too).
        if isinstance(value, str) and ("\x00" in value or "\\u0000" in value):
            raise ValueError("A string literal cannot contain NUL (0x00) characters.")
        if isinstance(value, (list, tuple)):
            for item in value:
                check(item)

    check(list(params or ()))
    return execute(sql, params, many, context)


@pytest.fixture
def postgres_refuses_nul(db: None) -> Iterator[None]:
    """The test database refuses NUL characters in query parameters as PostgreSQL does
    (the tests run on SQLite, which stores them): a request that lets one through to the
    database answers 500."""
    from django.db import connection

    with connection.execute_wrapper(_refuse_nul_like_postgresql):
        yield
