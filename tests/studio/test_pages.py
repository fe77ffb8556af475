from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client


def test_the_login_page_renders_without_external_assets(anonymous: Client, db: None) -> None:
    response = anonymous.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Riffle" in html and 'name="username"' in html and 'name="password"' in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)


def test_logging_in_redirects_to_the_studio(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get("/login/")
    token = page.cookies["csrftoken"].value
    response = client.post("/login/", {"username": "alice", "password": "alice-password-1",
                                       "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_wrong_password_is_refused_with_a_message(alice: User, anonymous: Client) -> None:
    response = anonymous.post("/login/", {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert "_auth_user_id" not in anonymous.session


def test_logout_is_post_only(api: Client) -> None:
    assert api.get("/logout/").status_code == 405
    response = api.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert api.get("/api/me/").status_code == 401


@pytest.mark.parametrize("path", ["/", "/topologies/3", "/deployments/7"])
def test_spa_routes_need_a_login(anonymous: Client, db: None, path: str) -> None:
    response = anonymous.get(path)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={path}"


@pytest.mark.parametrize("path", ["/", "/topologies/3", "/deployments/7"])
def test_spa_routes_serve_index_html_and_set_the_csrf_cookie(
    api: Client, settings: object, tmp_path: Path, path: str
) -> None:
    (tmp_path / "index.html").write_text("<!doctype html><div id=root></div>")
    settings.FRONTEND_DIST = tmp_path  # type: ignore[attr-defined]
    response = api.get(path)
    assert response.status_code == 200
    assert response.content == b"<!doctype html><div id=root></div>"
    assert "csrftoken" in response.cookies


def test_a_missing_build_says_how_to_build_it(api: Client, settings: object, tmp_path: Path) -> None:
    settings.FRONTEND_DIST = tmp_path / "absent"  # type: ignore[attr-defined]
    response = api.get("/")
    assert response.status_code == 503
    html = response.content.decode()
    assert "make build" in html and "make run" in html


def test_unknown_api_paths_answer_json_404(api: Client) -> None:
    response = api.get("/api/nothing-here/")
    assert response.status_code == 404
    assert response.json()["message"] == "There is no API endpoint /api/nothing-here/."
