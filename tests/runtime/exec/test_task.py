"""StreamTask: the seam both the test driver and the Kafka engine run."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from typing import Any

import pytest

from runtime import ProcessingError, Serdes, StreamsBuilder, StreamsError, Topology
from runtime.errors import DeserializationError, RecordError
from runtime.exec import ConsumedRecord, MockClock, StreamTask, TaskId
from runtime.processor import Processor, PunctuationType, Record
from runtime.state import ValueAndTimestamp

LONG = Serdes.long()


class ListCollector:
    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes | None, bytes | None, int, Any, int | None]] = []

    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Sequence[tuple[str, bytes]] | None = None,
             partition: int | None = None) -> None:
        self.sent.append((topic, key, value, timestamp, headers, partition))

    def to(self, topic: str) -> list[tuple[Any, ...]]:
        return [s for s in self.sent if s[0] == topic]


class Observer:
    def __init__(self) -> None:
        self.outputs: list[tuple[Any, ...]] = []
        self.errors: list[RecordError] = []

    def on_output(self, sink_node: str, topic: str, key: Any, value: Any, timestamp: int) -> None:
        self.outputs.append((sink_node, topic, key, value, timestamp))

    def on_error(self, error: RecordError) -> None:
        self.errors.append(error)


def word_count() -> Topology:
    b = StreamsBuilder()
    (b.stream("lines", key_serde=Serdes.string(), value_serde=Serdes.string())
     .flat_map_values(lambda line: re.split(r"\W+", line.lower()), name="split")
     .select_key(lambda _k, word: word)
     .filter(lambda _k, word: word != "")
     .group_by_key(key_serde=Serdes.string(), value_serde=Serdes.string())
     .count(store="counts")
     .to_stream()
     .to("word-counts", key_serde=Serdes.string(), value_serde=LONG, name="to-output"))
    return b.build()


def make_task(topology: Topology, sid: int, partition: int = 0, config: dict[str, Any] | None = None,
              observer: Any = None, clock: MockClock | None = None
              ) -> tuple[StreamTask, ListCollector]:
    collector = ListCollector()
    # No record cache, as in the test driver: the tests see every update.
    task = StreamTask(topology, sid, partition, application_id="wc", collector=collector,
                      config={"statestore.cache.max.bytes": 0, **(config or {})},
                      clock=clock or MockClock(0), observer=observer)
    return task, collector


def rec(topic: str, offset: int, key: bytes | None, value: bytes | None, ts: int,
        partition: int = 0) -> ConsumedRecord:
    return ConsumedRecord(topic, partition, offset, ts, key, value)


def test_task_id_text() -> None:
    task, _ = make_task(word_count(), 1, 3)
    assert str(task.task_id) == "1_3"
    assert task.task_id == TaskId(1, 3) == TaskId.parse("1_3")


def test_first_subtopology_writes_the_repartition_topic() -> None:
    task, collector = make_task(word_count(), 0, partition=2)
    task.process(rec("lines", 0, None, b"Hello, hello world", 7, partition=2))
    # partition None: the producer's default partitioner decides (by key bytes)
    assert collector.sent == [
        ("wc-counts-repartition", b"hello", b"hello", 7, None, None),
        ("wc-counts-repartition", b"hello", b"hello", 7, None, None),
        ("wc-counts-repartition", b"world", b"world", 7, None, None),
    ]
    assert task.changelog_partitions() == {}


def test_aggregation_writes_output_and_changelog_to_the_task_partition() -> None:
    observer = Observer()
    task, collector = make_task(word_count(), 1, partition=3, observer=observer)
    assert task.changelog_partitions() == {"counts": ("wc-counts-changelog", 3)}
    topic = "wc-counts-repartition"
    task.process_batch([rec(topic, 0, b"kafka", b"kafka", 10, 3),
                        rec(topic, 1, b"kafka", b"kafka", 5, 3),
                        rec(topic, 2, b"streams", b"streams", 20, 3)])
    # Count forwards the max timestamp seen for the key (KStreamAggregate): 10, not 5.
    assert collector.to("word-counts") == [
        ("word-counts", b"kafka", LONG.serialize(1), 10, None, None),
        ("word-counts", b"kafka", LONG.serialize(2), 10, None, None),
        ("word-counts", b"streams", LONG.serialize(1), 20, None, None),
    ]
    assert collector.to("wc-counts-changelog") == [
        ("wc-counts-changelog", b"kafka", LONG.serialize(1), 10, None, 3),
        ("wc-counts-changelog", b"kafka", LONG.serialize(2), 10, None, 3),
        ("wc-counts-changelog", b"streams", LONG.serialize(1), 20, None, 3),
    ]
    assert observer.outputs == [("to-output", "word-counts", "kafka", 1, 10),
                                ("to-output", "word-counts", "kafka", 2, 10),
                                ("to-output", "word-counts", "streams", 1, 20)]
    metrics = task.node_metrics()
    assert metrics["counts-repartition-source"]["process-total"] == 3
    assert metrics["to-output"]["process-total"] == 3
    assert task.task_metrics()["stream-time"] == 20


def test_restore_bypasses_change_logging_and_keeps_timestamps() -> None:
    task, collector = make_task(word_count(), 1)
    task.restore("counts", [(b"kafka", LONG.serialize(41), 90), (b"gone", LONG.serialize(1), 1),
                            (b"gone", None, 2)])
    assert collector.sent == []
    store = task.get_store("counts")
    assert store.get("kafka") == ValueAndTimestamp(41, 90)
    assert store.get("gone") is None
    task.process(rec("wc-counts-repartition", 0, b"kafka", b"kafka", 50))
    assert collector.to("word-counts") == [
        ("word-counts", b"kafka", LONG.serialize(42), 90, None, None)]


def test_snapshot_round_trip_into_a_new_task() -> None:
    task, _ = make_task(word_count(), 1)
    for i, word in enumerate([b"a", b"b", b"a"]):
        task.process(rec("wc-counts-repartition", i, word, word, 100 + i))
    snapshot = list(task.store_snapshot("counts"))
    fresh, collector = make_task(word_count(), 1)
    fresh.load_snapshot("counts", snapshot)
    assert collector.sent == []
    assert fresh.get_store("counts").get("a") == ValueAndTimestamp(2, 102)
    assert fresh.get_store("counts").get("b") == ValueAndTimestamp(1, 101)


def test_user_callable_error_names_node_and_record() -> None:
    b = StreamsBuilder()
    b.stream("in", value_serde=Serdes.string()).map_values(lambda v: int(v), name="parse") \
        .to("out")
    task, _ = make_task(b.build(), 0, partition=4)
    task.process(rec("in", 11, None, b"12", 1, partition=4))
    with pytest.raises(ProcessingError) as caught:
        task.process(rec("in", 12, None, b"twelve", 2, partition=4))
    error = caught.value
    assert (error.node, error.topic, error.partition, error.offset) == ("parse", "in", 4, 12)
    assert error.task_id == "0_4"
    assert "ValueError" in str(error) and "offset=12" in str(error)
    assert isinstance(error.__cause__, ValueError)


def test_error_in_a_downstream_node_is_attributed_to_that_node() -> None:
    b = StreamsBuilder()
    b.stream("in").filter(lambda k, v: True, name="first") \
        .map_values(lambda v: v["missing"], name="second").to("out")
    task, _ = make_task(b.build(), 0)
    with pytest.raises(ProcessingError) as caught:
        task.process(rec("in", 0, None, b'{"x":1}', 1))
    assert caught.value.node == "second"


def test_processing_handler_log_and_continue_skips_the_record() -> None:
    b = StreamsBuilder()
    b.stream("in", value_serde=Serdes.string()).map_values(int, name="parse") \
        .to("out", value_serde=LONG)
    observer = Observer()
    task, collector = make_task(b.build(), 0, observer=observer,
                                config={"processing.exception.handler": "log-and-continue"})
    task.process_batch([rec("in", 0, None, b"1", 1), rec("in", 1, None, b"x", 2),
                        rec("in", 2, None, b"3", 3)])
    assert [s[2] for s in collector.sent] == [LONG.serialize(1), LONG.serialize(3)]
    assert [e.offset for e in observer.errors] == [1]
    assert task.task_metrics()["dropped-records-total"] == 1


def undecodable_topology() -> Topology:
    b = StreamsBuilder()
    b.stream("numbers", key_serde=Serdes.string(), value_serde=LONG, name="numbers-source") \
        .map_values(lambda v: v * 2).to("doubled", key_serde=Serdes.string(), value_serde=LONG)
    return b.build()


def test_undecodable_record_fails_by_default() -> None:
    # Kafka Streams' default handler is LogAndFailExceptionHandler.
    task, collector = make_task(undecodable_topology(), 0)
    with pytest.raises(DeserializationError) as caught:
        task.process(rec("numbers", 5, b"k", b"\x01\x02", 1))
    assert (caught.value.node, caught.value.topic, caught.value.offset) == \
        ("numbers-source", "numbers", 5)
    assert "LongDeserializer" in str(caught.value)
    assert collector.sent == []


@pytest.mark.parametrize("setting", [
    "log-and-continue",
    "org.apache.kafka.streams.errors.LogAndContinueExceptionHandler",
])
def test_undecodable_record_is_skipped_under_log_and_continue(setting: str) -> None:
    observer = Observer()
    task, collector = make_task(undecodable_topology(), 0, observer=observer,
                                config={"default.deserialization.exception.handler": setting})
    task.process_batch([rec("numbers", 0, b"a", LONG.serialize(1), 1),
                        rec("numbers", 1, b"b", b"\xff", 2),
                        rec("numbers", 2, b"c", LONG.serialize(3), 3)])
    assert [(s[1], s[2]) for s in collector.sent] == [(b"a", LONG.serialize(2)),
                                                       (b"c", LONG.serialize(6))]
    assert len(observer.errors) == 1 and isinstance(observer.errors[0], DeserializationError)
    assert observer.errors[0].offset == 1
    assert task.task_metrics()["dropped-records-total"] == 1


def test_invalid_handler_setting_is_a_config_error() -> None:
    with pytest.raises(StreamsError, match="deserialization.exception.handler"):
        make_task(undecodable_topology(), 0,
                  config={"deserialization.exception.handler": "ignore"})


def test_negative_timestamp_fails_with_the_default_extractor() -> None:
    task, _ = make_task(undecodable_topology(), 0)
    with pytest.raises(ProcessingError, match="negative"):
        task.process(rec("numbers", 0, b"a", LONG.serialize(1), -1))


def test_custom_timestamp_extractor_sees_the_deserialized_record() -> None:
    b = StreamsBuilder()
    seen = []

    def extract(record: Any, partition_time: int) -> int:
        seen.append((record.value, partition_time))
        return record.value["ts"]

    b.stream("events", timestamp_extractor=extract).to("out")
    task, collector = make_task(b.build(), 0)
    task.process(rec("events", 0, None, b'{"ts": 500}', 1))
    task.process(rec("events", 1, None, b'{"ts": 400}', 2))
    assert seen == [({"ts": 500}, -1), ({"ts": 400}, 500)]
    assert [s[3] for s in collector.sent] == [500, 400]
    assert task.stream_time() == 500


def test_unknown_topic_is_refused() -> None:
    task, _ = make_task(word_count(), 0)
    with pytest.raises(StreamsError, match="does not read topic"):
        task.process(rec("other", 0, None, b"x", 1))


class Punctuating(Processor):
    calls: list[tuple[str, int]] = []

    def init(self, context: Any) -> None:
        super().init(context)
        context.schedule(10, PunctuationType.STREAM_TIME, self.on_stream_time)
        self.wall = context.schedule(100, PunctuationType.WALL_CLOCK_TIME, self.on_wall_clock)

    def on_stream_time(self, timestamp: int) -> None:
        self.calls.append(("stream", timestamp))
        assert self.context.record_metadata() is None
        self.context.forward(Record("tick", timestamp, timestamp))

    def on_wall_clock(self, timestamp: int) -> None:
        self.calls.append(("wall", timestamp))
        if timestamp >= 1200:
            self.wall.cancel()

    def process(self, record: Record) -> None:
        self.calls.append(("record", record.timestamp))


def test_stream_time_and_wall_clock_punctuation() -> None:
    Punctuating.calls = []
    t = Topology().add_source("src", "in").add_processor("p", Punctuating, "src") \
        .add_sink("sink", "ticks", "p", key_serde=Serdes.string(), value_serde=LONG)
    clock = MockClock(1000)
    task, collector = make_task(t, 0, clock=clock)
    # Stream-time punctuation is aligned to 0 and fires as soon as stream time is
    # known, with the current stream time (Kafka's PunctuationQueue/PunctuationSchedule).
    task.process(rec("in", 0, None, b"1", 5))
    task.process(rec("in", 1, None, b"1", 9))
    task.process(rec("in", 2, None, b"1", 35))   # 10, 20, 30 missed: fires once
    task.process(rec("in", 3, None, b"1", 38))
    task.process(rec("in", 4, None, b"1", 40))
    assert Punctuating.calls == [("record", 5), ("stream", 5), ("record", 9), ("record", 35),
                                 ("stream", 35), ("record", 38), ("record", 40), ("stream", 40)]
    assert [(s[2], s[3]) for s in collector.sent] == [(LONG.serialize(t), t) for t in (5, 35, 40)]
    Punctuating.calls = []
    task.punctuate(1099)
    task.punctuate(1100)
    task.punctuate(1250)
    task.punctuate(1400)                          # cancelled at 1250
    assert Punctuating.calls == [("wall", 1100), ("wall", 1250)]


def test_processor_without_store_access_gets_a_clear_error() -> None:
    class NeedsStore(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            context.get_state_store("counts")

        def process(self, record: Record) -> None:
            pass

    t = Topology().add_source("src", "in").add_processor("p", NeedsStore, "src")
    with pytest.raises(ProcessingError, match="has no access to StateStore counts"):
        make_task(t, 0)


def test_close_closes_processors_and_refuses_more_records() -> None:
    closed = []

    class Closing(Processor):
        def process(self, record: Record) -> None:
            pass

        def close(self) -> None:
            closed.append(True)

    t = Topology().add_source("src", "in").add_processor("p", Closing, "src")
    task, _ = make_task(t, 0)
    task.close()
    task.close()
    assert closed == [True]
    with pytest.raises(StreamsError, match="closed"):
        task.process(rec("in", 0, None, b"1", 1))


def test_default_timestamp_extractor_from_config() -> None:
    b = StreamsBuilder()
    b.stream("in").to("out")
    task, collector = make_task(b.build(), 0, config={
        "default.timestamp.extractor":
            "org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp"})
    task.process(rec("in", 0, None, b"1", 40))
    task.process(rec("in", 1, None, b"2", -1))      # takes the partition time
    assert [s[3] for s in collector.sent] == [40, 40]
    with pytest.raises(StreamsError, match="default.timestamp.extractor"):
        make_task(b.build(), 0, config={"default.timestamp.extractor": "Nope"})


def test_repartitioned_records_keep_their_timestamps_under_a_default_extractor() -> None:
    # OptimizableRepartitionNode reads the repartition topic with FailOnInvalidTimestamp,
    # not the configured default extractor.
    task, collector = make_task(word_count(), 1, config={
        "default.timestamp.extractor": "WallclockTimestampExtractor"})
    task.process(rec("wc-counts-repartition", 0, b"w", b"w", 12))
    assert collector.to("word-counts")[0][3] == 12


def test_the_wall_clock_extractor_stamps_records_with_processing_time() -> None:
    b = StreamsBuilder()
    b.stream("in", key_serde=Serdes.string(), value_serde=Serdes.string()).to(
        "out", key_serde=Serdes.string(), value_serde=Serdes.string())
    task, collector = make_task(b.build(), 0, config={
        "default.timestamp.extractor": "WallclockTimestampExtractor"})
    before = time.time_ns() // 1_000_000
    task.process(rec("in", 0, b"k", b"v", 12))
    after = time.time_ns() // 1_000_000
    [stamped] = [s[3] for s in collector.sent]
    assert before <= stamped <= after
