"""The node catalog: complete, self-consistent, and JSON-safe."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from runtime.spec import compile_expression, node_catalog
from runtime.spec.catalog import CATEGORIES, PORT_KINDS
from runtime.spec.compiler import HANDLERS

REQUIRED_TYPES = {
    "source.stream", "source.table", "stream.filter", "stream.filter_not", "stream.map",
    "stream.map_values", "stream.flat_map", "stream.flat_map_values", "stream.select_key",
    "stream.peek", "stream.group_by_key", "stream.group_by", "grouped.count", "grouped.reduce",
    "grouped.aggregate", "table.to_stream", "table.filter", "table.map_values", "sink.topic",
    "stream.merge", "grouped.windowed_by", "windowed.count", "windowed.aggregate",
    "join.stream_table", "join.stream_stream",
}
CATALOG = node_catalog()
BY_TYPE = {entry["type"]: entry for entry in CATALOG}


def test_it_has_every_required_node_type_once() -> None:
    types = [entry["type"] for entry in CATALOG]
    assert len(types) == len(set(types))
    assert REQUIRED_TYPES <= set(types)


def test_it_is_plain_json() -> None:
    assert json.loads(json.dumps(CATALOG)) == CATALOG


def test_callers_cannot_change_it() -> None:
    node_catalog()[0]["params_schema"]["properties"].clear()
    assert node_catalog() == CATALOG


def test_entries_are_in_category_order() -> None:
    order = [CATEGORIES.index(entry["category"]) for entry in CATALOG]
    assert order == sorted(order)


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: e["type"])
def test_each_entry_is_complete(entry: dict) -> None:
    assert entry["category"] in CATEGORIES
    assert entry["title"] and entry["description"]
    assert set(entry["example"]) == {"params", "note"}
    for port in entry["inputs"] + entry["outputs"]:
        assert port["kind"] in PORT_KINDS
        assert port["name"]
    if entry["category"] == "sources":
        assert entry["inputs"] == [] and len(entry["outputs"]) == 1
    if entry["category"] == "sinks":
        assert entry["outputs"] == [] and len(entry["inputs"]) == 1


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: e["type"])
def test_each_params_schema_is_valid_and_documents_every_param(entry: dict) -> None:
    schema = entry["params_schema"]
    Draft202012Validator.check_schema(schema)
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    for name, prop in schema["properties"].items():
        assert prop.get("description"), f"{entry['type']}.{name} has no help text"


@pytest.mark.parametrize("entry", CATALOG, ids=lambda e: e["type"])
def test_each_example_is_valid_params_whose_expressions_compile(entry: dict) -> None:
    schema = entry["params_schema"]
    assert list(Draft202012Validator(schema).iter_errors(entry["example"]["params"])) == []
    for name, prop in schema["properties"].items():
        if "x-expression" in prop:
            kind = prop["x-expression"]["kind"]
            for source in prop["examples"] + [entry["example"]["params"].get(name)]:
                if source is not None:
                    compile_expression(source, kind)


def test_expression_params_name_their_variables() -> None:
    predicate = BY_TYPE["stream.filter"]["params_schema"]["properties"]["predicate"]
    assert predicate["x-expression"] == {"kind": "predicate", "variables": ["key", "value"]}
    aggregator = BY_TYPE["grouped.aggregate"]["params_schema"]["properties"]["aggregator"]
    assert aggregator["x-expression"]["variables"] == ["key", "value", "agg"]


def test_port_kinds_follow_kafka_streams_types() -> None:
    def kinds(t: str, side: str) -> list[str]:
        return [p["kind"] for p in BY_TYPE[t][side]]

    assert kinds("stream.group_by_key", "outputs") == ["grouped_stream"]
    assert kinds("grouped.count", "inputs") == ["grouped_stream"]
    assert kinds("grouped.count", "outputs") == ["table"]
    assert kinds("grouped.windowed_by", "outputs") == ["windowed_stream"]
    assert kinds("join.stream_table", "inputs") == ["stream", "table"]
    assert kinds("join.stream_stream", "inputs") == ["stream", "stream"]
    assert kinds("source.global_table", "outputs") == ["global_table"]


def test_every_type_has_a_compile_handler() -> None:
    assert set(BY_TYPE) == set(HANDLERS)


def test_window_params_require_what_each_window_type_needs() -> None:
    validator = Draft202012Validator(BY_TYPE["grouped.windowed_by"]["params_schema"])
    assert not list(validator.iter_errors({"window": "hopping", "size_ms": 5000, "advance_ms": 1000}))
    missing = [e.message for e in validator.iter_errors({"window": "hopping", "size_ms": 5000})]
    assert missing == ["'advance_ms' is a required property"]
    missing = [e.message for e in validator.iter_errors({"window": "session"})]
    assert missing == ["'gap_ms' is a required property"]
