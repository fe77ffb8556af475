"""Create the demo user, the example topologies and a connection to the studio's own
broker; safe to run any number of times."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from studio.connections.models import Connection
from studio.topologies import examples
from studio.workspaces.models import Membership, Role, Workspace

DEFAULT_PASSWORD = "riffle-demo"


class Command(BaseCommand):
    help = "Create the demo user and load the example topologies if missing (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--url", default=os.environ.get("RIFFLE_URL", "http://127.0.0.1:8000/"),
                            help="the address to print for the studio")

    def handle(self, *args: Any, **options: Any) -> None:
        user, password = self._demo_user()
        workspace = self._demo_workspace(user)
        self._local_connection(user, workspace)
        for name in examples.example_names():
            topology, version = examples.ensure_example(name, workspace, created_by=user)
            if version is None:
                continue
            self.stdout.write(f"Loaded example topology {topology.name!r}")
            for p in version.problems:
                if p["severity"] == "error":
                    self.stdout.write(self.style.WARNING(
                        f"  cannot be deployed yet: {p['node_id'] or 'document'}: {p['message']}"
                    ))
        self.stdout.write(self.style.SUCCESS(f"Riffle studio: {options['url']}"))
        self.stdout.write(f"  user: demo   password: {password}")

    def _demo_workspace(self, user: Any) -> Workspace:
        workspace, _ = Workspace.objects.get_or_create(slug="demo", defaults={"name": "Demo"})
        # The demo user owns the demo: made admin again if someone demoted them.
        Membership.objects.update_or_create(workspace=workspace, user=user,
                                            defaults={"role": Role.ADMIN})
        return workspace

    def _local_connection(self, user: Any, workspace: Workspace) -> None:
        # Deployments run against a connection: give a fresh studio one, to the broker
        # it was started with (KAFKA_BOOTSTRAP_SERVERS). Never once the workspace has any.
        if Connection.objects.filter(workspace=workspace).exists():
            return
        connection = Connection.objects.create(
            workspace=workspace, name="local", bootstrap_servers=settings.KAFKA_BOOTSTRAP_SERVERS, created_by=user,
        )
        self.stdout.write(f"Created connection {connection.name!r} to {connection.bootstrap_servers}")

    def _demo_user(self) -> tuple[Any, str]:
        users = get_user_model()
        configured = os.environ.get("RIFFLE_DEMO_PASSWORD")
        user = users.objects.filter(username="demo").first()
        if user is None:
            # A well-known password is for development only: with DEBUG off (a real
            # deployment) the demo user gets a random one, printed this once.
            password = configured or (DEFAULT_PASSWORD if settings.DEBUG else secrets.token_urlsafe(12))
            user = users.objects.create_user("demo", password=password)
            return user, password
        if configured and not user.check_password(configured):
            # The environment is the source of truth when it names a password.
            user.set_password(configured)
            user.save(update_fields=["password"])
        if configured:
            return user, configured
        return user, DEFAULT_PASSWORD if user.check_password(DEFAULT_PASSWORD) else "(set earlier; not shown)"
