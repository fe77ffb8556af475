"""GET /api/deployments/{id}/lag/ against the development broker.

The numbers to expect come from the producer's delivery reports (the offsets Kafka gave
each record) and from the offsets this test commits itself, never from the endpoint.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from django.test import Client

from studio.connections.models import Connection
from studio.deployments.lag import group_topics
from studio.deployments.models import Deployment
from studio.topologies.models import Topology
from studio.workspaces.models import Workspace
from tests.studio.helpers import with_topics

pytestmark = [pytest.mark.kafka]

REPARTITION = "group-by-word-repartition"  # the word-count document's group-by node


def produce(bootstrap: str, topic: str, per_partition: dict[int, int]) -> dict[int, list[int]]:
    """Produce the given number of records to each partition; the offsets Kafka gave them."""
    offsets: dict[int, list[int]] = {p: [] for p in per_partition}

    def delivered(error: Any, message: Any) -> None:
        assert error is None, error
        offsets[message.partition()].append(message.offset())

    producer = Producer({"bootstrap.servers": bootstrap})
    for partition, n in per_partition.items():
        for i in range(n):
            producer.produce(topic, key=f"k{i}".encode(), value=b"a line", partition=partition,
                             on_delivery=delivered)
    assert producer.flush(15) == 0
    return {p: sorted(o) for p, o in offsets.items()}


def commit(bootstrap: str, group: str, positions: dict[tuple[str, int], int]) -> None:
    """Commit offsets as the group, with a plain consumer that never joins it."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in positions.items()],
                        asynchronous=False)
    finally:
        consumer.close()


@pytest.fixture
def lag_deployment(
    team: Workspace, kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
    broker_connection: Connection, alice: Any, wordcount_document: dict[str, Any],
) -> Iterator[tuple[Deployment, str, str]]:
    """A word-count deployment on a new 2-partition input, with its repartition topic."""
    lines = create_topic("lines", partitions=2)
    document = with_topics(wordcount_document, lines, unique_name("counts"))
    version = Topology.objects.create(workspace=team, name=unique_name("wc")).add_version(document)
    deployment = Deployment.create_running(version, connection=broker_connection, actor=alice,
                                           application_id=unique_name("lag-app"))
    repartition = f"{deployment.application_id}-{REPARTITION}"
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    admin.create_topics([NewTopic(repartition, num_partitions=2, replication_factor=1)])[repartition].result(15)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        topic = admin.list_topics(timeout=5).topics.get(repartition)
        if topic is not None and len(topic.partitions) == 2:
            break
        time.sleep(0.1)
    try:
        yield deployment, lines, repartition
    finally:
        admin.delete_topics([repartition], operation_timeout=10)[repartition].result(15)


def by_partition(body: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(row["topic"], row["partition"]): row for row in body["partitions"]}


def test_the_group_reads_the_source_and_repartition_topics(lag_deployment: Any) -> None:
    deployment, lines, repartition = lag_deployment
    # The describe() text of word count: sub-topology 0 reads the input, 1 the
    # repartition topic that the group-by node writes (prefixed with the application.id).
    assert group_topics(deployment) == ([lines, repartition], {repartition})


def test_lag_is_end_minus_the_committed_offset(
    api: Client, lag_deployment: Any, kafka_bootstrap: str
) -> None:
    deployment, lines, repartition = lag_deployment
    offsets = produce(kafka_bootstrap, lines, {0: 5, 1: 3})
    # Committed: partition 0 after its 2nd record, partition 1 after its 3rd (all read).
    committed = {(lines, 0): offsets[0][1] + 1, (lines, 1): offsets[1][2] + 1}
    commit(kafka_bootstrap, deployment.application_id, committed)

    response = api.get(f"/api/deployments/{deployment.pk}/lag/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["group"], body["topics"]) == (deployment.application_id, [lines, repartition])
    assert body["not_created"] == []
    rows = by_partition(body)
    assert set(rows) == {(lines, 0), (lines, 1), (repartition, 0), (repartition, 1)}

    p0, p1 = rows[(lines, 0)], rows[(lines, 1)]
    assert (p0["committed"], p0["has_committed"], p0["end_offset"]) == (offsets[0][1] + 1, True, offsets[0][-1] + 1)
    assert (p1["committed"], p1["end_offset"]) == (offsets[1][2] + 1, offsets[1][-1] + 1)
    # Three records of partition 0 are not read yet; partition 1 is read to its end.
    assert (p0["lag"], p1["lag"]) == (3, 0)
    # Nothing was ever written to, or committed on, the repartition topic.
    for p in (0, 1):
        row = rows[(repartition, p)]
        assert (row["committed"], row["has_committed"], row["end_offset"], row["lag"]) == (None, False, 0, 0)
    assert body["total_lag"] == 3
    assert body["partitions_without_commit"] == 2


def test_without_committed_offsets_lag_counts_from_the_start(
    api: Client, lag_deployment: Any, kafka_bootstrap: str
) -> None:
    deployment, lines, _ = lag_deployment
    offsets = produce(kafka_bootstrap, lines, {0: 4, 1: 2})
    body = api.get(f"/api/deployments/{deployment.pk}/lag/").json()
    rows = by_partition(body)
    for partition, n in ((0, 4), (1, 2)):
        row = rows[(lines, partition)]
        assert (row["committed"], row["has_committed"]) == (None, False)
        assert row["start_offset"] == offsets[partition][0]
        assert row["end_offset"] == offsets[partition][-1] + 1
        assert row["lag"] == row["end_offset"] - row["start_offset"]
        assert row["lag"] >= n  # at least the records produced (offsets may not be dense)
    assert body["total_lag"] == sum(rows[(lines, p)]["lag"] for p in (0, 1))
    assert body["partitions_without_commit"] == 4


def test_before_the_first_start_the_repartition_topic_is_reported_not_created(
    team: Workspace, api: Client, kafka_bootstrap: str, create_topic: Callable[..., str], broker_connection: Connection,
    alice: Any, unique_name: Callable[[str], str], wordcount_document: dict[str, Any],
) -> None:
    lines = create_topic("lines", partitions=1)
    version = Topology.objects.create(workspace=team, name="fresh").add_version(
        with_topics(wordcount_document, lines, unique_name("out"))
    )
    deployment = Deployment.create_running(version, connection=broker_connection, actor=alice,
                                           application_id=unique_name("fresh"))
    offsets = produce(kafka_bootstrap, lines, {0: 2})
    response = api.get(f"/api/deployments/{deployment.pk}/lag/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["not_created"] == [f"{deployment.application_id}-{REPARTITION}"]
    assert [(r["topic"], r["partition"], r["end_offset"]) for r in body["partitions"]] == [
        (lines, 0, offsets[0][-1] + 1)
    ]


def test_missing_input_topics_are_named(
    team: Workspace, api: Client, broker_connection: Connection, alice: Any, unique_name: Callable[[str], str],
    wordcount_document: dict[str, Any],
) -> None:
    missing = unique_name("no-such-topic")
    version = Topology.objects.create(workspace=team, name="missing").add_version(
        with_topics(wordcount_document, missing, unique_name("out"))
    )
    deployment = Deployment.create_running(version, connection=broker_connection, actor=alice)
    response = api.get(f"/api/deployments/{deployment.pk}/lag/")
    assert response.status_code == 409
    message = response.json()["message"]
    assert message.startswith("The deployment's input is not on the cluster: topic(s) not found")
    assert missing in message
    assert REPARTITION not in message  # internal topics are created by the application


@pytest.mark.timeout(30)
def test_an_unreachable_broker_is_a_json_error_not_a_hang(
    api: Client, deployment: Deployment, settings: Any, kafka_bootstrap: str
) -> None:
    from studio.lib.devservices import free_port

    # The studio's own broker answers: the lag is read from the deployment's connection.
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    servers = f"127.0.0.1:{free_port()}"  # nothing listens there
    Connection.objects.filter(pk=deployment.connection_id).update(bootstrap_servers=servers)
    started = time.monotonic()
    response = api.get(f"/api/deployments/{deployment.pk}/lag/")
    assert time.monotonic() - started < 20
    # Nothing accepts the connection: a bad gateway (a broker that never answers is 504).
    assert response.status_code == 502
    assert response.json()["message"].startswith(f"Cannot read the lag: Kafka at {servers}: ")


def test_an_unknown_deployment_is_404(api: Client, db: None) -> None:
    response = api.get("/api/deployments/4242/lag/")
    assert response.status_code == 404
    assert response.json()["message"] == "There is no deployment 4242."


def test_anonymous_is_refused(anonymous: Client, deployment: Deployment) -> None:
    assert anonymous.get(f"/api/deployments/{deployment.pk}/lag/").status_code == 401


@pytest.mark.timeout(30)
def test_a_broker_that_never_answers_is_a_json_error_within_the_timeout(
    api: Client, deployment: Deployment
) -> None:
    import socket

    # The kernel accepts connections into the backlog; nothing ever reads or answers.
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        servers = f"127.0.0.1:{silent.getsockname()[1]}"
        Connection.objects.filter(pk=deployment.connection_id).update(bootstrap_servers=servers)
        started = time.monotonic()
        response = api.get(f"/api/deployments/{deployment.pk}/lag/")
        assert time.monotonic() - started < 20
    finally:
        silent.close()
    # librdkafka drops the silent connection after socket.timeout.ms and reports a
    # transport failure (502) or, if the call's own timeout comes first, a timeout (504).
    assert response.status_code in (502, 504), response.json()["message"]
    assert response.json()["message"].startswith(f"Cannot read the lag: Kafka at {servers}: ")


def test_client_settings_kafka_refuses_are_a_json_error(
    api: Client, deployment: Deployment, settings: Any
) -> None:
    # The connection's settings, as the replicas use them, apply to the lag client too
    # (stored as is: the API would refuse this protocol).
    Connection.objects.filter(pk=deployment.connection_id).update(security_protocol="carrier-pigeon")
    response = api.get(f"/api/deployments/{deployment.pk}/lag/")
    assert response.status_code == 502
    message = response.json()["message"]
    assert message.startswith("Cannot read the lag: Kafka at ")
    assert "security.protocol" in message
