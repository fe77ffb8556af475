"""A connection that deployments run on: it cannot be deleted, nor moved to other
servers while any of them is not stopped (409 naming them)."""

from __future__ import annotations


from django.test import Client

from studio.connections.models import Connection
from studio.deployments.models import Deployment
from studio.topologies.models import TopologyVersion
from studio.workspaces.models import Workspace

from tests.studio.connections.helpers import send


def deployed(version: TopologyVersion, connection: Connection, application_id: str) -> Deployment:
    return Deployment.create_running(version, connection=connection, actor=None, application_id=application_id)


def settle_stopped(deployment: Deployment) -> None:
    deployment.stop(actor=None)
    deployment.transition(to="stopped")   # what the reconciler records once no replica is left


def test_deleting_a_connection_that_deployments_run_on_is_409_naming_them(
    api: Client, wordcount_v1: TopologyVersion, offline_connection: Connection
) -> None:
    deployed(wordcount_v1, offline_connection, "wc-b")
    deployed(wordcount_v1, offline_connection, "wc-a")
    response = api.delete(f"/api/connections/{offline_connection.pk}/")
    assert response.status_code == 409
    assert response.json() == {
        "message": "Connection 'offline' cannot be deleted while deployments run on it: wc-a, wc-b. Stop them first.",
        "problems": [],
    }
    assert Connection.objects.filter(pk=offline_connection.pk).exists()


def test_a_deployment_still_stopping_counts_as_running(
    api: Client, wordcount_v1: TopologyVersion, offline_connection: Connection
) -> None:
    deployment = deployed(wordcount_v1, offline_connection, "wc-a")
    deployment.stop(actor=None)
    assert (deployment.desired_state, deployment.observed_state) == ("stopped", "stopping")
    assert api.delete(f"/api/connections/{offline_connection.pk}/").status_code == 409


def test_stopped_deployments_keep_their_connection_too(
    api: Client, wordcount_v1: TopologyVersion, offline_connection: Connection
) -> None:
    settle_stopped(deployed(wordcount_v1, offline_connection, "wc-a"))
    response = api.delete(f"/api/connections/{offline_connection.pk}/")
    assert response.status_code == 409
    assert response.json()["message"] == (
        "Connection 'offline' cannot be deleted: stopped deployments run on it when started again: wc-a."
    )


def test_an_unused_connection_is_deleted_even_when_others_are_in_use(
    team: Workspace,
    api: Client, wordcount_v1: TopologyVersion, offline_connection: Connection
) -> None:
    deployed(wordcount_v1, offline_connection, "wc-a")
    spare = Connection.objects.create(workspace=team, name="spare", bootstrap_servers="127.0.0.1:2")
    assert api.delete(f"/api/connections/{spare.pk}/").status_code == 204


def test_moving_a_connection_under_running_deployments_is_409(
    api: Client, wordcount_v1: TopologyVersion, offline_connection: Connection
) -> None:
    deployed(wordcount_v1, offline_connection, "wc-a")
    for method, body in (("patch", {"bootstrap_servers": "10.0.0.9:9092"}),
                         ("put", {"name": "offline", "bootstrap_servers": "10.0.0.9:9092"})):
        response = send(api, method, f"/api/connections/{offline_connection.pk}/", body)
        assert response.status_code == 409, response.json()
        assert response.json()["message"] == (
            "Connection 'offline' cannot be moved to other bootstrap servers while deployments run on it: "
            "wc-a. Stop them first."
        )
    offline_connection.refresh_from_db()
    assert offline_connection.bootstrap_servers == "127.0.0.1:1"


def test_other_changes_and_the_same_servers_are_allowed_while_running(
    api: Client, wordcount_v1: TopologyVersion, offline_connection: Connection
) -> None:
    deployed(wordcount_v1, offline_connection, "wc-a")
    response = send(api, "patch", f"/api/connections/{offline_connection.pk}/",
                    {"name": "renamed", "bootstrap_servers": " 127.0.0.1:1 "})
    assert response.status_code == 200, response.json()
    assert response.json()["name"] == "renamed"


def test_once_stopped_a_connection_can_move(
    api: Client, wordcount_v1: TopologyVersion, offline_connection: Connection
) -> None:
    settle_stopped(deployed(wordcount_v1, offline_connection, "wc-a"))
    response = send(api, "patch", f"/api/connections/{offline_connection.pk}/", {"bootstrap_servers": "10.0.0.9:9092"})
    assert response.status_code == 200, response.json()
    assert response.json()["bootstrap_servers"] == "10.0.0.9:9092"
