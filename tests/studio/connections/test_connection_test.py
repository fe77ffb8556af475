"""POST /api/connections/<id>/test/ against the development broker and a dead address."""

from __future__ import annotations

import logging
import pprint
import time

import pytest
from confluent_kafka.admin import AdminClient
from django.contrib.auth.models import User
from django.test import Client

from studio.connections.models import Connection
from studio.workspaces.models import Workspace
from tests.studio.connections.helpers import KEY_PEM, PASSWORD, send

pytestmark = pytest.mark.kafka


def test_a_reachable_cluster_answers_ok(api: Client, connection: Connection, kafka_bootstrap: str) -> None:
    response = send(api, "post", f"/api/connections/{connection.pk}/test/")
    assert response.status_code == 200
    # Checked against what a client of our own sees.
    metadata = AdminClient({"bootstrap.servers": kafka_bootstrap}).list_topics(timeout=10)
    assert response.json() == {"ok": True, "brokers": len(metadata.brokers),
                               "cluster_id": metadata.cluster_id, "error": None}
    assert response.json()["brokers"] >= 1


def test_an_unreachable_address_answers_not_ok_quickly(api: Client, unreachable: Connection) -> None:
    started = time.monotonic()
    response = send(api, "post", f"/api/connections/{unreachable.pk}/test/")
    assert time.monotonic() - started < 15
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False and body["brokers"] is None
    assert body["error"].startswith("Cannot reach Kafka at 127.0.0.1:1 (describe the cluster): ")


def test_a_failed_sasl_test_shows_no_secret(team: Workspace, api: Client, alice: User, kafka_bootstrap: str,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # The development broker speaks PLAINTEXT only, so SASL fails, with the password sent.
    connection = Connection.objects.create(workspace=team, 
        name="sasl", bootstrap_servers=kafka_bootstrap, security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN", username="riffle", password=PASSWORD,
    )
    response = send(api, "post", f"/api/connections/{connection.pk}/test/")
    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert PASSWORD not in response.content.decode()
    assert PASSWORD not in caplog.text


def test_settings_the_client_refuses_answer_not_ok_without_secrets(team: Workspace, api: Client, alice: User,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # PEM markers around text that is not base64: the client cannot load it.
    connection = Connection.objects.create(workspace=team, 
        name="tls", bootstrap_servers="127.0.0.1:1", security_protocol="SSL",
        ssl_certificate_pem="-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
        ssl_key_pem=KEY_PEM,
    )
    response = send(api, "post", f"/api/connections/{connection.pk}/test/")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is False
    assert body["error"].startswith("The Kafka client refuses this connection's settings: ")
    assert "ssl.certificate.pem" in body["error"]
    assert "TOP-SECRET-KEY-MATERIAL" not in response.content.decode()
    assert "TOP-SECRET-KEY-MATERIAL" not in caplog.text


def test_the_client_config_repr_masks_the_secrets(db: None) -> None:
    connection = Connection(name="x", bootstrap_servers="a:1", security_protocol="SASL_SSL",
                            sasl_mechanism="PLAIN", username="u", password=PASSWORD,
                            ssl_certificate_pem="-----BEGIN CERTIFICATE-----\n", ssl_key_pem=KEY_PEM)
    config = connection.client_config()
    # Django's debug error page and tracebacks with locals print values with pprint.
    shown = pprint.pformat({"config": config}) + str(config)
    assert PASSWORD not in shown and "TOP-SECRET-KEY-MATERIAL" not in shown
    assert "'sasl.password': '***'" in shown and "'sasl.username': 'u'" in shown
    assert config["sasl.password"] == PASSWORD  # the client itself gets the value
