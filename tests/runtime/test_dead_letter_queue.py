"""The dead-letter queue of KIP-1034 and the production exception handler, through the
test driver.

Kafka references: ExceptionHandlerUtils (the DLQ record: raw source key and value, the
record's timestamp, no partition, six ``__streams.errors.*`` string headers),
LogAndContinueExceptionHandler / LogAndFailExceptionHandler (both add the DLQ record;
one resumes, the other fails), LogAndContinue/LogAndFailProcessingExceptionHandler
(KIP-1033), DefaultProductionExceptionHandler (fails on serialization errors) and
RecordCollectorImpl (a CONTINUE on a serialization error drops the record and records
the dropped-records sensor).
"""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError

from runtime import DeserializationError, ProcessingError, Serdes, StreamsBuilder, Topology
from runtime.errors import ConfigError, ProductionError, RecordTooLargeError
from runtime.exec import ConsumedRecord, MockClock, StreamTask
from runtime.exec.collector import KafkaRecordCollector
from runtime.exec.dead_letter import (
    HEADER_EXCEPTION,
    HEADER_MESSAGE,
    HEADER_OFFSET,
    HEADER_PARTITION,
    HEADER_STACKTRACE,
    HEADER_TOPIC,
)
from runtime.kafka import KafkaProducer, TopicPartition
from runtime.processor.api import PunctuationType
from runtime.processor.record import Record
from runtime.testing import TestRecord, TopologyTestDriver

S = Serdes.string()
J = Serdes.json()
B = Serdes.bytes()
DLQ = "errors.dead.letter.queue.topic.name"
HEADER_NAMES = [HEADER_EXCEPTION, HEADER_MESSAGE, HEADER_STACKTRACE, HEADER_TOPIC,
                HEADER_PARTITION, HEADER_OFFSET]


def dropped(driver: TopologyTestDriver) -> int:
    return sum(t.task_metrics()["dropped-records-total"] for t in driver.tasks)


def headers_of(record: TestRecord) -> dict[str, bytes | None]:
    return dict(record.headers)


def assert_points_at(record: TestRecord, topic: str | None, partition: int, offset: int,
                     exception: str) -> None:
    headers = headers_of(record)
    assert sorted(headers) == sorted(HEADER_NAMES)
    assert headers[HEADER_TOPIC] == (None if topic is None else topic.encode())
    assert headers[HEADER_PARTITION] == str(partition).encode()
    assert headers[HEADER_OFFSET] == str(offset).encode()
    assert headers[HEADER_EXCEPTION].startswith(exception.encode())  # type: ignore[union-attr]
    assert exception.encode() in headers[HEADER_STACKTRACE]  # type: ignore[operator]


def json_passthrough() -> Topology:
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=J, name="source") \
        .to("out", key_serde=S, value_serde=J)
    return b.build()


# -- deserialization ----------------------------------------------------------------------------
def test_malformed_json_goes_to_the_dlq_raw_and_the_stream_goes_on() -> None:
    config = {"deserialization.exception.handler": "log-and-continue", DLQ: "dlq"}
    with TopologyTestDriver(json_passthrough(), config) as driver:
        for value, ts in [(b"1", 1), (b"{oops", 2), (b"2", 3), (b"\xff", 4), (b"3", 5)]:
            driver.pipe_raw("in", b"k", value, ts)
        assert driver.create_output_topic("out", S, J).read_values_to_list() == [1, 2, 3]
        dead = driver.create_output_topic("dlq", B, B).read_records_to_list()
        # the raw source bytes, with the source record's timestamp
        assert [(r.key, r.value, r.timestamp) for r in dead] == [
            (b"k", b"{oops", 2), (b"k", b"\xff", 4)]
        assert_points_at(dead[0], "in", 0, 1, "runtime.errors.SerializationError")
        assert_points_at(dead[1], "in", 0, 3, "runtime.errors.SerializationError")
        assert b"invalid JSON" in headers_of(dead[0])[HEADER_MESSAGE]  # type: ignore[operator]
        assert dropped(driver) == 2


def test_log_and_fail_writes_the_dlq_record_then_fails() -> None:
    # LogAndFailExceptionHandler: FAIL.andAddToDeadLetterQueue(...)
    with TopologyTestDriver(json_passthrough(), {DLQ: "dlq"}) as driver:
        driver.pipe_raw("in", b"k", b"1", 1)
        with pytest.raises(DeserializationError):
            driver.pipe_raw("in", None, b"[1,", 7)
        dead = driver.create_output_topic("dlq", B, B).read_records_to_list()
        assert [(r.key, r.value, r.timestamp) for r in dead] == [(None, b"[1,", 7)]
        assert_points_at(dead[0], "in", 0, 1, "runtime.errors.SerializationError")


def test_without_a_dlq_topic_nothing_is_written_anywhere_else() -> None:
    config = {"deserialization.exception.handler": "log-and-continue"}
    with TopologyTestDriver(json_passthrough(), config) as driver:
        driver.pipe_raw("in", b"k", b"{oops", 1)
        driver.pipe_raw("in", b"k", b"5", 2)
        assert driver.produced_topic_names() == {"out"}
        assert dropped(driver) == 1


# -- processing ------------------------------------------------------------------------------------
def increment_pipeline() -> Topology:
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=J) \
        .map_values(lambda v: v + 1, name="increment") \
        .to("out", key_serde=S, value_serde=J)
    return b.build()


def test_a_callable_raising_type_error_sends_the_source_record_to_the_dlq() -> None:
    config = {"processing.exception.handler": "log-and-continue", DLQ: "dlq"}
    with TopologyTestDriver(increment_pipeline(), config) as driver:
        src = driver.create_input_topic("in", S, J)
        src.pipe_input("a", 1, 10)
        src.pipe_input("b", "one", 11)   # str + int: TypeError
        src.pipe_input("c", [1], 12)     # list + int: TypeError
        src.pipe_input("d", 3, 13)
        assert driver.create_output_topic("out", S, J).read_records_to_list() == [
            TestRecord("a", 2, 10), TestRecord("d", 4, 13)]
        dead = driver.create_output_topic("dlq", S, B).read_records_to_list()
        # the value as it was read from "in": JSON bytes, not the deserialized object
        assert [(r.key, r.value, r.timestamp) for r in dead] == [
            ("b", b'"one"', 11), ("c", b"[1]", 12)]
        assert_points_at(dead[0], "in", 0, 1, "TypeError")
        assert_points_at(dead[1], "in", 0, 2, "TypeError")
        assert dropped(driver) == 2


def test_log_and_fail_processing_also_writes_the_dlq_record() -> None:
    with TopologyTestDriver(increment_pipeline(), {DLQ: "dlq"}) as driver:
        src = driver.create_input_topic("in", S, J)
        with pytest.raises(ProcessingError, match="TypeError"):
            src.pipe_input("b", "one", 11)
        dead = driver.create_output_topic("dlq", S, B).read_records_to_list()
        assert [(r.key, r.value, r.timestamp) for r in dead] == [("b", b'"one"', 11)]


def test_a_failure_after_a_repartition_points_at_the_repartition_record() -> None:
    config = {"processing.exception.handler": "log-and-continue", DLQ: "dlq",
              "application.id": "app"}
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=J).select_key(lambda k, v: k) \
        .group_by_key(key_serde=S, value_serde=J) \
        .reduce(lambda agg, v: agg + v, name="sum") \
        .to_stream().to("out", key_serde=S, value_serde=J)
    with TopologyTestDriver(b.build(), config) as driver:
        src = driver.create_input_topic("in", S, J)
        src.pipe_input("a", 1, 1)
        src.pipe_input("a", "x", 2)   # 1 + "x": TypeError in the second sub-topology
        src.pipe_input("a", 2, 3)
        assert driver.create_output_topic("out", S, J).read_values_to_list() == [1, 3]
        [dead] = driver.create_output_topic("dlq", S, B).read_records_to_list()
        assert (dead.key, dead.value, dead.timestamp) == ("a", b'"x"', 2)
        topic = headers_of(dead)[HEADER_TOPIC]
        assert topic is not None and topic.endswith(b"-repartition")
        assert headers_of(dead)[HEADER_OFFSET] == b"1"


def test_a_failing_punctuation_writes_a_null_record_to_the_dlq() -> None:
    # no source record: ErrorHandlerContext has null topic/raw key/value, -1 partition/offset
    class Ticker:
        def init(self, context: Any) -> None:
            context.schedule(100, PunctuationType.WALL_CLOCK_TIME, self.tick)

        def tick(self, timestamp: int) -> None:
            raise RuntimeError("tick failed")

        def process(self, record: Any) -> None:
            pass

        def close(self) -> None:
            pass

    topology = Topology()
    topology.add_source("source", "in", key_serde=S, value_serde=S)
    topology.add_processor("ticker", Ticker, "source")
    config = {"processing.exception.handler": "log-and-continue", DLQ: "dlq"}
    with TopologyTestDriver(topology, config, initial_wall_clock_time=0) as driver:
        driver.advance_wall_clock_time(100)
        [dead] = driver.create_output_topic("dlq", B, B).read_records_to_list()
        assert (dead.key, dead.value, dead.timestamp) == (None, None, 100)
        assert_points_at(dead, None, -1, -1, "RuntimeError: tick failed")


# -- production ------------------------------------------------------------------------------------
MAX_BYTES = 16


def _bounded(value: str) -> bytes:
    # stands in for the producer's max.message.bytes: a broker would refuse the record
    data = value.encode()
    if len(data) > MAX_BYTES:
        raise ValueError(f"record of {len(data)} bytes exceeds {MAX_BYTES}")
    return data


def bounded_sink() -> Topology:
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=S) \
        .map_values(lambda v: v * 4, name="quadruple") \
        .to("out", key_serde=S, value_serde=Serdes.serde_from(_bounded, bytes.decode),
            name="to-out")
    return b.build()


@pytest.mark.parametrize("key", ["production.exception.handler",
                                 "default.production.exception.handler"])
def test_an_oversized_output_is_dropped_counted_and_dead_lettered(key: str) -> None:
    config = {key: "log-and-continue", DLQ: "dlq"}
    with TopologyTestDriver(bounded_sink(), config) as driver:
        src = driver.create_input_topic("in", S, S)
        src.pipe_input("a", "ab", 1)        # 8 bytes out
        src.pipe_input("b", "abcde", 2)     # 20 bytes out: too large
        src.pipe_input("c", "abcd", 3)      # 16 bytes out: at the limit
        assert driver.create_output_topic("out", S, S).read_records_to_list() == [
            TestRecord("a", "abababab", 1), TestRecord("c", "abcd" * 4, 3)]
        [dead] = driver.create_output_topic("dlq", S, S).read_records_to_list()
        assert (dead.key, dead.value, dead.timestamp) == ("b", "abcde", 2)
        assert_points_at(dead, "in", 0, 1, "runtime.errors.SerializationError")
        assert b"exceeds 16" in headers_of(dead)[HEADER_MESSAGE]  # type: ignore[operator]
        assert dropped(driver) == 1


def test_an_oversized_output_fails_by_default() -> None:
    with TopologyTestDriver(bounded_sink()) as driver:
        src = driver.create_input_topic("in", S, S)
        with pytest.raises(ProductionError) as info:
            src.pipe_input("b", "abcde", 2)
        assert (info.value.node, info.value.topic, info.value.offset) == ("to-out", "in", 0)
        assert driver.produced_topic_names() == set()


def fan_out_with_a_bounded_sink() -> Topology:
    # the bounded sink is the stream's first child: a record it refuses must still
    # reach the plain sink and the branch added after it
    b = StreamsBuilder()
    stream = b.stream("in", key_serde=S, value_serde=S)
    stream.to("bounded-out", key_serde=S, value_serde=Serdes.serde_from(_bounded, bytes.decode),
              name="to-bounded")
    stream.to("all-out", key_serde=S, value_serde=S, name="to-all")
    stream.map_values(len, name="length").to("length-out", key_serde=S, value_serde=J,
                                             name="to-length")
    return b.build()


def test_a_production_error_at_one_sink_does_not_stop_the_record_s_other_sinks() -> None:
    # RecordCollectorImpl.send handles a serialization failure inside the sink's send
    # (CONTINUE: log, dropped-records, return), so the rest of the fan-out goes on.
    config = {"production.exception.handler": "log-and-continue", DLQ: "dlq"}
    with TopologyTestDriver(fan_out_with_a_bounded_sink(), config) as driver:
        src = driver.create_input_topic("in", S, S)
        src.pipe_input("a", "short", 1)
        src.pipe_input("b", "seventeen-chars!!", 2)   # 17 bytes: too large for to-bounded
        src.pipe_input("c", "x", 3)
        assert driver.create_output_topic("bounded-out", S, S).read_records_to_list() == [
            TestRecord("a", "short", 1), TestRecord("c", "x", 3)]
        assert driver.create_output_topic("all-out", S, S).read_records_to_list() == [
            TestRecord("a", "short", 1), TestRecord("b", "seventeen-chars!!", 2),
            TestRecord("c", "x", 3)]
        assert driver.create_output_topic("length-out", S, J).read_records_to_list() == [
            TestRecord("a", 5, 1), TestRecord("b", 17, 2), TestRecord("c", 1, 3)]
        [dead] = driver.create_output_topic("dlq", S, S).read_records_to_list()
        assert (dead.key, dead.value, dead.timestamp) == ("b", "seventeen-chars!!", 2)
        assert_points_at(dead, "in", 0, 1, "runtime.errors.SerializationError")
        assert dropped(driver) == 1


def test_a_production_error_at_one_sink_fails_naming_that_sink_by_default() -> None:
    with TopologyTestDriver(fan_out_with_a_bounded_sink(), {DLQ: "dlq"}) as driver:
        src = driver.create_input_topic("in", S, S)
        src.pipe_input("a", "short", 1)
        with pytest.raises(ProductionError) as info:
            src.pipe_input("b", "seventeen-chars!!", 2)
        error = info.value
        assert (error.node, error.topic, error.partition, error.offset) == \
            ("to-bounded", "in", 0, 1)
        # LogAndFailExceptionHandler also writes the DLQ record, exactly once
        assert len(driver.create_output_topic("dlq", S, S).read_records_to_list()) == 1
        assert dropped(driver) == 0


def test_a_refused_send_in_a_punctuation_is_handled_at_its_sink() -> None:
    class Emit:
        def init(self, context: Any) -> None:
            self.context = context
            context.schedule(10, PunctuationType.STREAM_TIME, self.tick)

        def tick(self, timestamp: int) -> None:
            self.context.forward(Record("k", "far-too-long-for-the-sink", timestamp))
            self.context.forward(Record("k", "ok", timestamp))

        def process(self, record: Any) -> None:
            return None

        def close(self) -> None:
            return None

    topology = Topology()
    topology.add_source("src", "in", key_serde=S, value_serde=S)
    topology.add_processor("emit", Emit, "src")
    topology.add_sink("to-out", "out", "emit", key_serde=S,
                      value_serde=Serdes.serde_from(_bounded, bytes.decode))
    config = {"production.exception.handler": "log-and-continue"}
    with TopologyTestDriver(topology, config) as driver:
        driver.create_input_topic("in", S, S).pipe_input("a", "x", 10)
        assert driver.create_output_topic("out", S, S).read_records_to_list() == [
            TestRecord("k", "ok", 10)]
        assert dropped(driver) == 1


# -- configuration ---------------------------------------------------------------------------------
@pytest.mark.parametrize("config, message", [
    ({DLQ: ""}, DLQ),
    ({DLQ: 5}, DLQ),
    ({"production.exception.handler": "retry-forever"}, "production.exception.handler"),
])
def test_bad_error_handling_config_is_refused(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        TopologyTestDriver(json_passthrough(), config)


# -- a record the producer refuses (the Kafka layer raises RecordTooLargeError) ---------------------
class RefusingCollector:
    """Like KafkaRecordCollector over a producer with message.max.bytes = 16."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, int, Any]] = []

    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Any = None, partition: int | None = None) -> None:
        if value is not None and len(value) > MAX_BYTES:
            raise RecordTooLargeError(f"cannot produce to {topic}: Message size too large")
        self.sent.append((topic, key, value, timestamp, headers))


def refusing_task(config: dict[str, Any]) -> tuple[StreamTask, RefusingCollector]:
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=S) \
        .map_values(lambda v: v * 4, name="quadruple") \
        .to("out", key_serde=S, value_serde=S, name="to-out")
    collector = RefusingCollector()
    task = StreamTask(b.build(), 0, 0, application_id="app", collector=collector,
                      config=config, clock=MockClock(0))
    return task, collector


def test_a_record_the_producer_refuses_is_a_production_error_of_the_sink() -> None:
    task, collector = refusing_task({})
    task.process(ConsumedRecord("in", 0, 0, 1, b"a", b"ab"))
    with pytest.raises(ProductionError) as info:
        task.process(ConsumedRecord("in", 0, 1, 2, b"b", b"abcde"))
    assert (info.value.node, info.value.topic, info.value.offset) == ("to-out", "in", 1)
    assert [s[:4] for s in collector.sent] == [("out", b"a", b"abababab", 1)]


def test_a_record_the_producer_refuses_is_dropped_under_log_and_continue() -> None:
    task, collector = refusing_task({"production.exception.handler": "log-and-continue",
                                     DLQ: "dlq"})
    for offset, (key, value) in enumerate([(b"a", b"ab"), (b"b", b"abcde"), (b"c", b"abcd")]):
        task.process(ConsumedRecord("in", 0, offset, offset + 1, key, value))
    assert [s[:4] for s in collector.sent] == [
        ("out", b"a", b"abababab", 1), ("dlq", b"b", b"abcde", 2), ("out", b"c", b"abcd" * 4, 3)]
    headers = dict(collector.sent[1][4])
    assert headers[HEADER_EXCEPTION].startswith(b"runtime.errors.RecordTooLargeError")
    assert headers[HEADER_OFFSET] == b"1"
    assert task.task_metrics()["dropped-records-total"] == 1


def test_a_source_record_too_large_for_the_dlq_is_logged_and_the_task_goes_on(
        caplog: pytest.LogCaptureFixture) -> None:
    # the failing record is itself above the producer's limit: only the log keeps it
    task, collector = refusing_task({"production.exception.handler": "log-and-continue",
                                     DLQ: "dlq"})
    big = b"y" * (MAX_BYTES + 1)
    task.process(ConsumedRecord("in", 0, 0, 1, b"a", big))
    task.process(ConsumedRecord("in", 0, 1, 2, b"b", b"ok"))
    assert [s[:4] for s in collector.sent] == [("out", b"b", b"okokokok", 2)]
    assert "dead-letter queue dlq" in caplog.text
    assert "offset=0" in caplog.text   # the handler's warning names the record
    assert task.task_metrics()["dropped-records-total"] == 1


# -- a record the broker refuses after the fact (delivery report with an error) --------------------
class _ProducerClient:
    """confluent-kafka's Producer at the KafkaProducer boundary: keeps the delivery
    callbacks so a test can report each record as the broker would."""

    def __init__(self) -> None:
        self.produced: list[tuple[str, Any, Any, dict[str, Any]]] = []

    def produce(self, topic: str, value: Any, key: Any, **kwargs: Any) -> None:
        self.produced.append((topic, key, value, kwargs))

    def poll(self, timeout: float) -> int:
        return 0

    def flush(self, timeout: float) -> int:
        return 0


class _Message:
    def __init__(self, topic: str, partition: int, key: bytes | None, value: bytes | None,
                 timestamp: int, offset: int = -1) -> None:
        self._fields = (topic, partition, key, value, timestamp, offset)

    def topic(self) -> str:
        return self._fields[0]

    def partition(self) -> int:
        return self._fields[1]

    def key(self) -> bytes | None:
        return self._fields[2]

    def value(self) -> bytes | None:
        return self._fields[3]

    def timestamp(self) -> tuple[int, int]:
        return (1, self._fields[4])

    def offset(self) -> int:
        return self._fields[5]


def engine_task(config: dict[str, Any]) -> tuple[StreamTask, Any, _ProducerClient]:
    producer = KafkaProducer({})
    client = _ProducerClient()
    producer._producer = client  # type: ignore[assignment]
    collector = KafkaRecordCollector(producer)
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=S).to("out", key_serde=S, value_serde=S)
    task = StreamTask(b.build(), 0, 0, application_id="app", collector=collector,
                      config=config, clock=MockClock(0))
    return task, collector, client


def report(client: _ProducerClient, index: int, error: Any, offset: int = -1) -> None:
    topic, key, value, kwargs = client.produced[index]
    kwargs["on_delivery"](error, _Message(topic, 0, key, value, kwargs["timestamp"], offset))


def test_a_delivery_error_fails_the_collector_by_default() -> None:
    task, collector, client = engine_task({})
    task.process(ConsumedRecord("in", 0, 0, 5, b"a", b"v"))
    report(client, 0, KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
    with pytest.raises(ProductionError, match="could not deliver a record to out") as info:
        collector.poll()
    assert (info.value.topic, info.value.partition) == ("out", 0)
    with pytest.raises(ProductionError):   # nothing more is sent after a failure
        task.process(ConsumedRecord("in", 0, 1, 6, b"b", b"w"))


def test_a_delivery_error_is_dropped_and_dead_lettered_under_log_and_continue() -> None:
    # RecordCollectorImpl.recordSendError: a non-fatal send error goes to the handler;
    # CONTINUE records dropped-records and processing goes on. The handler (and the
    # DLQ) get the serialized output record: the source record is long gone.
    task, collector, client = engine_task(
        {"production.exception.handler": "log-and-continue", DLQ: "dlq"})
    task.process(ConsumedRecord("in", 0, 0, 5, b"a", b"v"))
    task.process(ConsumedRecord("in", 0, 1, 6, b"b", b"w"))
    report(client, 0, KafkaError(KafkaError.MSG_SIZE_TOO_LARGE))
    report(client, 1, None, offset=41)
    collector.poll()
    collector.flush()
    assert [p[:3] for p in client.produced] == [
        ("out", b"a", b"v"), ("out", b"b", b"w"), ("dlq", b"a", b"v")]
    dead = client.produced[2][3]
    assert dead["timestamp"] == 5 and "partition" not in dead
    headers = dict(dead["headers"])
    assert sorted(headers) == sorted(HEADER_NAMES)
    assert headers[HEADER_EXCEPTION].startswith(b"runtime.errors.ProductionError")
    assert (headers[HEADER_TOPIC], headers[HEADER_PARTITION], headers[HEADER_OFFSET]) == \
        (b"out", b"0", b"-1")
    assert collector.records_dropped == 1
    assert collector.delivered_end(TopicPartition("out", 0)) == 42
    task.process(ConsumedRecord("in", 0, 2, 7, b"c", b"x"))   # still sending
    assert client.produced[-1][:3] == ("out", b"c", b"x")


@pytest.mark.parametrize("code", ["TOPIC_AUTHORIZATION_FAILED", "_FENCED", "UNKNOWN",
                                  "_PURGE_QUEUE"])
def test_fatal_and_fenced_delivery_errors_bypass_the_handler(code: str) -> None:
    # recordSendError: security, "communication" and fenced errors never reach the
    # handler; a purge is a transaction abort's doing, not the record's
    task, collector, client = engine_task(
        {"production.exception.handler": "log-and-continue", DLQ: "dlq"})
    task.process(ConsumedRecord("in", 0, 0, 5, b"a", b"v"))
    report(client, 0, KafkaError(getattr(KafkaError, code)))
    with pytest.raises(ProductionError):
        collector.poll()
    assert [p[0] for p in client.produced] == ["out"]   # nothing dead-lettered
    assert collector.records_dropped == 0
