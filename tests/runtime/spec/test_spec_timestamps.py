"""A source's event time (its ``timestamp`` param), Kafka's per-source TimestampExtractor:
windows go by the time it gives."""

from __future__ import annotations

import time
from typing import Any

import pytest

from runtime import Serdes
from runtime.spec import compile_document, export_python, load_document, validate
from runtime.testing import TopologyTestDriver


def _doc(timestamp: dict[str, Any] | None, value_serde: str = "json") -> dict[str, Any]:
    source = {"topics": ["input"], "value_serde": value_serde}
    if timestamp is not None:
        source["timestamp"] = timestamp
    nodes = [
        {"id": "in", "type": "source.stream", "params": source},
        {"id": "g", "type": "stream.group_by_key", "params": {}},
        {"id": "w", "type": "grouped.windowed_by", "params": {"window": "tumbling", "size_ms": 1000}},
        {"id": "c", "type": "windowed.count", "params": {"value_serde": "long"}},
        {"id": "s", "type": "table.to_stream", "params": {}},
        {"id": "m", "type": "stream.map", "params": {"mapper": "(key.key + '@' + str(key.window.start), value)"}},
        {"id": "out", "type": "sink.topic", "params": {"topic": "output", "value_serde": "long"}},
    ]
    edges = [{"id": f"e{i}", "source": a["id"], "source_port": "out", "target": b["id"], "target_port": "in"}
             for i, (a, b) in enumerate(zip(nodes, nodes[1:]), 1)]
    return {"format_version": 1, "name": "t", "nodes": nodes, "edges": edges,
            "settings": {"default_key_serde": "string", "default_value_serde": "string"}}


def _counts(doc: dict[str, Any], records: list[tuple[str, Any, int]]) -> list[tuple[str, int]]:
    with TopologyTestDriver(compile_document(load_document(doc))) as driver:
        source = driver.create_input_topic("input", Serdes.string(), Serdes.json())
        for key, value, timestamp in records:
            source.pipe_input(key, value, timestamp=timestamp)
        out = driver.create_output_topic("output", Serdes.string(), Serdes.long())
        return list(out.read_key_values_to_list())


def test_a_value_field_gives_the_event_time_windows_go_by() -> None:
    # Every record's own timestamp is 0; the "ts" field puts them in two windows.
    records = [("a", {"ts": 500}, 0), ("a", {"ts": 1500}, 0), ("a", {"ts": "1970-01-01T00:00:01.700Z"}, 0)]
    assert _counts(_doc({"from": "value_field", "field": "ts"}), records) == [("a@0", 1), ("a@1000", 1), ("a@1000", 2)]
    # Without the param the record timestamps rule: one window.
    assert _counts(_doc(None), records) == [("a@0", 1), ("a@0", 2), ("a@0", 3)]


def test_an_invalid_timestamp_is_skipped_or_replaced_as_asked() -> None:
    records = [("a", {"ts": 1500}, 0), ("a", {"no_ts": 1}, 0), ("a", {"ts": 1200}, 0)]
    skip = _doc({"from": "value_field", "field": "ts", "on_invalid": "skip"})
    assert _counts(skip, records) == [("a@1000", 1), ("a@1000", 2)]
    # The partition's time so far (1500) stands in for the missing one.
    partition = _doc({"from": "value_field", "field": "ts", "on_invalid": "partition_time"})
    assert _counts(partition, records) == [("a@1000", 1), ("a@1000", 2), ("a@1000", 3)]
    fail = _doc({"from": "value_field", "field": "ts"})
    with pytest.raises(Exception, match="timestamp"):
        _counts(fail, records)


def test_wall_clock_time_replaces_the_record_timestamp() -> None:
    before = time.time_ns() // 1_000_000
    counts = _counts(_doc({"from": "wall_clock"}), [("a", {"x": 1}, 0)])
    (key, count), = counts
    start = int(key.split("@")[1])
    assert count == 1 and before - 1000 <= start <= time.time_ns() // 1_000_000


def test_validation_needs_json_values_and_a_field() -> None:
    problems = validate(load_document(_doc({"from": "value_field", "field": "ts"}, value_serde="string")))
    assert [(p.node_id, p.path, p.severity) for p in problems if p.node_id == "in"] == [
        ("in", "params.timestamp.from", "error")]
    missing = validate(load_document(_doc({"from": "value_field"})))
    assert any(p.node_id == "in" and p.path.startswith("params.timestamp") and p.severity == "error" for p in missing)
    ignored = validate(load_document(_doc({"from": "record", "field": "ts"})))
    assert [(p.path, p.severity) for p in ignored if p.node_id == "in"] == [("params.timestamp.field", "warning")]


def test_the_python_export_keeps_the_extractor() -> None:
    doc = load_document(_doc({"from": "value_field", "field": "ts", "on_invalid": "skip"}))
    source = export_python(doc)
    assert "ValueFieldTimestampExtractor(" in source and "LogAndSkipOnInvalidTimestamp()" in source
    namespace: dict[str, Any] = {}
    exec(compile(source, "<export>", "exec"), namespace)  # noqa: S102 - our own generated program
    built = namespace["build_topology"]()
    assert str(built.describe()) == str(compile_document(doc).describe())
    # ... and the program's source reads event time from "ts", skipping invalid ones.
    with TopologyTestDriver(built) as driver:
        driver.create_input_topic("input", Serdes.string(), Serdes.json()).pipe_input("a", {"ts": 1500}, timestamp=0)
        driver.create_input_topic("input", Serdes.string(), Serdes.json()).pipe_input("a", {"x": 1}, timestamp=0)
        out = driver.create_output_topic("output", Serdes.string(), Serdes.long())
        assert list(out.read_key_values_to_list()) == [("a@1000", 1)]
