from __future__ import annotations

from django.apps import AppConfig


class TopologiesConfig(AppConfig):
    name = "studio.topologies"
    label = "topologies"
    verbose_name = "Topologies"
