from __future__ import annotations

from typing import Any

from django.test import Client

from studio.topologies.models import Topology


def test_it_lists_versions_newest_first_without_documents(
    api: Client, wordcount: Topology, wordcount_document: dict[str, Any]
) -> None:
    wordcount.add_version(wordcount_document, message="second")
    response = api.get(f"/api/topologies/{wordcount.pk}/versions/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [(v["number"], v["message"]) for v in body["results"]] == [(2, "second"), (1, "first")]
    assert "document" not in body["results"][0]


def test_an_unknown_topology_is_404(api: Client) -> None:
    assert api.get("/api/topologies/9999/versions/").status_code == 404


def test_anonymous_is_refused(anonymous: Client, wordcount: Topology) -> None:
    assert anonymous.get(f"/api/topologies/{wordcount.pk}/versions/").status_code == 401
