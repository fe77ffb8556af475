from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from studio.topologies.models import Topology
from studio.workspaces.models import Membership


def signs_in(username: str, password: str) -> bool:
    """Through the login page, as a person would (the sign-in lockout needs a request)."""
    return Client().post("/login/", {"username": username, "password": password}).status_code == 302


def bootstrap() -> str:
    out = StringIO()
    call_command("bootstrap_demo", stdout=out)
    return out.getvalue()


def test_it_creates_the_demo_user_and_the_examples_once(
    db: None, monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    monkeypatch.delenv("RIFFLE_DEMO_PASSWORD", raising=False)
    settings.DEBUG = True  # type: ignore[attr-defined]  # development: the known password
    out = bootstrap()
    assert "http://127.0.0.1:8000/" in out
    assert "user: demo   password: riffle-demo" in out
    assert signs_in("demo", "riffle-demo")
    names = set(Topology.objects.values_list("name", flat=True))
    assert len(names) == 3 and "word count" in names
    for topology in Topology.objects.all():
        assert list(topology.versions.values_list("number", flat=True)) == [1]
        assert topology.workspace.slug == "demo"
    assert Membership.objects.get(workspace__slug="demo", user__username="demo").role == "admin"

    again = bootstrap()
    assert "Loaded example" not in again and "user: demo" in again
    assert Topology.objects.count() == 3
    assert sum(t.versions.count() for t in Topology.objects.all()) == 3


def test_the_password_comes_from_the_environment(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIFFLE_DEMO_PASSWORD", "s3cret-enough")
    assert "password: s3cret-enough" in bootstrap()
    assert signs_in("demo", "s3cret-enough")


def test_with_debug_off_the_demo_password_is_random_not_the_known_one(
    db: None, monkeypatch: pytest.MonkeyPatch, settings: object
) -> None:
    monkeypatch.delenv("RIFFLE_DEMO_PASSWORD", raising=False)
    settings.DEBUG = False  # type: ignore[attr-defined]
    out = bootstrap()
    assert not signs_in("demo", "riffle-demo")
    printed = out.split("password: ", 1)[1].split()[0]
    assert len(printed) >= 16
    assert signs_in("demo", printed)


def test_a_fresh_studio_gets_a_connection_to_its_broker_once(db: None, settings: object) -> None:
    from studio.connections.models import Connection

    settings.KAFKA_BOOTSTRAP_SERVERS = "broker.example:9092"  # type: ignore[attr-defined]
    assert "Created connection 'local' to broker.example:9092" in bootstrap()
    assert list(Connection.objects.values_list("name", "bootstrap_servers")) == [("local", "broker.example:9092")]
    Connection.objects.filter(name="local").update(name="mine")
    assert "Created connection" not in bootstrap()   # the user has one: none is added
    assert Connection.objects.count() == 1
