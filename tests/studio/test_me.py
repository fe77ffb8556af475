from __future__ import annotations

from django.test import Client


def test_it_names_the_logged_in_user(api: Client) -> None:
    response = api.get("/api/me/")
    assert response.status_code == 200
    assert response.json() == {"username": "alice"}


def test_anonymous_is_refused(anonymous: Client, db: None) -> None:
    response = anonymous.get("/api/me/")
    assert response.status_code == 403
    assert response.json() == {
        "message": "Authentication credentials were not provided.", "problems": [],
    }
