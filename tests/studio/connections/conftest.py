"""Connections to the development broker and a plain producer that writes known records."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka import Producer
from django.contrib.auth.models import User

from studio.connections.models import Connection
from studio.workspaces.models import Workspace

@pytest.fixture
def connection(team: Workspace, db: None, alice: User, kafka_bootstrap: str) -> Connection:
    return Connection.objects.create(workspace=team, name="dev", bootstrap_servers=kafka_bootstrap, created_by=alice)


@pytest.fixture
def unreachable(team: Workspace, db: None, alice: User) -> Connection:
    # Port 1 on localhost refuses connections at once: nothing listens there.
    return Connection.objects.create(workspace=team, name="nowhere", bootstrap_servers="127.0.0.1:1", created_by=alice)


@pytest.fixture
def produce(kafka_bootstrap: str) -> Iterator[Callable[..., None]]:
    """produce(topic, key, value, partition=0, timestamp=None, headers=None): one record,
    flushed on its own so that the development broker gives it the next offset."""
    producer = Producer({"bootstrap.servers": kafka_bootstrap})

    def send(topic: str, key: bytes | None, value: bytes | None, *, partition: int = 0,
             timestamp: int | None = None, headers: list[tuple[str, bytes]] | None = None) -> None:
        extra: dict[str, Any] = {"timestamp": timestamp} if timestamp is not None else {}
        producer.produce(topic, key=key, value=value, partition=partition, headers=headers or [], **extra)
        assert producer.flush(10) == 0, "the test record was not delivered"

    yield send
    producer.flush(5)
