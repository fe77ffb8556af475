"""``KGroupedTable``: a table re-keyed by ``KTable.group_by``, ready to aggregate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime import naming
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.internals.graph import (
    GraphNode,
    GroupedTableRepartitionNode,
    StatefulProcessorNode,
)
from runtime.dsl.internals.materialize import resolve_materialized, timestamped_store_builder
from runtime.dsl.options import Materialized
from runtime.dsl.table import KTable
from runtime.processors.aggregate import count_aggregator, count_initializer
from runtime.processors.table_aggregate import KTableAggregate, KTableReduce, count_subtractor
from runtime.serdes import Serde, Serdes

__all__ = ["KGroupedTable"]


class KGroupedTable:
    """``count``, ``reduce`` and ``aggregate`` of a grouped table, each returning a KTable.

    Every update of the source table moves its value between groups: the old value is
    subtracted from its old group and the new one added to its new group. The records
    travel through the repartition topic ``<group_by name or store name>-repartition``.
    ``name=`` names the aggregation node, ``store=`` (a name or a ``Materialized``) its
    store.
    """

    def __init__(self, builder: InternalStreamsBuilder, name: str, source_nodes: frozenset[str],
                 key_serde: Serde[Any] | None, value_serde: Serde[Any] | None,
                 repartition_name: str | None, select_supplier: Any,
                 graph_node: GraphNode) -> None:
        self._builder = builder
        self.name = name
        self._source_nodes = source_nodes
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._repartition_name = repartition_name
        self._select_supplier = select_supplier
        self._node = graph_node
        self._repartition_node: GroupedTableRepartitionNode | None = None

    def count(self, *, name: str | None = None, store: str | Materialized | None = None) -> KTable:
        """Number of rows per group; a group whose rows are all gone counts 0."""
        materialized, queryable = resolve_materialized(self._builder, store,
                                                       naming.KTABLE_AGGREGATE)
        return self._aggregate(naming.KTABLE_AGGREGATE, name, materialized, queryable,
                               materialized.value_serde or Serdes.long(),
                               lambda store_name: KTableAggregate(
                                   store_name, count_initializer, count_aggregator,
                                   count_subtractor))

    def reduce(self, adder: Callable[[Any, Any], Any], subtractor: Callable[[Any, Any], Any],
               *, name: str | None = None,
               store: str | Materialized | None = None) -> KTable:
        """``adder(aggregate, value)`` for new values, ``subtractor(aggregate, value)``
        for old ones; a group's first value starts its aggregate."""
        if not callable(adder) or not callable(subtractor):
            raise TypeError("adder and subtractor must be callable")
        # Kafka names reduce stores with the aggregate prefix too (KGroupedTableImpl)
        materialized, queryable = resolve_materialized(self._builder, store,
                                                       naming.KTABLE_AGGREGATE)
        return self._aggregate(naming.KTABLE_REDUCE, name, materialized, queryable,
                               materialized.value_serde or self.value_serde,
                               lambda store_name: KTableReduce(store_name, adder, subtractor))

    def aggregate(self, initializer: Callable[[], Any], adder: Callable[[Any, Any, Any], Any],
                  subtractor: Callable[[Any, Any, Any], Any], *, name: str | None = None,
                  store: str | Materialized | None = None,
                  value_serde: Serde[Any] | None = None) -> KTable:
        """Fold per group: ``adder(key, value, aggregate)`` and ``subtractor(key, value,
        aggregate)`` starting from ``initializer()``. ``value_serde`` is the aggregate's."""
        if not callable(initializer) or not callable(adder) or not callable(subtractor):
            raise TypeError("initializer, adder and subtractor must be callable")
        materialized, queryable = resolve_materialized(self._builder, store,
                                                       naming.KTABLE_AGGREGATE)
        agg_serde = value_serde if value_serde is not None else materialized.value_serde
        return self._aggregate(naming.KTABLE_AGGREGATE, name, materialized, queryable, agg_serde,
                               lambda store_name: KTableAggregate(
                                   store_name, initializer, adder, subtractor))

    def _aggregate(self, prefix: str, name: str | None, materialized: Materialized,
                   queryable: bool, value_serde: Serde[Any] | None,
                   make_supplier: Callable[[str], Any]) -> KTable:
        """KGroupedTableImpl#doAggregate: sink, source and aggregation names, in that
        order, then the repartition node (shared only when the grouping was named)."""
        from runtime.serdes.internals.change_serde import ChangeSerde

        store_name = materialized.store_name
        assert store_name is not None
        builder = self._builder
        sink_name = builder.new_processor_name(naming.SINK)
        source_name = builder.new_processor_name(naming.SOURCE)
        if name is not None:
            sink_name = naming.validate_name(name + "-sink")
            source_name = naming.validate_name(name + "-source")
        node_name = builder.name_or_generate(name, prefix)
        if self._repartition_node is None or self._repartition_name is None:
            topic = naming.repartition_topic_name(self._repartition_name or store_name)
            change_serde = ChangeSerde(self.value_serde)
            self._select_supplier.change_serdes.append(change_serde)
            self._repartition_node = GroupedTableRepartitionNode(
                source_name, sink_name, topic, self.key_serde, change_serde)
        repartition = self._repartition_node
        builder.add_graph_node(self._node, repartition)

        key_serde = materialized.key_serde or self.key_serde
        supplier = make_supplier(store_name)
        supplier.change_serde = repartition.change_serde
        node = StatefulProcessorNode(
            node_name, supplier,
            store_builder=timestamped_store_builder(materialized, key_serde, value_serde))
        builder.add_graph_node(repartition, node)
        return KTable(builder, node_name, key_serde, value_serde,
                      frozenset({repartition.source_name}), store_name if queryable else None,
                      supplier, node)

    def __repr__(self) -> str:
        return f"KGroupedTable({self.name!r})"
