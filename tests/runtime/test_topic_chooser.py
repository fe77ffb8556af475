"""``stream.to(topic_chooser)``: dynamic routing (Kafka's ``KStream#to(TopicNameExtractor)``)
run in the TopologyTestDriver, no broker.

Kafka's ``TopicNameExtractor.extract(key, value, recordContext)`` returns the topic each
record goes to; ``recordContext`` is the context of the input record being processed
(its ``topic()``, ``partition()``, ``offset()``, ``timestamp()``, ``headers()``).
Riffle's contract (``KStream.to``): the chooser is called as ``chooser(key, value,
record_metadata)``. Kafka references: KStreamImplTest#shouldSendDataToDynamicTopics,
SinkNode#process, and the TopicNameExtractor javadoc.
An exception thrown by the extractor escapes SinkNode#process and stops the task with a
StreamsException naming the task, the processor (the sink) and the input record's
topic/partition/offset (StreamTask#process: "Exception caught in process. taskId=...,
processor=..., topic=..., partition=..., offset=...").
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from runtime import ProcessingError, Serdes, StreamsBuilder, Topology
from runtime.testing import TopologyTestDriver

S = Serdes.string()
J = Serdes.json()


def routed(chooser: Any, *, name: str | None = None) -> Topology:
    b = StreamsBuilder()
    b.stream("orders", key_serde=S, value_serde=J) \
        .map_values(lambda v: {**v, "seen": True}) \
        .to(chooser, key_serde=S, value_serde=J, name=name)
    return b.build()


def by_region(_key: str, value: dict[str, Any], _context: Any) -> str:
    return f"orders-{value['region']}"


def test_records_go_to_the_topic_the_chooser_names() -> None:
    rng = random.Random(3)
    regions = ["eu", "us", "apac"]
    orders = [(f"o{i}", {"region": rng.choice(regions), "n": i}, 1000 + i)
              for i in range(200)]
    with TopologyTestDriver(routed(by_region)) as driver:
        src = driver.create_input_topic("orders", S, J)
        for key, value, ts in orders:
            src.pipe_input(key, value, ts)
        assert driver.produced_topic_names() == {f"orders-{r}" for r in regions}
        for region in regions:
            out = driver.create_output_topic(f"orders-{region}", S, J)
            got = [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]
            # per topic: the same records, in input order, timestamps unchanged
            assert got == [(k, {**v, "seen": True}, ts) for k, v, ts in orders
                           if v["region"] == region]


def test_chooser_gets_key_value_and_the_input_records_context() -> None:
    calls: list[tuple[Any, Any, Any]] = []

    def chooser(key: str, value: dict[str, Any], context: Any) -> str:
        calls.append((key, value, context))
        return "out"

    with TopologyTestDriver(routed(chooser)) as driver:
        src = driver.create_input_topic("orders", S, J)
        src.pipe_input("k1", {"region": "eu"}, 10)
        src.pipe_input("k2", {"region": "us"}, 20)
        # the value the chooser sees is the one being written (after map_values)
        assert [(k, v) for k, v, _ in calls] == [("k1", {"region": "eu", "seen": True}),
                                                 ("k2", {"region": "us", "seen": True})]
        # the context is the input record's: source topic, partition, offset
        assert [(c.topic, c.partition, c.offset) for _, _, c in calls] == \
            [("orders", 0, 0), ("orders", 0, 1)]
        assert driver.create_output_topic("out", S, J).read_key_values_to_list() == \
            [("k1", {"region": "eu", "seen": True}), ("k2", {"region": "us", "seen": True})]


def test_chooser_context_has_the_records_timestamp_and_headers() -> None:
    contexts: list[Any] = []

    def chooser(key: str, value: Any, context: Any) -> str:
        contexts.append(context)
        return "out"

    with TopologyTestDriver(routed(chooser)) as driver:
        driver.create_input_topic("orders", S, J).pipe_input(
            "k", {"region": "eu"}, 42, headers=[("trace", b"t-1")])
    assert contexts[0].timestamp == 42
    assert list(contexts[0].headers) == [("trace", b"t-1")]


def test_chooser_error_is_a_processing_error_naming_the_sink() -> None:
    def chooser(key: str, value: dict[str, Any], _context: Any) -> str:
        if value["region"] == "mars":
            raise ValueError("no topic for region mars")
        return f"orders-{value['region']}"

    with TopologyTestDriver(routed(chooser, name="route-orders")) as driver:
        src = driver.create_input_topic("orders", S, J)
        src.pipe_input("ok", {"region": "eu"}, 1)
        with pytest.raises(ProcessingError) as info:
            src.pipe_input("bad", {"region": "mars"}, 2)
        error = info.value
        assert error.node == "route-orders"
        assert (error.topic, error.partition, error.offset) == ("orders", 0, 1)
        assert "route-orders" in str(error) and "no topic for region mars" in str(error)
        assert isinstance(error.__cause__, ValueError)
        # what came before the failure was written; the failed record went nowhere
        assert driver.produced_topic_names() == {"orders-eu"}
        assert driver.create_output_topic("orders-eu", S, J).read_key_values_to_list() == \
            [("ok", {"region": "eu", "seen": True})]


def test_generated_sink_name_is_reported_and_described() -> None:
    topology = routed(lambda k, v, c: "x")
    text = str(topology.describe())
    # Kafka describes a dynamic sink as "Sink: <name> (extractor class: <extractor>)"
    assert "Sink: KSTREAM-SINK-0000000002 (extractor class: " in text

    def boom(key: Any, value: Any, context: Any) -> str:
        raise RuntimeError("boom")

    with TopologyTestDriver(routed(boom)) as driver:
        with pytest.raises(ProcessingError, match="KSTREAM-SINK-0000000002"):
            driver.create_input_topic("orders", S, J).pipe_input("k", {"region": "eu"}, 1)


def test_chooser_returning_none_fails_the_record() -> None:
    # Kafka: the producer refuses a null topic ("Topic cannot be null."), failing the record
    with TopologyTestDriver(routed(lambda k, v, c: None)) as driver:
        with pytest.raises(ProcessingError, match="topic chooser returned None"):
            driver.create_input_topic("orders", S, J).pipe_input("k", {"region": "eu"}, 1)
