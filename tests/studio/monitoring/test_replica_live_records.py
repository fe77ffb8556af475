"""A real replica (ReplicaRunner, in-process) on a real broker relays record samples,
record errors and status changes to a websocket client of its deployment; a deployment
whose bad records go to a dead-letter topic gets that topic made, and the record lands
there with Kafka Streams' error headers (KIP-1034)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
import redis
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from django.contrib.auth.models import User

from runtime.exec.dead_letter import HEADER_MESSAGE, HEADER_OFFSET, HEADER_PARTITION, HEADER_TOPIC
from studio.connections.models import Connection
from studio.deployments.models import Deployment, Replica
from studio.monitoring.routing import websocket_urlpatterns
from studio.monitoring.samples import read_errors, read_samples
from studio.topologies.models import Topology
from studio.workspaces.models import Workspace
from tests.studio.helpers import ReplicaThread, with_topics

pytestmark = [pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.asyncio,
              pytest.mark.django_db(transaction=True)]

# offset 1 is not UTF-8: the string serde refuses it
RECORDS = [(b"0", b"hello kafka"), (b"1", b"\xff\xfe"), (b"2", b"hello streams")]


async def frames_until(communicator: WebsocketCommunicator, done: Callable[[list[dict[str, Any]]], bool],
                       timeout: float) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not done(frames):
        remaining = deadline - loop.time()
        assert remaining > 0, f"timed out; got {[f['type'] for f in frames]}"
        try:
            frames.append(await communicator.receive_json_from(timeout=min(remaining, 2)))
        except asyncio.TimeoutError:
            continue
    return frames


def read_all(bootstrap: str, topic: str) -> list[Any]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"read-{topic}", "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    try:
        consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        messages: list[Any] = []
        while True:
            message = consumer.poll(10)
            assert message is not None, f"no end of {topic} within 10 s"
            if message.error() is not None:
                assert message.error().code() == KafkaError._PARTITION_EOF, message.error()
                return messages
            messages.append(message)
    finally:
        consumer.close()


def samples_of(frames: list[dict[str, Any]], node: str) -> list[dict[str, Any]]:
    return [s for f in frames if f["type"] == "records" for s in f["samples"] if s["node"] == node]


def errors_of(frames: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for f in frames if f["type"] == "records" for e in f["errors"]]


async def test_a_running_replica_relays_samples_errors_and_status(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
    studio_redis: redis.Redis, celery_queues: Any, settings: Any, alice: User,
    wordcount_document: dict[str, Any], team: Workspace, broker_connection: Connection,
) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    # The deployment's choice wins over the operator's default for every deployment.
    settings.RIFFLE_STREAMS_CONFIG = {"deserialization.exception.handler": "log-and-fail"}
    assert settings.RIFFLE_SAMPLES_PER_SECOND == 2   # the studio's default
    lines, counts = create_topic("lines"), create_topic("counts")
    document = with_topics(wordcount_document, lines, counts)

    @database_sync_to_async
    def make() -> tuple[Deployment, Replica]:
        version = Topology.objects.create(workspace=team, name=unique_name("wc")).add_version(document)
        deployment = Deployment.create_running(version, connection=broker_connection, actor=alice,
                                               application_id=unique_name("wc-app"), on_error="dead_letter")
        return deployment, Replica.objects.create(deployment=deployment, index=0, celery_task_id="in-process")

    deployment, replica = await make()
    dead_letters = f"{deployment.application_id}-dlq"
    assert deployment.dead_letter_topic == dead_letters
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for key, value in RECORDS:
        producer.produce(lines, key=key, value=value)
    assert producer.flush(10) == 0
    del producer   # closed now, not after the session's broker has stopped

    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/deployments/{deployment.pk}/")
    communicator.scope["user"] = alice
    connected, _ = await communicator.connect()
    assert connected
    snapshot = await communicator.receive_json_from(timeout=5)
    assert (snapshot["samples"], snapshot["errors"]) == ({}, [])

    thread = ReplicaThread(replica.pk)
    thread.start()
    try:
        frames = await frames_until(communicator, lambda fs: (
            errors_of(fs) and samples_of(fs, "lines")
            and samples_of(fs, "to-word-counts")), timeout=150)
    finally:
        await database_sync_to_async(deployment.stop)(actor=alice)
        await asyncio.get_running_loop().run_in_executor(None, thread.join, 45)
    assert thread.outcome == ["stopped"]

    # The poison record, where it was, and what the handler did with it (once, or again
    # if a rebalance on a loaded machine made the replica reprocess it).
    errors = errors_of(frames)
    for error in errors:
        assert (error["node"], error["topic"], error["partition"], error["offset"], error["key"],
                error["value"], error["decision"], error["kind"], error["dead_letter_topic"]) == (
            "lines", lines, 0, 1, "1", "base64://4=", "dlq", "DeserializationError", dead_letters)
        assert "UTF-8" in error["message"]
    # The replica made the dead-letter topic; the poison record is there as it was read.
    dead = read_all(kafka_bootstrap, dead_letters)
    assert dead and {(m.key(), m.value()) for m in dead} == {(b"1", b"\xff\xfe")}
    headers = dict(dead[0].headers() or [])
    assert headers[HEADER_TOPIC] == lines.encode() and headers[HEADER_OFFSET] == b"1"
    assert headers[HEADER_PARTITION] == b"0" and b"UTF-8" in headers[HEADER_MESSAGE]
    # Source samples are the records produced, at their offsets (2 a second at most,
    # so perhaps not all three; the poison one never).
    produced = {0: ("0", "hello kafka"), 2: ("2", "hello streams")}
    source = samples_of(frames, "lines")
    assert source and all(produced[s["offset"]] == (s["key"], s["value"]) for s in source)
    assert all(s["topic"] == lines and s["partition"] == 0 and s["replica"] == str(replica.pk)
               for s in source)
    # What the sink writes: a word and its count, read from the repartition topic.
    sink = samples_of(frames, "to-word-counts")[0]
    assert sink["key"] in ("hello", "kafka", "streams") and isinstance(sink["value"], int)
    assert sink["topic"].endswith("-repartition")
    # The app's state changes came too.
    states = [f["status"]["state"] for f in frames if f["type"] == "status"]
    assert "RUNNING" in states

    # And Redis keeps the latest, for a later snapshot and the REST endpoints.
    kept = await database_sync_to_async(read_samples)(deployment.pk)
    assert kept["lines"] and kept["to-word-counts"]
    assert {e["offset"] for e in await database_sync_to_async(read_errors)(deployment.pk)} == {1}
    late = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/deployments/{deployment.pk}/")
    late.scope["user"] = alice
    await late.connect()
    snapshot = await late.receive_json_from(timeout=5)
    assert {e["offset"] for e in snapshot["errors"]} == {1}
    assert set(snapshot["samples"]) >= {"lines", "to-word-counts"}
    assert snapshot["status"][str(replica.pk)]["scope"] == "replica"
    assert snapshot["status"][str(replica.pk)]["state"] == "stopped"
    await late.disconnect()
    await communicator.disconnect()
