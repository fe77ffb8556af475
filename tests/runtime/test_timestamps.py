"""Timestamp extractors, invalid-timestamp policies and output timestamp rules.

Expected values follow Kafka Streams' own tests: TimestampExtractorTest,
FailOnInvalidTimestampTest, LogAndSkipOnInvalidTimestampTest,
UsePartitionTimeOnInvalidTimestampTest (org.apache.kafka.streams.processor), and
RecordQueue's rule that a record whose extracted timestamp is negative is skipped and
counted as dropped.
"""

from __future__ import annotations

from typing import Any

import pytest

from runtime import ProcessingError, Serdes, StreamsBuilder, StreamsError, Topology
from runtime.processor import (
    ConsumerRecord,
    FailOnInvalidTimestamp,
    LogAndSkipOnInvalidTimestamp,
    UsePartitionTimeOnInvalidTimestamp,
    ValueFieldTimestampExtractor,
)
from runtime.processor.timestamp_extractors import parse_timestamp
from runtime.testing import TestRecord, TopologyTestDriver

S = Serdes.string()
J = Serdes.json()


def consumer_record(timestamp: int, value: Any = None) -> ConsumerRecord:
    return ConsumerRecord("anyTopic", 0, 0, timestamp, None, value)


POLICIES = [FailOnInvalidTimestamp, LogAndSkipOnInvalidTimestamp,
            UsePartitionTimeOnInvalidTimestamp]


# -- the extractors on their own ---------------------------------------------------------
@pytest.mark.parametrize("policy", POLICIES)
def test_a_valid_metadata_timestamp_is_the_record_timestamp(policy: type) -> None:
    # TimestampExtractorTest.testExtractMetadataTimestamp (each policy's
    # extractMetadataTimestamp): a valid timestamp is returned unchanged
    assert policy().extract(consumer_record(42), 0) == 42
    assert policy().extract(consumer_record(0), 17) == 0


def test_fail_on_invalid_timestamp() -> None:
    # FailOnInvalidTimestampTest.failOnInvalidTimestamp: StreamsException, naming the record
    with pytest.raises(StreamsError, match=r"anyTopic-0@0 has invalid \(negative\) timestamp"):
        FailOnInvalidTimestamp().extract(consumer_record(-1), 42)


def test_log_and_skip_on_invalid_timestamp() -> None:
    # LogAndSkipOnInvalidTimestampTest.logAndSkipOnInvalidTimestamp: returns the invalid
    # timestamp; the task then skips the record
    assert LogAndSkipOnInvalidTimestamp().extract(consumer_record(-1), 0) == -1


def test_use_partition_time_on_invalid_timestamp() -> None:
    # UsePartitionTimeOnInvalidTimestampTest.usePartitionTimeOnInvalidTimestamp and
    # .shouldThrowStreamsException (partition time unknown)
    assert UsePartitionTimeOnInvalidTimestamp().extract(consumer_record(-1), 42) == 42
    with pytest.raises(StreamsError, match="partition time is unknown"):
        UsePartitionTimeOnInvalidTimestamp().extract(consumer_record(-1), -1)


@pytest.mark.parametrize(("raw", "expected"), [
    (1_700_000_000_123, 1_700_000_000_123),
    (0, 0),
    (1500.9, 1500),                                  # fractional milliseconds truncated
    ("1970-01-01T00:00:01Z", 1000),
    ("2024-05-01T12:00:00.250Z", 1_714_564_800_250),
    ("2024-05-01T14:00:00.250+02:00", 1_714_564_800_250),
    ("2024-05-01T12:00:00", 1_714_564_800_000),        # no zone: UTC
    ("1969-12-31T23:59:59Z", -1000),                  # parsed, but negative: invalid
    ("yesterday", None),
    ("", None),
    (None, None),
    (True, None),
    (float("nan"), None),
    ([1, 2], None),
])
def test_value_field_parsing(raw: Any, expected: int | None) -> None:
    # expected values computed independently: 2024-05-01T12:00:00Z is 1714564800 s
    assert parse_timestamp(raw) == expected


def test_value_field_extractor_reads_the_field() -> None:
    extractor = ValueFieldTimestampExtractor("ts")
    assert extractor.extract(consumer_record(5, {"ts": 1234}), -1) == 1234
    assert extractor.extract(consumer_record(5, {"ts": "1970-01-01T00:00:02Z"}), -1) == 2000


@pytest.mark.parametrize("value", [{"other": 1}, {"ts": "soon"}, {"ts": -5}, "not a dict", None])
def test_value_field_extractor_applies_the_policy_to_unusable_values(value: Any) -> None:
    record = consumer_record(5, value)
    with pytest.raises(StreamsError, match="anyTopic-0@0"):
        ValueFieldTimestampExtractor("ts").extract(record, 99)
    assert ValueFieldTimestampExtractor(
        "ts", on_invalid=UsePartitionTimeOnInvalidTimestamp()).extract(record, 99) == 99
    assert ValueFieldTimestampExtractor(
        "ts", on_invalid=LogAndSkipOnInvalidTimestamp()).extract(record, 99) < 0


def test_value_field_extractor_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError):
        ValueFieldTimestampExtractor("")
    with pytest.raises(TypeError):
        ValueFieldTimestampExtractor("ts", on_invalid=lambda r, t: 0)  # type: ignore[arg-type]


# -- through the engine ------------------------------------------------------------------
def passthrough(extractor: Any = None) -> Topology:
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=J, timestamp_extractor=extractor) \
        .to("out", key_serde=S, value_serde=J)
    return b.build()


def dropped(driver: TopologyTestDriver) -> int:
    return sum(t.task_metrics()["dropped-records-total"] for t in driver.tasks)


def test_value_field_timestamps_drive_the_output_and_stream_time() -> None:
    with TopologyTestDriver(passthrough(ValueFieldTimestampExtractor("ts"))) as driver:
        src = driver.create_input_topic("in", S, J)
        src.pipe_input("a", {"ts": 500}, 1)
        src.pipe_input("b", {"ts": "1970-01-01T00:00:00.300Z"}, 2)
        assert driver.create_output_topic("out", S, J).read_records_to_list() == [
            TestRecord("a", {"ts": 500}, 500),
            TestRecord("b", {"ts": "1970-01-01T00:00:00.300Z"}, 300)]
        assert driver.tasks[0].stream_time() == 500


def test_fail_policy_stops_with_the_record_position() -> None:
    with TopologyTestDriver(passthrough(ValueFieldTimestampExtractor("ts"))) as driver:
        src = driver.create_input_topic("in", S, J)
        src.pipe_input("a", {"ts": 1}, 1)
        with pytest.raises(ProcessingError) as info:
            src.pipe_input("b", {"no": "ts"}, 2)
        assert (info.value.topic, info.value.partition, info.value.offset) == ("in", 0, 1)


def test_negative_record_timestamp_fails_under_the_default_extractor() -> None:
    with TopologyTestDriver(passthrough()) as driver:
        src = driver.create_input_topic("in", S, J)
        with pytest.raises(ProcessingError, match="negative") as info:
            driver.pipe_raw("in", b"k", b"1", -1)
        assert (info.value.topic, info.value.partition, info.value.offset) == ("in", 0, 0)
        src.pipe_input("k", 2, 5)  # the driver is still usable


def test_log_and_skip_drops_and_counts() -> None:
    # RecordQueue: a negative extracted timestamp skips the record (dropped-records)
    with TopologyTestDriver(passthrough(LogAndSkipOnInvalidTimestamp())) as driver:
        driver.pipe_raw("in", b"a", b"1", 10)
        driver.pipe_raw("in", b"b", b"2", -1)
        driver.pipe_raw("in", b"c", b"3", 20)
        assert driver.create_output_topic("out", S, J).read_records_to_list() == [
            TestRecord("a", 1, 10), TestRecord("c", 3, 20)]
        assert dropped(driver) == 1


def test_value_field_with_log_and_skip_drops_and_counts() -> None:
    extractor = ValueFieldTimestampExtractor("ts", on_invalid=LogAndSkipOnInvalidTimestamp())
    with TopologyTestDriver(passthrough(extractor)) as driver:
        src = driver.create_input_topic("in", S, J)
        src.pipe_input("a", {"ts": 7}, 100)
        src.pipe_input("b", {"ts": "later"}, 100)
        src.pipe_input("c", {}, 100)
        assert driver.create_output_topic("out", S, J).read_records_to_list() == [
            TestRecord("a", {"ts": 7}, 7)]
        assert dropped(driver) == 2


def test_use_partition_time_takes_the_highest_timestamp_seen_on_the_partition() -> None:
    with TopologyTestDriver(passthrough(UsePartitionTimeOnInvalidTimestamp())) as driver:
        with pytest.raises(ProcessingError, match="partition time is unknown"):
            driver.pipe_raw("in", b"a", b"0", -1)       # nothing seen yet
        driver.pipe_raw("in", b"a", b"1", 30)
        driver.pipe_raw("in", b"b", b"2", 10)           # out of order: partition time stays 30
        driver.pipe_raw("in", b"c", b"3", -1)
        assert [r.timestamp for r in driver.create_output_topic(
            "out", S, J).read_records_to_list()] == [30, 10, 30]


def test_default_timestamp_extractor_config_accepts_a_policy_and_an_object() -> None:
    for setting in ("LogAndSkipOnInvalidTimestamp",
                    "org.apache.kafka.streams.processor.LogAndSkipOnInvalidTimestamp",
                    ValueFieldTimestampExtractor(
                        "ts", on_invalid=LogAndSkipOnInvalidTimestamp())):
        with TopologyTestDriver(passthrough(), {"default.timestamp.extractor": setting}) \
                as driver:
            driver.pipe_raw("in", b"a", b'{"ts":4}', 4)
            driver.pipe_raw("in", b"b", b"{}", -1)
            assert [r.key for r in driver.create_output_topic(
                "out", S, J).read_records_to_list()] == ["a"]
            assert dropped(driver) == 1


def test_a_source_extractor_wins_over_the_default() -> None:
    config = {"default.timestamp.extractor": "UsePartitionTimeOnInvalidTimestamp"}
    with TopologyTestDriver(passthrough(LogAndSkipOnInvalidTimestamp()), config) as driver:
        driver.pipe_raw("in", b"a", b"1", 10)
        driver.pipe_raw("in", b"b", b"2", -1)
        assert driver.create_output_topic("out", S, J).read_values_to_list() == [1]


def test_a_subclass_of_the_default_policy_is_called() -> None:
    class Shifted(FailOnInvalidTimestamp):
        def extract(self, record: ConsumerRecord, partition_time: int) -> int:
            return super().extract(record, partition_time) + 1000

    with TopologyTestDriver(passthrough(Shifted())) as driver:
        driver.pipe_raw("in", b"a", b"1", 10)
        assert driver.create_output_topic("out", S, J).read_record().timestamp == 1010


# -- output timestamps ---------------------------------------------------------------------
def test_stream_table_join_output_has_the_stream_records_timestamp() -> None:
    # KStreamKTableJoinProcessor forwards with the stream record's timestamp, even when
    # the table's value is newer (unlike stream-stream joins, which take the max)
    b = StreamsBuilder()
    table = b.table("profiles", key_serde=S, value_serde=S)
    b.stream("views", key_serde=S, value_serde=S) \
        .join(table, lambda view, profile: f"{view}/{profile}") \
        .to("out", key_serde=S, value_serde=S)
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("profiles", S, S).pipe_input("u", "P", 1000)
        driver.create_input_topic("views", S, S).pipe_input("u", "v", 10)
        assert driver.create_output_topic("out", S, S).read_records_to_list() == [
            TestRecord("u", "v/P", 10)]


def test_count_output_timestamp_is_the_max_of_the_keys_inputs() -> None:
    # KStreamAggregate: the aggregate's timestamp is max(previous, record); an
    # out-of-order record does not move it back
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=S).group_by_key().count() \
        .to_stream().to("out", key_serde=S, value_serde=Serdes.long())
    with TopologyTestDriver(b.build()) as driver:
        src = driver.create_input_topic("in", S, S)
        for key, ts in [("a", 50), ("a", 20), ("b", 5), ("a", 60)]:
            src.pipe_input(key, "x", ts)
        assert driver.create_output_topic("out", S, Serdes.long()).read_records_to_list() == [
            TestRecord("a", 1, 50), TestRecord("a", 2, 50), TestRecord("b", 1, 5),
            TestRecord("a", 3, 60)]


def test_the_tasks_consumer_record_constructor_builds_the_same_frozen_record() -> None:
    import dataclasses

    from runtime.processor.timestamp_extractors import ConsumerRecord, new_consumer_record

    fast = new_consumer_record("t", 1, 2, 3, "k", {"v": 1}, (("h", b"x"),))
    assert fast == ConsumerRecord("t", 1, 2, 3, "k", {"v": 1}, (("h", b"x"),))
    assert type(fast) is ConsumerRecord
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.value = 2  # type: ignore[misc]
