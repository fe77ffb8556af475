"""Workspaces and their members: create, read, change, delete; the last admin stays."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from studio.connections.models import Connection
from studio.deployments.models import AuditEvent, Deployment
from studio.topologies.models import Topology
from studio.workspaces.models import Membership, Role, Workspace
from tests.studio.conftest import post_json


def send(client: Client, method: str, path: str, body: Any = None) -> Any:
    return client.generic(method, path, data=json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def bob(db: None) -> User:
    return User.objects.create_user("bob", password="bob-password-1")


def client_of(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_creating_a_workspace_makes_its_creator_admin(api: Client, alice: User) -> None:
    response = post_json(api, "/api/workspaces/", {"name": "Data Platform"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["name"] == "Data Platform" and body["slug"] == "data-platform" and body["role"] == "admin"
    assert Membership.objects.get(workspace_id=body["id"], user=alice).role == "admin"
    assert AuditEvent.objects.filter(verb="workspace.create", workspace_id=body["id"]).exists()
    names = [w["name"] for w in api.get("/api/workspaces/").json()["results"]]
    assert names == ["Data Platform", "team"]


def test_a_taken_name_is_refused(api: Client, team: Workspace) -> None:
    response = post_json(api, "/api/workspaces/", {"name": "team"})
    assert response.status_code == 400
    assert response.json()["problems"][0]["path"] == "name"


def test_a_name_without_letters_needs_a_slug(api: Client) -> None:
    response = post_json(api, "/api/workspaces/", {"name": "!!!"})
    assert response.status_code == 400
    assert "slug" in response.json()["message"]
    assert post_json(api, "/api/workspaces/", {"name": "!!!", "slug": "bangs"}).status_code == 201


def test_creation_can_be_kept_to_superusers(api: Client, settings: Any) -> None:
    settings.RIFFLE_ANYONE_CAN_CREATE_WORKSPACES = False
    response = post_json(api, "/api/workspaces/", {"name": "mine"})
    assert response.status_code == 403
    assert "administrators of the studio" in response.json()["message"]


def test_others_workspaces_are_not_listed_and_are_404(api: Client, bob: User) -> None:
    theirs = Workspace.objects.create(name="theirs", slug="theirs")
    Membership.objects.create(workspace=theirs, user=bob, role=Role.ADMIN)
    assert "theirs" not in [w["name"] for w in api.get("/api/workspaces/").json()["results"]]
    response = api.get(f"/api/workspaces/{theirs.pk}/")
    assert response.status_code == 404
    assert response.json()["message"] == f"There is no workspace {theirs.pk}."


def test_a_superuser_sees_every_workspace_as_admin(db: None) -> None:
    root = User.objects.create_superuser("root", password="root-password-1")
    Workspace.objects.create(name="somewhere", slug="somewhere")
    listed = client_of(root).get("/api/workspaces/").json()["results"]
    assert [(w["name"], w["role"]) for w in listed] == [("somewhere", "admin")]


def test_members_are_added_changed_and_removed_by_admins(api: Client, team: Workspace, bob: User) -> None:
    members = f"/api/workspaces/{team.pk}/members/"
    added = post_json(api, members, {"username": "bob", "role": "viewer"})
    assert added.status_code == 201 and added.json()["role"] == "viewer"
    assert post_json(api, members, {"username": "bob", "role": "editor"}).status_code == 409

    bobs = client_of(bob)
    assert [m["username"] for m in bobs.get(members).json()["results"]] == ["alice", "bob"]
    refused = post_json(bobs, members, {"username": "alice", "role": "viewer"})
    assert refused.status_code == 403
    assert refused.json()["message"] == (
        "Adding a member needs the admin role in workspace 'team'; you are a viewer."
    )

    changed = send(api, "PATCH", f"{members}{bob.pk}/", {"role": "operator"})
    assert changed.status_code == 200 and changed.json()["role"] == "operator"
    event = AuditEvent.objects.get(verb="member.update")
    assert event.data == {"user": "bob", "before": {"role": "viewer"}, "after": {"role": "operator"}}

    assert send(api, "DELETE", f"{members}{bob.pk}/").status_code == 204
    assert bobs.get(f"/api/workspaces/{team.pk}/").status_code == 404


def test_an_unknown_user_cannot_be_added(api: Client, team: Workspace) -> None:
    response = post_json(api, f"/api/workspaces/{team.pk}/members/", {"username": "nobody", "role": "viewer"})
    assert response.status_code == 400
    assert response.json()["message"] == "username: There is no active user 'nobody'."


def test_the_last_admin_cannot_leave_or_be_demoted(api: Client, team: Workspace, alice: User, bob: User) -> None:
    me = f"/api/workspaces/{team.pk}/members/{alice.pk}/"
    for method, body in (("PATCH", {"role": "viewer"}), ("DELETE", None)):
        response = send(api, method, me, body)
        assert response.status_code == 409
        assert "last admin" in response.json()["message"]
    Membership.objects.create(workspace=team, user=bob, role=Role.ADMIN)
    assert send(api, "PATCH", me, {"role": "viewer"}).status_code == 200
    assert Membership.objects.get(workspace=team, user=alice).role == "viewer"


def test_a_workspace_is_renamed_by_its_admin(api: Client, team: Workspace) -> None:
    response = send(api, "PATCH", f"/api/workspaces/{team.pk}/", {"name": "Team A", "description": "ours"})
    assert response.status_code == 200
    assert response.json()["name"] == "Team A" and response.json()["description"] == "ours"


def test_a_workspace_holding_things_is_not_deleted(api: Client, team: Workspace) -> None:
    Topology.objects.create(workspace=team, name="t")
    Connection.objects.create(workspace=team, name="c", bootstrap_servers="a:1")
    response = send(api, "DELETE", f"/api/workspaces/{team.pk}/")
    assert response.status_code == 409
    assert response.json()["message"] == "Workspace 'team' still holds 1 topologies and 1 connections; delete them first."
    Topology.objects.all().delete()
    Connection.objects.all().delete()
    assert send(api, "DELETE", f"/api/workspaces/{team.pk}/").status_code == 204
    assert not Workspace.objects.filter(pk=team.pk).exists()


def test_topologies_are_created_in_a_workspace_and_names_are_unique_there(
    api: Client, team: Workspace, alice: User, wordcount_document: dict[str, Any],
) -> None:
    created = post_json(api, "/api/topologies/", {
        "workspace": team.pk, "name": "counts", "description": "d", "document": wordcount_document,
        "message": "first",
    })
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["workspace"] == team.pk and body["latest_version"]["number"] == 1
    assert body["latest_version"]["message"] == "first"
    again = post_json(api, "/api/topologies/", {"workspace": team.pk, "name": "counts"})
    assert again.status_code == 409
    assert again.json()["message"] == "Workspace 'team' has a topology named 'counts' already."
    # The same name in another workspace is fine.
    other = post_json(api, "/api/workspaces/", {"name": "other"}).json()
    assert post_json(api, "/api/topologies/", {"workspace": other["id"], "name": "counts"}).status_code == 201
    listed = api.get(f"/api/topologies/?workspace={team.pk}").json()
    assert [t["name"] for t in listed["results"]] == ["counts"]


def test_an_invalid_first_version_creates_nothing(api: Client, team: Workspace) -> None:
    response = post_json(api, "/api/topologies/", {
        "workspace": team.pk, "name": "broken", "document": {"format_version": 1, "nodes": "x"},
    })
    assert response.status_code == 400
    assert not Topology.objects.filter(name="broken").exists()


def test_a_topology_is_renamed_and_deleted(api: Client, wordcount: Topology) -> None:
    path = f"/api/topologies/{wordcount.pk}/"
    renamed = send(api, "PATCH", path, {"name": "words"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "words"
    assert send(api, "DELETE", path).status_code == 204
    assert not Topology.objects.filter(pk=wordcount.pk).exists()


def test_a_deployed_topology_is_not_deleted(offline_connection: Connection, api: Client, wordcount: Topology, alice: User) -> None:
    deployment = Deployment.create_running(wordcount.versions.get(number=1), connection=offline_connection, actor=alice)
    response = send(api, "DELETE", f"/api/topologies/{wordcount.pk}/")
    assert response.status_code == 409
    assert deployment.application_id in response.json()["message"]


def test_a_connection_cannot_move_between_workspaces(api: Client, team: Workspace) -> None:
    connection = Connection.objects.create(workspace=team, name="c", bootstrap_servers="a:1")
    other = post_json(api, "/api/workspaces/", {"name": "other"}).json()
    response = send(api, "PATCH", f"/api/connections/{connection.pk}/", {"workspace": other["id"]})
    assert response.status_code == 400
    assert response.json()["message"] == "workspace: A connection cannot move to another workspace."


def test_a_member_id_past_the_databases_integers_is_404(api: Client, team: Workspace) -> None:
    # The user_id lookup used to overflow the database driver: a 500.
    for method in ("patch", "delete"):
        response = getattr(api, method)(f"/api/workspaces/{team.pk}/members/{2**64}/",
                                        data=json.dumps({"role": "viewer"}), content_type="application/json")
        assert response.status_code == 404, method
        assert response.json()["message"] == f"User {2**64} is not a member of workspace 'team'."


def test_a_first_version_with_a_nul_character_creates_nothing(
    api: Client, team: Workspace, wordcount_document: dict[str, Any], postgres_refuses_nul: None,
) -> None:
    # PostgreSQL's jsonb refuses "\u0000": it used to fail there with a 500.
    response = post_json(api, "/api/topologies/", {
        "workspace": team.pk, "name": "nul", "document": {**wordcount_document, "name": "a\x00b"},
    })
    assert response.status_code == 400
    assert response.json()["message"] == "document: name: text cannot hold NUL characters (\\u0000)."
    assert not Topology.objects.filter(name="nul").exists()
