"""Connection secrets at rest: ciphertext in the database, key rotation, a wrong key, the
start-up check, and no secret in answers, logs or client output."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection as db
from django.test import Client

from studio.connections import crypto
from studio.connections.checks import secrets_keys
from studio.workspaces.models import Workspace
from studio.connections.models import Connection, UnreadableSecretError
from studio.deployments.models import Deployment
from studio.deployments.runner import streams_config
from studio.topologies.models import TopologyVersion
from tests.studio.connections.helpers import KEY_PEM, PASSWORD, send

ROOT = Path(__file__).resolve().parents[3]
KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))
SASL_SSL = {
    "name": "prod", "bootstrap_servers": "127.0.0.1:1", "security_protocol": "SASL_SSL",
    "sasl_mechanism": "SCRAM-SHA-512", "username": "svc", "password": PASSWORD,
    "ssl_certificate_pem": "-----BEGIN CERTIFICATE-----\nCERT\n-----END CERTIFICATE-----\n",
    "ssl_key_pem": KEY_PEM,
}


def raw_secrets(pk: int) -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute("SELECT password, ssl_key_pem FROM connections_connection WHERE id = %s", [pk])
        return cursor.fetchone()


def create(api: Client, body: dict[str, Any] = SASL_SSL) -> int:
    # alice (the `api` client) is admin of the only workspace there is.
    workspace = Workspace.objects.get()
    response = send(api, "post", "/api/connections/", {"workspace": workspace.pk, **body})
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def test_the_database_holds_ciphertext_and_the_api_never_the_secrets(api: Client) -> None:
    pk = create(api)
    password, key = raw_secrets(pk)
    assert PASSWORD not in password and "TOP-SECRET-KEY-MATERIAL" not in key
    assert password.startswith("gAAAAA") and key.startswith("gAAAAA")   # Fernet tokens
    # The development key (no RIFFLE_SECRETS_KEYS) is derived from SECRET_KEY.
    fernet = Fernet(crypto.derived_key(django_settings.SECRET_KEY))
    assert fernet.decrypt(password.encode()).decode() == PASSWORD
    assert fernet.decrypt(key.encode()).decode() == KEY_PEM
    assert Connection.objects.get(pk=pk).client_config()["sasl.password"] == PASSWORD
    for path in ("/api/connections/", f"/api/connections/{pk}/"):
        text = api.get(path).content.decode()
        assert PASSWORD not in text and "TOP-SECRET-KEY-MATERIAL" not in text and password not in text


def test_rotation_re_encrypts_with_the_first_key_and_old_keys_still_decrypt(api: Client, settings: Any) -> None:
    settings.RIFFLE_SECRETS_KEYS = [KEY_A]
    pk = create(api)
    before = raw_secrets(pk)
    settings.RIFFLE_SECRETS_KEYS = [KEY_B, KEY_A]        # a new key first, the old one kept
    assert Connection.objects.get(pk=pk).secret("password") == PASSWORD
    out = StringIO()
    call_command("rotate_secrets", stdout=out)
    assert out.getvalue() == "Re-encrypted 2 secret(s) with the first key of RIFFLE_SECRETS_KEYS.\n"
    after = raw_secrets(pk)
    assert after != before
    assert [Fernet(KEY_B).decrypt(t.encode()).decode() for t in after] == [PASSWORD, KEY_PEM]
    settings.RIFFLE_SECRETS_KEYS = [KEY_B]               # the old key dropped
    assert Connection.objects.get(pk=pk).client_config()["ssl.key.pem"] == KEY_PEM
    settings.RIFFLE_SECRETS_KEYS = [KEY_A]               # it no longer opens anything
    with pytest.raises(UnreadableSecretError):
        Connection.objects.get(pk=pk).client_config()


def test_rotation_names_what_no_key_decrypts_and_rotates_the_rest(api: Client, settings: Any) -> None:
    settings.RIFFLE_SECRETS_KEYS = [KEY_A]
    lost = create(api, {**SASL_SSL, "name": "lost"})
    settings.RIFFLE_SECRETS_KEYS = [KEY_B]
    kept = create(api, {**SASL_SSL, "name": "kept"})
    settings.RIFFLE_SECRETS_KEYS = [KEY_C, KEY_B]
    with pytest.raises(CommandError) as raised:
        call_command("rotate_secrets", stdout=StringIO())
    assert str(raised.value) == (
        "No key in RIFFLE_SECRETS_KEYS decrypts the SASL password of connection 'lost', the client key of "
        "connection 'lost': add the key that encrypted them, or enter them again."
    )
    assert Fernet(KEY_C).decrypt(raw_secrets(kept)[0].encode()).decode() == PASSWORD
    assert Fernet(KEY_A).decrypt(raw_secrets(lost)[0].encode()).decode() == PASSWORD   # left as it was


def test_a_wrong_key_is_a_clear_error_where_the_secret_is_needed_and_nowhere_else(
    api: Client, settings: Any, wordcount_v1: TopologyVersion, alice: User, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    settings.RIFFLE_SECRETS_KEYS = [KEY_A]
    pk = create(api)
    connection = Connection.objects.get(pk=pk)
    deployment = Deployment.create_running(wordcount_v1, connection=connection, actor=alice)
    settings.RIFFLE_SECRETS_KEYS = [KEY_B]
    message = ("The SASL password of connection 'prod' cannot be decrypted with the keys in RIFFLE_SECRETS_KEYS "
               "(the key that encrypted it is not among them). Add that key back, or enter the SASL password again.")
    # What does not need the secret works.
    assert api.get("/api/connections/").status_code == 200
    detail = api.get(f"/api/connections/{pk}/")
    assert detail.status_code == 200 and detail.json()["password_set"] is True
    assert api.get("/api/deployments/").status_code == 200
    assert api.get(f"/api/deployments/{deployment.pk}/").json()["connection_name"] == "prod"
    # What needs it says why it cannot.
    tested = send(api, "post", f"/api/connections/{pk}/test/")
    assert tested.status_code == 200
    assert tested.json() == {"ok": False, "brokers": None, "cluster_id": None, "error": message}
    topics = api.get(f"/api/connections/{pk}/topics/")
    assert (topics.status_code, topics.json()["message"]) == (409, message)
    lag = api.get(f"/api/deployments/{deployment.pk}/lag/")
    assert (lag.status_code, lag.json()["message"]) == (409, f"Cannot read the lag: {message}")
    with pytest.raises(UnreadableSecretError, match="connection 'prod'"):
        streams_config(Deployment.objects.get(pk=deployment.pk))
    # Entering the secret again repairs the connection without the old key.
    assert send(api, "patch", f"/api/connections/{pk}/", {"password": "new-one", "ssl_key_pem": KEY_PEM}).status_code == 200
    assert Connection.objects.get(pk=pk).client_config()["sasl.password"] == "new-one"
    assert PASSWORD not in caplog.text


def test_a_failing_connection_test_shows_no_secret_in_answers_logs_or_client_output(
    api: Client, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    pk = create(api, {**SASL_SSL, "security_protocol": "SASL_PLAINTEXT", "ssl_certificate_pem": "", "ssl_key_pem": ""})
    response = send(api, "post", f"/api/connections/{pk}/test/")
    assert response.json()["ok"] is False and "127.0.0.1:1" in response.json()["error"]
    captured = capfd.readouterr()
    for text in (response.content.decode(), caplog.text, captured.out, captured.err):
        assert PASSWORD not in text


# -- the start-up check ----------------------------------------------------------------


def test_the_check_refuses_missing_keys_outside_development_and_malformed_keys(settings: Any) -> None:
    settings.RIFFLE_SECRETS_KEYS = []
    settings.RIFFLE_SECRETS_DERIVED_KEY = True
    assert secrets_keys() == []
    settings.RIFFLE_SECRETS_DERIVED_KEY = False
    [error] = secrets_keys()
    assert error.id == "connections.E001"
    assert error.msg.startswith("RIFFLE_SECRETS_KEYS is not set: connection secrets")
    with pytest.raises(crypto.SecretsKeyError, match="RIFFLE_SECRETS_KEYS is not set"):
        crypto.encrypt("anything")
    settings.RIFFLE_SECRETS_KEYS = [KEY_A, "not-a-key"]
    [error] = secrets_keys()
    assert error.msg.startswith("key 2 of 2 in RIFFLE_SECRETS_KEYS is not a Fernet key")
    assert "not-a-key" not in error.msg
    settings.RIFFLE_SECRETS_KEYS = [KEY_A, KEY_B]
    assert secrets_keys() == []


@pytest.mark.slow
def test_production_refuses_to_start_without_keys(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "RIFFLE_SECRETS_KEYS"}
    env.update(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="x" * 50, DJANGO_ALLOWED_HOSTS="localhost",
               DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    # migrate: the step docker-compose runs before any other studio service starts.
    command = [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"]
    refused = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert refused.returncode != 0
    assert "connections.E001" in refused.stderr and "RIFFLE_SECRETS_KEYS is not set" in refused.stderr
    env["RIFFLE_SECRETS_KEYS"] = f"{KEY_A},{KEY_B}"
    accepted = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert accepted.returncode == 0, accepted.stderr
