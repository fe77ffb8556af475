"""StreamsApp's on_sample, on_error and state listener on a real broker: samples of the
records produced, per node, at the configured rate; poison records reported with
their offsets and the handler's decision; Kafka's state transitions."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from runtime import Serdes, StreamsBuilder
from runtime.app import StreamsApp
from tests.runtime.kafka.helpers import produce, read_topic, wait_until

S, J = Serdes.string(), Serdes.json()


@pytest.mark.kafka
def test_samples_errors_and_states_of_a_running_app(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    source, sink, dlq = create_topic("in"), create_topic("out"), create_topic("dlq")
    # offset 2 is not JSON, offset 4 makes the map fail
    produce(kafka_bootstrap, source, [(b"a", b'{"n": 1}'), (b"b", b'{"n": 2}'), (b"c", b"{oops"),
                                      (b"d", b'{"n": 3}'), (b"e", b'{"n": "x"}'), (b"f", b'{"n": 4}')])
    builder = StreamsBuilder()
    (builder.stream(source, key_serde=S, value_serde=J, name="read")
     .map_values(lambda v: {"n": v["n"] + 1}, name="increment")
     .to(sink, key_serde=S, value_serde=J, name="write"))
    samples: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    states: list[tuple[str, str]] = []
    lock = threading.Lock()

    def on_sample(sample: dict[str, Any]) -> None:
        with lock:
            samples.append(sample)

    def on_error(error: dict[str, Any]) -> None:
        errors.append(error)
        raise RuntimeError("a broken callback must not stop the app")

    app = StreamsApp(builder.build(), {
        "application.id": unique_name("app"), "bootstrap.servers": kafka_bootstrap,
        "commit.interval.ms": 200, "errors.dead.letter.queue.topic.name": dlq,
        "deserialization.exception.handler": "log-and-continue",
        "processing.exception.handler": "log-and-continue",
        # far more than 6 records a second: every record is sampled at every node
        "riffle.sample.records.per.second": 100,
    }, on_sample=on_sample, on_error=on_error)
    app.set_state_listener(lambda new, old: states.append((old, new)))
    app.start()
    try:
        wait_until(lambda: len(read_topic(kafka_bootstrap, sink)) == 4, 30, "4 outputs")
        wait_until(lambda: len(errors) == 2, 10, "2 errors")
        with lock:
            got = {(s["node"], s["offset"]): s for s in samples}
        assert sorted(o for n, o in got if n == "read") == [0, 1, 3, 4, 5]
        assert sorted(o for n, o in got if n == "increment") == [0, 1, 3, 5]
        assert sorted(o for n, o in got if n == "write") == [0, 1, 3, 5]
        assert {k: got[("read", 3)][k] for k in ("topic", "partition", "key", "value")} == {
            "topic": source, "partition": 0, "key": "d", "value": {"n": 3}}
        assert got[("write", 5)]["value"] == {"n": 5}
        assert isinstance(got[("write", 5)]["timestamp"], int)
        assert [(e["node"], e["offset"], e["key"], e["value"], e["decision"], e["dead_letter_topic"])
                for e in errors] == [
            ("read", 2, b"c", b"{oops", "dlq", dlq),
            ("increment", 4, b"e", b'{"n": "x"}', "dlq", dlq)]
        assert errors[1]["type"] == "TypeError" and errors[1]["topic"] == source
        assert app.state == "RUNNING"
    finally:
        assert app.close(10)
    assert states[0] == ("CREATED", "REBALANCING")
    assert ("REBALANCING", "RUNNING") in states
    assert states[-2:] == [("RUNNING", "PENDING_SHUTDOWN"), ("PENDING_SHUTDOWN", "NOT_RUNNING")]
    with pytest.raises(Exception, match="only before start"):
        app.set_state_listener(None)


@pytest.mark.kafka
def test_a_log_and_continue_error_without_dlq_is_continued_and_sampling_stays_off(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    source, sink = create_topic("in"), create_topic("out")
    produce(kafka_bootstrap, source, [(b"a", b"1"), (b"b", b"zero"), (b"c", b"3")])
    builder = StreamsBuilder()
    (builder.stream(source, key_serde=S, value_serde=S, name="read")
     .map_values(lambda v: str(10 // int(v)), name="divide")
     .to(sink, key_serde=S, value_serde=S, name="write"))
    samples: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    app = StreamsApp(builder.build(), {
        "application.id": unique_name("app"), "bootstrap.servers": kafka_bootstrap,
        "commit.interval.ms": 200, "processing.exception.handler": "log-and-continue",
    }, on_sample=samples.append, on_error=errors.append)
    app.start()
    try:
        wait_until(lambda: len(read_topic(kafka_bootstrap, sink)) == 2, 30, "2 outputs")
        wait_until(lambda: errors, 10, "the error")
        [error] = errors
        assert (error["node"], error["offset"], error["key"], error["decision"],
                error["dead_letter_topic"], error["type"]) == ("divide", 1, b"b", "continued", None,
                                                              "ValueError")
        assert samples == []   # riffle.sample.records.per.second defaults to off
    finally:
        assert app.close(10)


@pytest.mark.kafka
def test_a_record_the_broker_refuses_is_reported_with_its_output_bytes(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    # As in test_dead_letter_app: routed to a topic that does not exist, the record's
    # delivery report carries the error (RecordCollectorImpl.recordSendError).
    source, sink, dlq = create_topic("in"), create_topic("out"), create_topic("dlq")
    missing = unique_name("missing")
    produce(kafka_bootstrap, source, [(b"a", b"ok"), (b"b", b"lost"), (b"c", b"ok")])
    builder = StreamsBuilder()
    (builder.stream(source, key_serde=S, value_serde=S)
     .map_values(str.upper, name="upper")
     .to(lambda key, value, context: missing if value == "LOST" else sink,
         key_serde=S, value_serde=S, name="route"))
    errors: list[dict[str, Any]] = []
    app = StreamsApp(builder.build(), {
        "application.id": unique_name("app"), "bootstrap.servers": kafka_bootstrap,
        "commit.interval.ms": 200, "errors.dead.letter.queue.topic.name": dlq,
        "production.exception.handler": "log-and-continue",
        "producer.allow.auto.create.topics": False,
        "producer.topic.metadata.propagation.max.ms": 1000,
        "producer.message.timeout.ms": 5000,
    }, on_error=errors.append)
    app.start()
    try:
        wait_until(lambda: errors, 30, "the delivery error")
        [error] = errors
        assert (error["topic"], error["offset"], error["key"], error["value"], error["decision"],
                error["dead_letter_topic"], error["kind"]) == (
            missing, None, b"b", b"LOST", "dlq", dlq, "ProductionError")
        assert app.state == "RUNNING"
    finally:
        assert app.close(10)
