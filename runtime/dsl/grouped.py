"""``KGroupedStream``: a stream grouped by key, ready to aggregate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime import naming
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.internals.graph import GraphNode, OptimizableRepartitionNode, StatefulProcessorNode
from runtime.dsl.internals.materialize import resolve_materialized, timestamped_store_builder
from runtime.dsl.internals.repartition import create_repartition_node
from runtime.dsl.options import Materialized
from runtime.dsl.table import KTable
from runtime.processors.aggregate import (
    KStreamAggregate,
    KStreamReduce,
    count_aggregator,
    count_initializer,
)
from runtime.serdes import Serde, Serdes

__all__ = ["KGroupedStream"]


class KGroupedStream:
    """``count``, ``reduce`` and ``aggregate`` each keep a store and return a KTable.

    ``name=`` names the aggregation node, ``store=`` (a name or a ``Materialized``)
    names its store, whose changelog topic is ``<application.id>-<store>-changelog``.
    """

    def __init__(self, builder: InternalStreamsBuilder, name: str, source_nodes: frozenset[str],
                 key_serde: Serde[Any] | None, value_serde: Serde[Any] | None,
                 repartition_name: str | None, repartition_required: bool,
                 graph_node: GraphNode) -> None:
        self._builder = builder
        self.name = name
        self._source_nodes = source_nodes
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._repartition_name = repartition_name
        self._repartition_required = repartition_required
        self._node = graph_node
        self._repartition_node: OptimizableRepartitionNode | None = None

    def count(self, *, name: str | None = None, store: str | Materialized | None = None) -> KTable:
        """Number of records per key (records with a None key or value are skipped)."""
        materialized, queryable = resolve_materialized(
            self._builder, store, naming.AGGREGATE,
            burn_unnamed=isinstance(store, Materialized))
        value_serde = materialized.value_serde or Serdes.long()
        return self._aggregate(naming.AGGREGATE, name, materialized, queryable, value_serde,
                               lambda store_name: KStreamAggregate(
                                   store_name, count_initializer, count_aggregator))

    def reduce(self, reducer: Callable[[Any, Any], Any], *, name: str | None = None,
               store: str | Materialized | None = None) -> KTable:
        """Combine values per key: ``reducer(aggregate, value)``; the first value starts it."""
        if not callable(reducer):
            raise TypeError("reducer must be callable")
        materialized, queryable = resolve_materialized(self._builder, store, naming.REDUCE)
        value_serde = materialized.value_serde or self.value_serde
        return self._aggregate(naming.REDUCE, name, materialized, queryable, value_serde,
                               lambda store_name: KStreamReduce(store_name, reducer))

    def aggregate(self, initializer: Callable[[], Any],
                  aggregator: Callable[[Any, Any, Any], Any], *, name: str | None = None,
                  store: str | Materialized | None = None,
                  value_serde: Serde[Any] | None = None) -> KTable:
        """Fold values per key: ``aggregator(key, value, aggregate)`` starting from
        ``initializer()``. ``value_serde`` is the serde of the aggregate."""
        if not callable(initializer) or not callable(aggregator):
            raise TypeError("initializer and aggregator must be callable")
        materialized, queryable = resolve_materialized(self._builder, store, naming.AGGREGATE)
        agg_serde = value_serde if value_serde is not None else materialized.value_serde
        return self._aggregate(naming.AGGREGATE, name, materialized, queryable, agg_serde,
                               lambda store_name: KStreamAggregate(store_name, initializer,
                                                                   aggregator))

    def _aggregate(self, prefix: str, name: str | None, materialized: Materialized,
                   queryable: bool, value_serde: Serde[Any] | None,
                   make_supplier: Callable[[str], Any]) -> KTable:
        assert materialized.store_name is not None
        node_name = self._builder.name_or_generate(name, prefix)
        key_serde = materialized.key_serde or self.key_serde
        store_builder = timestamped_store_builder(materialized, key_serde, value_serde)
        supplier = make_supplier(materialized.store_name)
        node = StatefulProcessorNode(node_name, supplier, store_builder=store_builder)
        source_nodes = self._attach(node, materialized.store_name)
        return KTable(self._builder, node_name, key_serde, value_serde, source_nodes,
                      materialized.store_name if queryable else None, supplier, node)

    def windowed_by(self, windows: Any) -> Any:
        """Aggregate per window: :class:`TimeWindows` or :class:`SlidingWindows` give a
        ``TimeWindowedKStream``, :class:`SessionWindows` a ``SessionWindowedKStream``."""
        from runtime.dsl.session_windowed import SessionWindowedKStream
        from runtime.dsl.session_windows import SessionWindows
        from runtime.dsl.sliding_windows import SlidingWindows
        from runtime.dsl.time_windowed import TimeWindowedKStream
        from runtime.dsl.windows import TimeWindows

        if isinstance(windows, (TimeWindows, SlidingWindows)):
            return TimeWindowedKStream(self, windows)
        if isinstance(windows, SessionWindows):
            return SessionWindowedKStream(self, windows)
        raise TypeError(f"windowed_by takes TimeWindows, SlidingWindows or SessionWindows, "
                        f"got {type(windows).__name__}")

    def cogroup(self, aggregator: Callable[[Any, Any, Any], Any]) -> Any:
        """Start a cogrouped aggregation: ``aggregator(key, value, aggregate)`` folds this
        stream's records; add more streams with ``.cogroup(grouped, aggregator)``."""
        from runtime.dsl.cogrouped import CogroupedKStream

        return CogroupedKStream(self, aggregator)

    def _attach(self, node: StatefulProcessorNode, store_name: str) -> frozenset[str]:
        """Add an aggregation node below the grouping, behind a repartition topic when
        the key changed upstream; returns the source nodes the aggregation reads."""
        parent = self._node
        source_nodes = self._source_nodes
        if self._repartition_required:
            prefix_name = self._repartition_name or store_name
            repartition = create_repartition_node(self._builder, self.key_serde, self.value_serde,
                                                  prefix_name)
            # A named grouping shares one repartition topic between its aggregations.
            if self._repartition_node is None or self._repartition_name is None:
                self._repartition_node = repartition
                self._builder.add_graph_node(parent, repartition)
            parent = self._repartition_node
            source_nodes = frozenset({self._repartition_node.source_name})
        self._builder.add_graph_node(parent, node)
        return source_nodes

    def __repr__(self) -> str:
        return f"KGroupedStream({self.name!r})"
