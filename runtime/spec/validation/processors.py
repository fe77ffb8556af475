"""Checks of Process nodes: the processor is registered, its stores have unique names."""

from __future__ import annotations

from collections.abc import Iterator

from runtime.spec.catalog import NODE_TYPES
from runtime.spec.errors import Problem
from runtime.spec.graph import Graph
from runtime.spec.udf import UdfError, processor_factory
from runtime.spec.validation.dataflow import store_name

__all__ = ["check_processors"]

PROCESS = "stream.process"


def _named_stores(graph: Graph) -> dict[str, tuple[str, int | None]]:
    """Store name -> (owning node, None), for every node type with a ``store`` param."""
    owners: dict[str, tuple[str, int | None]] = {}
    for node_id, node in graph.nodes.items():
        node_type = NODE_TYPES.get(node.type)
        if node_type is not None and "store" in node_type.params.get("properties", {}):
            owners.setdefault(store_name(node_id, node.params), (node_id, None))
    return owners


def check_processors(graph: Graph) -> Iterator[Problem]:
    owners: dict[str, tuple[str, int | None]] | None = None
    for node_id, node in graph.nodes.items():
        if node.type != PROCESS:
            continue
        name = node.params.get("processor")
        if isinstance(name, str) and name:  # otherwise reported by the schema
            try:
                processor_factory(name)
            except UdfError as exc:
                yield Problem(node_id, "params.processor", "error", str(exc))
        stores = node.params.get("stores")
        if not isinstance(stores, list):
            continue
        if owners is None:
            owners = _named_stores(graph)
        for i, spec in enumerate(stores):
            store = spec.get("name") if isinstance(spec, dict) else None
            if not isinstance(store, str):
                continue
            # Kafka Streams refuses a second store of one name ("StateStore ... is already added").
            other, _ = first = owners.setdefault(store, (node_id, i))
            if first != (node_id, i):
                where = "this node" if other == node_id else repr(other)
                yield Problem(node_id, f"params.stores.{i}.name", "error",
                              f"the state store name {store!r} is also used by {where}; "
                              "store names must be unique")
