"""``KTable``: a changelog stream, each record an update of its key's latest value."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runtime import naming
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.internals.graph import GraphNode, ProcessorGraphNode
from runtime.processors.table import KTableFilter, KTableMapValues, KTableToStream
from runtime.processors.table_join import JoinKind
from runtime.serdes import Serde

if TYPE_CHECKING:
    from runtime.dsl.grouped_table import KGroupedTable

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

    # -- grouping ----------------------------------------------------------------------
    def group_by(self, selector: Callable[[Any, Any], Any], *,
                 key_serde: Serde[Any] | None = None, value_serde: Serde[Any] | None = None,
                 name: str | None = None) -> KGroupedTable:
        """Re-key the table by ``selector(key, value)``, which returns a ``(new_key,
        new_value)`` tuple, to aggregate it; always repartitions. Pairs with a None key
        or value are left out. ``name`` names the select node and the repartition topic
        (``<name>-repartition``); serdes left out are the configured defaults."""
        from runtime.dsl.grouped_table import KGroupedTable
        from runtime.processors.table_repartition import KTableRepartitionMap

        if not callable(selector):
            raise TypeError("selector must be callable")
        node_name = self._builder.name_or_generate(name, naming.KTABLE_SELECT)
        supplier = KTableRepartitionMap(selector)
        node = ProcessorGraphNode(node_name, supplier)
        node.key_changing = True
        self._builder.add_graph_node(self._node, node)
        # the aggregation subtracts old values, so this table must send them
        self._supplier.enable_send_old_values()
        return KGroupedTable(self._builder, node_name, self._source_nodes, key_serde,
                             value_serde, name, supplier, node)

    # -- table-table joins -----------------------------------------------------------------
    def join(self, other: KTable, joiner: Callable[..., Any],
             fk_joiner: Callable[[Any, Any], Any] | None = None, *,
             name: str | None = None, store: Any = None) -> KTable:
        """Inner join on the key: ``joiner(value, other_value)`` while both tables have
        the key; a result that disappears is a tombstone. The result's timestamp is the
        larger of the two rows'. ``store`` (a name or a ``Materialized``) keeps the
        result in a queryable store.

        With three arguments, ``join(other, foreign_key_extractor, joiner)`` is a
        foreign-key join: ``foreign_key_extractor(value)`` is the key in ``other``."""
        if fk_joiner is not None:
            return self._foreign_key_join(other, joiner, fk_joiner, False, name, store)
        return self._join(other, joiner, "inner", name, store)

    def left_join(self, other: KTable, joiner: Callable[..., Any],
                  fk_joiner: Callable[[Any, Any], Any] | None = None, *,
                  name: str | None = None, store: Any = None) -> KTable:
        """As :meth:`join`, and every row of this table without a match gives
        ``joiner(value, None)``. Three arguments make it a foreign-key left join."""
        if fk_joiner is not None:
            return self._foreign_key_join(other, joiner, fk_joiner, True, name, store)
        return self._join(other, joiner, "left", name, store)

    def outer_join(self, other: KTable, joiner: Callable[[Any, Any], Any], *,
                   name: str | None = None, store: Any = None) -> KTable:
        """As :meth:`left_join`, and rows of ``other`` without a match give
        ``joiner(None, other_value)``."""
        return self._join(other, joiner, "outer", name, store)

    def _foreign_key_join(self, other: KTable, extractor: Callable[[Any], Any],
                          joiner: Callable[[Any, Any], Any], left: bool, name: str | None,
                          store: Any) -> KTable:
        from runtime.dsl.internals.fk_join import foreign_key_join

        if not callable(extractor) or not callable(joiner):
            raise TypeError("foreign_key_extractor and joiner must be callable")
        return foreign_key_join(self, other, extractor, joiner, left=left, name=name,
                                store=store)

    def _join(self, other: KTable, joiner: Callable[[Any, Any], Any], kind: JoinKind,
              name: str | None, store: Any) -> KTable:
        """KTableImpl#doJoin: store name first (if materialized), then the merge,
        join-this and join-other names; left and outer joins make this table (and the
        outer join the other one too) send old values."""
        from runtime.dsl.internals.graph import KTableKTableJoinNode
        from runtime.dsl.internals.materialize import (
            resolve_materialized,
            timestamped_store_builder,
        )
        from runtime.processors.table_join import (
            KTableKTableJoin,
            KTableKTableJoinMerger,
            reverse_joiner,
        )

        if not isinstance(other, KTable) or other._builder is not self._builder:
            raise TypeError(f"a table-table join needs a KTable of the same StreamsBuilder, "
                            f"got {other!r}")
        if not callable(joiner):
            raise TypeError("joiner must be callable")
        materialized = None
        if store is not None:
            materialized, queryable = resolve_materialized(self._builder, store,
                                                           naming.KTABLE_MERGE)
        builder = self._builder
        merge_name = builder.name_or_generate(name, naming.KTABLE_MERGE)
        sources = self._source_nodes | other._source_nodes
        builder.copartition(sources)
        if kind in ("left", "outer"):
            self._supplier.enable_send_old_values()
        if kind == "outer":
            other._supplier.enable_send_old_values()
        # the other side of a left join keeps rows of this table: a "right" join there
        other_kind: JoinKind = "right" if kind == "left" else kind
        this_side = KTableKTableJoin(self._supplier, other._supplier, joiner, kind)
        other_side = KTableKTableJoin(other._supplier, self._supplier, reverse_joiner(joiner),
                                      other_kind)
        this_name = builder.name_or_generate(
            None if name is None else name + "-join-this", naming.KTABLE_JOINTHIS)
        other_name = builder.name_or_generate(
            None if name is None else name + "-join-other", naming.KTABLE_JOINOTHER)
        key_serde, value_serde = self.key_serde, None
        store_builder = None
        queryable_name = None
        if materialized is not None:
            key_serde = materialized.key_serde or self.key_serde
            value_serde = materialized.value_serde
            store_builder = timestamped_store_builder(materialized, key_serde, value_serde)
            queryable_name = materialized.store_name if queryable else None
        merger = KTableKTableJoinMerger(
            this_side, other_side, None if materialized is None else materialized.store_name)
        node = KTableKTableJoinNode(
            merge_name, this_name, other_name, self.name, other.name, this_side, other_side,
            merger, this_side.this_getter.store_names, this_side.other_getter.store_names,
            store_builder)
        builder.add_graph_node([self._node, other._node], node)
        return KTable(builder, merge_name, key_serde, value_serde, sources, queryable_name,
                      merger, node)

    # -- for joins ---------------------------------------------------------------------
    def value_getter(self) -> Any:
        """How to look up this table's current value by key (materializes a source table)."""
        return self._supplier.view()

    @property
    def source_nodes(self) -> frozenset[str]:
        return self._source_nodes

    def __repr__(self) -> str:
        return f"KTable({self.name!r})"

    def suppress(self, suppressed: Any, *, name: str | None = None) -> KTable:
        """Hold back updates: ``Suppressed.until_window_closes(...)`` (final window
        results) or ``Suppressed.until_time_limit(...)``; ``name`` as ``with_name``."""
        from runtime.dsl.suppressed import suppress_table

        return suppress_table(self, suppressed, name)
