"""While the database is down, every request that needs it is answered 503 with a
message saying so (JSON under /api/, a page elsewhere) and a Retry-After, never a 500;
a write refused meanwhile leaves nothing behind; when the database is back, the same
client carries on with its session and its data intact.

The outage is real, not mocked:

- PostgreSQL: the test's connection goes through a TCP proxy (tests/tcp_proxy.py) that
  the test cuts, which resets the open connection and refuses new ones, as a crashed or
  restarting server does.
- SQLite: the test database is copied into a file in a directory of its own, which the
  test moves away, so that opening the database fails as on a lost volume.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import close_old_connections, connections
from django.test import Client
from django.utils.html import escape

from studio import outages
from studio.topologies.models import Topology
from studio.workspaces.models import Workspace
from tests.studio.helpers import sqlite_on_file
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.reliability, pytest.mark.django_db(transaction=True)]


@dataclass
class Outage:
    cut: Callable[[], None]
    restore: Callable[[], None]


@pytest.fixture
def database_outage(tmp_path: Path) -> Iterator[Outage]:
    connection = connections["default"]
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        proxy = TcpProxy(settings_dict.get("HOST") or "127.0.0.1", int(settings_dict.get("PORT") or 5432))
        saved = settings_dict.get("HOST"), settings_dict.get("PORT")
        connection.close()
        settings_dict["HOST"], settings_dict["PORT"] = "127.0.0.1", str(proxy.port)

        def cut() -> None:
            proxy.cut()

        try:
            yield Outage(cut, proxy.restore)
        finally:
            proxy.close()
            connection.close()
            settings_dict["HOST"], settings_dict["PORT"] = saved
        return

    assert connection.vendor == "sqlite", connection.vendor
    home, away = tmp_path / "db", tmp_path / "db-away"
    home.mkdir()

    def cut_sqlite() -> None:
        connection.close()
        home.rename(away)

    def restore_sqlite() -> None:
        if away.exists():
            away.rename(home)

    with sqlite_on_file(home / "riffle.sqlite3"):
        try:
            yield Outage(cut_sqlite, restore_sqlite)
        finally:
            restore_sqlite()


class ServerClient(Client):
    """A test client that, as Django's handlers in a server do, closes the database
    connection at each request's start and end when it is broken or past its age (the
    plain test client leaves that out, so a connection broken by the outage would stay
    broken after it). It also returns the handlers' answers to exceptions, which are
    what is under test here, instead of raising the exceptions."""

    def __init__(self) -> None:
        super().__init__(raise_request_exception=False)

    def request(self, **request: Any) -> Any:
        close_old_connections()
        try:
            return super().request(**request)
        finally:
            close_old_connections()


@pytest.fixture
def client(alice: User) -> Client:
    client = ServerClient()
    client.force_login(alice)
    return client


def _assert_unavailable_json(response: Any) -> None:
    assert response.status_code == 503, response.content[:500]
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"message": outages.MESSAGE, "problems": []}
    assert response["Retry-After"] == str(outages.RETRY_AFTER_S)


def test_requests_during_an_outage_get_503_and_the_studio_recovers(
    client: Client, team: Workspace, database_outage: Outage, wordcount_document: dict[str, Any]
) -> None:
    document = wordcount_document
    before = client.post("/api/topologies/", data=json.dumps(
        {"workspace": team.pk, "name": "kept", "document": document}), content_type="application/json")
    assert before.status_code == 201, before.content
    assert client.get("/api/topologies/").json()["count"] == 1

    database_outage.cut()
    # Reading, writing, an API path the router does not know, a page, the sign-in form:
    # each needs the database (the session at least) and says it is unavailable.
    _assert_unavailable_json(client.get("/api/topologies/"))
    _assert_unavailable_json(client.post("/api/topologies/", data=json.dumps(
        {"workspace": team.pk, "name": "lost", "document": document}), content_type="application/json"))
    _assert_unavailable_json(client.get("/api/no-such-endpoint/"))
    page = client.get("/topologies/")
    assert page.status_code == 503
    assert page["Content-Type"].startswith("text/html")
    assert escape(outages.MESSAGE) in page.content.decode()
    assert page["Retry-After"] == str(outages.RETRY_AFTER_S)
    sign_in = ServerClient().post("/login/", {"username": "alice", "password": "x"})
    assert sign_in.status_code == 503
    assert escape(outages.MESSAGE) in sign_in.content.decode()
    health = client.get("/healthz")
    assert health.status_code == 503
    assert health.json()["database"]["ok"] is False

    database_outage.restore()
    listing = client.get("/api/topologies/")
    assert listing.status_code == 200, listing.content
    # The write refused during the outage left nothing; the earlier one is intact.
    assert [t["name"] for t in listing.json()["results"]] == ["kept"]
    assert list(Topology.objects.values_list("name", flat=True)) == ["kept"]
    assert client.get("/topologies/").status_code == 200


def test_a_bug_stays_a_500_under_api_paths_as_json() -> None:
    # The 500 handler answers 503 only for an unavailable database; anything else it
    # gets is still a server error, in the API's JSON shape under /api/.
    from django.test import RequestFactory

    from studio.views import server_error

    request = RequestFactory().get("/api/topologies/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(request)
    assert response.status_code == 500
    assert json.loads(response.content)["message"].startswith("The server failed")
    request = RequestFactory().get("/topologies/")
    try:
        raise RuntimeError("a bug")
    except RuntimeError:
        response = server_error(request)
    assert response.status_code == 500


@pytest.mark.parametrize(("error", "unavailable"), [
    ("OperationalError:connection refused", True),
    ("OperationalError:database is locked", True),
    ("InterfaceError:connection already closed", True),
    ("OperationalError:no such table: topologies_topology", False),
    ("IntegrityError:UNIQUE constraint failed", False),
    ("RuntimeError:connection refused", False),
])
def test_which_errors_mean_the_database_is_unavailable(error: str, unavailable: bool) -> None:
    import django.db

    kind, message = error.split(":", 1)
    exc_type = getattr(django.db, kind, None) or RuntimeError
    assert outages.database_unavailable(exc_type(message)) is unavailable
