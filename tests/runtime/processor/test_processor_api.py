"""The Processor API: Record, forward (to all or one child), metadata, stores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from runtime import ProcessingError, Serdes, Stores, StreamsError, Topology, TopologyError
from runtime.processor import Processor, PunctuationType, Record, RecordMetadata
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


# -- punctuation ---------------------------------------------------------------------------
class Ticker(Processor):
    """Schedules one punctuator; records every call and forwards a tick per punctuation."""

    def __init__(self, interval: int, kind: PunctuationType, log: list[Any],
                 cancel_at: int | None = None) -> None:
        self.interval, self.kind, self.log, self.cancel_at = interval, kind, log, cancel_at

    def init(self, context: Any) -> None:
        super().init(context)
        self.schedule = context.schedule(self.interval, self.kind, self.punctuate)

    def punctuate(self, timestamp: int) -> None:
        self.log.append(("punctuate", timestamp, self.context.record_metadata()))
        self.context.forward(Record("tick", str(timestamp), timestamp))
        if self.cancel_at is not None and timestamp >= self.cancel_at:
            self.schedule.cancel()

    def process(self, record: Record) -> None:
        self.log.append(("process", record.timestamp))
        if record.value == "cancel":
            self.schedule.cancel()


class Recorder(Processor):
    """Downstream of Ticker: what it sees of the records a punctuation forwards."""

    def __init__(self, log: list[Any]) -> None:
        self.log = log

    def process(self, record: Record) -> None:
        self.log.append(("downstream", record.key, record.timestamp,
                         self.context.record_metadata()))


def ticker_topology(log: list[Any], interval: int, kind: PunctuationType,
                    cancel_at: int | None = None) -> Topology:
    return (Topology()
            .add_source("src", "in", key_serde=S, value_serde=S)
            .add_processor("ticker", lambda: Ticker(interval, kind, log, cancel_at), "src")
            .add_processor("recorder", lambda: Recorder(log), "ticker")
            .add_sink("sink", "ticks", "ticker", key_serde=S, value_serde=S))


def punctuations(log: list[Any]) -> list[int]:
    return [entry[1] for entry in log if entry[0] == "punctuate"]


def test_stream_time_punctuation_follows_the_punctuation_schedule() -> None:
    # PunctuationQueueTest.testPunctuationInterval: a 100 ms schedule aligned to 0 fires
    # at stream times 0, 100, 200, then once at 1001 for the missed ones (not at 1002),
    # then at 1100; each call gets the current stream time
    log: list[Any] = []
    with TopologyTestDriver(ticker_topology(log, 100, PunctuationType.STREAM_TIME)) as driver:
        src = driver.create_input_topic("in", S, S)
        for ts in (0, 99, 100, 199, 200, 1001, 1002, 1100):
            src.pipe_input("k", "v", ts)
        assert punctuations(log) == [0, 100, 200, 1001, 1100]
        # the punctuation runs after the record that moved stream time
        assert log[:4] == [("process", 0), ("punctuate", 0, None),
                           ("downstream", "tick", 0, None), ("process", 99)]
        assert driver.create_output_topic("ticks", S, S).read_records_to_list() == [
            TestRecord("tick", str(t), t) for t in (0, 100, 200, 1001, 1100)]


def test_stream_time_punctuation_waits_for_stream_time_to_advance() -> None:
    # stream time is the max timestamp seen: out-of-order records do not punctuate, and
    # nothing fires before the first record (StreamTask#maybePunctuateStreamTime)
    log: list[Any] = []
    with TopologyTestDriver(ticker_topology(log, 10, PunctuationType.STREAM_TIME)) as driver:
        driver.advance_wall_clock_time(1000)
        assert punctuations(log) == []
        src = driver.create_input_topic("in", S, S)
        for ts in (42, 30, 42, 51, 52, 49, 61):
            src.pipe_input("k", "v", ts)
        assert punctuations(log) == [42, 51, 61]


def test_wall_clock_punctuation_fires_on_advance_wall_clock_time() -> None:
    # TopologyTestDriverTest.shouldPunctuateOnWallClockTime: first due at start + interval,
    # then each interval; a jump over several intervals fires once
    log: list[Any] = []
    topology = ticker_topology(log, 10, PunctuationType.WALL_CLOCK_TIME)
    with TopologyTestDriver(topology, initial_wall_clock_time=1000) as driver:
        driver.create_input_topic("in", S, S).pipe_input("k", "v", 5_000)  # no effect
        driver.advance_wall_clock_time(5)
        assert punctuations(log) == []
        driver.advance_wall_clock_time(5)
        assert punctuations(log) == [1010]
        driver.advance_wall_clock_time(35)
        assert punctuations(log) == [1010, 1045]
        driver.advance_wall_clock_time(5)
        assert punctuations(log) == [1010, 1045, 1050]
        # records forwarded by a wall-clock punctuation carry the wall-clock time
        assert [r.timestamp for r in driver.create_output_topic(
            "ticks", S, S).read_records_to_list()] == [1010, 1045, 1050]


def test_cancel_from_the_punctuator_and_from_process() -> None:
    # PunctuationQueueTest.testPunctuationIntervalCancelFromPunctuator
    log: list[Any] = []
    topology = ticker_topology(log, 10, PunctuationType.WALL_CLOCK_TIME, cancel_at=20)
    with TopologyTestDriver(topology) as driver:
        for _ in range(5):
            driver.advance_wall_clock_time(10)
        assert punctuations(log) == [10, 20]
    log = []
    with TopologyTestDriver(ticker_topology(log, 10, PunctuationType.STREAM_TIME)) as driver:
        src = driver.create_input_topic("in", S, S)
        src.pipe_input("k", "v", 0)
        src.pipe_input("k", "cancel", 15)     # cancelled before the punctuation due at 10
        src.pipe_input("k", "v", 40)
        assert punctuations(log) == [0]


def test_schedule_validates_its_arguments() -> None:
    # ProcessorContextImpl#schedule: the minimum interval is 1 ms
    errors: list[type[BaseException]] = []

    class Bad(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            for args in [(0, PunctuationType.STREAM_TIME), (10, "STREAM_TIME")]:
                try:
                    context.schedule(*args, lambda ts: None)
                except (ValueError, TypeError) as exc:
                    errors.append(type(exc))
            context.schedule(timedelta(milliseconds=5), PunctuationType.STREAM_TIME,
                             lambda ts: errors.append(ts))  # type: ignore[arg-type]

        def process(self, record: Record) -> None:
            pass

    t = Topology().add_source("src", "in").add_processor("bad", Bad, "src")
    with TopologyTestDriver(t) as driver:
        driver.create_input_topic("in").pipe_input("k", "v", 3)
    assert errors == [ValueError, TypeError, 3]


def test_a_failing_punctuator_is_a_processing_error_of_its_node() -> None:
    class Boom(Processor):
        def init(self, context: Any) -> None:
            super().init(context)
            context.schedule(10, PunctuationType.WALL_CLOCK_TIME, self.boom)

        def boom(self, timestamp: int) -> None:
            raise RuntimeError("punctuator broke")

        def process(self, record: Record) -> None:
            pass

    t = Topology().add_source("src", "in").add_processor("boom", Boom, "src")
    with TopologyTestDriver(t) as driver:
        with pytest.raises(ProcessingError, match="punctuator broke") as info:
            driver.advance_wall_clock_time(10)
        assert info.value.node == "boom"
        assert info.value.topic is None and info.value.offset is None


# -- state stores through the Processor API --------------------------------------------------
class CountingProcessor(Processor):
    """Counts values per key in the store "counts"; forwards the new count."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("counts")

    def process(self, record: Record) -> None:
        count = (self.store.get(record.key) or 0) + 1
        self.store.put(record.key, count)
        self.context.forward(record.with_value(count))


def counts_builder() -> Any:
    return Stores.key_value_store_builder(Stores.in_memory_key_value_store("counts"),
                                          S, Serdes.long())


@pytest.mark.parametrize("connect", ["add_state_store", "connect_processor_and_state_stores"])
def test_state_store_connected_by_either_method(connect: str) -> None:
    t = (Topology().add_source("src", "in", key_serde=S, value_serde=S)
         .add_processor("count", CountingProcessor, "src")
         .add_sink("sink", "out", "count", key_serde=S, value_serde=Serdes.long()))
    if connect == "add_state_store":
        t.add_state_store(counts_builder(), "count")
    else:
        t.add_state_store(counts_builder()).connect_processor_and_state_stores("count", "counts")
    with TopologyTestDriver(t) as driver:
        src = driver.create_input_topic("in", S, S)
        for key in ["a", "b", "a"]:
            src.pipe_input(key, "v", 1)
        assert driver.create_output_topic("out", S, Serdes.long()).read_key_values_to_list() == [
            ("a", 1), ("b", 1), ("a", 2)]
        store = driver.get_key_value_store("counts")
        assert (store.get("a"), store.get("b"), store.approximate_num_entries()) == (2, 1, 2)
    # the store is described as connected to its processor (TopologyTest)
    assert "count (stores: [counts])" in str(t.describe())


def test_a_store_not_connected_to_the_processor_is_refused() -> None:
    # ProcessorContextImpl#getStateStore: stores must be connected to the processor
    t = (Topology().add_source("src", "in", key_serde=S, value_serde=S)
         .add_processor("count", CountingProcessor, "src")
         .add_processor("other", CountingProcessor, "src")
         .add_state_store(counts_builder(), "other"))
    with pytest.raises(StreamsError, match="has no access to StateStore counts"):
        with TopologyTestDriver(t):
            pass


def test_unknown_store_and_processor_names_are_topology_errors() -> None:
    t = Topology().add_source("src", "in").add_processor("p", CountingProcessor, "src")
    with pytest.raises(TopologyError):
        t.connect_processor_and_state_stores("p", "missing")
    with pytest.raises(TopologyError):
        t.add_state_store(counts_builder(), "no-such-processor")
    with pytest.raises(TopologyError):
        t.add_processor("q", CountingProcessor, "no-such-parent")
    with pytest.raises(TopologyError):
        t.add_source("src", "again")                 # duplicate name
