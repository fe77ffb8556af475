from __future__ import annotations

import json
from io import StringIO

import pytest
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient
from django.core.management import CommandError, call_command

from studio.topologies.management.commands import generate_examples


@pytest.mark.kafka
def test_it_creates_the_topics_and_produces_the_records(
    kafka_bootstrap: str, monkeypatch: pytest.MonkeyPatch, unique_name: object
) -> None:
    topic = unique_name("trades")  # type: ignore[operator]
    monkeypatch.setattr(generate_examples, "_sources", lambda example: [(topic, "trades")])
    out = StringIO()
    call_command("generate_examples", "--only", "stocks", "--count", "12", "--rate", "200",
                 "--bootstrap-servers", kafka_bootstrap, stdout=out)
    assert "Produced 12 records" in out.getvalue()
    metadata = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(topic, timeout=10)
    assert len(metadata.topics[topic].partitions) == 2

    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": unique_name("g"),  # type: ignore[operator]
                         "auto.offset.reset": "earliest", "session.timeout.ms": 6000})
    consumer.subscribe([topic])
    trades = []
    try:
        for _ in range(60):
            message = consumer.poll(0.5)
            if message is not None and not message.error():
                trades.append(json.loads(message.value()))
            if len(trades) == 12:
                break
    finally:
        consumer.close()
    assert len(trades) == 12 and all(set(t) == {"ticker", "price", "ts"} for t in trades)


def test_an_unreachable_broker_is_one_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generate_examples, "CONNECT_TIMEOUT_S", 1.0)
    with pytest.raises(CommandError, match=r"cannot reach Kafka at 127\.0\.0\.1:1 .*KAFKA_BOOTSTRAP_SERVERS"):
        call_command("generate_examples", "--count", "1", "--bootstrap-servers", "127.0.0.1:1")
