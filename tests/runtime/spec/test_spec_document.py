"""Topology documents: loading, dumping, the JSON Schema and the examples."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from runtime.spec import (
    Document,
    Edge,
    Node,
    Position,
    Settings,
    SpecError,
    document_schema,
    dump_document,
    list_examples,
    load_document,
    load_example,
)

EXAMPLES = Path(__file__).resolve().parents[3] / "runtime" / "spec" / "examples"


def _example_json(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))


def _minimal() -> dict[str, Any]:
    return {
        "format_version": 1,
        "name": "tiny",
        "nodes": [{"id": "in", "type": "source.stream", "params": {"topics": ["a"]}}],
        "edges": [],
    }


@pytest.mark.parametrize("name", ["wordcount", "stocks", "clickstream"])
def test_examples_round_trip_exactly(name: str) -> None:
    data = _example_json(name)
    doc = load_document(data)
    assert dump_document(doc) == data
    assert load_document(json.loads(json.dumps(dump_document(doc)))) == doc


@pytest.mark.parametrize("name", ["wordcount", "stocks", "clickstream"])
def test_examples_are_valid_against_the_published_schema(name: str) -> None:
    errors = list(Draft202012Validator(document_schema()).iter_errors(_example_json(name)))
    assert errors == []


def test_the_published_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = document_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


def test_the_published_schema_rejects_bad_params_of_a_known_type() -> None:
    data = _example_json("wordcount")
    data["nodes"][3]["params"] = {"predicate": 42}
    errors = list(Draft202012Validator(document_schema()).iter_errors(data))
    assert errors, "a non-string predicate must fail the schema"


def test_it_lists_and_loads_the_three_examples() -> None:
    assert list_examples() == ["clickstream", "stocks", "wordcount"]
    doc = load_example("wordcount")
    assert isinstance(doc, Document)
    assert doc.name == "word count"
    with pytest.raises(KeyError):
        load_example("nope")


def test_a_minimal_document_gets_defaults() -> None:
    doc = load_document(_minimal())
    assert doc.description == ""
    assert doc.settings == Settings("string", "string")
    assert doc.nodes == [Node("in", "source.stream", "", {"topics": ["a"]}, Position(0, 0))]
    dumped = dump_document(doc)
    assert dumped["nodes"][0]["label"] == ""
    assert dumped["nodes"][0]["position"] == {"x": 0, "y": 0}
    assert "metadata" not in dumped


def test_edges_default_to_the_out_and_in_ports() -> None:
    data = _minimal()
    data["edges"] = [{"id": "e1", "source": "in", "target": "x"}]
    assert load_document(data).edges == [Edge("e1", "in", "x", "out", "in")]


def test_editor_metadata_is_kept_as_given() -> None:
    data = _minimal()
    data["metadata"] = {"viewport": {"x": 1.5, "y": -2, "zoom": 0.8}}
    assert dump_document(load_document(data))["metadata"] == data["metadata"]


def test_the_document_does_not_share_state_with_its_input() -> None:
    data = _minimal()
    doc = load_document(data)
    data["nodes"][0]["params"]["topics"].append("b")
    assert doc.nodes[0].params == {"topics": ["a"]}


def test_shape_problems_are_all_reported_at_once() -> None:
    data = _minimal()
    data["nodes"].append({"type": "stream.filter", "params": []})
    data["edges"] = [{"id": "e1", "source": "in"}]
    data["surprise"] = True
    with pytest.raises(SpecError) as info:
        load_document(data)
    messages = {(p.node_id, p.path, p.message) for p in info.value.problems}
    assert (None, "nodes.1.id", "missing required field 'id'") in messages
    assert (None, "nodes.1.params", "[] is not of type 'object'") in messages
    assert (None, "edges.0.target", "missing required field 'target'") in messages
    assert (None, "", "unknown field 'surprise'") in messages


def test_shape_problems_name_the_node_when_it_has_an_id() -> None:
    data = _minimal()
    data["nodes"][0]["position"] = {"x": "left"}
    with pytest.raises(SpecError) as info:
        load_document(data)
    assert [(p.node_id, p.path) for p in info.value.problems] == [("in", "position.x")]


@pytest.mark.parametrize("data", [None, [], "doc", 3])
def test_non_objects_are_refused(data: Any) -> None:
    with pytest.raises(SpecError):
        load_document(data)


def test_a_newer_format_version_is_refused_with_a_clear_message() -> None:
    data = _minimal()
    data["format_version"] = 2
    with pytest.raises(SpecError, match="newer"):
        load_document(data)


def test_dump_copies_params() -> None:
    doc = load_document(_minimal())
    dumped = dump_document(doc)
    dumped["nodes"][0]["params"]["topics"].append("zzz")
    assert doc.nodes[0].params == {"topics": ["a"]}
    assert copy.deepcopy(dump_document(doc)) == dump_document(doc)
