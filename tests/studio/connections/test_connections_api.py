"""Connections CRUD: write-only secrets, validation messages, 404s, authentication."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from studio.connections.models import Connection
from studio.workspaces.models import Workspace
from tests.studio.connections.helpers import KEY_PEM, PASSWORD, send

CERT_PEM = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n"
CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n"

SASL_SSL = {
    "name": "prod", "bootstrap_servers": "kafka-1:9093, kafka-2:9093",
    "security_protocol": "SASL_SSL", "sasl_mechanism": "SCRAM-SHA-512", "username": "riffle",
    "password": PASSWORD, "ssl_ca_pem": CA_PEM, "ssl_certificate_pem": CERT_PEM, "ssl_key_pem": KEY_PEM,
}


def post_json(client: Client, path: str, body: object = None) -> Any:
    return send(client, "post", path, body)


def test_create_returns_the_connection_without_its_secrets(api: Client, team: Workspace, alice: User,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    response = post_json(api, "/api/connections/", {"workspace": team.pk} | SASL_SSL)
    assert response.status_code == 201, response.content
    assert PASSWORD not in response.content.decode()
    assert "TOP-SECRET-KEY-MATERIAL" not in response.content.decode()
    body = response.json()
    assert body["password_set"] is True and body["ssl_key_set"] is True
    assert "password" not in body and "ssl_key_pem" not in body
    assert body["bootstrap_servers"] == "kafka-1:9093,kafka-2:9093"
    assert body["created_by"] == "alice"
    stored = Connection.objects.get(pk=body["id"])
    assert stored.secret("password") == PASSWORD and stored.secret("ssl_key_pem") == KEY_PEM
    # Reading it back hides the secrets too.
    for path in (f"/api/connections/{body['id']}/", "/api/connections/"):
        text = api.get(path).content.decode()
        assert PASSWORD not in text and "TOP-SECRET-KEY-MATERIAL" not in text
    assert PASSWORD not in caplog.text and "TOP-SECRET-KEY-MATERIAL" not in caplog.text


def test_client_config_has_every_setting_for_sasl_ssl(db: None) -> None:
    connection = Connection(**{k: v for k, v in SASL_SSL.items()})
    assert connection.client_config() == {
        "bootstrap.servers": "kafka-1:9093, kafka-2:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "riffle",
        "sasl.password": PASSWORD,
        "ssl.ca.pem": CA_PEM,
        "ssl.certificate.pem": CERT_PEM,
        "ssl.key.pem": KEY_PEM,
    }
    assert PASSWORD not in repr(connection) and PASSWORD not in str(connection)


def test_client_config_of_plaintext_leaves_sasl_and_tls_out(db: None) -> None:
    connection = Connection(name="x", bootstrap_servers="a:1", security_protocol="PLAINTEXT",
                            username="left", password="over")  # noqa: S106 - a test value
    assert connection.client_config() == {"bootstrap.servers": "a:1", "security.protocol": "PLAINTEXT"}


@pytest.mark.parametrize(("body", "path", "message"), [
    ({"name": "x", "bootstrap_servers": "no-port"}, "bootstrap_servers", "'no-port' is not host:port."),
    ({"name": "x", "bootstrap_servers": "a:99999"}, "bootstrap_servers", "'a:99999' is not host:port."),
    ({"name": "x", "bootstrap_servers": "a:1", "security_protocol": "TLS"}, "security_protocol", '"TLS" is not a valid choice.'),
    ({"name": "x", "bootstrap_servers": "a:1", "security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "PLAIN",
      "username": "u"}, "password", "SASL_PLAINTEXT needs a password."),
    ({"name": "x", "bootstrap_servers": "a:1", "security_protocol": "SASL_SSL", "username": "u", "password": "p"},
     "sasl_mechanism", "SASL_SSL needs a SASL mechanism."),
    ({"name": "x", "bootstrap_servers": "a:1", "ssl_ca_pem": "not pem"}, "ssl_ca_pem",
     "The CA certificate must be PEM text (-----BEGIN ...)."),
    ({"name": "x", "bootstrap_servers": "a:1", "security_protocol": "SSL", "ssl_certificate_pem": CERT_PEM},
     "ssl_key_pem", "A client certificate and its key go together: give both or neither."),
    ({"bootstrap_servers": "a:1"}, "name", "This field is required."),
])
def test_create_refuses_bad_input(api: Client, team: Workspace, body: dict[str, object], path: str, message: str) -> None:
    response = post_json(api, "/api/connections/", {"workspace": team.pk} | body)
    assert response.status_code == 400
    assert {"path": path, "message": message} in [
        {"path": p["path"], "message": p["message"]} for p in response.json()["problems"]
    ]
    assert Connection.objects.count() == 0


def test_create_refuses_a_taken_name(api: Client, team: Workspace, connection: Connection) -> None:
    response = post_json(api, "/api/connections/", {"workspace": team.pk} | {"name": "dev", "bootstrap_servers": "a:1"})
    assert response.status_code == 400
    assert response.json()["message"] == "name: Workspace 'team' has a connection named 'dev' already."


def test_errors_never_echo_a_secret(api: Client, team: Workspace) -> None:
    body = {**SASL_SSL, "ssl_key_pem": "not pem " + PASSWORD, "bootstrap_servers": "bad"}
    response = post_json(api, "/api/connections/", {"workspace": team.pk} | body)
    assert response.status_code == 400
    assert PASSWORD not in response.content.decode()


def test_list_is_paginated(team: Workspace, api: Client, alice: User) -> None:
    for i in range(3):
        Connection.objects.create(workspace=team, name=f"c{i}", bootstrap_servers="a:1")
    body = api.get("/api/connections/?page_size=2").json()
    assert body["count"] == 3
    assert [c["name"] for c in body["results"]] == ["c0", "c1"]
    assert body["next"] is not None


def test_patch_keeps_secrets_left_out_and_clears_an_empty_one(api: Client, team: Workspace) -> None:
    created = post_json(api, "/api/connections/", {"workspace": team.pk} | SASL_SSL).json()
    path = f"/api/connections/{created['id']}/"
    response = send(api, "patch", path, {"username": "other", "ssl_certificate_pem": "", "ssl_key_pem": ""})
    assert response.status_code == 200, response.content
    stored = Connection.objects.get(pk=created["id"])
    assert (stored.username, stored.secret("password"), stored.secret("ssl_key_pem")) == ("other", PASSWORD, "")
    assert response.json()["password_set"] is True and response.json()["ssl_key_set"] is False


def test_patch_checks_the_connection_as_it_will_be_saved(api: Client, team: Workspace) -> None:
    created = post_json(api, "/api/connections/", {"workspace": team.pk} | {**SASL_SSL, "ssl_certificate_pem": "", "ssl_key_pem": ""}).json()
    response = send(api, "patch", f"/api/connections/{created['id']}/", {"password": ""})
    assert response.status_code == 400
    assert response.json()["message"] == "password: SASL_SSL needs a password."
    assert Connection.objects.get(pk=created["id"]).secret("password") == PASSWORD


def test_put_replaces_settings_and_keeps_the_password(api: Client, team: Workspace) -> None:
    created = post_json(api, "/api/connections/", {"workspace": team.pk} | SASL_SSL).json()
    body = {"name": "renamed", "bootstrap_servers": "k:1", "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "PLAIN", "username": "u"}
    response = send(api, "put", f"/api/connections/{created['id']}/", body)
    assert response.status_code == 200, response.content
    stored = Connection.objects.get(pk=created["id"])
    assert (stored.name, stored.security_protocol, stored.secret("password")) == ("renamed", "SASL_PLAINTEXT", PASSWORD)
    assert stored.client_config()["sasl.password"] == PASSWORD


def test_delete(api: Client, connection: Connection) -> None:
    assert api.delete(f"/api/connections/{connection.pk}/").status_code == 204
    assert not Connection.objects.filter(pk=connection.pk).exists()
    assert api.delete(f"/api/connections/{connection.pk}/").status_code == 404


@pytest.mark.parametrize("suffix", ["", "test/", "topics/", "topics/t/records/"])
def test_unknown_connection_is_404(api: Client, suffix: str) -> None:
    response = api.get(f"/api/connections/999/{suffix}") if suffix != "test/" else post_json(api, "/api/connections/999/test/")
    assert response.status_code == 404
    assert response.json()["message"] == "There is no connection 999."


@pytest.mark.parametrize("path", [
    "/api/connections/", "/api/connections/1/", "/api/connections/1/test/",
    "/api/connections/1/topics/", "/api/connections/1/topics/t/records/",
])
def test_anonymous_is_refused(anonymous: Client, connection: Connection, path: str) -> None:
    assert anonymous.get(path).status_code == 401
    assert anonymous.post(path, data="{}", content_type="application/json").status_code == 401


def test_session_writes_need_the_csrf_token(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = post_json(client, "/api/connections/", {"name": "x", "bootstrap_servers": "a:1"})
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]
