"""StreamsApp runs a foreign-key left join on the development broker: orders point at
products, both change and get deleted, and the joined table ends equal to a brute-force
join of the final tables (the subscription and response topics are real topics)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from runtime import Serdes, StreamsBuilder
from runtime.app import StreamsApp

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(150)]

Table = dict[str, str]


def _updates(rng: random.Random, n: int, keys: list[str], value: Callable[[], str],
             table: Table) -> list[tuple[bytes, bytes | None]]:
    records: list[tuple[bytes, bytes | None]] = []
    for _ in range(n):
        key = rng.choice(keys)
        new = None if rng.random() < 0.15 else value()
        records.append((key.encode(), None if new is None else new.encode()))
        if new is None:
            table.pop(key, None)
        else:
            table[key] = new
    return records


def produce(bootstrap: str, topic: str, records: list[tuple[bytes, bytes | None]]) -> None:
    # Java's partitioner (murmur2), as the join's subscription sink uses: the right
    # table's rows must sit in the partitions its subscriptions are sent to
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5,
                         "partitioner": "murmur2_random"})
    for key, value in records:
        producer.produce(topic, value, key)
    assert producer.flush(30) == 0


class _TableReader:
    """The output topic read as a table by one consumer that keeps polling (not to
    the end offsets, which the development broker may report a batch short)."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        admin = AdminClient({"bootstrap.servers": bootstrap})
        partitions = len(admin.list_topics(timeout=10).topics[topic].partitions)
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "fk-join-reader",
                                  "enable.auto.commit": False})
        self.consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING)
                              for p in range(partitions)])
        self.table: dict[str, str] = {}

    def poll(self) -> dict[str, str]:
        for m in self.consumer.consume(1000, 0.5):
            assert not m.error(), m.error()
            key = m.key().decode()
            if m.value() is None:
                self.table.pop(key, None)
            else:
                self.table[key] = m.value().decode()
        return self.table


@pytest.mark.parametrize("order_partitions,product_partitions", [(2, 2), (2, 3)])
def test_foreign_key_left_join_on_kafka(kafka_bootstrap: str, create_topic: Callable[..., str],
                                        unique_name: Callable[[str], str], order_partitions: int,
                                        product_partitions: int) -> None:
    orders_topic = create_topic("orders", partitions=order_partitions)
    products_topic = create_topic("products", partitions=product_partitions)
    out_topic = create_topic("orders-with-products", partitions=2)
    rng = random.Random(11)
    orders: Table = {}
    products: Table = {}
    product_ids = [f"p{i}" for i in range(8)]
    order_ids = [f"o{i}" for i in range(25)]
    produce(kafka_bootstrap, products_topic,
            _updates(rng, 20, product_ids, lambda: f"name{rng.randrange(100)}", products))
    produce(kafka_bootstrap, orders_topic,
            _updates(rng, 60, order_ids, lambda: f"{rng.randrange(9)}|{rng.choice(product_ids)}",
                     orders))

    S = Serdes.string()
    builder = StreamsBuilder()
    left = builder.table(orders_topic, key_serde=S, value_serde=S)
    right = builder.table(products_topic, key_serde=S, value_serde=S)
    left.left_join(right, lambda v: v.split("|")[1], lambda o, p: f"{o}+{p}") \
        .to_stream().to(out_topic, key_serde=S, value_serde=S)
    app_id = unique_name("fkjoin")
    config: dict[str, Any] = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
                              "commit.interval.ms": 200}
    app = StreamsApp(builder.build(), config)
    reader = _TableReader(kafka_bootstrap, out_topic)
    app.start()
    try:
        # more updates of both sides while the app runs
        time.sleep(2)
        produce(kafka_bootstrap, products_topic,
                _updates(rng, 15, product_ids, lambda: f"name{rng.randrange(100)}", products))
        produce(kafka_bootstrap, orders_topic,
                _updates(rng, 30, order_ids,
                         lambda: f"{rng.randrange(9)}|{rng.choice(product_ids)}", orders))
        expected = {k: f"{v}+{products.get(v.split('|')[1])}" for k, v in orders.items()}
        deadline = time.monotonic() + 90
        while True:
            latest = reader.poll()
            if latest == expected:
                break
            assert app.error is None and app.state in ("REBALANCING", "RUNNING"), app.error
            if time.monotonic() > deadline:
                diff = {k: (latest.get(k), v) for k, v in expected.items() if latest.get(k) != v}
                extra = set(latest) - set(expected)
                raise AssertionError(f"join never converged; differing: {diff}, extra: {extra}")
    finally:
        reader.consumer.close()
        app.close(30)

    topics = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10).topics
    # KTableImpl#doJoinOnForeignKey: subscriptions are copartitioned with the right
    # table, responses with the left one
    for internal, count in (
            ("KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic", product_partitions),
            ("KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010-changelog", product_partitions),
            ("KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic", order_partitions)):
        assert len(topics[f"{app_id}-{internal}"].partitions) == count, internal
