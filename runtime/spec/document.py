"""The topology document: what the studio saves, versions and deploys.

A document is plain JSON (``format_version`` 1)::

    {"format_version": 1, "name": "word count", "description": "...",
     "settings": {"default_key_serde": "string", "default_value_serde": "string"},
     "nodes": [{"id": "lines", "type": "source.stream", "label": "Text lines",
                "params": {"topics": ["text-lines"]}, "position": {"x": 0, "y": 0}}],
     "edges": [{"id": "e1", "source": "lines", "source_port": "out",
                "target": "split", "target_port": "in"}]}

:func:`load_document` checks the document's shape (the JSON types the dataclasses
need) and raises :class:`SpecError` listing every shape problem; whether the graph
makes sense is :func:`runtime.spec.validate`'s job. ``dump_document(load_document(d))
== d`` for any document written in full, as :func:`dump_document` writes them.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from runtime.spec.errors import SpecError, problems_from_schema
from runtime.spec.migrations import FORMAT_VERSION, migrate

__all__ = [
    "FORMAT_VERSION",
    "Document",
    "Edge",
    "Node",
    "Position",
    "Settings",
    "dump_document",
    "load_document",
]

@dataclass
class Position:
    x: float = 0
    y: float = 0


@dataclass
class Node:
    id: str
    type: str
    label: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    position: Position = field(default_factory=Position)


@dataclass
class Edge:
    id: str
    source: str
    target: str
    source_port: str = "out"
    target_port: str = "in"


@dataclass
class Settings:
    """Topology-wide defaults, used where a node does not say otherwise."""

    default_key_serde: str = "string"
    default_value_serde: str = "string"


@dataclass
class Document:
    name: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)
    description: str = ""
    settings: Settings = field(default_factory=Settings)
    format_version: int = FORMAT_VERSION
    # Free-form editor state (viewport, ...); kept as given, never interpreted.
    metadata: dict[str, Any] | None = None

    def node(self, node_id: str) -> Node | None:
        for n in self.nodes:
            if n.id == node_id:
                return n
        return None


def load_document(data: Any) -> Document:
    """Build a :class:`Document` from its JSON form (already parsed).

    A document of an older ``format_version`` is migrated first
    (:mod:`runtime.spec.migrations`).

    :raises SpecError: the data does not have a document's shape; ``problems``
        lists every shape problem at once. Also when ``format_version`` is not an
        integer, or newer or older than this program can read.
    """
    from runtime.spec.schema import shape_validator  # the schema module imports this one

    if isinstance(data, dict):
        data = migrate(data)  # older formats first; the shape check knows only the current one
    problems = problems_from_schema(shape_validator(), data)
    if problems:
        raise SpecError("the document is not a valid topology document", problems)
    data = copy.deepcopy(data)  # the document must not share mutable parts with the caller
    return Document(
        format_version=data["format_version"],
        name=data["name"],
        description=data.get("description", ""),
        settings=Settings(**data.get("settings", {})),
        nodes=[
            Node(
                id=n["id"],
                type=n["type"],
                label=n.get("label", ""),
                params=n.get("params", {}),
                position=Position(**n.get("position", {})),
            )
            for n in data["nodes"]
        ],
        edges=[Edge(**e) for e in data["edges"]],
        metadata=data.get("metadata"),
    )


def dump_document(doc: Document) -> dict[str, Any]:
    """The JSON form of ``doc``, every field written."""
    out: dict[str, Any] = {
        "format_version": doc.format_version,
        "name": doc.name,
        "description": doc.description,
        "settings": {
            "default_key_serde": doc.settings.default_key_serde,
            "default_value_serde": doc.settings.default_value_serde,
        },
        "nodes": [
            {
                "id": n.id,
                "type": n.type,
                "label": n.label,
                "params": copy.deepcopy(n.params),
                "position": {"x": n.position.x, "y": n.position.y},
            }
            for n in doc.nodes
        ],
        "edges": [
            {
                "id": e.id,
                "source": e.source,
                "source_port": e.source_port,
                "target": e.target,
                "target_port": e.target_port,
            }
            for e in doc.edges
        ],
    }
    if doc.metadata is not None:
        out["metadata"] = copy.deepcopy(doc.metadata)
    return out

