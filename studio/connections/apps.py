from __future__ import annotations

from django.apps import AppConfig


class ConnectionsConfig(AppConfig):
    name = "studio.connections"
    label = "connections"
    verbose_name = "Kafka connections"
