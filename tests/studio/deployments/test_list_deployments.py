from __future__ import annotations

from typing import Any

from django.test import Client

from studio.deployments.models import Deployment
from studio.topologies.models import Topology, TopologyVersion
from studio.workspaces.models import Workspace


def test_it_lists_deployments_of_one_topology(
    team: Workspace, api: Client, wordcount_v1: TopologyVersion, wordcount_document: dict[str, Any], alice: Any,
    offline_connection: Any,
) -> None:
    other = Topology.objects.create(workspace=team, name="other")
    other_v1 = other.add_version(wordcount_document)
    mine = Deployment.create_running(wordcount_v1, connection=offline_connection, actor=alice)
    Deployment.create_running(other_v1, connection=offline_connection, actor=alice)
    response = api.get(f"/api/deployments/?topology={wordcount_v1.topology_id}")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert body["results"] == [mine.to_dict()]
    assert api.get("/api/deployments/").json()["count"] == 2


def test_a_bad_filter_is_refused(api: Client) -> None:
    response = api.get("/api/deployments/?topology=abc")
    assert response.status_code == 400
    assert response.json()["problems"][0] == {
        "node_id": None, "path": "topology", "severity": "error",
        "message": "A valid integer is required.",
    }


def test_anonymous_is_refused(anonymous: Client, db: None) -> None:
    assert anonymous.get("/api/deployments/").status_code == 401


def test_ids_past_the_databases_integers_are_refused(api: Client) -> None:
    # They used to reach the database and overflow the driver: a 500.
    for field in ("topology", "workspace"):
        response = api.get(f"/api/deployments/?{field}={10**40}")
        assert response.status_code == 400, field
        assert response.json()["problems"][0]["path"] == field
