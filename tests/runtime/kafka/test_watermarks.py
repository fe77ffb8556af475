"""runtime.kafka.watermarks: the log-end offset of a partition whose records arrived in
one batch. Kafka's answer is the offset after the last record; the development broker's
ListOffsets("latest") gives the batch's base offset + 1, which the fetch probe corrects."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from confluent_kafka import Consumer

from runtime.kafka.watermarks import exact_watermarks
from tests.runtime.kafka.helpers import produce_one_batch

pytestmark = pytest.mark.kafka


def test_the_end_of_a_batch_is_the_offset_after_its_last_record(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
) -> None:
    topic = create_topic("batched", partitions=3)
    produce_one_batch(kafka_bootstrap, topic, 0, 250)
    produce_one_batch(kafka_bootstrap, topic, 0, 50)
    produce_one_batch(kafka_bootstrap, topic, 1, 1)
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": unique_name("marks"),
                         "enable.auto.commit": False})
    try:
        found = exact_watermarks(consumer, [(topic, 0), (topic, 1), (topic, 2)], timeout=10, wait_s=5)
        assert found.marks == {(topic, 0): (0, 300), (topic, 1): (0, 1), (topic, 2): (0, 0)}
        assert found.unconfirmed == frozenset()
        assert consumer.assignment() == []   # the probe leaves nothing assigned
    finally:
        consumer.close()


def test_a_probe_that_gets_no_answer_is_reported_unconfirmed(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
) -> None:
    topic = create_topic("unanswered", partitions=1)
    produce_one_batch(kafka_bootstrap, topic, 0, 20)
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": unique_name("marks"),
                         "enable.auto.commit": False})
    try:
        found = exact_watermarks(consumer, [(topic, 0)], timeout=10, wait_s=0)
        assert found.unconfirmed == frozenset({(topic, 0)})
        low, high = found.marks[(topic, 0)]
        assert low == 0 and 0 < high <= 20   # ListOffsets' answer, whatever the broker
    finally:
        consumer.close()
