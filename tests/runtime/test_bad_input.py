"""Bad input never crashes the engine: it fails with a record-precise error, or is
skipped and counted, as the configured handler says.

Task-level cases (a failing mapper, the two deserialization handlers) are in
tests/runtime/exec/test_task.py; these go end to end through the test driver, across
operator kinds and sub-topologies. Kafka references: LogAndFailExceptionHandler /
LogAndContinueExceptionHandler (deserialization), LogAndFail/LogAndContinue
ProcessingExceptionHandler (KIP-1033), and the dropped-records sensor recorded by
KStreamAggregate / KStreamKTableJoinProcessor for null keys.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runtime import (
    DeserializationError,
    ProcessingError,
    Serdes,
    StreamsBuilder,
    Topology,
)
from runtime.errors import ProductionError
from runtime.testing import TestRecord, TopologyTestDriver

S = Serdes.string()
J = Serdes.json()
L = Serdes.long()
CONTINUE = {"processing.exception.handler": "log-and-continue"}


def dropped(driver: TopologyTestDriver) -> int:
    return sum(t.task_metrics()["dropped-records-total"] for t in driver.tasks)


# -- user callables that raise -----------------------------------------------------------
def _stateless(b: StreamsBuilder, fail: Callable[[Any], Any]) -> None:
    b.stream("in", key_serde=S, value_serde=J) \
        .filter(lambda k, v: fail(v) or True, name="check") \
        .to("out", key_serde=S, value_serde=J)


def _flat_map(b: StreamsBuilder, fail: Callable[[Any], Any]) -> None:
    b.stream("in", key_serde=S, value_serde=J) \
        .flat_map_values(lambda v: [fail(v) or v], name="check") \
        .to("out", key_serde=S, value_serde=J)


def _aggregate(b: StreamsBuilder, fail: Callable[[Any], Any]) -> None:
    b.stream("in", key_serde=S, value_serde=J).group_by_key() \
        .aggregate(lambda: 0, lambda k, v, agg: agg + (fail(v) or v), name="check",
                   value_serde=J) \
        .to_stream().to("out", key_serde=S, value_serde=J)


def _after_repartition(b: StreamsBuilder, fail: Callable[[Any], Any]) -> None:
    # the failing node runs in the second sub-topology, on the repartition topic's record
    b.stream("in", key_serde=S, value_serde=J).select_key(lambda k, v: k) \
        .group_by_key(key_serde=S, value_serde=J) \
        .reduce(lambda agg, v: agg + (fail(v) or v), name="check") \
        .to_stream().to("out", key_serde=S, value_serde=J)


def raise_on_13(value: Any) -> None:
    if value == 13:
        raise ValueError("unlucky")


SHAPES = {"stateless": _stateless, "flat_map": _flat_map, "aggregate": _aggregate,
          "after_repartition": _after_repartition}


@pytest.mark.parametrize("shape", SHAPES)
def test_a_raising_callable_fails_naming_node_and_record(shape: str) -> None:
    b = StreamsBuilder()
    SHAPES[shape](b, raise_on_13)
    with TopologyTestDriver(b.build()) as driver:
        src = driver.create_input_topic("in", S, J)
        src.pipe_input("k", 1, 10)
        src.pipe_input("k", 2, 11)
        with pytest.raises(ProcessingError) as info:
            src.pipe_input("k", 13, 12)
        error = info.value
        assert error.node is not None and error.node.startswith("check")
        assert isinstance(error.__cause__, ValueError) and "unlucky" in str(error)
        if shape == "after_repartition":
            # the record in hand is the third one on the repartition topic
            assert error.topic is not None and error.topic.endswith("-repartition")
            assert (error.partition, error.offset) == (0, 2)
        else:
            assert (error.topic, error.partition, error.offset) == ("in", 0, 2)
        assert f"offset={error.offset}" in str(error) and "partition=0" in str(error)


@pytest.mark.parametrize("shape", SHAPES)
def test_log_and_continue_skips_the_failing_record_only(shape: str) -> None:
    b = StreamsBuilder()
    SHAPES[shape](b, raise_on_13)
    with TopologyTestDriver(b.build(), CONTINUE) as driver:
        src = driver.create_input_topic("in", S, J)
        for value, ts in [(1, 10), (13, 11), (2, 12)]:
            src.pipe_input("k", value, ts)
        out = driver.create_output_topic("out", S, J).read_records_to_list()
        if shape in ("stateless", "flat_map"):
            assert out == [TestRecord("k", 1, 10), TestRecord("k", 2, 12)]
        else:
            # the failed update leaves the aggregate as it was: 1, then 1 + 2
            assert out == [TestRecord("k", 1, 10), TestRecord("k", 3, 12)]
        assert dropped(driver) == 1


def test_a_raising_joiner_is_a_processing_error() -> None:
    b = StreamsBuilder()
    table = b.table("t", key_serde=S, value_serde=J)
    b.stream("in", key_serde=S, value_serde=J) \
        .join(table, lambda v, t: v / t, name="divide").to("out", key_serde=S, value_serde=J)
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("t", S, J).pipe_input("k", 0, 1)
        with pytest.raises(ProcessingError) as info:
            driver.create_input_topic("in", S, J).pipe_input("k", 1, 2)
        assert (info.value.node, info.value.topic, info.value.offset) == ("divide", "in", 0)
        assert isinstance(info.value.__cause__, ZeroDivisionError)


def test_a_raising_timestamp_extractor_names_the_source_and_record() -> None:
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=J, name="events",
             timestamp_extractor=lambda record, partition_time: record.value["ts"]) \
        .to("out", key_serde=S, value_serde=J)
    with TopologyTestDriver(b.build()) as driver:
        src = driver.create_input_topic("in", S, J)
        src.pipe_input("a", {"ts": 5})
        with pytest.raises(ProcessingError, match="timestamp extractor failed") as info:
            src.pipe_input("b", {"no": "ts"})
        assert (info.value.node, info.value.topic, info.value.offset) == ("events", "in", 1)


def test_an_output_the_sink_cannot_serialize_is_a_production_error() -> None:
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=J).to("out", key_serde=S, value_serde=L,
                                                    name="to-out")
    with TopologyTestDriver(b.build()) as driver:
        src = driver.create_input_topic("in", S, J)
        src.pipe_input("a", 1)
        with pytest.raises(ProductionError) as info:
            src.pipe_input("b", "not a number")
        assert (info.value.node, info.value.topic, info.value.offset) == ("to-out", "in", 1)
        assert driver.create_output_topic("out", S, L).read_values_to_list() == [1]


# -- undecodable input ---------------------------------------------------------------------
def json_passthrough() -> Topology:
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=J, name="source") \
        .to("out", key_serde=S, value_serde=J)
    return b.build()


@pytest.mark.parametrize(("key", "value"), [(b"k", b"{not json"), (b"k", b"\xff\xfe"),
                                            (b"\xff", b"1")])
def test_undecodable_input_fails_by_default(key: bytes, value: bytes) -> None:
    with TopologyTestDriver(json_passthrough()) as driver:
        driver.pipe_raw("in", b"k", b"1", 1)
        with pytest.raises(DeserializationError) as info:
            driver.pipe_raw("in", key, value, 2)
        assert (info.value.node, info.value.topic, info.value.partition, info.value.offset) \
            == ("source", "in", 0, 1)
        # the driver still works after the failure, and nothing was written for it
        driver.pipe_raw("in", b"k", b"3", 3)
        assert driver.create_output_topic("out", S, J).read_values_to_list() == [1, 3]


@pytest.mark.parametrize("key", ["deserialization.exception.handler",
                                 "default.deserialization.exception.handler"])
def test_log_and_continue_drops_and_counts_undecodable_input(key: str) -> None:
    config = {key: "org.apache.kafka.streams.errors.LogAndContinueExceptionHandler"}
    with TopologyTestDriver(json_passthrough(), config) as driver:
        for value, ts in [(b"1", 1), (b"{oops", 2), (b"\xff", 3), (b"4", 4)]:
            driver.pipe_raw("in", b"k", value, ts)
        assert driver.create_output_topic("out", S, J).read_records_to_list() == [
            TestRecord("k", 1, 1), TestRecord("k", 4, 4)]
        assert dropped(driver) == 2


def test_undecodable_input_does_not_advance_stream_time() -> None:
    # a skipped record is not processed: its timestamp is not seen by the task
    config = {"deserialization.exception.handler": "log-and-continue"}
    with TopologyTestDriver(json_passthrough(), config) as driver:
        driver.pipe_raw("in", b"k", b"1", 10)
        driver.pipe_raw("in", b"k", b"{", 500)
        assert driver.tasks[0].stream_time() == 10


# -- null keys ---------------------------------------------------------------------------------
def test_null_key_into_group_by_key_count_is_dropped_and_counted() -> None:
    # KStreamAggregate/KStreamReduce: null key -> skip, droppedRecordsSensor
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=S).group_by_key().count() \
        .to_stream().to("out", key_serde=S, value_serde=L)
    with TopologyTestDriver(b.build()) as driver:
        src = driver.create_input_topic("in", S, S)
        for key in ["a", None, "a", None]:
            src.pipe_input(key, "v", 5)
        assert driver.create_output_topic("out", S, L).read_key_values_to_list() == [
            ("a", 1), ("a", 2)]
        assert dropped(driver) == 2


def test_null_value_into_an_aggregation_is_dropped_and_counted() -> None:
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=J).group_by_key() \
        .reduce(lambda agg, v: agg + v).to_stream().to("out", key_serde=S, value_serde=J)
    with TopologyTestDriver(b.build()) as driver:
        src = driver.create_input_topic("in", S, J)
        for value in [1, None, 2]:
            src.pipe_input("a", value, 5)
        assert driver.create_output_topic("out", S, J).read_values_to_list() == [1, 3]
        assert dropped(driver) == 1


def test_null_key_from_group_by_never_reaches_the_aggregate() -> None:
    # groupBy's repartition drops records whose new key is null before the topic
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=S) \
        .group_by(lambda k, v: None if v == "skip" else v, key_serde=S, value_serde=S) \
        .count().to_stream().to("out", key_serde=S, value_serde=L)
    with TopologyTestDriver(b.build()) as driver:
        src = driver.create_input_topic("in", S, S)
        for value in ["x", "skip", "x"]:
            src.pipe_input("k", value, 5)
        assert driver.create_output_topic("out", S, L).read_key_values_to_list() == [
            ("x", 1), ("x", 2)]


def test_null_key_into_a_stream_table_join_is_dropped_and_counted() -> None:
    # KStreamKTableJoinProcessor: an inner join skips null keys and values, recording
    # the dropped-records sensor
    b = StreamsBuilder()
    table = b.table("t", key_serde=S, value_serde=S)
    b.stream("in", key_serde=S, value_serde=S) \
        .join(table, lambda v, t: f"{v}+{t}").to("out", key_serde=S, value_serde=S)
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("t", S, S).pipe_input("a", "A", 1)
        src = driver.create_input_topic("in", S, S)
        src.pipe_input(None, "v0", 2)
        src.pipe_input("a", None, 3)
        src.pipe_input("a", "v1", 4)
        assert driver.create_output_topic("out", S, S).read_records_to_list() == [
            TestRecord("a", "v1+A", 4)]
        assert dropped(driver) == 2


def test_null_key_table_record_is_dropped() -> None:
    # KTableSource: a null-key record cannot be stored; skipped (and counted)
    b = StreamsBuilder()
    b.table("t", key_serde=S, value_serde=S, store="t-store")
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("t", S, S).pipe_input(None, "A", 1)
        assert driver.get_key_value_store("t-store").approximate_num_entries() == 0
        assert dropped(driver) == 1
