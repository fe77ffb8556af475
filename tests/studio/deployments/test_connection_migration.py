"""deployments 0004: deployments made before connections keep running where they ran."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor

from studio.topologies.models import TopologyVersion

pytestmark = [pytest.mark.django_db(transaction=True)]

BEFORE = [("deployments", "0002_generation"), ("connections", "0001_initial")]
AFTER = [("deployments", "0004_connection")]


@pytest.fixture
def executor() -> Iterator[MigrationExecutor]:
    executor = MigrationExecutor(db)
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    try:
        yield executor
    finally:
        executor = MigrationExecutor(db)
        executor.migrate(executor.loader.graph.leaf_nodes())


def migrate_forward(executor: MigrationExecutor) -> Any:
    executor.loader.build_graph()
    executor.migrate(AFTER)
    return executor.loader.project_state(AFTER).apps


def old_deployment(executor: MigrationExecutor, version: TopologyVersion, application_id: str) -> None:
    apps = executor.loader.project_state(BEFORE).apps
    apps.get_model("deployments", "Deployment").objects.create(
        topology_id=version.topology_id, version_id=version.pk, application_id=application_id,
    )


def test_existing_deployments_get_a_connection_to_the_studio_s_broker(
    executor: MigrationExecutor, wordcount_v1: TopologyVersion, settings: Any
) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = "old-broker:9092"
    settings.RIFFLE_STREAMS_CONFIG = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "PLAIN",
                                      "sasl.username": "app", "num.stream.threads": 2}
    old_deployment(executor, wordcount_v1, "wc-1")
    old_deployment(executor, wordcount_v1, "wc-2")
    apps = migrate_forward(executor)
    connection = apps.get_model("connections", "Connection").objects.get()
    assert (connection.name, connection.bootstrap_servers, connection.security_protocol,
            connection.sasl_mechanism, connection.username) == (
        "default", "old-broker:9092", "SASL_PLAINTEXT", "PLAIN", "app"
    )
    deployments = apps.get_model("deployments", "Deployment").objects.all()
    assert sorted(d.connection_id for d in deployments) == [connection.pk, connection.pk]


def test_a_taken_name_gets_a_suffix_and_no_deployments_no_connection(
    executor: MigrationExecutor, wordcount_v1: TopologyVersion, settings: Any
) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = "old-broker:9092"
    apps = migrate_forward(executor)
    assert not apps.get_model("connections", "Connection").objects.exists()

    executor.loader.build_graph()
    executor.migrate(BEFORE)
    executor.loader.build_graph()
    apps = executor.loader.project_state(BEFORE).apps
    apps.get_model("connections", "Connection").objects.create(name="default", bootstrap_servers="mine:9092")
    old_deployment(executor, wordcount_v1, "wc-1")
    apps = migrate_forward(executor)
    made = apps.get_model("connections", "Connection").objects.get(bootstrap_servers="old-broker:9092")
    assert made.name == "default-2"
    assert apps.get_model("deployments", "Deployment").objects.get().connection_id == made.pk
