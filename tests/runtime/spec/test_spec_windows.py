"""Window nodes of the catalog compiled to the engine: tumbling and hopping windows run;
sliding and session windows, which the engine lacks, are refused naming the node."""

from __future__ import annotations

from typing import Any

import pytest

from runtime import Serdes
from runtime.spec import SpecError, compile_document, load_document
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


@pytest.mark.parametrize("window", [
    {"window": "sliding", "time_difference_ms": 100},
    {"window": "session", "gap_ms": 100},
])
def test_sliding_and_session_windows_are_refused_with_a_clear_problem(window: dict[str, Any]) -> None:
    doc = windowed_count_doc(**window)
    if window["window"] == "session":
        doc["nodes"][3] = n("c", "windowed.aggregate", initializer="0",
                            aggregator="agg + 1", merger="agg1 + agg2", value_serde="long")
    with pytest.raises(SpecError) as info:
        compile_document(load_document(doc))
    assert [(p.node_id, p.path) for p in info.value.problems] == [("w", "type")]
    assert "is not yet supported by the engine" in info.value.problems[0].message
