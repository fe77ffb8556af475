"""``CogroupedKStream``: several grouped streams folded into one aggregate per key.

``g1.cogroup(agg1).cogroup(g2, agg2).aggregate(init)`` keeps ONE store: each input has
its own aggregate node (``aggregator(key, value, aggregate)``) writing that store, and a
merge node forwards every update as the resulting KTable (Kafka's
``CogroupedStreamAggregateBuilder``). An input whose key changed upstream is
repartitioned first, through a topic named after its grouping's name or the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runtime import naming
from runtime.dsl.internals.graph import (
    GraphNode,
    OptimizableRepartitionNode,
    ProcessorGraphNode,
    StatefulProcessorNode,
)
from runtime.dsl.internals.materialize import resolve_materialized, timestamped_store_builder
from runtime.dsl.internals.repartition import create_repartition_node
from runtime.dsl.options import Materialized
from runtime.dsl.table import KTable
from runtime.processors.aggregate import KStreamAggregate
from runtime.processors.cogroup import KTablePassThrough
from runtime.serdes import Serde
from runtime.state.internals.builders import StoreBuilder

if TYPE_CHECKING:
    from runtime.dsl.grouped import KGroupedStream

__all__ = ["CogroupedKStream", "WindowedCogroupedKStream"]

Aggregator = Callable[[Any, Any, Any], Any]


def _check_grouped(grouped: Any) -> None:
    from runtime.dsl.grouped import KGroupedStream

    if not isinstance(grouped, KGroupedStream):
        raise TypeError(f"cogroup takes a KGroupedStream, got {grouped!r}")


class CogroupedKStream:
    """Built by ``KGroupedStream.cogroup(aggregator)``; add inputs with :meth:`cogroup`,
    then :meth:`aggregate` (or :meth:`windowed_by` first)."""

    def __init__(self, grouped: KGroupedStream, aggregator: Aggregator) -> None:
        _check_grouped(grouped)
        if not callable(aggregator):
            raise TypeError("aggregator must be callable")
        self._builder = grouped._builder
        # Insertion order decides node numbering; cogrouping a stream twice keeps its
        # place and takes the later aggregator (a Java LinkedHashMap).
        self._inputs: dict[KGroupedStream, Aggregator] = {grouped: aggregator}
        # Where each input's aggregate attaches: repartition nodes are made once per
        # cogrouped stream and shared by its aggregations (Kafka's parentNodes).
        self._parent_nodes: dict[KGroupedStream, GraphNode] = {}

    def cogroup(self, grouped: KGroupedStream, aggregator: Aggregator) -> CogroupedKStream:
        """Add ``grouped``, folded into the same aggregate by ``aggregator``."""
        _check_grouped(grouped)
        if not callable(aggregator):
            raise TypeError("aggregator must be callable")
        if grouped._builder is not self._builder:
            raise ValueError("cogrouped streams must come from the same StreamsBuilder")
        self._inputs[grouped] = aggregator
        return self

    def aggregate(self, initializer: Callable[[], Any], *, name: str | None = None,
                  store: str | Materialized | None = None,
                  value_serde: Serde[Any] | None = None) -> KTable:
        """One aggregate per key over every input, starting from ``initializer()``.
        ``name`` names the nodes ``<name>-cogroup-agg-<i>`` and ``<name>-cogroup-merge``;
        ``store`` names the shared store; ``value_serde`` is the aggregate's serde."""
        if not callable(initializer):
            raise TypeError("initializer must be callable")
        materialized, queryable = resolve_materialized(self._builder, store,
                                                       naming.COGROUP_AGGREGATE)
        assert materialized.store_name is not None
        store_name = materialized.store_name
        key_serde = materialized.key_serde or self._key_serde()
        agg_serde = value_serde if value_serde is not None else materialized.value_serde
        return build_cogroup(
            self, name, store_name,
            timestamped_store_builder(materialized, key_serde, agg_serde),
            lambda aggregator: KStreamAggregate(store_name, initializer, aggregator),
            key_serde, agg_serde, store_name if queryable else None)

    def windowed_by(self, windows: Any) -> WindowedCogroupedKStream:
        """Aggregate per window: :class:`TimeWindows`, :class:`SlidingWindows` or
        :class:`SessionWindows` (whose ``aggregate`` then also takes a merger)."""
        from runtime.dsl.session_windows import SessionWindows
        from runtime.dsl.sliding_windows import SlidingWindows
        from runtime.dsl.windows import TimeWindows

        if not isinstance(windows, (TimeWindows, SlidingWindows, SessionWindows)):
            raise TypeError("windowed_by takes TimeWindows, SlidingWindows or SessionWindows, "
                            f"got {type(windows).__name__}")
        return WindowedCogroupedKStream(self, windows)

    def _key_serde(self) -> Serde[Any] | None:
        return next(iter(self._inputs)).key_serde

    def __repr__(self) -> str:
        return f"CogroupedKStream({[g.name for g in self._inputs]!r})"


class WindowedCogroupedKStream:
    """A cogrouped stream aggregated per window (Kafka's TimeWindowed-, SlidingWindowed-
    and SessionWindowedCogroupedKStream); the result is keyed by ``Windowed``."""

    def __init__(self, cogrouped: CogroupedKStream, windows: Any) -> None:
        self._cogrouped = cogrouped
        self._builder = cogrouped._builder
        self.windows = windows

    def aggregate(self, initializer: Callable[[], Any],
                  merger: Callable[[Any, Any, Any], Any] | None = None, *,
                  name: str | None = None, store: str | Materialized | None = None,
                  value_serde: Serde[Any] | None = None) -> KTable:
        """Per key and window, starting from ``initializer()``. Session windows need
        ``merger(key, agg1, agg2)`` to combine sessions that a record joins together."""
        from runtime.dsl.session_windowed import SessionWindowedKStream
        from runtime.dsl.session_windows import SessionWindows
        from runtime.dsl.sliding_windows import SlidingWindows
        from runtime.dsl.time_windowed import TimeWindowedKStream
        from runtime.processors.session_aggregate import KStreamSessionWindowAggregate
        from runtime.processors.sliding_aggregate import KStreamSlidingWindowAggregate
        from runtime.processors.windowed_aggregate import KStreamWindowAggregate
        from runtime.serdes.windowed import SessionWindowedSerde, TimeWindowedSerde

        if not callable(initializer):
            raise TypeError("initializer must be callable")
        windows = self.windows
        session = isinstance(windows, SessionWindows)
        if session and not callable(merger):
            raise TypeError("session windows need a merger(key, agg1, agg2)")
        if not session and merger is not None:
            raise TypeError("a merger is only used with SessionWindows")
        materialized, queryable = resolve_materialized(self._builder, store,
                                                       naming.COGROUP_AGGREGATE)
        assert materialized.store_name is not None
        store_name = materialized.store_name
        cogrouped = self._cogrouped
        key_serde = materialized.key_serde or cogrouped._key_serde()
        agg_serde = value_serde if value_serde is not None else materialized.value_serde
        first = next(iter(cogrouped._inputs))
        make_supplier: Callable[[Aggregator], Any]
        table_key_serde: Serde[Any] | None
        if session:
            shape = SessionWindowedKStream(first, windows)
            store_builder: StoreBuilder = shape._store_builder(materialized, key_serde, agg_serde)
            table_key_serde = SessionWindowedSerde(key_serde) if key_serde is not None else None

            def make_supplier(aggregator: Aggregator) -> Any:
                return KStreamSessionWindowAggregate(windows, store_name, initializer,
                                                     aggregator, merger)
        else:
            time_shape = TimeWindowedKStream(first, windows)
            store_builder = time_shape._store_builder(materialized, key_serde, agg_serde)
            table_key_serde = (TimeWindowedSerde(key_serde, time_shape._window_size())
                               if key_serde is not None else None)
            factory = (KStreamSlidingWindowAggregate if isinstance(windows, SlidingWindows)
                       else KStreamWindowAggregate)

            def make_supplier(aggregator: Aggregator) -> Any:
                return factory(windows, store_name, initializer, aggregator)
        return build_cogroup(cogrouped, name, store_name, store_builder, make_supplier,
                             table_key_serde, agg_serde, store_name if queryable else None)

    def __repr__(self) -> str:
        return f"WindowedCogroupedKStream({self._cogrouped!r}, {self.windows!r})"


def _suffixed(builder: Any, name: str | None, suffix: str, prefix: str) -> str:
    """``<name><suffix>`` or a generated name; an index is used up either way (Kafka's
    NamedInternal.suffixWithOrElseGet)."""
    generated = builder.new_processor_name(prefix)
    return generated if name is None else naming.validate_name(name + suffix)


def build_cogroup(cogrouped: CogroupedKStream, name: str | None, store_name: str,
                  store_builder: StoreBuilder, make_supplier: Callable[[Aggregator], Any],
                  key_serde: Serde[Any] | None, value_serde: Serde[Any] | None,
                  queryable_name: str | None) -> KTable:
    """Repartitions, one aggregate node per input sharing the store, and the merge."""
    builder = cogrouped._builder
    parents = cogrouped._parent_nodes
    source_nodes: set[str] = set()
    for grouped in cogrouped._inputs:
        if grouped._repartition_required:
            # Each cogrouped stream gets its own repartition topic, even for a grouping
            # another aggregation already repartitioned; the indexes are used up on every
            # aggregate() (Kafka: CogroupedKStreamImplTest).
            prefix = grouped._repartition_name or store_name
            repartition = create_repartition_node(builder, grouped.key_serde,
                                                  grouped.value_serde, prefix)
            if grouped not in parents:
                builder.add_graph_node(grouped._node, repartition)
                parents[grouped] = repartition
            node = parents[grouped]
            assert isinstance(node, OptimizableRepartitionNode)
            source_nodes.add(node.source_name)
        else:
            parents[grouped] = grouped._node
            source_nodes.update(grouped._source_nodes)
    if len(cogrouped._inputs) > 1:
        # Records of all inputs meet in one store: their partitions must line up.
        builder.copartition(frozenset(source_nodes))
    suppliers = []
    nodes: list[GraphNode] = []
    for index, (grouped, aggregator) in enumerate(cogrouped._inputs.items()):
        node_name = _suffixed(builder, name, f"-cogroup-agg-{index}", naming.COGROUP_AGGREGATE)
        supplier = make_supplier(aggregator)
        node = (StatefulProcessorNode(node_name, supplier, store_builder=store_builder)
                if index == 0 else
                StatefulProcessorNode(node_name, supplier, store_names=(store_name,)))
        builder.add_graph_node(parents[grouped], node)
        suppliers.append(supplier)
        nodes.append(node)
    merge_name = _suffixed(builder, name, "-cogroup-merge", naming.COGROUP_MERGE)
    pass_through = KTablePassThrough(suppliers, store_name)
    merge = ProcessorGraphNode(merge_name, pass_through)
    builder.add_graph_node(nodes, merge)
    return KTable(builder, merge_name, key_serde, value_serde, frozenset(source_nodes),
                  queryable_name, pass_through, merge)
