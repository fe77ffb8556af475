"""The thin Kafka wrappers against the development broker."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from runtime.kafka import (
    OFFSET_BEGINNING,
    KafkaAdmin,
    KafkaClientError,
    KafkaConsumer,
    KafkaProducer,
    NewTopicSpec,
    TopicPartition,
    TopicPartitionOffset,
)
from runtime.kafka.config import main_consumer_config, producer_config

pytestmark = pytest.mark.kafka

# Kafka's UtilsTest.testMurmur2 vectors: Java's murmur2 of the UTF-8 key bytes.
JAVA_MURMUR2 = {
    "21": -973932308,
    "foobar": -790332482,
    "a-little-bit-long-string": -985981536,
    "a-little-bit-longer-string": -1486304829,
    "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    "abc": 479470107,
}


def test_admin_lists_and_creates_topics_idempotently(kafka_bootstrap: str, unique_name: Callable[[str], str]) -> None:
    admin = KafkaAdmin({"bootstrap.servers": kafka_bootstrap})
    name = unique_name("admin")
    spec = NewTopicSpec(name, 3, config={"cleanup.policy": "compact"})
    try:
        assert admin.create_topics([spec]) == [name]
        assert admin.create_topics([spec]) == []  # already there: left alone
        assert admin.topic_partitions()[name] == 3
    finally:
        admin.delete_topics([name])


def test_listing_topics_never_creates_one(kafka_bootstrap: str, unique_name: Callable[[str], str]) -> None:
    # The development broker auto-creates a topic asked for by name; the wrapper must
    # only ever list all topics, or a missing source topic would appear from nowhere.
    admin = KafkaAdmin({"bootstrap.servers": kafka_bootstrap})
    name = unique_name("absent")
    assert name not in admin.topic_partitions()
    assert name not in admin.topic_partitions()


def test_unreachable_broker_is_a_clear_error() -> None:
    admin = KafkaAdmin({"bootstrap.servers": "127.0.0.1:1"})
    started = time.monotonic()
    with pytest.raises(KafkaClientError, match="127.0.0.1:1"):
        admin.topic_partitions(timeout=2)
    assert time.monotonic() - started < 10


def test_keyed_records_land_where_javas_default_partitioner_puts_them(
    kafka_bootstrap: str, create_topic: Callable[..., str]
) -> None:
    topic = create_topic("murmur", partitions=7)
    producer = KafkaProducer(producer_config({"bootstrap.servers": kafka_bootstrap}, client_id="t"))
    delivered: dict[str, int] = {}

    def on_delivery(err: object, msg: object) -> None:
        assert err is None, err
        delivered[msg.key().decode()] = msg.partition()  # type: ignore[attr-defined]

    for key in JAVA_MURMUR2:
        producer.produce(topic, key.encode(), b"v", on_delivery=on_delivery)
    assert producer.flush(15) == 0
    producer.close()
    # BuiltInPartitioner.partitionForKey: toPositive(murmur2(key)) % numPartitions.
    expected = {key: (h & 0x7FFFFFFF) % 7 for key, h in JAVA_MURMUR2.items()}
    assert delivered == expected


def test_consumer_commits_synchronously_and_reads_back(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    topic = create_topic("commit", partitions=1)
    group = unique_name("grp")
    consumer = KafkaConsumer(main_consumer_config(
        {"application.id": group, "bootstrap.servers": kafka_bootstrap},
        client_id="t", assignment_strategy="cooperative-sticky",
    ))
    try:
        consumer.assign([TopicPartitionOffset(topic, 0, OFFSET_BEGINNING)])
        consumer.commit([TopicPartitionOffset(topic, 0, 5)])
        assert consumer.committed([TopicPartition(topic, 0)], timeout=10) == {TopicPartition(topic, 0): 5}
    finally:
        consumer.close()


@pytest.mark.parametrize("paused", [True, False])
def test_librdkafka_keeps_a_pause_across_a_partitions_unassignment_and_next_assignment(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str], paused: bool
) -> None:
    # What the stream thread's _unpause_assigned answers (and test_task_migrated's
    # scripted consumer models): Kafka's Java consumer starts a newly assigned
    # partition unpaused, librdkafka does not. Cooperative rebalancing assigns
    # incrementally, as here.
    import confluent_kafka

    topic = create_topic("pause", partitions=1)
    producer = KafkaProducer({"bootstrap.servers": kafka_bootstrap})
    for i in range(5):
        producer.produce(topic, key=None, value=b"%d" % i, partition=0)
    assert producer.flush(10) == 0
    consumer = confluent_kafka.Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": unique_name("grp"),
                                         "enable.auto.commit": False})

    def fetched(seconds: float) -> int:
        count, deadline = 0, time.monotonic() + seconds
        while time.monotonic() < deadline:
            count += sum(1 for m in consumer.consume(10, timeout=0.2) if m.error() is None)
        return count

    try:
        consumer.incremental_assign([confluent_kafka.TopicPartition(topic, 0, 0)])
        assert fetched(3) == 5
        if paused:
            consumer.pause([confluent_kafka.TopicPartition(topic, 0)])
        consumer.incremental_unassign([confluent_kafka.TopicPartition(topic, 0)])
        consumer.incremental_assign([confluent_kafka.TopicPartition(topic, 0, 0)])
        assert fetched(3) == (0 if paused else 5)
    finally:
        consumer.close()
