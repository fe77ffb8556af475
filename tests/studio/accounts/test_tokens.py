"""API tokens: shown once, stored hashed, expiring, revocable; a script uses one without
a session or a CSRF token."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection as db
from django.test import Client
from django.utils import timezone

from studio.accounts.models import ApiToken
from studio.topologies.models import Topology
from tests.studio.conftest import post_json


def script(token: str) -> Client:
    """A client with no session that enforces CSRF, like curl would be treated."""
    return Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Token {token}")


def test_a_token_lets_a_script_read_and_write(
    api: Client, wordcount: Topology, wordcount_document: dict[str, Any],
) -> None:
    created = post_json(api, "/api/tokens/", {"description": "CI deploys", "expires_in_days": 7})
    assert created.status_code == 201
    body = created.json()
    token = body["token"]
    assert body["description"] == "CI deploys" and token.startswith(body["id"])
    expires = timezone.datetime.fromisoformat(body["expires_at"])
    assert timedelta(days=6, hours=23) < expires - timezone.now() <= timedelta(days=7)

    client = script(token)
    assert client.get("/api/me/").json()["username"] == "alice"
    saved = post_json(client, f"/api/topologies/{wordcount.pk}/versions/", {"document": wordcount_document})
    assert saved.status_code == 201, saved.json()

    listed = api.get("/api/tokens/").json()
    assert [t["id"] for t in listed] == [body["id"]]
    assert "token" not in listed[0]


def test_only_a_digest_is_stored(api: Client) -> None:
    token = post_json(api, "/api/tokens/", {}).json()["token"]
    with db.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {ApiToken._meta.db_table}")
        rows = cursor.fetchall()
    assert len(rows) == 1
    assert all(token not in str(value) for value in rows[0])


def test_a_revoked_token_stops_working(api: Client) -> None:
    body = post_json(api, "/api/tokens/", {}).json()
    assert script(body["token"]).get("/api/me/").status_code == 200
    assert api.delete(f"/api/tokens/{body['id']}/").status_code == 204
    refused = script(body["token"]).get("/api/me/")
    assert refused.status_code == 401
    assert refused.json()["message"] == "Invalid token."
    assert api.delete(f"/api/tokens/{body['id']}/").status_code == 404


def test_an_expired_token_stops_working(api: Client) -> None:
    body = post_json(api, "/api/tokens/", {}).json()
    ApiToken.objects.filter(token_key=body["id"]).update(expiry=timezone.now() - timedelta(seconds=1))
    assert script(body["token"]).get("/api/me/").status_code == 401
    assert api.get("/api/tokens/").json() == []


def test_nobody_revokes_someone_elses_token(api: Client, db: None) -> None:
    body = post_json(api, "/api/tokens/", {}).json()
    bob = Client()
    bob.force_login(User.objects.create_user("bob", password="bob-password-1"))
    assert bob.delete(f"/api/tokens/{body['id']}/").status_code == 404
    assert script(body["token"]).get("/api/me/").status_code == 200


def test_a_lifetime_beyond_a_year_is_refused(api: Client) -> None:
    response = post_json(api, "/api/tokens/", {"expires_in_days": 400})
    assert response.status_code == 400
    assert response.json()["problems"][0]["path"] == "expires_in_days"


def test_a_token_id_with_a_nul_character_is_404(api: Client, postgres_refuses_nul: None) -> None:
    # PostgreSQL refuses NUL in a query: it used to answer 500 there.
    response = api.delete("/api/tokens/ab%00cd/")
    assert response.status_code == 404
    assert response.json()["message"] == "You have no token ab\x00cd."


@pytest.mark.django_db(transaction=True)
def test_a_database_with_users_and_tokens_can_be_flushed(alice: User) -> None:
    # knox's own token model is swapped out: no table of its own, whose foreign key to
    # auth_user would make PostgreSQL refuse the TRUNCATE of every transactional test.
    assert "knox_authtoken" not in db.introspection.table_names()
    ApiToken.objects.create(alice, description="flushed")
    call_command("flush", interactive=False, verbosity=0)
    assert not User.objects.exists() and not ApiToken.objects.exists()
