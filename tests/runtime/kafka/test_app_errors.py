"""How StreamsApp fails: clearly, promptly, and never silently."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient

from runtime import Serdes, StreamsBuilder
from runtime.app import StreamsApp
from runtime.errors import ConfigError, ProcessingError
from runtime.kafka import MissingSourceTopicError
from tests.runtime.kafka.helpers import produce, read_topic, wait_until


@pytest.mark.parametrize("config, message", [
    ({"bootstrap.servers": "x:1"}, "application.id"),
    ({"application.id": "a"}, "bootstrap.servers"),
    ({"application.id": "a", "bootstrap.servers": "x:1", "commit.interval.ms": "soon"}, "commit.interval.ms"),
    ({"application.id": "a", "bootstrap.servers": "x:1", "processing.guarantee": "twice"}, "processing.guarantee"),
])
def test_bad_config_is_refused_at_construction(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        StreamsApp(StreamsBuilder().build(), config)


def _pipeline(source: str, sink: str) -> Any:
    def parse(value: str) -> int:
        return 100 // int(value)  # "0" raises ZeroDivisionError

    builder = StreamsBuilder()
    (builder.stream(source, key_serde=Serdes.string(), value_serde=Serdes.string())
     .map_values(parse, name="parse")
     .to(sink, key_serde=Serdes.string(), value_serde=Serdes.long()))
    return builder.build()


@pytest.mark.kafka
def test_a_missing_source_topic_is_named_and_stops_the_app(
    kafka_bootstrap: str, unique_name: Callable[[str], str], create_topic: Callable[..., str]
) -> None:
    missing = unique_name("nowhere")
    sink = create_topic("sink")
    snapshots: list[dict[str, Any]] = []
    app = StreamsApp(_pipeline(missing, sink),
                     {"application.id": unique_name("app"), "bootstrap.servers": kafka_bootstrap},
                     on_metrics=snapshots.append)
    started = time.monotonic()
    app.start()
    try:
        wait_until(lambda: app.state == "ERROR", 15, "state ERROR")
        assert time.monotonic() - started < 15
        assert isinstance(app.error, MissingSourceTopicError)
        assert missing in str(app.error)
        wait_until(lambda: snapshots and snapshots[-1]["errors"], 5, "a snapshot with the error")
        assert missing in snapshots[-1]["errors"][-1]["message"]
        assert snapshots[-1]["state"] == "ERROR"
    finally:
        assert app.close(10)
    # Looking for it did not create it (the development broker auto-creates on request).
    assert missing not in AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10).topics


@pytest.mark.kafka
def test_an_unreachable_broker_is_an_error_not_a_hang(unique_name: Callable[[str], str]) -> None:
    app = StreamsApp(_pipeline("in", "out"), {"application.id": unique_name("app"), "bootstrap.servers": "127.0.0.1:1",
                                              "admin.socket.timeout.ms": 2000})
    app.start()
    try:
        wait_until(lambda: app.state == "ERROR", 20, "state ERROR")
        assert "127.0.0.1:1" in str(app.error)
    finally:
        app.close(10)


@pytest.mark.kafka
@pytest.mark.slow
def test_a_processing_error_under_log_and_fail_stops_the_app_naming_the_record(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    source, sink = create_topic("in"), create_topic("out")
    produce(kafka_bootstrap, source, [(b"a", b"5"), (b"b", b"0"), (b"c", b"4")])
    app = StreamsApp(_pipeline(source, sink), {"application.id": unique_name("app"), "bootstrap.servers": kafka_bootstrap,
                                               "commit.interval.ms": 200})
    app.start()
    try:
        wait_until(lambda: app.state == "ERROR", 30, "state ERROR")
        error = app.error
        assert isinstance(error, ProcessingError)
        assert (error.node, error.topic, error.partition) == ("parse", source, 0)
        assert "ZeroDivisionError" in str(error)
        [entry] = [e for e in app.metrics()["errors"] if e.get("node") == "parse"]
        assert entry["offset"] == error.offset and entry["topic"] == source
    finally:
        assert app.close(10)
    assert app.state == "NOT_RUNNING"


@pytest.mark.kafka
@pytest.mark.slow
def test_a_processing_error_under_log_and_continue_is_recorded_and_skipped(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    source, sink = create_topic("in"), create_topic("out")
    produce(kafka_bootstrap, source, [(b"a", b"5"), (b"b", b"0"), (b"c", b"4")])
    app = StreamsApp(_pipeline(source, sink), {"application.id": unique_name("app"), "bootstrap.servers": kafka_bootstrap,
                                               "commit.interval.ms": 200,
                                               "processing.exception.handler": "log-and-continue"})
    app.start()
    try:
        out = wait_until(lambda: len(read_topic(kafka_bootstrap, sink)) == 2 and read_topic(kafka_bootstrap, sink),
                         30, "two outputs")
        assert [(r.key, int.from_bytes(r.value, "big")) for r in out] == [(b"a", 20), (b"c", 25)]
        errors = wait_until(lambda: app.metrics()["errors"], 5, "the skipped record in the metrics")
        assert errors[0]["node"] == "parse" and errors[0]["topic"] == source
        assert "ZeroDivisionError" in errors[0]["message"]
        assert app.state == "RUNNING"
    finally:
        assert app.close(10)
