"""GET /healthz against the real database, Redis and broker, and against dead ones."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from studio.lib.devservices import free_port

pytestmark = [pytest.mark.django_db, pytest.mark.kafka, pytest.mark.redis]


@pytest.fixture
def live_services(settings, kafka_bootstrap: str, redis_url: str) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    settings.REDIS_URL = redis_url


def test_it_is_served_at_healthz_without_login() -> None:
    assert reverse("ops:healthz") == "/healthz"


def test_it_reports_every_service_ok(client: Client, live_services: None) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert set(body) == {"database", "redis", "kafka", "ok"}
    for service in ("database", "redis", "kafka"):
        assert body[service]["ok"] is True, body[service]
        assert isinstance(body[service]["detail"], str)
    assert "no-cache" in response["Cache-Control"]


def test_it_reports_an_unreachable_broker_with_503(client: Client, live_services: None, settings) -> None:
    dead = f"127.0.0.1:{free_port()}"
    settings.KAFKA_BOOTSTRAP_SERVERS = dead
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["kafka"]["ok"] is False
    assert dead in body["kafka"]["detail"]
    assert body["redis"]["ok"] is True
    assert body["database"]["ok"] is True


def test_it_reports_an_unreachable_redis_with_503(client: Client, live_services: None, settings) -> None:
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings.REDIS_URL = dead
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["redis"] == {"ok": False, "detail": body["redis"]["detail"]}
    assert dead in body["redis"]["detail"]
    assert body["kafka"]["ok"] is True


def test_the_database_probe_names_an_unreachable_server() -> None:
    from django.db import connection
    from django.db.backends.postgresql.base import DatabaseWrapper

    from studio.ops.services import probe_database

    port = free_port()
    dead = DatabaseWrapper(
        {
            **connection.settings_dict,
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "riffle",
            "USER": "postgres",
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "OPTIONS": {"connect_timeout": 2},
        },
        alias="dead",
    )
    probe = probe_database(dead)
    assert probe.ok is False
    assert probe.detail.startswith(f"cannot reach the database at postgresql postgres@127.0.0.1:{port}/riffle: ")
    assert "\n" not in probe.detail


def test_it_only_answers_get(client: Client, live_services: None) -> None:
    assert client.post("/healthz").status_code == 405
