"""The Processor API: Record, forward (to all or one child), metadata, stores."""

from __future__ import annotations

from typing import Any

import pytest

from runtime import ProcessingError, Serdes, Topology
from runtime.processor import Processor, Record, RecordMetadata
from runtime.testing import TestRecord, TopologyTestDriver

S = Serdes.string()


def test_record_is_immutable_and_derives_copies() -> None:
    r = Record("k", "v", 5)
    assert r.with_key("k2") == Record("k2", "v", 5)
    assert r.with_value(1) == Record("k", 1, 5)
    assert r.with_timestamp(9).timestamp == 9
    assert r.with_headers([("h", b"x")]).headers == (("h", b"x"),)
    assert r == Record("k", "v", 5, None)
    with pytest.raises(AttributeError):
        r.key = "other"  # type: ignore[misc]
    with pytest.raises(ValueError):
        r.with_timestamp(-1)


class Router(Processor):
    """Even values to "evens", odd ones to "odds"; tags each with where it came from."""

    def process(self, record: Record) -> None:
        meta = self.context.record_metadata()
        assert isinstance(meta, RecordMetadata)
        tagged = record.with_value(f"{record.value}@{meta.topic}/{meta.partition}/{meta.offset}")
        self.context.forward(tagged, "evens" if int(record.value) % 2 == 0 else "odds")


def routing_topology() -> Topology:
    return (Topology()
            .add_source("src", "numbers", key_serde=S, value_serde=S)
            .add_processor("router", Router, "src")
            .add_sink("evens", "even-numbers", "router", key_serde=S, value_serde=S)
            .add_sink("odds", "odd-numbers", "router", key_serde=S, value_serde=S))


def test_forward_to_a_named_child() -> None:
    with TopologyTestDriver(routing_topology()) as driver:
        driver.create_input_topic("numbers", S, S).pipe_value_list(["1", "2", "3"])
        assert driver.create_output_topic("even-numbers", S, S).read_values_to_list() == \
            ["2@numbers/0/1"]
        assert driver.create_output_topic("odd-numbers", S, S).read_values_to_list() == \
            ["1@numbers/0/0", "3@numbers/0/2"]


def test_forward_to_an_unknown_child_fails_clearly() -> None:
    class Bad(Processor):
        def process(self, record: Record) -> None:
            self.context.forward(record, "nowhere")

    t = Topology().add_source("src", "in").add_processor("bad", Bad, "src")
    with TopologyTestDriver(t) as driver:
        with pytest.raises(ProcessingError, match="Unknown downstream node: nowhere"):
            driver.create_input_topic("in").pipe_input("k", "v")


def test_headers_and_timestamps_travel_with_records() -> None:
    class Stamp(Processor):
        def process(self, record: Record) -> None:
            headers = (record.headers or ()) + (("seen", b"yes"),)
            self.context.forward(record.with_headers(headers).with_timestamp(record.timestamp + 1))

    t = (Topology().add_source("src", "in", key_serde=S, value_serde=S)
         .add_processor("stamp", Stamp, "src")
         .add_sink("sink", "out", "stamp", key_serde=S, value_serde=S))
    with TopologyTestDriver(t) as driver:
        driver.create_input_topic("in", S, S).pipe_input(
            TestRecord("k", "v", 10, (("origin", b"test"),)))
        assert driver.create_output_topic("out", S, S).read_record() == TestRecord(
            "k", "v", 11, (("origin", b"test"), ("seen", b"yes")))


def test_context_exposes_application_and_task() -> None:
    seen: dict[str, Any] = {}

    class Inspect(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            seen["app"] = context.application_id
            seen["task"] = context.task_id

        def process(self, record: Record) -> None:
            seen["stream_time"] = self.context.current_stream_time_ms()
            seen["wall"] = self.context.current_system_time_ms()

    t = Topology().add_source("src", "in").add_processor("p", Inspect, "src")
    with TopologyTestDriver(t, {"application.id": "my-app"}, initial_wall_clock_time=77) as driver:
        driver.create_input_topic("in").pipe_input("k", "v", 1234)
    assert seen == {"app": "my-app", "task": "0_0", "stream_time": 1234, "wall": 77}
