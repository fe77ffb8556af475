"""Window nodes of the catalog compiled to the engine: tumbling, hopping, sliding and
session windows run."""

from __future__ import annotations

from typing import Any


from runtime import Serdes
from runtime.spec import compile_document, load_document
from runtime.testing import TopologyTestDriver


def n(node_id: str, type_: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "params": params}


def chain(*nodes: dict[str, Any]) -> dict[str, Any]:
    edges = [{"id": f"e{i}", "source": a["id"], "source_port": "out", "target": b["id"],
              "target_port": "in"} for i, (a, b) in enumerate(zip(nodes, nodes[1:]), 1)]
    return {"format_version": 1, "name": "t", "nodes": list(nodes), "edges": edges,
            "settings": {"default_key_serde": "string", "default_value_serde": "string"}}


def windowed_count_doc(**window: Any) -> dict[str, Any]:
    return chain(
        n("in", "source.stream", topics=["input"]),
        n("g", "stream.group_by_key"),
        n("w", "grouped.windowed_by", **window),
        n("c", "windowed.count", value_serde="long"),
        n("s", "table.to_stream"),
        n("m", "stream.map", mapper="(key.key + '@' + str(key.window.start), value)"),
        n("out", "sink.topic", topic="output", value_serde="long"),
    )


def test_a_tumbling_count_compiles_and_counts_per_window() -> None:
    topology = compile_document(load_document(windowed_count_doc(window="tumbling", size_ms=10)))
    assert "c-store" in str(topology.describe())
    with TopologyTestDriver(topology) as driver:
        source = driver.create_input_topic("input", Serdes.string(), Serdes.string())
        for key, ts in [("a", 1), ("a", 9), ("a", 10), ("b", 3)]:
            source.pipe_input(key, "x", timestamp=ts)
        out = driver.create_output_topic("output", Serdes.string(), Serdes.long())
        # b@3 arrives at stream time 10 with no grace: [0,10) is closed, so it is dropped
        assert out.read_key_values_to_list() == [("a@0", 1), ("a@0", 2), ("a@10", 1)]
        assert driver.get_window_store("c-store").fetch("a", 10) == 1


def test_a_session_count_compiles_and_merges_sessions() -> None:
    doc = windowed_count_doc(window="session", gap_ms=100)
    with TopologyTestDriver(compile_document(load_document(doc))) as driver:
        source = driver.create_input_topic("input", Serdes.string(), Serdes.string())
        for ts in (0, 50, 300):
            source.pipe_input("a", "x", timestamp=ts)
        out = driver.create_output_topic("output", Serdes.string(), Serdes.long())
        # Kafka Streams' session semantics (docs, "Session Windows"): a@50 is within the
        # 100 ms gap of a@0, so session [0,0] is replaced (tombstone) by [0,50]; a@300
        # opens a new session.
        assert out.read_key_values_to_list() == [
            ("a@0", 1), ("a@0", None), ("a@0", 2), ("a@300", 1)]


def test_a_sliding_count_compiles_and_counts_each_window() -> None:
    doc = windowed_count_doc(window="sliding", time_difference_ms=100)
    timestamps = (150, 200, 260)
    with TopologyTestDriver(compile_document(load_document(doc))) as driver:
        source = driver.create_input_topic("input", Serdes.string(), Serdes.string())
        for ts in timestamps:
            source.pipe_input("a", "x", timestamp=ts)
        out = driver.create_output_topic("output", Serdes.string(), Serdes.long())
        latest = dict(out.read_key_values_to_list())
    # Kafka's sliding windows (docs, "Sliding Time Windows"): each record ends a window
    # [ts - d, ts], and a record followed by another within d starts one at ts + 1.
    expected: dict[str, int] = {}
    for ts in timestamps:
        expected[f"a@{ts - 100}"] = sum(1 for t in timestamps if ts - 100 <= t <= ts)
        if any(ts < t <= ts + 101 for t in timestamps):
            expected[f"a@{ts + 1}"] = sum(1 for t in timestamps if ts + 1 <= t <= ts + 101)
    assert latest == expected
