"""run_replica's body, in-process, against the real broker and Redis, on word count."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from confluent_kafka import Consumer, Producer

from runtime import Serdes
from studio.deployments.models import Deployment, Replica
from studio.deployments.runner import ReplicaRunner
from studio.monitoring import keys
from studio.topologies.models import Topology
from studio.workspaces.models import Workspace
from tests.studio.helpers import ReplicaThread, with_topics

pytestmark = [pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow,
              pytest.mark.django_db(transaction=True)]

# The lines of Kafka Streams' word-count walkthrough; its documented final counts.
LINES = ["all streams lead to kafka", "hello kafka streams", "join kafka summit"]
EXPECTED = {"all": 1, "streams": 2, "lead": 1, "to": 1, "kafka": 3, "hello": 1, "join": 1, "summit": 1}


def sink_serdes(document: dict[str, Any]) -> tuple[Any, Any]:
    sink = next(n for n in document["nodes"] if n["type"].startswith("sink."))
    defaults = document.get("settings", {})
    key = sink["params"].get("key_serde") or defaults.get("default_key_serde", "string")
    value = sink["params"].get("value_serde") or defaults.get("default_value_serde", "string")
    return Serdes.by_name(key), Serdes.by_name(value)


def read_latest_counts(bootstrap: str, topic: str, serdes: tuple[Any, Any], want: dict[str, int],
                       timeout: float) -> dict[str, Any]:
    key_serde, value_serde = serdes
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}-reader",
                         "auto.offset.reset": "earliest", "session.timeout.ms": 6000})
    consumer.subscribe([topic])
    latest: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and latest != want:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            word = key_serde.deserialize(message.key(), topic)
            latest[word] = value_serde.deserialize(message.value(), topic)
    finally:
        consumer.close()
    return latest


def test_a_replica_runs_word_count_publishes_metrics_and_stops_when_asked(
    team: Workspace, kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
    studio_redis: redis.Redis, celery_queues: Any, settings: Any, alice: Any,
    wordcount_document: dict[str, Any], broker_connection: Any,
) -> None:
    # Nothing listens at the studio's own broker address: the replica runs on its connection.
    settings.KAFKA_BOOTSTRAP_SERVERS = "127.0.0.1:1"
    lines, counts = create_topic("lines", partitions=2), create_topic("counts", partitions=2)
    document = with_topics(wordcount_document, lines, counts)
    version = Topology.objects.create(workspace=team, name=unique_name("wc")).add_version(document)
    deployment = Deployment.create_running(version, connection=broker_connection, actor=alice,
                                           application_id=unique_name("wc-app"))
    replica = Replica.objects.create(deployment=deployment, index=0, celery_task_id="in-process")

    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for i, line in enumerate(LINES):
        producer.produce(lines, key=str(i).encode(), value=line.encode())
    producer.flush(10)

    thread = ReplicaThread(replica.pk)
    thread.start()
    try:
        latest = read_latest_counts(kafka_bootstrap, counts, sink_serdes(document), EXPECTED, timeout=60)
        assert latest == EXPECTED

        replica.refresh_from_db()
        assert replica.state == "running" and replica.pid is not None
        beat = json.loads(studio_redis.get(keys.heartbeat(replica.pk)))
        assert beat["task_id"] == "in-process" and beat["state"] in ("RUNNING", "REBALANCING")

        deadline = time.monotonic() + 15
        snapshot = None
        while time.monotonic() < deadline:
            raw = studio_redis.get(keys.metrics(deployment.pk, replica.pk))
            snapshot = json.loads(raw) if raw else None
            if snapshot and snapshot["totals"]["records-in"] >= len(LINES):
                break
            time.sleep(0.2)
        assert snapshot is not None, "no metrics snapshot reached Redis"
        assert snapshot["application_id"] == deployment.application_id
        assert snapshot["totals"]["records-in"] >= len(LINES)
    finally:
        deployment.stop(actor=alice)
        thread.join(timeout=45)
        # The engine's own checkpoints (docs/internals.md, "Redis keys").
        stale = list(studio_redis.scan_iter(match=f"riffle:ckpt:{deployment.application_id}:*"))
        if stale:
            studio_redis.delete(*stale)
    assert thread.outcome == ["stopped"]
    replica.refresh_from_db()
    deployment.refresh_from_db()
    assert replica.state == "stopped"
    assert deployment.observed_state == "stopped"
    assert studio_redis.get(keys.heartbeat(replica.pk)) is None


def test_an_app_error_fails_the_deployment_with_the_reason(
    team: Workspace, kafka_bootstrap: str, studio_redis: redis.Redis, celery_queues: Any, settings: Any, alice: Any,
    wordcount_document: dict[str, Any], unique_name: Callable[[str], str], broker_connection: Any,
) -> None:
    # Kafka Streams refuses to run when a source topic does not exist.
    missing = unique_name("no-such-topic")
    document = with_topics(wordcount_document, missing, unique_name("out"))
    version = Topology.objects.create(workspace=team, name=unique_name("wc")).add_version(document)
    deployment = Deployment.create_running(version, connection=broker_connection, actor=alice,
                                           application_id=unique_name("wc"))
    replica = Replica.objects.create(deployment=deployment, index=0)
    assert ReplicaRunner(replica.pk, poll_interval=0.2).run() == "failed"
    deployment.refresh_from_db()
    replica.refresh_from_db()
    assert (deployment.observed_state, replica.state) == ("failed", "failed")
    assert missing in deployment.last_error
    assert studio_redis.get(keys.heartbeat(replica.pk)) is None


def test_a_stale_task_for_an_unwanted_replica_does_nothing(
    studio_redis: redis.Redis, celery_queues: Any, deployment_stopped: Deployment,
) -> None:
    replica = Replica.objects.create(deployment=deployment_stopped, index=0)
    assert ReplicaRunner(replica.pk).run() == "stopped"
    assert studio_redis.get(keys.heartbeat(replica.pk)) is None


@pytest.fixture
def deployment_stopped(wordcount_v1: Any, alice: Any, celery_queues: Any, offline_connection: Any) -> Deployment:
    deployment = Deployment.create_running(wordcount_v1, connection=offline_connection, actor=alice)
    deployment.stop(actor=alice)
    return deployment
