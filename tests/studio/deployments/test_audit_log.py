"""GET /api/audit/: the audit log, newest first, filtered and paginated."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from studio.deployments.models import AuditEvent, Deployment
from studio.workspaces.models import Membership, Role, Workspace

T0 = timezone.now() - timedelta(days=1)


def event(workspace: Workspace | None, actor: User | None, verb: str, object_type: str, object_id: str,
          minutes: int, **data: Any) -> AuditEvent:
    return AuditEvent.objects.create(workspace=workspace, actor=actor, verb=verb, object_type=object_type,
                                     object_id=object_id, data=data, at=T0 + timedelta(minutes=minutes))


@pytest.fixture
def log(alice: User, team: Workspace) -> dict[str, AuditEvent]:
    bob = User.objects.create_user("bob", password="bob-password-1")
    return {
        "create": event(team, alice, "deployment.create", "deployment", "7", 1, replicas=1),
        "scale": event(team, bob, "deployment.scale", "deployment", "7", 2,
                       before={"replicas": 1}, after={"replicas": 2}),
        "stop": event(team, alice, "deployment.stop", "deployment", "8", 3),
        "save": event(team, None, "version.create", "topologyversion", "7", 4),
    }


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.json()
    return [item["id"] for item in response.json()["results"]]


def test_it_lists_events_newest_first_with_who_and_what(api: Client, log: dict[str, AuditEvent]) -> None:
    response = api.get("/api/audit/")
    assert ids(response) == [log[k].pk for k in ("save", "stop", "scale", "create")]
    body = response.json()
    assert body["count"] == 4
    scale = body["results"][2]
    assert scale == {
        "id": log["scale"].pk, "workspace": log["scale"].workspace_id, "at": (T0 + timedelta(minutes=2)).isoformat(), "actor": "bob",
        "verb": "deployment.scale", "object_type": "deployment", "object_id": "7",
        "data": {"before": {"replicas": 1}, "after": {"replicas": 2}},
    }
    assert body["results"][0]["actor"] is None  # done by the system, or a deleted user


@pytest.mark.parametrize(("query", "expected"), [
    ("object_type=deployment", ["stop", "scale", "create"]),
    ("object_type=deployment&object_id=7", ["scale", "create"]),
    ("object_id=7", ["save", "scale", "create"]),
    ("actor=alice", ["stop", "create"]),
    ("verb=deployment.scale", ["scale"]),
    ("actor=alice&verb=deployment.stop", ["stop"]),
    ("actor=nobody", []),
    ("verb=deployment", []),  # verbs match exactly
])
def test_filters(api: Client, log: dict[str, AuditEvent], query: str, expected: list[str]) -> None:
    assert ids(api.get(f"/api/audit/?{query}")) == [log[k].pk for k in expected]


def test_pages(api: Client, log: dict[str, AuditEvent]) -> None:
    first = api.get("/api/audit/?page_size=3").json()
    assert first["count"] == 4 and first["previous"] is None
    assert [e["id"] for e in first["results"]] == [log[k].pk for k in ("save", "stop", "scale")]
    second = api.get(first["next"]).json()
    assert [e["id"] for e in second["results"]] == [log["create"].pk]
    assert second["next"] is None


def test_a_page_past_the_end_is_404(api: Client, log: dict[str, AuditEvent]) -> None:
    response = api.get("/api/audit/?page=9")
    assert response.status_code == 404
    assert response.json()["message"] == "Invalid page."


def test_a_too_long_filter_is_refused(api: Client, db: None) -> None:
    response = api.get(f"/api/audit/?verb={'x' * 65}")
    assert response.status_code == 400
    assert response.json()["message"] == "verb: Ensure this field has no more than 64 characters."


def test_operations_through_the_api_appear_in_the_log(api: Client, deployment: Deployment) -> None:
    api.post(f"/api/deployments/{deployment.pk}/stop/")
    results = api.get(f"/api/audit/?object_type=deployment&object_id={deployment.pk}").json()["results"]
    assert [(e["verb"], e["actor"]) for e in results] == [
        ("deployment.stop", "alice"), ("deployment.create", "alice")
    ]


def test_post_is_not_allowed(api: Client, db: None) -> None:
    assert api.post("/api/audit/").status_code == 405


def test_anonymous_is_refused(anonymous: Client, log: dict[str, AuditEvent]) -> None:
    assert anonymous.get("/api/audit/").status_code == 401


def test_members_read_their_workspaces_events_and_their_own_account_events(
    api: Client, alice: User, team: Workspace, log: dict[str, AuditEvent],
) -> None:
    other = Workspace.objects.create(name="other", slug="other")
    bob = User.objects.get(username="bob")
    hidden = event(other, bob, "deployment.stop", "deployment", "9", 5)
    own_token = event(None, alice, "token.create", "user", str(alice.pk), 6)
    bobs_token = event(None, bob, "token.create", "user", str(bob.pk), 7)
    listed = ids(api.get("/api/audit/"))
    assert own_token.pk in listed and log["create"].pk in listed
    assert hidden.pk not in listed and bobs_token.pk not in listed
    assert ids(api.get(f"/api/audit/?workspace={team.pk}")) == [log[k].pk for k in ("save", "stop", "scale", "create")]

    Membership.objects.create(workspace=other, user=alice, role=Role.VIEWER)
    assert hidden.pk in ids(api.get("/api/audit/"))
