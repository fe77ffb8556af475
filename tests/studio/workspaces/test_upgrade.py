"""Upgrading a studio that predates workspaces: its topologies and connections join a
"Default" workspace whose members are the users of the time, as admins."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("topologies", "0001_initial"), ("connections", "0001_initial"), ("workspaces", "0001_initial")]


@pytest.mark.django_db(transaction=True)
def test_old_objects_join_the_default_workspace() -> None:
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    # Deployments reference topologies; wind them back too so the old schema is whole.
    executor.migrate(BEFORE + [("deployments", "0002_generation")])
    try:
        old = MigrationExecutor(connection).loader.project_state(
            BEFORE + [("deployments", "0002_generation")]
        ).apps
        users = old.get_model("auth", "User")
        ann = users.objects.create(username="ann")
        users.objects.create(username="gone", is_active=False)
        old.get_model("topologies", "Topology").objects.create(name="legacy")
        old.get_model("connections", "Connection").objects.create(name="prod", bootstrap_servers="k:9092")

        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)

        new = MigrationExecutor(connection).loader.project_state(latest).apps
        workspace = new.get_model("workspaces", "Workspace").objects.get()
        assert (workspace.name, workspace.slug) == ("Default", "default")
        assert new.get_model("topologies", "Topology").objects.get().workspace_id == workspace.pk
        assert new.get_model("connections", "Connection").objects.get().workspace_id == workspace.pk
        members = new.get_model("workspaces", "Membership").objects.all()
        assert [(m.user_id, m.role) for m in members] == [(ann.pk, "admin")]
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_an_empty_studio_gets_no_default_workspace() -> None:
    from studio.workspaces.models import Workspace

    assert not Workspace.objects.exists()
