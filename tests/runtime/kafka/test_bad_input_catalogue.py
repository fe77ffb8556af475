"""Issue 8, bad input records, on a real broker: one stateful app deployed from a
topology document, fed good records interleaved with one of each kind of bad record.

The document is what the studio deploys: orders (JSON) → filter ``amount > 0`` →
group by ``region`` (a repartition topic) → 10 s tumbling windows with 5 s grace →
count and sum → ``"<region>@<window start>"`` → output topic. What each bad kind does,
as in Kafka Streams (4.x, KIP-1033 / KIP-1034):

============== ==================================================================
kind           what happens
============== ==================================================================
invalid JSON   deserialization error at the source: deserialization.exception.handler
invalid UTF-8  the same (a JSON value must be UTF-8; Jackson refuses it too)
wrong type     ``"12" > 0`` raises in the filter: processing.exception.handler
missing field  ``value["region"]`` raises in the group-by: processing.exception.handler
null key       ``region: null`` is a null grouping key: written to the repartition
               topic (the repartition filter passes everything since Kafka 3.7,
               KAFKA-12317 / KIP-962) and dropped, counted in dropped-records, by
               the windowed aggregation (KStreamWindowAggregateProcessor#process:
               "Skipping record due to null key", droppedRecordsSensor.record())
10 MB value    a good record: consumed, repartitioned and counted, given client
               limits that allow it (see ``app_config``)
year 1971      a good record arriving when stream time is past its window's end +
               grace: dropped and counted ("Skipping record for expired window",
               AbstractKStreamTimeWindowAggregateProcessor#logSkippedRecordForExpiredWindow)
year 2100      a good record, counted in its own window; it advances stream time to
               2100, so every later good record is expired and dropped (counted) too
============== ==================================================================

(One good record arrives out of order but within grace, and counts.)

Under log-and-continue with a dead-letter queue the four failing kinds are in the DLQ,
raw, with the ``__streams.errors.*`` headers, and counted in dropped-records (Kafka's
RecordDeserializer and ProcessorNode record that sensor for skipped records); null keys
and expired windows are counted only, as in Kafka Streams: they are no errors. Under
log-and-fail the first failing record stops the app (null keys and expired windows
never stop an app), nothing at or after it is committed, and a restart with the
handlers switched to continue completes with no loss.

The expected output is a batch computation over the input (``expected_totals``), with
Kafka Streams' stream-time rule for expired windows, never the engine's own output.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource

from runtime.app import StreamsApp
from runtime.errors import DeserializationError, ProcessingError
from runtime.spec import compile_document, load_document
from runtime.topology import Topology
from tests.runtime.kafka.helpers import read_topic, wait_until
from tests.runtime.kafka.test_dead_letter_app import read_with_headers

BASE = 1_700_000_000_000         # 2023-11-14T22:13:20Z, a multiple of the window size
WINDOW_MS = 10_000
GRACE_MS = 5_000
YEAR_1971 = 31_536_000_000       # 1971-01-01T00:00:00Z
YEAR_2100 = 4_102_444_800_000    # 2100-01-01T00:00:00Z
TEN_MB = 10 * 1024 * 1024
# Room for the 10 MB record and its headers, in every client and topic it passes.
MAX_BYTES = 16 * 1024 * 1024

FAILING = ("invalid-json", "invalid-utf8", "wrong-type", "missing-field")


# -- the deployed document ------------------------------------------------------------


def node(node_id: str, type_: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "params": params}


def totals_document(source: str, sink: str) -> dict[str, Any]:
    nodes = [
        node("orders", "source.stream", topics=[source], key_serde="string", value_serde="json"),
        node("positive", "stream.filter", predicate='value["amount"] > 0'),
        node("by-region", "stream.group_by", key='value["region"]', key_serde="string",
             value_serde="json"),
        node("windows", "grouped.windowed_by", window="tumbling", size_ms=WINDOW_MS,
             grace_ms=GRACE_MS),
        node("totals", "windowed.aggregate", initializer='{"count": 0, "sum": 0}',
             aggregator='{"count": agg["count"] + 1, "sum": agg["sum"] + value["amount"]}',
             key_serde="string", value_serde="json"),
        node("updates", "table.to_stream"),
        node("as-record", "stream.map", mapper='(key.key + "@" + str(key.window.start), value)'),
        node("to-totals", "sink.topic", topic=sink, key_serde="string", value_serde="json"),
    ]
    edges = [{"id": f"e{i}", "source": a["id"], "source_port": "out", "target": b["id"],
              "target_port": "in"} for i, (a, b) in enumerate(zip(nodes, nodes[1:]), 1)]
    return {"format_version": 1, "name": "regional order totals", "nodes": nodes, "edges": edges,
            "settings": {"default_key_serde": "string", "default_value_serde": "json"}}


def deployed_topology(source: str, sink: str) -> Topology:
    # through JSON text, as the studio stores and deploys it
    return compile_document(load_document(json.loads(json.dumps(totals_document(source, sink)))))


# -- the input --------------------------------------------------------------------------


@dataclass(frozen=True)
class Input:
    kind: str
    key: bytes | None
    value: bytes
    timestamp: int


def order(region: str | None, amount: Any, **extra: Any) -> bytes:
    return json.dumps({"region": region, "amount": amount, **extra}).encode()


def catalogue(first_failing: str = "invalid-json", seed: int = 8) -> list[Input]:
    """40 good orders, one a second from BASE (some with amount <= 0, some with a null
    record key, which a group-by never needs), with one of each bad kind put in;
    ``first_failing`` is the failing kind that comes first."""
    rng = random.Random(seed)
    good = [Input("good", None if i % 7 == 3 else f"order-{i}".encode(),
                  order(rng.choice(["eu", "us", "apac"]), rng.randint(-3, 20)), BASE + i * 1000)
            for i in range(40)]
    bad = {
        6: Input("invalid-json", b"bad-1", b'{"region": "eu", "amount": ', BASE + 6_100),
        9: Input("invalid-utf8", b"bad-2", b'{"region": "eu\xff\xfe", "amount": 4}', BASE + 9_100),
        12: Input("wrong-type", b"bad-3", order("us", "12"), BASE + 12_100),
        15: Input("missing-field", b"bad-4", json.dumps({"amount": 7}).encode(), BASE + 15_100),
        18: Input("null-key", b"bad-5", order(None, 5), BASE + 18_100),
        21: Input("ten-mb", b"bad-6", order("eu", 9, note="x" * TEN_MB), BASE + 21_100),
        # stream time is BASE + 24 s: window [BASE + 10 s, BASE + 20 s) is still open
        # (its end > 24 s - grace), so an out-of-order order for it counts
        25: Input("within-grace", b"late-1", order("apac", 11), BASE + 19_500),
        27: Input("year-1971", b"bad-7", order("eu", 3), YEAR_1971),
        33: Input("year-2100", b"bad-8", order("us", 2), YEAR_2100),
    }
    records: list[Input] = []
    for i, record in enumerate(good):
        if i in bad:
            records.append(bad[i])
        records.append(record)
    # failing records never reach the aggregation: their places and timestamps are free
    i, j = (next(n for n, r in enumerate(records) if r.kind == kind)
            for kind in (FAILING[0], first_failing))
    records[i], records[j] = records[j], records[i]
    return records


def expected_totals(records: Sequence[Input], restart_at: int | None = None
                    ) -> tuple[dict[str, dict[str, int]], int, int]:
    """The output (latest per "<region>@<window start>"), the null-key drops and the
    expired-window drops, computed as a batch in offset order.

    The expired-window rule is KStreamWindowAggregateProcessor's: stream time is the
    largest timestamp seen so far by the aggregation (records with a null key do not
    move it), and a record is dropped when its window's end <= stream time - grace.
    The processor keeps stream time in a field, not in its store: after a restart
    (before record ``restart_at``) it starts again from nothing.
    """
    totals: dict[str, dict[str, int]] = {}
    stream_time = -1
    null_keys = expired = 0
    for index, record in enumerate(records):
        if index == restart_at:
            stream_time = -1
        try:
            value = json.loads(record.value)            # strict UTF-8, like the serde
            if not value["amount"] > 0:                  # the filter
                continue
            region = value["region"]                     # the grouping key
        except (ValueError, TypeError, KeyError):
            continue                                     # a failing record: DLQ
        if region is None:
            null_keys += 1
            continue
        stream_time = max(stream_time, record.timestamp)
        start = record.timestamp - record.timestamp % WINDOW_MS
        if start + WINDOW_MS <= stream_time - GRACE_MS:
            expired += 1
            continue
        total = totals.setdefault(f"{region}@{start}", {"count": 0, "sum": 0})
        total["count"] += 1
        total["sum"] += value["amount"]
    return totals, null_keys, expired


def produce_records(bootstrap: str, topic: str, records: Sequence[Input]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5,
                         "message.max.bytes": MAX_BYTES})
    failures: list[str] = []
    for r in records:
        producer.produce(topic, r.value, r.key, partition=0, timestamp=r.timestamp,
                         on_delivery=lambda err, _msg: err and failures.append(str(err)))
    assert producer.flush(30) == 0
    assert not failures, failures


def input_offsets(bootstrap: str, topic: str, records: Sequence[Input]) -> dict[str, int]:
    """kind -> offset of its (first) record, read back: the development broker's offsets
    are not dense record counts."""
    stored = read_topic(bootstrap, topic)
    assert [(r.key, len(r.value or b""), r.timestamp) for r in stored] == \
        [(r.key, len(r.value), r.timestamp) for r in records]
    offsets: dict[str, int] = {}
    for record, out in zip(records, stored):
        offsets.setdefault(record.kind, out.offset)
    return offsets


# -- the app ------------------------------------------------------------------------------


def app_config(bootstrap: str, app_id: str, dlq: str, handler: str) -> dict[str, Any]:
    return {
        "application.id": app_id, "bootstrap.servers": bootstrap,
        "commit.interval.ms": 200, "riffle.metrics.interval.ms": 200,
        "errors.dead.letter.queue.topic.name": dlq,
        "deserialization.exception.handler": handler,
        "processing.exception.handler": handler,
        # librdkafka's producer refuses records over 1 MB (Java: max.request.size); the
        # 10 MB order goes to the repartition topic as it is. Consumers need nothing:
        # librdkafka fetches a record larger than max.partition.fetch.bytes whole
        # (fetch.max.bytes 50 MB, receive.message.max.bytes 100 MB by default).
        "producer.message.max.bytes": MAX_BYTES,
        # and what a broker enforcing max.message.bytes needs for the repartition topic
        # (Kafka Streams' topic. prefix; the development broker enforces none)
        "topic.max.message.bytes": str(MAX_BYTES),
    }


def create_input_topics(create_topic: Callable[..., str]) -> tuple[str, str, str]:
    # A broker enforcing them (Apache Kafka 4 refuses timestamps over an hour ahead
    # by default) must take the 10 MB and the year-2100 records.
    source = create_topic("orders", config={"max.message.bytes": str(MAX_BYTES),
                                            "message.timestamp.after.max.ms": str(2**63 - 1)})
    return source, create_topic("totals"), create_topic("dlq", config={"max.message.bytes": str(MAX_BYTES)})


def output_totals(bootstrap: str, topic: str) -> dict[str, dict[str, int]]:
    """The latest value per key of the output (one partition, offset order)."""
    return {r.key.decode(): json.loads(r.value) for r in read_topic(bootstrap, topic)
            if r.key is not None and r.value is not None}


def wait_for_totals(bootstrap: str, topic: str, expected: dict[str, dict[str, int]],
                    timeout: float = 40.0) -> None:
    deadline = time.monotonic() + timeout
    while (latest := output_totals(bootstrap, topic)) != expected:
        if time.monotonic() > deadline:
            differing = {k: (latest.get(k), v) for k, v in expected.items() if latest.get(k) != v}
            extra = sorted(set(latest) - set(expected))
            raise AssertionError(f"{topic} never reached the batch totals; differing (got, "
                                 f"expected): {differing}; unexpected keys: {extra}")
        time.sleep(0.3)


def committed_offset(bootstrap: str, group: str, topic: str) -> int | None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "enable.auto.commit": False})
    try:
        [tp] = consumer.committed([TopicPartition(topic, 0)], timeout=10)
        return tp.offset if tp.offset >= 0 else None
    finally:
        consumer.close()


def end_offset(bootstrap: str, topic: str) -> int:
    """The offset after the last record, as read (the development broker's reported
    high watermark can lag behind the records it serves)."""
    records = read_topic(bootstrap, topic)
    return records[-1].offset + 1 if records else 0


def wait_for_dropped(app: StreamsApp, expected: dict[str, int], timeout: float = 15.0) -> None:
    """Wait for the tasks' dropped-records-total (Kafka's task-level sensor)."""
    seen: list[dict[str, int]] = []

    def dropped() -> bool:
        seen.append({task: int(m.get("dropped-records-total") or 0)
                     for task, m in app.metrics()["task_metrics"].items()})
        return seen[-1] == expected

    try:
        wait_until(dropped, timeout, f"dropped-records {expected}")
    except AssertionError as exc:
        raise AssertionError(f"{exc}; last seen {seen[-1]}") from None


def check_dead_letters(dead: Sequence[tuple[bytes | None, bytes | None, int, dict[str, bytes | None]]],
                       records: Sequence[Input], offsets: dict[str, int], source: str,
                       kinds: Sequence[str]) -> None:
    """``dead`` holds the records of ``kinds``, raw, with headers naming what failed."""
    by_kind = {r.kind: r for r in records}
    reasons = {
        "invalid-json": (b"runtime.errors.SerializationError", b"invalid JSON"),
        "invalid-utf8": (b"runtime.errors.SerializationError", b"can't decode byte 0xff"),
        "wrong-type": (b"runtime.spec.expressions.errors.ExpressionRuntimeError",
                       b"TypeError: '>' not supported between instances of 'str' and 'int'"),
        "missing-field": (b"runtime.spec.expressions.errors.ExpressionRuntimeError",
                          b"KeyError: 'region'"),
    }
    assert [(key, value) for key, value, _, _ in dead] == \
        [(by_kind[k].key, by_kind[k].value) for k in kinds]
    for (_, _, timestamp, headers), kind in zip(dead, kinds):
        exception, message = reasons[kind]
        assert timestamp == by_kind[kind].timestamp
        assert headers["__streams.errors.topic"] == source.encode()
        assert headers["__streams.errors.partition"] == b"0"
        assert headers["__streams.errors.offset"] == str(offsets[kind]).encode()
        assert headers["__streams.errors.exception"].startswith(exception + b": "), headers
        assert message in headers["__streams.errors.message"], headers  # type: ignore[operator]
        assert exception in headers["__streams.errors.stacktrace"]  # type: ignore[operator]


def failing_kinds(records: Sequence[Input]) -> list[str]:
    return [r.kind for r in records if r.kind in FAILING]


def repartition_topic_config(bootstrap: str, topic: str) -> dict[str, str]:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    resource = ConfigResource("topic", topic)
    return {k: v.value for k, v in admin.describe_configs([resource])[resource].result(10).items()}


# the node a failing kind fails at, and the error class reporting it
FAILURES = {"invalid-json": ("orders", DeserializationError),
            "invalid-utf8": ("orders", DeserializationError),
            "wrong-type": ("positive", ProcessingError),
            "missing-field": ("by-region", ProcessingError)}


# -- the tests ----------------------------------------------------------------------------


@pytest.mark.reliability
@pytest.mark.kafka
@pytest.mark.slow
def test_under_log_and_continue_each_bad_record_is_dead_lettered_or_dropped_and_counted(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    source, sink, dlq = create_input_topics(create_topic)
    records = catalogue()
    expected, null_keys, expired = expected_totals(records)
    # the catalogue does what it says: the 1971 order, and the 6 good ones after the
    # year-2100 one, are expired; the 2100 one has a window of its own
    assert (null_keys, expired) == (1, 7) and f"us@{YEAR_2100}" in expected
    produce_records(kafka_bootstrap, source, records)
    offsets = input_offsets(kafka_bootstrap, source, records)
    app_id = unique_name("bad-input")
    app = StreamsApp(deployed_topology(source, sink),
                     app_config(kafka_bootstrap, app_id, dlq, "log-and-continue"))
    app.start()
    try:
        wait_for_totals(kafka_bootstrap, sink, expected)
        dead = wait_until(lambda: len(read_with_headers(kafka_bootstrap, dlq)) >= len(FAILING)
                          and read_with_headers(kafka_bootstrap, dlq), 30, "the DLQ records")
        check_dead_letters(dead, records, offsets, source, failing_kinds(records))
        # dropped-records, per task (Kafka's task-level sensor): sub-topology 0 skipped
        # the four failing records, the aggregation's task the null key and the expired
        wait_for_dropped(app, {"0_0": len(FAILING), "1_0": null_keys + expired})
        errors = {(e["node"], e["offset"]) for e in app.metrics()["errors"] if e.get("topic") == source}
        assert errors == {(FAILURES[kind][0], offsets[kind]) for kind in FAILING}
        # every record of the input was consumed and committed
        end = end_offset(kafka_bootstrap, source)
        wait_until(lambda: committed_offset(kafka_bootstrap, app_id, source) == end, 15,
                   "the input committed to its end")
        assert app.state == "RUNNING"
    finally:
        assert app.close(20)
    assert len(read_with_headers(kafka_bootstrap, dlq)) == len(FAILING)
    # the repartition topic that carried the 10 MB record was created to take it
    config = repartition_topic_config(kafka_bootstrap, f"{app_id}-by-region-repartition")
    assert config.get("max.message.bytes") == str(MAX_BYTES)


@pytest.mark.reliability
@pytest.mark.kafka
@pytest.mark.slow
@pytest.mark.parametrize("first_failing", ["invalid-json", "wrong-type"])
def test_under_log_and_fail_the_first_failing_record_stops_the_app_and_a_restart_loses_nothing(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
    first_failing: str,
) -> None:
    source, sink, dlq = create_input_topics(create_topic)
    records = catalogue(first_failing)
    first = next(i for i, r in enumerate(records) if r.kind in FAILING)
    assert records[first].kind == first_failing
    before, after = records[:first], records[first:]
    # After the restart the aggregation's stream time starts afresh: the catalogue is
    # such that this changes nothing (the first records it sees again are good ones,
    # later than all before), so the restarted app must reach the uninterrupted totals.
    expected, null_keys, expired = expected_totals(records)
    assert expected_totals(records, restart_at=first) == (expected, null_keys, expired)
    app_id = unique_name("bad-input")

    # 1. the records before the first failing one, processed and committed
    produce_records(kafka_bootstrap, source, before)
    app = StreamsApp(deployed_topology(source, sink),
                     app_config(kafka_bootstrap, app_id, dlq, "log-and-fail"))
    app.start()
    try:
        wait_for_totals(kafka_bootstrap, sink, expected_totals(before)[0])
        end_before = end_offset(kafka_bootstrap, source)
        repartition = f"{app_id}-by-region-repartition"
        wait_until(lambda: committed_offset(kafka_bootstrap, app_id, source) == end_before
                   and committed_offset(kafka_bootstrap, app_id, repartition)
                   == end_offset(kafka_bootstrap, repartition), 15, "the first records committed")

        # 2. the rest: the first failing record stops the app, naming it and its node
        produce_records(kafka_bootstrap, source, after)
        offsets = input_offsets(kafka_bootstrap, source, records)
        offset = offsets[first_failing]
        wait_until(lambda: app.state == "ERROR", 30, "the app to stop with an error")
        node, error_class = FAILURES[first_failing]
        error = app.error
        assert isinstance(error, error_class), repr(error)
        assert (error.node, error.topic, error.partition, error.offset) == (node, source, 0, offset)
        assert f"node={node} topic={source} partition=0 offset={offset}" in str(error)
        assert ("invalid JSON" if first_failing == "invalid-json" else "TypeError") in str(error)
        [entry] = [e for e in app.metrics()["errors"] if e.get("node") == node]
        assert (entry["topic"], entry["partition"], entry["offset"]) == (source, 0, offset)
    finally:
        assert app.close(20)
    assert app.state == "NOT_RUNNING"
    # nothing at or after the failing record was committed, nor processed
    assert committed_offset(kafka_bootstrap, app_id, source) == end_before <= offset
    assert output_totals(kafka_bootstrap, sink) == expected_totals(before)[0]
    # KIP-1034: log-and-fail writes the failing record to the DLQ too, then fails
    check_dead_letters(read_with_headers(kafka_bootstrap, dlq), records, offsets, source,
                       [first_failing])

    # 3. restarted with the handlers switched to continue: the totals of all records
    app = StreamsApp(deployed_topology(source, sink),
                     app_config(kafka_bootstrap, app_id, dlq, "log-and-continue"))
    app.start()
    try:
        wait_for_totals(kafka_bootstrap, sink, expected)
        # the failing record again (at least once: it was never committed), then the rest
        dead = wait_until(lambda: len(read_with_headers(kafka_bootstrap, dlq)) >= 1 + len(FAILING)
                          and read_with_headers(kafka_bootstrap, dlq), 30, "the DLQ records")
        check_dead_letters(dead, records, offsets, source, [first_failing, *failing_kinds(records)])
        wait_for_dropped(app, {"0_0": len(FAILING), "1_0": null_keys + expired})
        end = end_offset(kafka_bootstrap, source)
        wait_until(lambda: committed_offset(kafka_bootstrap, app_id, source) == end, 15,
                   "the input committed to its end")
        assert app.state == "RUNNING"
    finally:
        assert app.close(20)
