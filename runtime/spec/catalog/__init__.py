"""The node catalog: every node type a topology document may use.

One source of truth: the frontend builds its palette and property forms from
:func:`node_catalog`, validation checks documents against it, and the compiler maps
each type onto the DSL.
"""

from __future__ import annotations

import copy
from typing import Any

from runtime.spec.catalog.branching import BRANCHING
from runtime.spec.catalog.cogroup import COGROUP
from runtime.spec.catalog.grouping import AGGREGATION, GROUPING
from runtime.spec.catalog.joins import JOINS
from runtime.spec.catalog.model import (
    CATEGORIES,
    NAME_PATTERN,
    PORT_KINDS,
    SERDE_NAMES,
    NodeType,
    Port,
)
from runtime.spec.catalog.processors import PROCESSORS
from runtime.spec.catalog.sinks import SINKS
from runtime.spec.catalog.sources import SOURCES
from runtime.spec.catalog.stateless import STATELESS
from runtime.spec.catalog.tables import TABLES
from runtime.spec.catalog.topic_chooser import TOPIC_CHOOSER
from runtime.spec.catalog.windows import SUPPRESSION, WINDOW_REQUIRED, WINDOWS

__all__ = [
    "CATEGORIES",
    "NAME_PATTERN",
    "NODE_TYPES",
    "PORT_KINDS",
    "SERDE_NAMES",
    "WINDOW_REQUIRED",
    "NodeType",
    "Port",
    "node_catalog",
    "node_type",
]

NODE_TYPES: dict[str, NodeType] = {
    t.type: t for t in (*SOURCES, *STATELESS, *GROUPING, *AGGREGATION, *WINDOWS, *JOINS, *PROCESSORS, *SINKS)
}
# Operators added for full DSL coverage (issue 5, H1).
NODE_TYPES.update((t.type, t) for t in (*BRANCHING, *TABLES, *SUPPRESSION))
# Cogroup and the per-record topic sink (issue 5, H4).
NODE_TYPES.update((t.type, t) for t in (*COGROUP, *TOPIC_CHOOSER))


def node_type(name: str) -> NodeType | None:
    return NODE_TYPES.get(name)


def node_catalog() -> list[dict[str, Any]]:
    """One JSON-safe entry per node type, in palette order (by category)."""
    order = {c: i for i, c in enumerate(CATEGORIES)}
    types = sorted(NODE_TYPES.values(), key=lambda t: order[t.category])
    return [copy.deepcopy(t.to_dict()) for t in types]
