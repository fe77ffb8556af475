"""Deployments run against a Connection: the deploy request, the replica's config, the
Celery message, and a replica on a reachable and on an unreachable cluster."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from django.test import Client

from studio.connections.models import Connection
from studio.deployments import reconciler
from studio.deployments.models import AuditEvent, Deployment, Replica
from studio.deployments.runner import ReplicaRunner, streams_config
from studio.topologies.models import Topology, TopologyVersion
from studio.workspaces.models import Workspace

PASSWORD = "dep-s3cret-never-shown"  # noqa: S105 - a test value


def deploy(client: Client, body: Any) -> Any:
    return client.post("/api/deployments/", data=json.dumps(body), content_type="application/json")


def sasl_connection(team: Workspace, name: str, servers: str) -> Connection:
    return Connection.objects.create(workspace=team, 
        name=name, bootstrap_servers=servers, security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN", username="app", password=PASSWORD,
    )


# -- the deploy request ----------------------------------------------------------------


def test_a_deployment_runs_on_the_connection_it_names(
    team: Workspace,
    api: Client, wordcount_v1: TopologyVersion, offline_connection: Connection
) -> None:
    other = Connection.objects.create(workspace=team, name="other", bootstrap_servers="10.0.0.1:9092")
    response = deploy(api, {"version": wordcount_v1.pk, "connection": other.pk})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["connection"], body["connection_name"]) == (other.pk, "other")
    assert Deployment.objects.get(pk=body["id"]).connection == other
    assert AuditEvent.objects.get(verb="deployment.create").data["connection"] == other.pk
    # Listed and shown with it too.
    assert api.get(f"/api/deployments/{body['id']}/").json()["connection_name"] == "other"
    assert api.get("/api/deployments/").json()["results"][0]["connection"] == other.pk


def test_the_only_connection_is_the_default(
    api: Client, wordcount_v1: TopologyVersion, offline_connection: Connection
) -> None:
    response = deploy(api, {"version": wordcount_v1.pk})
    assert response.status_code == 201, response.json()
    assert response.json()["connection"] == offline_connection.pk


def test_with_several_connections_one_must_be_named(
    team: Workspace,
    api: Client, wordcount_v1: TopologyVersion, offline_connection: Connection
) -> None:
    Connection.objects.create(workspace=team, name="other", bootstrap_servers="10.0.0.1:9092")
    response = deploy(api, {"version": wordcount_v1.pk})
    assert response.status_code == 400
    assert response.json()["problems"] == [{
        "node_id": None, "path": "connection", "severity": "error",
        "message": "Choose the Kafka connection to run on (its id): the workspace has more than one.",
    }]
    assert Deployment.objects.count() == 0


def test_without_any_connection_the_deploy_says_to_create_one(api: Client, wordcount_v1: TopologyVersion) -> None:
    response = deploy(api, {"version": wordcount_v1.pk})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == (
        "connection: Workspace 'team' has no Kafka connection to run on: an admin creates one first (POST /api/connections/)."
    )


def test_an_unknown_connection_is_refused(
    api: Client, wordcount_v1: TopologyVersion, offline_connection: Connection
) -> None:
    response = deploy(api, {"version": wordcount_v1.pk, "connection": 4242})
    assert response.status_code == 400
    assert response.json()["message"] == "connection: Workspace 'team' has no connection 4242."
    assert Deployment.objects.count() == 0


# -- the replica's config and the Celery message ---------------------------------------


def test_the_replica_config_is_the_connection_s_and_masks_the_secret(
    team: Workspace,
    wordcount_v1: TopologyVersion, alice: Any, settings: Any
) -> None:
    connection = sasl_connection(team, "secure", "kafka-a:9092,kafka-b:9092")
    deployment = Deployment.create_running(wordcount_v1, connection=connection, actor=alice)
    # The operator's extra settings tune the app but cannot move it to another cluster.
    settings.RIFFLE_STREAMS_CONFIG = {"bootstrap.servers": "elsewhere:9092", "num.stream.threads": 2}
    settings.KAFKA_BOOTSTRAP_SERVERS = "studio-broker:9092"
    config = streams_config(Deployment.objects.get(pk=deployment.pk))
    assert config["bootstrap.servers"] == "kafka-a:9092,kafka-b:9092"
    assert (config["security.protocol"], config["sasl.mechanism"], config["sasl.username"]) == (
        "SASL_PLAINTEXT", "PLAIN", "app"
    )
    assert config["sasl.password"] == PASSWORD
    assert config["num.stream.threads"] == 2
    assert PASSWORD not in repr(config) and PASSWORD not in str(config)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_the_replica_task_gets_ids_only_never_the_connection_s_settings(
    team: Workspace,
    wordcount_v1: TopologyVersion, alice: Any, studio_redis: redis.Redis, celery_queues: Any,
    key_prefix: str,
) -> None:
    connection = sasl_connection(team, "secure", "kafka-a:9092")
    deployment = Deployment.create_running(wordcount_v1, connection=connection, actor=alice)
    reconciler.reconcile_deployment(deployment.pk)
    replica = Replica.objects.get(deployment=deployment)
    assert celery_queues.tasks("replicas") == [("studio.deployments.tasks.run_replica", [replica.pk])]
    raw = studio_redis.lrange(f"{key_prefix}:celery:replicas", 0, -1)
    assert raw and not any(PASSWORD in message or "kafka-a" in message for message in raw)


# -- replicas on a real cluster --------------------------------------------------------


def _topology_on(team: Workspace, document: dict[str, Any], source: str, sink: str, name: str) -> TopologyVersion:
    document = json.loads(json.dumps(document))
    for node in document["nodes"]:
        if node["type"].startswith("source."):
            node["params"]["topics"] = [source]
        elif node["type"].startswith("sink."):
            node["params"]["topic"] = sink
    return Topology.objects.create(workspace=team, name=name).add_version(document)


@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.django_db(transaction=True)
def test_a_replica_on_an_unreachable_cluster_fails_with_the_reason_not_a_hang(
    team: Workspace,
    studio_redis: redis.Redis, celery_queues: Any, alice: Any, settings: Any, kafka_bootstrap: str,
    wordcount_document: dict[str, Any], unique_name: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    from studio.lib.devservices import free_port

    # The studio's own broker answers; the deployment's connection does not.
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    servers = f"127.0.0.1:{free_port()}"
    connection = sasl_connection(team, "closed", servers)
    version = _topology_on(team, wordcount_document, unique_name("lines"), unique_name("counts"), unique_name("wc"))
    deployment = Deployment.create_running(version, connection=connection, actor=alice,
                                           application_id=unique_name("wc"))
    replica = Replica.objects.create(deployment=deployment, index=0)
    started = time.monotonic()
    assert ReplicaRunner(replica.pk, poll_interval=0.2).run() == "failed"
    assert time.monotonic() - started < 60
    deployment.refresh_from_db()
    replica.refresh_from_db()
    assert (deployment.observed_state, replica.state) == ("failed", "failed")
    assert f"cannot reach Kafka at {servers}" in deployment.last_error
    assert PASSWORD not in deployment.last_error
    assert PASSWORD not in caplog.text


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_replica_whose_connection_secret_no_key_decrypts_fails_naming_the_connection(
    team: Workspace,
    studio_redis: redis.Redis, celery_queues: Any, alice: Any, settings: Any, wordcount_v1: TopologyVersion,
) -> None:
    from cryptography.fernet import Fernet

    settings.RIFFLE_SECRETS_KEYS = [Fernet.generate_key().decode()]
    connection = sasl_connection(team, "secure", "127.0.0.1:1")
    deployment = Deployment.create_running(wordcount_v1, connection=connection, actor=alice)
    replica = Replica.objects.create(deployment=deployment, index=0)
    settings.RIFFLE_SECRETS_KEYS = [Fernet.generate_key().decode()]   # the encrypting key is gone
    assert ReplicaRunner(replica.pk, poll_interval=0.2).run() == "failed"
    deployment.refresh_from_db()
    assert deployment.observed_state == "failed"
    assert deployment.last_error.startswith(
        "cannot start: The SASL password of connection 'secure' cannot be decrypted with the keys in RIFFLE_SECRETS_KEYS"
    )


def test_the_admin_shows_a_deployment_s_connection_but_does_not_change_it(
    deployment: Deployment, client: Client
) -> None:
    from django.contrib.auth.models import User

    client.force_login(User.objects.create_superuser("root", password="root-password-1"))
    page = client.get(f"/admin/deployments/deployment/{deployment.pk}/change/").content.decode()
    assert 'name="connection"' not in page and "offline" in page
    assert 'name="connection"' in client.get("/admin/deployments/deployment/add/").content.decode()
