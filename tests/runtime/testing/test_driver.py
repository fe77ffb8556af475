"""TopologyTestDriver behaviour (Kafka's TopologyTestDriver / TestInputTopic / TestOutputTopic)."""

from __future__ import annotations

from typing import Any

import pytest

from runtime import Serdes, StreamsBuilder, Stores, Topology
from runtime.errors import StoreNotFoundError
from runtime.processor import Processor, PunctuationType, Record
from runtime.testing import TestRecord, TopologyTestDriver

S, L = Serdes.string(), Serdes.long()


def passthrough() -> Topology:
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=S).to("out", key_serde=S, value_serde=S)
    return b.build()


def test_records_without_timestamp_use_the_topic_clock() -> None:
    # TestInputTopic: records without a time get the current time, then it auto-advances.
    with TopologyTestDriver(passthrough(), initial_wall_clock_time=1000) as driver:
        default = driver.create_input_topic("in", S, S)
        stepping = driver.create_input_topic("in", S, S, start_timestamp=50, auto_advance=10)
        out = driver.create_output_topic("out", S, S)
        default.pipe_input("k", "a")
        stepping.pipe_input("k", "b")
        stepping.pipe_input("k", "c")
        stepping.advance_time(100)
        stepping.pipe_input("k", "d")
        stepping.pipe_input("k", "e", 7)
        assert [(r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("a", 1000), ("b", 50), ("c", 60), ("d", 170), ("e", 7)]


def test_pipe_variants_and_headers() -> None:
    with TopologyTestDriver(passthrough()) as driver:
        topic = driver.create_input_topic("in", S, S)
        out = driver.create_output_topic("out", S, S)
        topic.pipe_input("only-a-value")
        topic.pipe_input(TestRecord("k", "v", 9, (("h", b"1"),)))
        topic.pipe_key_value_list([("a", "1"), ("b", "2")], start_timestamp=100, advance=5)
        topic.pipe_value_list(["x"], start_timestamp=3)
        assert out.read_record() == TestRecord(None, "only-a-value", 0)
        assert out.read_record() == TestRecord("k", "v", 9, (("h", b"1"),))
        assert out.read_records_to_list() == [TestRecord("a", "1", 100), TestRecord("b", "2", 105),
                                              TestRecord(None, "x", 3)]


def test_reading_an_empty_topic_raises() -> None:
    with TopologyTestDriver(passthrough()) as driver:
        out = driver.create_output_topic("out", S, S)
        assert out.is_empty() and out.queue_size() == 0
        with pytest.raises(LookupError, match="Empty topic: out"):
            out.read_value()
        assert out.read_values_to_list() == []


def test_unknown_input_topic_is_refused() -> None:
    with TopologyTestDriver(passthrough()) as driver:
        with pytest.raises(ValueError, match="Unknown topic: nope"):
            driver.create_input_topic("nope", S, S).pipe_input("k", "v")


def test_output_to_an_input_topic_is_processed_again() -> None:
    b = StreamsBuilder()
    b.stream("a", key_serde=S, value_serde=L).map_values(lambda v: v + 1).to("b", value_serde=L)
    b.stream("b", key_serde=S, value_serde=L).filter(lambda k, v: v < 3).to("a", value_serde=L)
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("a", S, L).pipe_input("k", 0)
        assert driver.create_output_topic("b", S, L).read_values_to_list() == [1, 2, 3]


class Counting(Processor):
    """Counts per key in a plain key-value store; emits the totals every 10 s of wall clock."""

    closed: list[str] = []

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("totals")
        context.schedule(10_000, PunctuationType.WALL_CLOCK_TIME, self.emit)

    def process(self, record: Record) -> None:
        self.store.put(record.key, (self.store.get(record.key) or 0) + 1)

    def emit(self, timestamp: int) -> None:
        for key, total in self.store.all():
            self.context.forward(Record(key, total, timestamp))

    def close(self) -> None:
        self.closed.append("closed")


def counting_topology() -> Topology:
    b = StreamsBuilder()
    b.add_state_store(Stores.key_value_store_builder(Stores.in_memory_key_value_store("totals"),
                                                     S, L))
    b.stream("in", key_serde=S, value_serde=S).process(Counting, "totals") \
        .to("totals-out", key_serde=S, value_serde=L)
    return b.build()


def test_wall_clock_punctuation_and_plain_stores() -> None:
    Counting.closed = []
    with TopologyTestDriver(counting_topology(), {"application.id": "app"}) as driver:
        topic = driver.create_input_topic("in", S, S)
        out = driver.create_output_topic("totals-out", S, L)
        topic.pipe_key_value_list([("a", "x"), ("b", "x"), ("a", "x")])
        assert out.is_empty()
        driver.advance_wall_clock_time(9_999)
        assert out.is_empty()
        driver.advance_wall_clock_time(1)
        assert out.read_records_to_list() == [TestRecord("a", 2, 10_000),
                                              TestRecord("b", 1, 10_000)]
        store = driver.get_key_value_store("totals")
        store.put("c", 5)
        assert store.get("c") == 5
        changelog = driver.create_output_topic("app-totals-changelog", S, L)
        assert changelog.read_key_values_to_list() == [("a", 1), ("b", 1), ("a", 2), ("c", 5)]
    assert Counting.closed == ["closed"]


def test_store_lookups() -> None:
    b = StreamsBuilder()
    b.stream("in", key_serde=S, value_serde=S).group_by_key().count(store="c")
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("in", S, S).pipe_input("k", "v", 42)
        assert driver.get_key_value_store("c").get("k") == 1
        timestamped = driver.get_timestamped_key_value_store("c").get("k")
        assert (timestamped.value, timestamped.timestamp) == (1, 42)
        assert set(driver.get_all_state_stores()) == {"c"}
        with pytest.raises(StoreNotFoundError, match="no state store named 'x'"):
            driver.get_key_value_store("x")


def test_driver_refuses_use_after_close() -> None:
    driver = TopologyTestDriver(passthrough())
    topic = driver.create_input_topic("in", S, S)
    driver.close()
    with pytest.raises(RuntimeError, match="closed"):
        topic.pipe_input("k", "v")
