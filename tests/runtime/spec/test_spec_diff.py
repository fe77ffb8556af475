"""diff_documents: each test makes one known edit to word count and expects exactly it back."""

from __future__ import annotations

import copy
from typing import Any

from runtime.spec import diff_documents, dump_document, load_document, load_example


def _wordcount() -> dict[str, Any]:
    return dump_document(load_example("wordcount"))


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return diff_documents(load_document(before), load_document(after)).to_dict()


def _node(doc: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in doc["nodes"] if n["id"] == node_id)


def test_a_document_against_itself_has_no_differences() -> None:
    doc = _wordcount()
    diff = diff_documents(load_document(doc), load_document(copy.deepcopy(doc)))
    assert not diff.changes_topology
    assert all(v == [] for v in diff.to_dict().values())


def test_a_changed_parameter_is_listed_with_before_and_after() -> None:
    before = _wordcount()
    after = copy.deepcopy(before)
    _node(after, "drop-empty")["params"]["predicate"] = "len(key) > 2"
    diff = _diff(before, after)
    assert diff["changed_nodes"] == [{"id": "drop-empty", "changes": [
        {"field": "params.predicate", "before": "len(key) > 0", "after": "len(key) > 2"}]}]
    assert diff["added_nodes"] == diff["removed_nodes"] == diff["moved_nodes"] == []


def test_label_type_and_parameters_added_or_removed_are_all_changes() -> None:
    before = _wordcount()
    after = copy.deepcopy(before)
    node = _node(after, "drop-empty")
    node["type"] = "stream.filter_not"
    node["label"] = "Keep empty words"
    sink = _node(after, "to-word-counts")
    del sink["params"]["key_serde"]
    _node(after, "counts-to-stream")["params"]["extra"] = None  # null differs from absent
    changed = {c["id"]: c["changes"] for c in _diff(before, after)["changed_nodes"]}
    assert changed["drop-empty"] == [
        {"field": "type", "before": "stream.filter", "after": "stream.filter_not"},
        {"field": "label", "before": "Drop empty words", "after": "Keep empty words"},
    ]
    assert changed["to-word-counts"] == [
        {"field": "params.key_serde", "before": "string", "after": None}]
    assert changed["counts-to-stream"] == [
        {"field": "params.extra", "before": None, "after": None}]
    assert set(changed) == {"drop-empty", "to-word-counts", "counts-to-stream"}


def test_a_moved_node_is_moved_not_changed() -> None:
    before = _wordcount()
    after = copy.deepcopy(before)
    _node(after, "lines")["position"] = {"x": 10, "y": -40}
    diff = diff_documents(load_document(before), load_document(after))
    assert not diff.changes_topology
    assert diff.to_dict()["moved_nodes"] == [
        {"id": "lines", "before": {"x": 0, "y": 0}, "after": {"x": 10, "y": -40}}]
    assert diff.to_dict()["changed_nodes"] == []


def test_added_and_removed_nodes_and_their_edges() -> None:
    before = _wordcount()
    after = copy.deepcopy(before)
    # Replace the filter by a peek: remove drop-empty, add log, rewire around it.
    after["nodes"] = [n for n in after["nodes"] if n["id"] != "drop-empty"]
    after["nodes"].append({"id": "log", "type": "stream.peek", "label": "Log",
                           "params": {}, "position": {"x": 5, "y": 5}})
    after["edges"] = [e for e in after["edges"] if e["id"] not in ("e3", "e4")]
    after["edges"] += [
        {"id": "n1", "source": "key-by-word", "source_port": "out", "target": "log", "target_port": "in"},
        {"id": "n2", "source": "log", "source_port": "out", "target": "group-by-word", "target_port": "in"},
    ]
    diff = _diff(before, after)
    assert [n["id"] for n in diff["added_nodes"]] == ["log"]
    assert diff["added_nodes"][0]["type"] == "stream.peek"
    assert [n["id"] for n in diff["removed_nodes"]] == ["drop-empty"]
    assert [(e["source"], e["target"]) for e in diff["added_edges"]] == [
        ("key-by-word", "log"), ("log", "group-by-word")]
    assert [(e["source"], e["target"]) for e in diff["removed_edges"]] == [
        ("key-by-word", "drop-empty"), ("drop-empty", "group-by-word")]
    assert diff["changed_nodes"] == []


def test_an_edge_drawn_again_under_a_new_id_is_not_a_change() -> None:
    before = _wordcount()
    after = copy.deepcopy(before)
    after["edges"][0]["id"] = "redrawn"
    diff = _diff(before, after)
    assert diff["added_edges"] == diff["removed_edges"] == []


def test_an_edge_to_another_port_is_removed_and_added() -> None:
    before = _wordcount()
    after = copy.deepcopy(before)
    after["edges"][0]["target_port"] = "other"
    diff = _diff(before, after)
    assert [e["target_port"] for e in diff["added_edges"]] == ["other"]
    assert [e["target_port"] for e in diff["removed_edges"]] == ["in"]


def test_settings_and_document_fields() -> None:
    before = _wordcount()
    after = copy.deepcopy(before)
    after["settings"]["default_value_serde"] = "json"
    after["name"] = "word count 2"
    diff = diff_documents(load_document(before), load_document(after))
    assert diff.changes_topology
    assert diff.to_dict()["settings"] == [
        {"field": "default_value_serde", "before": "string", "after": "json"}]
    assert diff.to_dict()["document"] == [
        {"field": "name", "before": "word count", "after": "word count 2"}]
