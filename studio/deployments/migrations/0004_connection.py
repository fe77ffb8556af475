"""Deployments run against a Connection.

Before this migration every deployment ran against the studio's own broker
(KAFKA_BOOTSTRAP_SERVERS, with any security settings in RIFFLE_STREAMS_CONFIG). When
deployments exist, each workspace holding some gets a connection with exactly those
settings (created, or reused) for all of its deployments, so each keeps running where
it ran; then the column becomes required. Without deployments no connection is
invented: the first one is the user's.
"""

from __future__ import annotations

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# RIFFLE_STREAMS_CONFIG keys that described how to connect, and the Connection fields
# that hold them now.
_CONNECTION_KEYS = {
    "security.protocol": "security_protocol",
    "sasl.mechanism": "sasl_mechanism",
    "sasl.username": "username",
    "sasl.password": "password",
    "ssl.ca.pem": "ssl_ca_pem",
    "ssl.certificate.pem": "ssl_certificate_pem",
    "ssl.key.pem": "ssl_key_pem",
}


def _studio_broker() -> dict[str, Any]:
    fields: dict[str, Any] = {"bootstrap_servers": settings.KAFKA_BOOTSTRAP_SERVERS}
    streams = getattr(settings, "RIFFLE_STREAMS_CONFIG", {}) or {}
    for key, field in _CONNECTION_KEYS.items():
        if streams.get(key):
            fields[field] = str(streams[key])
    return fields


def give_existing_deployments_the_studio_broker(apps: Any, schema_editor: Any) -> None:
    Deployment = apps.get_model("deployments", "Deployment")
    Connection = apps.get_model("connections", "Connection")
    if not Deployment.objects.exists():
        return
    fields = _studio_broker()
    # Connections belong to workspaces: each workspace with deployments gets its own.
    workspaces = Deployment.objects.values_list("topology__workspace_id", flat=True).distinct()
    for workspace_id in workspaces:
        mine = Connection.objects.filter(workspace_id=workspace_id)
        connection = mine.filter(name="default").first()
        if connection is None or connection.bootstrap_servers != fields["bootstrap_servers"]:
            name, n = "default", 1
            while mine.filter(name=name).exists():
                n += 1
                name = f"default-{n}"
            connection = Connection.objects.create(workspace_id=workspace_id, name=name, **fields)
        Deployment.objects.filter(topology__workspace_id=workspace_id).update(connection=connection)
    if schema_editor.connection.vendor == "postgresql":
        # Run the deferred foreign-key checks of the update now: PostgreSQL refuses to
        # ALTER a table with pending trigger events in the same transaction.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):

    dependencies = [
        # Connections and topologies belong to workspaces from here on.
        ("connections", "0003_workspace_required"),
        ("topologies", "0003_workspace_required"),
        ("deployments", "0003_reprocessing"),
    ]

    operations = [
        migrations.AddField(
            model_name="deployment",
            name="connection",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="deployments",
                to="connections.connection",
            ),
        ),
        migrations.RunPython(give_existing_deployments_the_studio_broker, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="deployment",
            name="connection",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="deployments",
                to="connections.connection",
            ),
        ),
    ]
