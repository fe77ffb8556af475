"""Browse (GET) and produce (POST) /api/connections/<id>/topics/<name>/records/."""

from __future__ import annotations

import base64
import json
import struct
import time
import uuid
from collections.abc import Callable

import pytest
from confluent_kafka import Consumer, TopicPartition
from django.test import Client

from studio.connections.models import Connection
from studio.deployments.models import AuditEvent
from tests.studio.connections.helpers import send

pytestmark = pytest.mark.kafka

T0 = 1_700_000_000_000


def _records(api: Client, connection: Connection, topic: str, query: str) -> list[dict]:
    response = api.get(f"/api/connections/{connection.pk}/topics/{topic}/records/?{query}")
    assert response.status_code == 200, response.content
    return response.json()["records"]


@pytest.fixture
def orders(create_topic: Callable[..., str], produce: Callable[..., None]) -> str:
    """Partition 0: o0..o3 at T0+0s..3s; partition 1: p0, p1 at T0+0.5s, T0+2.5s."""
    topic = create_topic("orders", partitions=2)
    for i in range(4):
        produce(topic, b"o%d" % i, json.dumps({"n": i}).encode(), partition=0, timestamp=T0 + i * 1000,
                headers=[("source", b"test"), ("raw", b"\xff\x00")])
    for i in range(2):
        produce(topic, b"p%d" % i, json.dumps({"m": i}).encode(), partition=1, timestamp=T0 + 500 + i * 2000)
    return topic


def test_browse_from_an_offset(api: Client, connection: Connection, orders: str) -> None:
    response = api.get(f"/api/connections/{connection.pk}/topics/{orders}/records/"
                       "?partition=0&offset=1&limit=2&value_serde=json")
    assert response.status_code == 200
    body = response.json()
    assert body["records"] == [
        {"partition": 0, "offset": 1, "timestamp": T0 + 1000, "key": "o1", "value": {"n": 1},
         "key_error": None, "value_error": None,
         "headers": [{"key": "source", "value": "test", "encoding": "utf-8"},
                     {"key": "raw", "value": base64.b64encode(b"\xff\x00").decode(), "encoding": "base64"}]},
        {"partition": 0, "offset": 2, "timestamp": T0 + 2000, "key": "o2", "value": {"n": 2},
         "key_error": None, "value_error": None,
         "headers": [{"key": "source", "value": "test", "encoding": "utf-8"},
                     {"key": "raw", "value": base64.b64encode(b"\xff\x00").decode(), "encoding": "base64"}]},
    ]
    assert body["next_offsets"] == {"0": 3}


def test_browse_every_partition_from_the_start(api: Client, connection: Connection, orders: str) -> None:
    records = _records(api, connection, orders, "")
    assert [(r["partition"], r["offset"], r["key"]) for r in records] == [
        (0, 0, "o0"), (0, 1, "o1"), (0, 2, "o2"), (0, 3, "o3"), (1, 0, "p0"), (1, 1, "p1"),
    ]
    # string is the default serde: the JSON text comes back as text.
    assert records[0]["value"] == '{"n": 0}'


def test_browse_reads_records_sent_in_one_batch_to_the_last(api: Client, connection: Connection,
                                                             kafka_bootstrap: str,
                                                             create_topic: Callable[..., str]) -> None:
    # The development broker's ListOffsets("latest") says a batch ends after its first
    # record; browsing must read to the real end (Kafka's log-end offset).
    from tests.runtime.kafka.helpers import produce_one_batch

    topic = create_topic("batched")
    produce_one_batch(kafka_bootstrap, topic, 0, 40)
    response = api.get(f"/api/connections/{connection.pk}/topics/{topic}/records/?partition=0&limit=100")
    assert response.status_code == 200, response.content
    body = response.json()
    assert [r["key"] for r in body["records"]] == [f"k{i}" for i in range(40)]
    assert body["next_offsets"] == {"0": 40}


def test_browse_from_a_timestamp(api: Client, connection: Connection, orders: str) -> None:
    records = _records(api, connection, orders, f"timestamp={T0 + 1500}&value_serde=json")
    # The first record at or after T0+1.5s in each partition, and everything after it.
    assert [(r["key"], r["timestamp"]) for r in records] == [
        ("o2", T0 + 2000), ("o3", T0 + 3000), ("p1", T0 + 2500),
    ]
    assert _records(api, connection, orders, f"timestamp={T0 + 10_000}") == []


def test_a_record_that_is_not_json_gets_its_own_error(api: Client, connection: Connection, orders: str,
                                                      produce: Callable[..., None]) -> None:
    produce(orders, b"bad", b"{not json", partition=0, timestamp=T0 + 4000)
    produce(orders, b"good", b"[1, 2]", partition=0, timestamp=T0 + 5000)
    records = _records(api, connection, orders, "partition=0&offset=3&value_serde=json")
    assert [(r["key"], r["value"], r["value_error"] is None) for r in records] == [
        ("o3", {"n": 3}, True), ("bad", None, False), ("good", [1, 2], True),
    ]
    assert records[1]["value_error"].startswith("not json: Serdes.json() got invalid JSON")


def test_numbers_and_bytes_are_decoded_with_runtime_serdes(api: Client, connection: Connection,
                                                           create_topic: Callable[..., str],
                                                           produce: Callable[..., None]) -> None:
    topic = create_topic("numbers")
    # Java's big-endian layouts, written independently of the code under test.
    produce(topic, struct.pack(">q", -42), struct.pack(">d", 2.5))
    produce(topic, struct.pack(">i", 7), b"\x01\x02")
    longs = _records(api, connection, topic, "key_serde=long&value_serde=double")
    assert (longs[0]["key"], longs[0]["value"]) == (-42, 2.5)
    # A 4-byte key is no long, and 2 bytes are no double: errors per record.
    assert longs[1]["key"] is None and "not long" in longs[1]["key_error"]
    assert longs[1]["value_error"].startswith("not double")
    raw = _records(api, connection, topic, "key_serde=integer&value_serde=bytes")
    assert (raw[1]["key"], raw[1]["value"]) == (7, base64.b64encode(b"\x01\x02").decode())


@pytest.mark.parametrize(("query", "message"), [
    ("limit=501", "limit: Ensure this value is less than or equal to 500."),
    ("limit=0", "limit: Ensure this value is greater than or equal to 1."),
    ("offset=3", "partition: An offset needs a partition."),
    ("partition=0&offset=1&timestamp=5", "Give offset or timestamp, not both."),
    ("value_serde=avro", 'value_serde: "avro" is not a valid choice.'),
    ("partition=-1", "partition: Ensure this value is greater than or equal to 0."),
])
def test_browse_refuses_bad_input(api: Client, connection: Connection, query: str, message: str) -> None:
    response = api.get(f"/api/connections/{connection.pk}/topics/any/records/?{query}")
    assert response.status_code == 400
    assert response.json()["message"] == message


def test_browse_a_missing_partition_or_topic(api: Client, connection: Connection, orders: str) -> None:
    response = api.get(f"/api/connections/{connection.pk}/topics/{orders}/records/?partition=2")
    assert response.status_code == 400
    assert response.json()["message"] == f"Topic {orders!r} has partitions 0 to 1; there is no partition 2."
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    response = api.get(f"/api/connections/{connection.pk}/topics/{missing}/records/")
    assert response.status_code == 404
    assert response.json()["message"] == f"There is no topic {missing!r} on connection 'dev'."


def test_browse_an_unreachable_cluster_is_502(api: Client, unreachable: Connection) -> None:
    response = api.get(f"/api/connections/{unreachable.pk}/topics/t/records/")
    assert response.status_code == 502
    assert response.json()["message"].startswith("Cannot reach Kafka at 127.0.0.1:1")


def test_produce_a_record_and_read_it_back(api: Client, connection: Connection, kafka_bootstrap: str,
                                          create_topic: Callable[..., str]) -> None:
    topic = create_topic("produced", partitions=2)
    response = send(api, "post", f"/api/connections/{connection.pk}/topics/{topic}/records/", {
        "key": 12, "key_serde": "long", "value": {"qty": 2}, "value_serde": "json", "partition": 1,
        "headers": [{"key": "trace", "value": "abc"}],
    })
    assert response.status_code == 201, response.content
    produced = response.json()
    assert produced["partition"] == 1 and produced["offset"] >= 0
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": f"check-{uuid.uuid4().hex}",
                         "enable.auto.commit": False})
    try:
        consumer.assign([TopicPartition(topic, 1, produced["offset"])])
        messages = [m for m in consumer.consume(1, timeout=10) if m.error() is None]
    finally:
        consumer.close()
    assert len(messages) == 1
    assert messages[0].key() == struct.pack(">q", 12)
    assert json.loads(messages[0].value()) == {"qty": 2}
    assert messages[0].headers() == [("trace", b"abc")]
    assert messages[0].timestamp()[1] == produced["timestamp"]
    # Audited with where it went and its size, never its content.
    event = AuditEvent.objects.get(verb="record.produce")
    assert event.data == {"topic": topic, "partition": 1, "offset": produced["offset"], "key_bytes": 8,
                          "value_bytes": len(messages[0].value())}
    assert "qty" not in json.dumps(event.data)


def test_produce_bytes_and_a_null_value(api: Client, connection: Connection, create_topic: Callable[..., str]) -> None:
    topic = create_topic("tomb")
    response = send(api, "post", f"/api/connections/{connection.pk}/topics/{topic}/records/",
                    {"key": base64.b64encode(b"\x00k").decode(), "key_serde": "bytes", "value": None})
    assert response.status_code == 201, response.content
    records = _records(api, connection, topic, "key_serde=bytes")
    assert (records[0]["key"], records[0]["value"]) == ("AGs=", None)


@pytest.mark.parametrize(("body", "message"), [
    ({"key": "x", "key_serde": "long"}, "key: "),
    ({"value": 5}, "value: "),
    ({"value": "not base64!", "value_serde": "bytes"}, "value: not valid base64"),
    ({"value": "a", "partition": -1}, "partition: Ensure this value is greater than or equal to 0."),
    ({"value": "a", "headers": [{"key": "h"}]}, "headers.0.value: This field is required."),
])
def test_produce_refuses_bad_input(api: Client, connection: Connection, create_topic: Callable[..., str],
                                   body: dict, message: str) -> None:
    topic = create_topic("refused")
    response = send(api, "post", f"/api/connections/{connection.pk}/topics/{topic}/records/", body)
    assert response.status_code == 400
    assert response.json()["message"].startswith(message)


def test_produce_to_a_missing_topic_is_404_and_creates_nothing(api: Client, connection: Connection,
                                                               kafka_bootstrap: str) -> None:
    from confluent_kafka.admin import AdminClient

    missing = f"missing-{uuid.uuid4().hex[:8]}"
    response = send(api, "post", f"/api/connections/{connection.pk}/topics/{missing}/records/", {"value": "a"})
    assert response.status_code == 404
    assert missing not in AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10).topics


def test_browse_ends_at_a_transaction_marker_without_waiting(api: Client, connection: Connection,
                                                             kafka_bootstrap: str,
                                                             create_topic: Callable[..., str]) -> None:
    from confluent_kafka import Producer

    from studio.connections.kafka import READ_DEADLINE_S

    topic = create_topic("txn")
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "transactional.id": f"t-{uuid.uuid4().hex}"})
    producer.init_transactions(10)
    producer.begin_transaction()
    producer.produce(topic, key=b"a", value=b"1")
    producer.produce(topic, key=b"b", value=b"2")
    producer.commit_transaction(10)
    # The commit marker takes an offset no consumer ever sees: only the partition's end
    # (EOF), not its high watermark, says that the records are all read.
    started = time.monotonic()
    records = _records(api, connection, topic, "")
    assert time.monotonic() - started < READ_DEADLINE_S - 2
    assert [(r["key"], r["value"]) for r in records] == [("a", "1"), ("b", "2")]
