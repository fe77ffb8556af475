"""The KIP-1034 dead-letter queue on a real broker: poison records of a stream go to the
DLQ topic, raw and with the ``__streams.errors.*`` headers, and the rest of the stream
is processed completely (Kafka's ExceptionHandlerUtils, LogAndContinueExceptionHandler,
LogAndContinueProcessingExceptionHandler)."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, TopicPartition

from runtime import Serdes, StreamsBuilder
from runtime.app import StreamsApp
from tests.runtime.kafka.helpers import Out, produce, read_topic, wait_until

S, J = Serdes.string(), Serdes.json()


def read_with_headers(bootstrap: str, topic: str, timeout: float = 20.0
                      ) -> list[tuple[bytes | None, bytes | None, int, dict[str, bytes | None]]]:
    """(key, value, timestamp, headers) of every record of a one-partition topic."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "dlq-reader",
                         "enable.auto.commit": False, "enable.partition.eof": True})
    consumer.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
    out = []
    deadline = time.monotonic() + timeout
    try:
        while True:
            assert time.monotonic() < deadline, f"reading {topic} did not reach its end"
            m = consumer.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    return out
                raise AssertionError(f"reading {topic}: {m.error()}")
            out.append((m.key(), m.value(), m.timestamp()[1], dict(m.headers() or [])))
    finally:
        consumer.close()


def started_app(builder: StreamsBuilder, bootstrap: str, app_id: str, dlq: str,
                handlers: dict[str, object]) -> StreamsApp:
    app = StreamsApp(builder.build(), {
        "application.id": app_id, "bootstrap.servers": bootstrap, "commit.interval.ms": 200,
        "errors.dead.letter.queue.topic.name": dlq, **handlers})
    app.start()
    return app


def read_outputs(bootstrap: str, topic: str, count: int) -> list[Out]:
    return wait_until(lambda: len(read_topic(bootstrap, topic)) == count
                      and read_topic(bootstrap, topic), 30, f"{count} outputs")


@pytest.mark.kafka
def test_poison_records_go_to_the_dlq_and_the_stream_is_complete(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    source, sink, dlq = create_topic("in"), create_topic("out"), create_topic("dlq")
    # offsets 1 (malformed JSON) and 3 (a string where a number is expected) are poison
    produce(kafka_bootstrap, source, [(b"a", b"1"), (b"b", b"{oops"), (b"c", b"2"),
                                      (b"d", b'"x"'), (b"e", b"3")])
    builder = StreamsBuilder()
    (builder.stream(source, key_serde=S, value_serde=J)
     .map_values(lambda v: v + 1, name="increment")
     .to(sink, key_serde=S, value_serde=J))
    app = started_app(builder, kafka_bootstrap, unique_name("app"), dlq, {
        "deserialization.exception.handler": "log-and-continue",
        "processing.exception.handler": "log-and-continue"})
    try:
        out = read_outputs(kafka_bootstrap, sink, 3)
        assert [(r.key, r.value) for r in out] == [(b"a", b"2"), (b"c", b"3"), (b"e", b"4")]
        dead = wait_until(lambda: len(read_with_headers(kafka_bootstrap, dlq)) == 2
                          and read_with_headers(kafka_bootstrap, dlq), 30, "two DLQ records")
        assert [(k, v) for k, v, _, _ in dead] == [(b"b", b"{oops"), (b"d", b'"x"')]
        for (_, _, _, headers), offset, exception in [(dead[0], 1, b"runtime.errors.SerializationError"),
                                                      (dead[1], 3, b"TypeError")]:
            assert headers["__streams.errors.topic"] == source.encode()
            assert headers["__streams.errors.partition"] == b"0"
            assert headers["__streams.errors.offset"] == str(offset).encode()
            assert headers["__streams.errors.exception"].startswith(exception)
            assert headers["__streams.errors.message"]
            assert exception in headers["__streams.errors.stacktrace"]
        assert app.state == "RUNNING"
    finally:
        assert app.close(10)


@pytest.mark.kafka
def test_an_output_larger_than_the_producer_allows_is_dead_lettered(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    # The development broker (Tansu) accepts records above a topic's max.message.bytes,
    # so the limit enforced here is the producer's own message.max.bytes, which
    # librdkafka checks before sending (RecordTooLargeException in Java).
    source, sink, dlq = create_topic("in"), create_topic("out"), create_topic("dlq")
    produce(kafka_bootstrap, source, [(b"a", b"10"), (b"b", b"3000"), (b"c", b"20")])
    builder = StreamsBuilder()
    (builder.stream(source, key_serde=S, value_serde=S)
     .map_values(lambda v: "x" * int(v), name="inflate")
     .to(sink, key_serde=S, value_serde=S))
    app = started_app(builder, kafka_bootstrap, unique_name("app"), dlq, {
        "producer.message.max.bytes": 2000, "production.exception.handler": "log-and-continue"})
    try:
        out = read_outputs(kafka_bootstrap, sink, 2)
        assert [(r.key, r.value) for r in out] == [(b"a", b"x" * 10), (b"c", b"x" * 20)]
        [(key, value, _, headers)] = wait_until(
            lambda: read_with_headers(kafka_bootstrap, dlq), 30, "the DLQ record")
        assert (key, value) == (b"b", b"3000")   # the source record, not the output
        assert headers["__streams.errors.offset"] == b"1"
        assert headers["__streams.errors.exception"].startswith(b"runtime.errors.RecordTooLargeError")
        assert app.state == "RUNNING"
    finally:
        assert app.close(10)


@pytest.mark.kafka
def test_a_record_the_broker_refuses_is_dead_lettered_as_its_output_bytes(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    # An asynchronous send failure (RecordCollectorImpl.recordSendError): the record is
    # routed to a topic that does not exist, so its delivery report carries an error
    # once librdkafka gives up. Non-fatal, it goes to production.exception.handler:
    # log-and-continue drops it, dead-letters the serialized output record, and the
    # app keeps running. Tansu creates a topic a metadata request names unless the
    # producer says not to (allow.auto.create.topics=false); a broker rejecting a
    # record as too large is not provokable on Tansu (it ignores max.message.bytes).
    source, sink, dlq = create_topic("in"), create_topic("out"), create_topic("dlq")
    missing = unique_name("missing")
    produce(kafka_bootstrap, source, [(b"a", b"ok"), (b"b", b"lost"), (b"c", b"ok")])
    builder = StreamsBuilder()
    (builder.stream(source, key_serde=S, value_serde=S)
     .map_values(str.upper, name="upper")
     .to(lambda key, value, context: missing if value == "LOST" else sink,
         key_serde=S, value_serde=S, name="route"))
    app = started_app(builder, kafka_bootstrap, unique_name("app"), dlq, {
        "production.exception.handler": "log-and-continue",
        "producer.allow.auto.create.topics": False,
        "producer.topic.metadata.propagation.max.ms": 1000,
        "producer.message.timeout.ms": 5000})
    try:
        out = read_outputs(kafka_bootstrap, sink, 2)
        assert [(r.key, r.value) for r in out] == [(b"a", b"OK"), (b"c", b"OK")]
        [(key, value, _, headers)] = wait_until(
            lambda: read_with_headers(kafka_bootstrap, dlq), 30, "the DLQ record")
        assert (key, value) == (b"b", b"LOST")   # the output record: its source is long gone
        assert headers["__streams.errors.topic"] == missing.encode()
        assert headers["__streams.errors.offset"] == b"-1"
        assert b"Unknown topic or partition" in headers["__streams.errors.message"]
        assert headers["__streams.errors.partition"] == b"-1"   # never assigned one
        assert headers["__streams.errors.exception"].startswith(b"runtime.errors.ProductionError")
        assert app.state == "RUNNING"
    finally:
        assert app.close(10)
