"""GET /api/topologies/<id>/diff/?from=<n>&to=<m>: what changed between two saved versions.

Version 2 makes known edits to word count; the answer must list exactly those.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from django.test import Client

from studio.topologies.models import Topology


@pytest.fixture
def edited(wordcount: Topology, wordcount_document: dict[str, Any]) -> Topology:
    """Version 2: a stricter filter, the source moved, the sink's key serde dropped."""
    document = copy.deepcopy(wordcount_document)
    nodes = {n["id"]: n for n in document["nodes"]}
    nodes["drop-empty"]["params"]["predicate"] = "len(key) > 2"
    nodes["lines"]["position"] = {"x": 30, "y": 60}
    del nodes["to-word-counts"]["params"]["key_serde"]
    wordcount.add_version(document, message="stricter")
    return wordcount


def _diff(client: Client, topology: Topology, query: str) -> Any:
    return client.get(f"/api/topologies/{topology.pk}/diff/{query}")


def test_it_lists_changed_and_moved_nodes(api: Client, edited: Topology) -> None:
    response = _diff(api, edited, "?from=1&to=2")
    assert response.status_code == 200
    body = response.json()
    assert (body["from_version"], body["to_version"]) == (1, 2)
    assert body["changed_nodes"] == [
        {"id": "drop-empty", "changes": [
            {"field": "params.predicate", "before": "len(key) > 0", "after": "len(key) > 2"}]},
        {"id": "to-word-counts", "changes": [
            {"field": "params.key_serde", "before": "string", "after": None}]},
    ]
    assert body["moved_nodes"] == [
        {"id": "lines", "before": {"x": 0, "y": 0}, "after": {"x": 30, "y": 60}}]
    for key in ("added_nodes", "removed_nodes", "added_edges", "removed_edges", "settings", "document"):
        assert body[key] == [], key


def test_backwards_swaps_before_and_after(api: Client, edited: Topology) -> None:
    body = _diff(api, edited, "?from=2&to=1").json()
    assert body["changed_nodes"][0]["changes"] == [
        {"field": "params.predicate", "before": "len(key) > 2", "after": "len(key) > 0"}]
    assert body["moved_nodes"][0]["after"] == {"x": 0, "y": 0}


def test_added_and_removed_nodes_edges_and_settings(
    api: Client, wordcount: Topology, wordcount_document: dict[str, Any]
) -> None:
    document = copy.deepcopy(wordcount_document)
    document["nodes"].append({"id": "log", "type": "stream.peek", "label": "Log", "params": {},
                              "position": {"x": 0, "y": 200}})
    document["edges"].append({"id": "e8", "source": "lines", "source_port": "out",
                              "target": "log", "target_port": "in"})
    document["settings"]["default_value_serde"] = "json"
    wordcount.add_version(document)
    body = _diff(api, wordcount, "?from=1&to=2").json()
    assert body["added_nodes"] == [{"id": "log", "type": "stream.peek", "label": "Log", "params": {}}]
    assert body["added_edges"] == [{"id": "e8", "source": "lines", "source_port": "out",
                                    "target": "log", "target_port": "in"}]
    assert body["settings"] == [{"field": "default_value_serde", "before": "string", "after": "json"}]
    back = _diff(api, wordcount, "?from=2&to=1").json()
    assert [n["id"] for n in back["removed_nodes"]] == ["log"]
    assert [e["id"] for e in back["removed_edges"]] == ["e8"]


def test_a_version_against_itself_is_empty(api: Client, wordcount: Topology) -> None:
    body = _diff(api, wordcount, "?from=1&to=1").json()
    assert all(v == [] for k, v in body.items() if k not in ("from_version", "to_version"))


def test_bad_version_numbers_are_400_naming_the_parameter(api: Client, edited: Topology) -> None:
    cases = [
        ("?to=2", ["from"], "from: a version number is required"),
        ("?from=1", ["to"], "to: a version number is required"),
        ("?from=one&to=2", ["from"], "from: 'one' is not a version number (a positive integer)"),
        ("?from=1&to=0", ["to"], "to: '0' is not a version number (a positive integer)"),
        ("?from=1&to=-2", ["to"], "to: '-2' is not a version number (a positive integer)"),
        ("", ["from", "to"], "The request has 2 problems."),
    ]
    for query, paths, message in cases:
        response = _diff(api, edited, query)
        assert response.status_code == 400, query
        assert response.json()["message"] == message
        assert [p["path"] for p in response.json()["problems"]] == paths


def test_unknown_ids_are_404_with_a_message(api: Client, edited: Topology) -> None:
    response = _diff(api, edited, "?from=1&to=5")
    assert response.status_code == 404
    assert response.json()["message"] == f"Topology {edited.pk} has no version 5."
    response = api.get(f"/api/topologies/{edited.pk + 100}/diff/?from=1&to=2")
    assert response.status_code == 404
    assert response.json()["message"] == f"There is no topology {edited.pk + 100}."


def test_anonymous_is_refused(anonymous: Client, edited: Topology) -> None:
    assert _diff(anonymous, edited, "?from=1&to=2").status_code == 401


def test_a_version_that_cannot_be_loaded_is_400_with_its_problems(
    api: Client, wordcount: Topology
) -> None:
    # Only trusted code can store such a version (allow_errors); the API never does.
    wordcount.add_version({"name": "not a document"}, allow_errors=True)
    response = _diff(api, wordcount, "?from=1&to=2")
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Version 2 cannot be loaded."
    assert "nodes" in {p["path"] for p in body["problems"]}
