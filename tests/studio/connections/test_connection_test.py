"""POST /api/connections/<id>/test/ against the development broker and a dead address."""

from __future__ import annotations

import logging
import time

import pytest
from confluent_kafka.admin import AdminClient
from django.contrib.auth.models import User
from django.test import Client

from studio.connections.models import Connection
from tests.studio.connections.helpers import PASSWORD, send

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


def test_a_failed_sasl_test_shows_no_secret(api: Client, alice: User, kafka_bootstrap: str,
                                            caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # The development broker speaks PLAINTEXT only, so SASL fails, with the password sent.
    connection = Connection.objects.create(
        name="sasl", bootstrap_servers=kafka_bootstrap, security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN", username="riffle", password=PASSWORD,
    )
    response = send(api, "post", f"/api/connections/{connection.pk}/test/")
    assert response.status_code == 200
    assert response.json()["ok"] is False
    assert PASSWORD not in response.content.decode()
    assert PASSWORD not in caplog.text
