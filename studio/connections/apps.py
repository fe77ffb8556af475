from __future__ import annotations

from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "studio.connections"
    label = "connections"
    verbose_name = "Kafka connections"

    def ready(self) -> None:
        from studio.connections import checks  # noqa: F401 - registers the system checks
