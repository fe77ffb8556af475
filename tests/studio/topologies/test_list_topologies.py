from __future__ import annotations

from typing import Any

from django.test import Client

from studio.topologies.models import Topology
from studio.workspaces.models import Workspace


def test_it_lists_topologies_by_name_with_their_latest_version(
    team: Workspace, api: Client, wordcount: Topology, wordcount_document: dict[str, Any]
) -> None:
    Topology.objects.create(workspace=team, name="alpha", description="no versions yet")
    wordcount.add_version(wordcount_document, message="second")
    response = api.get("/api/topologies/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    alpha, wc = body["results"]
    assert alpha == {"id": alpha["id"], "workspace": team.pk, "name": "alpha", "description": "no versions yet",
                     "latest_version": None}
    assert wc["name"] == "word count"
    assert wc["latest_version"]["number"] == 2
    assert set(wc["latest_version"]) == {"id", "number", "created_at"}


def test_it_pages_long_lists(team: Workspace, api: Client, db: None) -> None:
    for i in range(3):
        Topology.objects.create(workspace=team, name=f"t{i}")
    body = api.get("/api/topologies/?page_size=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert len(api.get(body["next"]).json()["results"]) == 1


def test_anonymous_is_refused(anonymous: Client, db: None) -> None:
    response = anonymous.get("/api/topologies/")
    assert response.status_code == 401
    assert response.json()["message"] == "Authentication credentials were not provided."
