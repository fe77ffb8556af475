"""``KTable``: a changelog stream, each record an update of its key's latest value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime import naming
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.internals.graph import GraphNode, ProcessorGraphNode
from runtime.processors.table import KTableFilter, KTableMapValues, KTableToStream
from runtime.serdes import Serde

__all__ = ["KTable"]


class KTable:
    def __init__(self, builder: InternalStreamsBuilder, name: str,
                 key_serde: Serde[Any] | None, value_serde: Serde[Any] | None,
                 source_nodes: frozenset[str], queryable_store_name: str | None,
                 supplier: Any, graph_node: GraphNode) -> None:
        self._builder = builder
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._source_nodes = source_nodes
        self.queryable_store_name = queryable_store_name
        self._supplier = supplier
        self._node = graph_node

    def _add(self, prefix: str, name: str | None, supplier: Any,
             value_serde: Serde[Any] | None) -> KTable:
        node_name = self._builder.name_or_generate(name, prefix)
        node = ProcessorGraphNode(node_name, supplier)
        self._builder.add_graph_node(self._node, node)
        return KTable(self._builder, node_name, self.key_serde, value_serde, self._source_nodes,
                      None, supplier, node)

    def filter(self, predicate: Callable[[Any, Any], Any], *, name: str | None = None) -> KTable:
        """Keep rows where ``predicate(key, value)`` holds; others become tombstones."""
        if not callable(predicate):
            raise TypeError("predicate must be callable")
        return self._add(naming.KTABLE_FILTER, name, KTableFilter(self._supplier, predicate),
                         self.value_serde)

    def filter_not(self, predicate: Callable[[Any, Any], Any], *,
                   name: str | None = None) -> KTable:
        if not callable(predicate):
            raise TypeError("predicate must be callable")
        return self._add(naming.KTABLE_FILTER, name,
                         KTableFilter(self._supplier, predicate, filter_not=True), self.value_serde)

    def map_values(self, mapper: Callable[[Any], Any], *, name: str | None = None,
                   with_key: bool = False) -> KTable:
        """``mapper(value)`` (or ``mapper(key, value)``) for every non-None value."""
        if not callable(mapper):
            raise TypeError("mapper must be callable")
        return self._add(naming.KTABLE_MAPVALUES, name,
                         KTableMapValues(self._supplier, mapper, with_key), None)

    def to_stream(self, *, name: str | None = None) -> Any:
        """The table's update stream: one record per update, None values as tombstones."""
        from runtime.dsl.stream import KStream

        node_name = self._builder.name_or_generate(name, naming.KTABLE_TOSTREAM)
        node = ProcessorGraphNode(node_name, KTableToStream())
        self._builder.add_graph_node(self._node, node)
        return KStream(self._builder, node_name, self.key_serde, self.value_serde,
                       self._source_nodes, False, node)

    # -- for joins ---------------------------------------------------------------------
    def value_getter(self) -> Any:
        """How to look up this table's current value by key (materializes a source table)."""
        return self._supplier.view()

    @property
    def source_nodes(self) -> frozenset[str]:
        return self._source_nodes

    def __repr__(self) -> str:
        return f"KTable({self.name!r})"
