"""GET /api/topologies/<id>/versions/<n>/describe/: the compiled topology, as text and as data.

The independent check is Kafka Streams' shape of word count: grouping after a key-changing
map cuts the topology in two sub-topologies joined by a repartition topic, and only the
count keeps a store. Links are checked against the document's edges.
"""

from __future__ import annotations

from typing import Any

from django.test import Client

from studio.topologies.models import Topology
from studio.workspaces.models import Workspace


def _describe(client: Client, topology: Topology, number: int = 1) -> Any:
    return client.get(f"/api/topologies/{topology.pk}/versions/{number}/describe/")


def test_it_describes_word_count_as_text_and_data(
    api: Client, wordcount: Topology, wordcount_document: dict[str, Any]
) -> None:
    response = _describe(api, wordcount)
    assert response.status_code == 200
    body = response.json()
    assert body["text"].startswith("Topologies:\n   Sub-topology: 0\n")
    assert body["global_stores"] == []
    subs = body["subtopologies"]
    assert [s["id"] for s in subs] == [0, 1]
    nodes = {n["name"]: n for s in subs for n in s["nodes"]}
    assert nodes["lines"]["kind"] == "source"
    assert nodes["lines"]["topics"] == ["text-lines"]
    assert nodes["count-words"]["stores"] == ["counts-store"]
    assert [n for n, d in nodes.items() if d["stores"]] == ["count-words"]
    assert nodes["to-word-counts"]["kind"] == "sink"
    assert nodes["to-word-counts"]["topic"] == "word-counts"
    # The repartition topic is written by sub-topology 0 and read by sub-topology 1.
    sink0 = [n for n in subs[0]["nodes"] if n["kind"] == "sink"]
    source1 = [n for n in subs[1]["nodes"] if n["kind"] == "source"]
    assert len(sink0) == len(source1) == 1
    assert sink0[0]["topic"] in source1[0]["topics"]
    assert "repartition" in sink0[0]["topic"]
    # Every node of the text is in the data, and every one has the same keys.
    for name, node in nodes.items():
        assert f": {name} (" in body["text"]
        assert set(node) == {"kind", "name", "predecessors", "successors", "topics",
                             "topic_pattern", "stores", "topic", "topic_extractor"}


def test_links_follow_the_document_edges_both_ways(
    api: Client, wordcount: Topology, wordcount_document: dict[str, Any]
) -> None:
    nodes = {n["name"]: n for s in _describe(api, wordcount).json()["subtopologies"]
             for n in s["nodes"]}
    for edge in wordcount_document["edges"]:
        source, target = edge["source"], edge["target"]
        if source in nodes and target in nodes and source != "drop-empty":
            # Direct links; drop-empty → group-by-word goes through the repartition topic.
            assert target in nodes[source]["successors"], edge
            assert source in nodes[target]["predecessors"], edge
    for name, node in nodes.items():
        for succ in node["successors"]:
            assert name in nodes[succ]["predecessors"]


def test_a_version_with_errors_is_400_with_its_problems(
    api: Client, wordcount: Topology, wordcount_document: dict[str, Any]
) -> None:
    broken = {**wordcount_document, "nodes": [
        {**n, "type": "stream.no_such_step"} if n["id"] == "drop-empty" else n
        for n in wordcount_document["nodes"]]}
    wordcount.add_version(broken, allow_errors=True)
    response = _describe(api, wordcount, 2)
    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith("Version 2 has 1 error")
    assert [p["node_id"] for p in body["problems"] if p["severity"] == "error"] == ["drop-empty"]


def test_unknown_ids_are_404_with_a_message(api: Client, wordcount: Topology) -> None:
    response = _describe(api, wordcount, 9)
    assert response.status_code == 404
    assert response.json()["message"] == f"Topology {wordcount.pk} has no version 9."
    response = api.get(f"/api/topologies/{wordcount.pk + 100}/versions/1/describe/")
    assert response.status_code == 404
    assert response.json()["message"] == f"There is no topology {wordcount.pk + 100}."


def test_anonymous_is_refused(anonymous: Client, wordcount: Topology) -> None:
    assert _describe(anonymous, wordcount).status_code == 401


def _node(node_id: str, node_type: str, params: dict[str, Any]) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "label": "", "params": params,
            "position": {"x": 0, "y": 0}}


def _edge(edge_id: str, source: str, target: str, target_port: str = "in") -> dict[str, Any]:
    return {"id": edge_id, "source": source, "source_port": "out", "target": target,
            "target_port": target_port}


def test_a_global_table_is_described_as_a_global_store(team: Workspace, api: Client, alice: Any) -> None:
    # Kafka Streams gives a GlobalKTable a sub-topology of its own that generates no
    # tasks: a source and the processor that keeps its store.
    document = {
        "format_version": 1, "name": "orders with cities",
        "settings": {"default_key_serde": "string", "default_value_serde": "json"},
        "nodes": [
            _node("orders", "source.stream", {"topics": ["orders"]}),
            _node("zips", "source.global_table", {"topic": "zip-codes", "store": "zips-store"}),
            _node("with-city", "join.stream_global_table",
                  {"join": "left", "key_selector": 'value["zip"]', "joiner": "{**left, \"city\": right}"}),
            _node("out", "sink.topic", {"topic": "orders-with-cities"}),
        ],
        "edges": [_edge("e1", "orders", "with-city", "left"), _edge("e2", "zips", "with-city", "right"),
                  _edge("e3", "with-city", "out")],
    }
    topology = Topology.objects.create(workspace=team, name="orders")
    topology.add_version(document)
    response = _describe(api, topology)
    assert response.status_code == 200, response.json()
    body = response.json()
    [store] = body["global_stores"]
    assert store["source"]["kind"] == "source"
    assert store["source"]["topics"] == ["zip-codes"]
    assert store["processor"]["stores"] == ["zips-store"]
    assert "for global store (will not generate tasks)" in body["text"]
    [sub] = body["subtopologies"]
    assert store["id"] != sub["id"]
    assert {n["name"] for n in sub["nodes"]} >= {"orders", "with-city", "out"}
