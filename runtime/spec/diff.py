"""diff_documents(before, after): what changed between two topology documents.

Nodes are matched by id (ids are stable across edits: the compiler passes them to the
DSL as names, so they also name stores and internal topics). A node whose type, label
or any top-level parameter differs is *changed*, each difference listed with its
before and after values. A node that only moved on the canvas is *moved*, never
changed: its position does not affect the topology.

Edges are matched by their endpoints (source, source port, target, target port), not
by id: editors mint edge ids freely, and an edge drawn again between the same ports is
the same connection.

Pure and deterministic: no I/O, so the studio and the command line can both use it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runtime.spec.document import Document, Edge, Node

__all__ = ["DocumentDiff", "FieldChange", "NodeChange", "NodeMove", "diff_documents"]

_MISSING: Any = None  # a parameter absent on one side is reported as null there


@dataclass(frozen=True)
class FieldChange:
    """One field that differs: ``field`` is ``"type"``, ``"label"``, ``"params.<name>"``,
    or a setting / document field name."""

    field: str
    before: Any
    after: Any

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class NodeChange:
    id: str
    changes: tuple[FieldChange, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "changes": [c.to_dict() for c in self.changes]}


@dataclass(frozen=True)
class NodeMove:
    id: str
    before: tuple[float, float]
    after: tuple[float, float]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id,
                "before": {"x": self.before[0], "y": self.before[1]},
                "after": {"x": self.after[0], "y": self.after[1]}}


@dataclass(frozen=True)
class DocumentDiff:
    added_nodes: tuple[Node, ...] = ()
    removed_nodes: tuple[Node, ...] = ()
    changed_nodes: tuple[NodeChange, ...] = ()
    moved_nodes: tuple[NodeMove, ...] = ()
    added_edges: tuple[Edge, ...] = ()
    removed_edges: tuple[Edge, ...] = ()
    settings: tuple[FieldChange, ...] = ()
    document: tuple[FieldChange, ...] = field(default=())  # name, description

    @property
    def changes_topology(self) -> bool:
        """Whether anything but canvas positions and the name/description differs."""
        return bool(self.added_nodes or self.removed_nodes or self.changed_nodes
                    or self.added_edges or self.removed_edges or self.settings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added_nodes": [_node_dict(n) for n in self.added_nodes],
            "removed_nodes": [_node_dict(n) for n in self.removed_nodes],
            "changed_nodes": [c.to_dict() for c in self.changed_nodes],
            "moved_nodes": [m.to_dict() for m in self.moved_nodes],
            "added_edges": [_edge_dict(e) for e in self.added_edges],
            "removed_edges": [_edge_dict(e) for e in self.removed_edges],
            "settings": [c.to_dict() for c in self.settings],
            "document": [c.to_dict() for c in self.document],
        }


def diff_documents(before: Document, after: Document) -> DocumentDiff:
    """What turns ``before`` into ``after``; every list in document order (``after``'s
    for added and changed nodes, ``before``'s for removed ones)."""
    old = {n.id: n for n in before.nodes}
    new = {n.id: n for n in after.nodes}
    changed: list[NodeChange] = []
    moved: list[NodeMove] = []
    for node in after.nodes:
        prior = old.get(node.id)
        if prior is None:
            continue
        changes = _node_changes(prior, node)
        if changes:
            changed.append(NodeChange(node.id, changes))
        if (prior.position.x, prior.position.y) != (node.position.x, node.position.y):
            moved.append(NodeMove(node.id, (prior.position.x, prior.position.y),
                                  (node.position.x, node.position.y)))
    old_edges = {_edge_key(e) for e in before.edges}
    new_edges = {_edge_key(e) for e in after.edges}
    return DocumentDiff(
        added_nodes=tuple(n for n in after.nodes if n.id not in old),
        removed_nodes=tuple(n for n in before.nodes if n.id not in new),
        changed_nodes=tuple(changed),
        moved_nodes=tuple(moved),
        added_edges=_unique(e for e in after.edges if _edge_key(e) not in old_edges),
        removed_edges=_unique(e for e in before.edges if _edge_key(e) not in new_edges),
        settings=_field_changes(
            before.settings, after.settings, ("default_key_serde", "default_value_serde")),
        document=_field_changes(before, after, ("name", "description")),
    )


def _node_changes(before: Node, after: Node) -> tuple[FieldChange, ...]:
    changes = list(_field_changes(before, after, ("type", "label")))
    # Parameters in a stable order: the old node's first, then those only the new one has.
    names = list(before.params) + [k for k in after.params if k not in before.params]
    for name in names:
        old = before.params.get(name, _MISSING)
        new = after.params.get(name, _MISSING)
        # `in` matters: a parameter set to null and one left out are different documents.
        if old != new or (name in before.params) != (name in after.params):
            changes.append(FieldChange(f"params.{name}", old, new))
    return tuple(changes)


def _field_changes(before: Any, after: Any, names: tuple[str, ...]) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(name, getattr(before, name), getattr(after, name))
                 for name in names if getattr(before, name) != getattr(after, name))


def _edge_key(edge: Edge) -> tuple[str, str, str, str]:
    return (edge.source, edge.source_port, edge.target, edge.target_port)


def _unique(edges: Any) -> tuple[Edge, ...]:
    """One edge per connection (a document may draw the same connection twice)."""
    seen: set[tuple[str, str, str, str]] = set()
    kept: list[Edge] = []
    for edge in edges:
        if _edge_key(edge) not in seen:
            seen.add(_edge_key(edge))
            kept.append(edge)
    return tuple(kept)


def _node_dict(node: Node) -> dict[str, Any]:
    return {"id": node.id, "type": node.type, "label": node.label, "params": dict(node.params)}


def _edge_dict(edge: Edge) -> dict[str, Any]:
    return {"id": edge.id, "source": edge.source, "source_port": edge.source_port,
            "target": edge.target, "target_port": edge.target_port}
