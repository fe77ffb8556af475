"""GET/POST /api/connections/<id>/topics/ against the development broker."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from confluent_kafka.admin import AdminClient
from django.test import Client

from studio.connections.models import Connection
from tests.studio.connections.helpers import send

pytestmark = pytest.mark.kafka


@pytest.fixture
def admin(kafka_bootstrap: str) -> AdminClient:
    return AdminClient({"bootstrap.servers": kafka_bootstrap})


@pytest.fixture
def api_topics(admin: AdminClient) -> Iterator[list[str]]:
    """Names of topics a test creates through the API, deleted afterwards."""
    names: list[str] = []
    yield names
    if names:
        for future in admin.delete_topics(names, operation_timeout=10).values():
            future.result(timeout=15)


def _all_topics(client: Client, connection: Connection) -> list[dict]:
    found, page = [], 1
    while True:
        body = client.get(f"/api/connections/{connection.pk}/topics/?page={page}&page_size=500").json()
        found += body["results"]
        if not body["next"]:
            return found
        page += 1


def test_list_shows_partitions_with_watermarks(api: Client, connection: Connection,
                                               create_topic: Callable[..., str], produce: Callable[..., None]) -> None:
    topic = create_topic("listed", partitions=2)
    for i in range(3):
        produce(topic, b"k", b"v%d" % i, partition=0)
    produce(topic, b"k", b"w", partition=1)
    listed = {t["name"]: t for t in _all_topics(api, connection)}
    assert listed[topic] == {
        "name": topic, "internal": False,
        "partitions": [{"partition": 0, "low": 0, "high": 3}, {"partition": 1, "low": 0, "high": 1}],
    }


def test_list_shows_the_log_end_of_records_sent_in_one_batch(api: Client, connection: Connection, kafka_bootstrap: str,
                                                              create_topic: Callable[..., str]) -> None:
    from tests.runtime.kafka.helpers import produce_one_batch

    topic = create_topic("batched")
    produce_one_batch(kafka_bootstrap, topic, 0, 25)
    listed = {t["name"]: t for t in _all_topics(api, connection)}
    assert listed[topic]["partitions"] == [{"partition": 0, "low": 0, "high": 25}]


def test_list_is_paginated_by_name(api: Client, connection: Connection, create_topic: Callable[..., str]) -> None:
    create_topic("pa")
    create_topic("pb")
    body = api.get(f"/api/connections/{connection.pk}/topics/?page_size=1").json()
    assert body["count"] >= 2 and len(body["results"]) == 1 and body["next"]
    names = [t["name"] for t in _all_topics(api, connection)]
    assert names == sorted(names)


def test_list_of_an_unreachable_cluster_is_502(api: Client, unreachable: Connection) -> None:
    response = api.get(f"/api/connections/{unreachable.pk}/topics/")
    assert response.status_code == 502
    assert response.json()["message"].startswith("Cannot reach Kafka at 127.0.0.1:1 (list topics): ")


def test_create_topic(api: Client, connection: Connection, admin: AdminClient, api_topics: list[str],
                      unique_name: Callable[[str], str]) -> None:
    name = unique_name("made")
    api_topics.append(name)
    response = send(api, "post", f"/api/connections/{connection.pk}/topics/",
                    {"name": name, "partitions": 3, "replication_factor": 1, "configs": {"cleanup.policy": "compact"}})
    assert response.status_code == 201, response.content
    assert [p["partition"] for p in response.json()["partitions"]] == [0, 1, 2]
    metadata = admin.list_topics(timeout=10).topics
    assert len(metadata[name].partitions) == 3


def test_create_an_existing_topic_is_400_with_the_brokers_message(
    api: Client, connection: Connection, create_topic: Callable[..., str],
) -> None:
    topic = create_topic("dup")
    response = send(api, "post", f"/api/connections/{connection.pk}/topics/", {"name": topic})
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.startswith(f"Kafka refused to create topic {topic!r}: ")
    assert "already exists" in message


@pytest.mark.parametrize(("body", "message"), [
    ({"name": "has space"}, "name: Use 1 to 249 letters, digits, '.', '_' and '-'."),
    ({"name": ".."}, "name: '.' and '..' are not topic names."),
    ({"name": "t", "partitions": 0}, "partitions: Ensure this value is greater than or equal to 1."),
    ({"name": "t", "replication_factor": "two"}, "replication_factor: A valid integer is required."),
    ({"name": "t", "configs": ["x"]}, 'configs: Expected a dictionary of items but got type "list".'),
])
def test_create_refuses_bad_input(api: Client, connection: Connection, body: dict, message: str) -> None:
    response = send(api, "post", f"/api/connections/{connection.pk}/topics/", body)
    assert response.status_code == 400
    assert response.json()["message"] == message


def test_double_underscore_topics_are_flagged_internal(api: Client, connection: Connection, api_topics: list[str],
                                                       unique_name: Callable[[str], str]) -> None:
    name = unique_name("__studio-internal")
    api_topics.append(name)
    response = send(api, "post", f"/api/connections/{connection.pk}/topics/", {"name": name})
    assert response.status_code == 201, response.content
    assert response.json()["internal"] is True
    listed = {t["name"]: t["internal"] for t in _all_topics(api, connection)}
    assert listed[name] is True
