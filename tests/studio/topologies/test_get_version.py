from __future__ import annotations

from typing import Any

from django.test import Client

from studio.topologies.models import Topology


def test_it_returns_an_older_version_with_its_document(
    api: Client, wordcount: Topology, wordcount_document: dict[str, Any]
) -> None:
    changed = {**wordcount_document, "description": "second take"}
    wordcount.add_version(changed, message="second")
    response = api.get(f"/api/topologies/{wordcount.pk}/versions/1/")
    assert response.status_code == 200
    body = response.json()
    assert (body["number"], body["message"]) == (1, "first")
    assert body["document"]["nodes"] == wordcount_document["nodes"]
    assert body["document"].get("description") != "second take"


def test_an_unknown_version_is_404_with_a_message(api: Client, wordcount: Topology) -> None:
    response = api.get(f"/api/topologies/{wordcount.pk}/versions/7/")
    assert response.status_code == 404
    assert "no version 7" in response.json()["message"]


def test_anonymous_is_refused(anonymous: Client, wordcount: Topology) -> None:
    assert anonymous.get(f"/api/topologies/{wordcount.pk}/versions/1/").status_code == 401
