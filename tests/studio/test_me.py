from __future__ import annotations

from django.test import Client

from studio.workspaces.models import Workspace


def test_it_names_the_logged_in_user_and_their_workspaces(api: Client, team: Workspace) -> None:
    Workspace.objects.create(name="elsewhere", slug="elsewhere")  # alice is not a member
    response = api.get("/api/me/")
    assert response.status_code == 200
    body = response.json()
    assert body["username"] == "alice" and body["is_superuser"] is False
    assert [(w["id"], w["name"], w["role"]) for w in body["workspaces"]] == [(team.pk, "team", "admin")]


def test_anonymous_is_refused(anonymous: Client, db: None) -> None:
    response = anonymous.get("/api/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json() == {
        "message": "Authentication credentials were not provided.", "problems": [],
    }
