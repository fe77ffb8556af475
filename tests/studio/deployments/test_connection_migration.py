"""deployments 0004: deployments made before connections keep running where they ran (on a
connection of their topology's workspace)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor

from studio.topologies.models import Topology, TopologyVersion
from studio.workspaces.models import Workspace

pytestmark = [pytest.mark.django_db(transaction=True)]

BEFORE = [("deployments", "0002_generation"), ("connections", "0003_workspace_required"),
          ("topologies", "0003_workspace_required")]
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
    workspace_id = wordcount_v1.topology.workspace_id
    apps.get_model("connections", "Connection").objects.create(
        workspace_id=workspace_id, name="default", bootstrap_servers="mine:9092")
    old_deployment(executor, wordcount_v1, "wc-1")
    apps = migrate_forward(executor)
    made = apps.get_model("connections", "Connection").objects.get(bootstrap_servers="old-broker:9092")
    assert (made.name, made.workspace_id) == ("default-2", workspace_id)
    assert apps.get_model("deployments", "Deployment").objects.get().connection_id == made.pk


def test_each_workspace_with_deployments_gets_its_own_connection(
    executor: MigrationExecutor, wordcount_v1: TopologyVersion, wordcount_document: dict[str, Any],
    settings: Any,
) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = "old-broker:9092"
    elsewhere = Workspace.objects.create(name="elsewhere", slug="elsewhere")
    theirs = Topology.objects.create(workspace=elsewhere, name="wc").add_version(wordcount_document)
    old_deployment(executor, wordcount_v1, "wc-1")
    old_deployment(executor, theirs, "wc-2")
    apps = migrate_forward(executor)
    deployments = {d.application_id: d for d in apps.get_model("deployments", "Deployment").objects.all()}
    connections = apps.get_model("connections", "Connection").objects
    assert connections.get(pk=deployments["wc-1"].connection_id).workspace_id == wordcount_v1.topology.workspace_id
    assert connections.get(pk=deployments["wc-2"].connection_id).workspace_id == elsewhere.pk
    assert connections.count() == 2
