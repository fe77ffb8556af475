"""connections 0004: secrets stored before encryption are encrypted in place (and back)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection as db
from django.db.migrations.executor import MigrationExecutor

from studio.connections.models import Connection
from studio.workspaces.models import Workspace
from tests.studio.connections.helpers import KEY_PEM, PASSWORD

pytestmark = [pytest.mark.django_db(transaction=True)]

BEFORE = [("connections", "0003_workspace_required")]
AFTER = [("connections", "0004_encrypted_secrets")]


def raw(pk: int) -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute("SELECT password, ssl_key_pem FROM connections_connection WHERE id = %s", [pk])
        return cursor.fetchone()


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


def migrate(executor: MigrationExecutor, targets: list[tuple[str, str]]) -> None:
    executor.loader.build_graph()
    executor.migrate(targets)


def test_plaintext_secrets_are_encrypted_in_place_and_decrypted_back(
    executor: MigrationExecutor, team: Workspace,
) -> None:
    old = executor.loader.project_state(BEFORE).apps.get_model("connections", "Connection")
    pk = old.objects.create(workspace_id=team.pk, name="prod", bootstrap_servers="k:9092", security_protocol="SASL_SSL",
                            sasl_mechanism="PLAIN", username="u", password=PASSWORD,
                            ssl_certificate_pem="-----BEGIN CERTIFICATE-----", ssl_key_pem=KEY_PEM).pk
    old.objects.create(workspace_id=team.pk, name="open", bootstrap_servers="k:9092")
    migrate(executor, AFTER)
    password, key = raw(pk)
    assert password.startswith("gAAAAA") and PASSWORD not in password
    assert key.startswith("gAAAAA") and "TOP-SECRET-KEY-MATERIAL" not in key
    after = executor.loader.project_state(AFTER).apps.get_model("connections", "Connection")
    assert raw(after.objects.get(name="open").pk) == ("", "")
    # Today's model (with the columns of later migrations) decrypts them.
    migrate(executor, executor.loader.graph.leaf_nodes())
    stored = Connection.objects.get(pk=pk)
    assert (stored.secret("password"), stored.secret("ssl_key_pem")) == (PASSWORD, KEY_PEM)
    migrate(executor, BEFORE)
    assert raw(pk) == (PASSWORD, KEY_PEM)
