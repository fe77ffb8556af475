"""The physical topology and its description."""

from __future__ import annotations

from runtime.topology.description import (
    GlobalStoreDescription,
    NodeDescription,
    SubtopologyDescription,
    TopologyDescription,
)
from runtime.topology.topology import InternalTopicSpec, Topology

__all__ = [
    "GlobalStoreDescription",
    "InternalTopicSpec",
    "NodeDescription",
    "SubtopologyDescription",
    "Topology",
    "TopologyDescription",
]
