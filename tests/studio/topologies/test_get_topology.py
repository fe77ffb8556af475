from __future__ import annotations

from typing import Any

from django.test import Client

from studio.topologies.models import Topology


def test_it_returns_the_latest_version_with_document_and_description(
    api: Client, wordcount: Topology, wordcount_document: dict[str, Any]
) -> None:
    response = api.get(f"/api/topologies/{wordcount.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "word count" and body["description"] == "counts words"
    latest = body["latest_version"]
    assert latest["number"] == 1 and latest["message"] == "first"
    assert latest["created_by"] == "alice"
    assert latest["document"] == wordcount_document
    # Saved warnings travel with the version: `map` may change the key, so Kafka Streams
    # repartitions before grouping.
    assert {(p["node_id"], p["severity"]) for p in latest["problems"]} == {("group-by-word", "warning")}
    # Kafka Streams' text format: the header line, then each node's name.
    assert latest["describe"].startswith("Topologies:\n   Sub-topology: 0\n")
    for node in wordcount_document["nodes"]:
        assert node["id"] in latest["describe"]


def test_an_unknown_topology_is_404_with_a_message(api: Client) -> None:
    response = api.get("/api/topologies/9999/")
    assert response.status_code == 404
    assert response.json() == {"message": "There is no topology 9999.", "problems": []}


def test_anonymous_is_refused(anonymous: Client, wordcount: Topology) -> None:
    assert anonymous.get(f"/api/topologies/{wordcount.pk}/").status_code == 401
