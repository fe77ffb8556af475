"""``KStream``: a record stream, every record an independent event."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from runtime import naming
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.internals.graph import (
    GraphNode,
    ProcessorGraphNode,
    StatefulProcessorNode,
    StreamSinkNode,
)
from runtime.processors.filter import KStreamFilter
from runtime.processors.flat_map import KStreamFlatMap, KStreamFlatMapValues
from runtime.processors.map import KStreamMap, KStreamSelectKey
from runtime.processors.map_values import KStreamMapValues
from runtime.processors.peek import KStreamForeach, KStreamPeek, PassThrough
from runtime.serdes import Serde

if TYPE_CHECKING:
    from runtime.dsl.branched import BranchedKStream
    from runtime.dsl.grouped import KGroupedStream
    from runtime.dsl.join_windows import JoinWindows
    from runtime.dsl.table import KTable

__all__ = ["KStream"]


def _is_global_table(other: Any) -> bool:
    from runtime.dsl.global_table import GlobalKTable

    return isinstance(other, GlobalKTable)


def _check_callable(fn: Any, what: str) -> None:
    if not callable(fn):
        raise TypeError(f"{what} must be callable, got {fn!r}")


class KStream:
    """Operators return new streams; nothing runs until the topology is built and run.

    Callables receive ``(key, value)``, except ``map_values`` and ``flat_map_values``
    which receive ``(value)``. Every operator takes ``name=`` to name its node.
    """

    def __init__(self, builder: InternalStreamsBuilder, name: str,
                 key_serde: Serde[Any] | None, value_serde: Serde[Any] | None,
                 source_nodes: frozenset[str], repartition_required: bool,
                 graph_node: GraphNode) -> None:
        self._builder = builder
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._source_nodes = source_nodes
        self._repartition_required = repartition_required
        self._node = graph_node
        self._join_repartition: Any = None

    def _add(self, prefix: str, name: str | None, supplier: Callable[[], Any], *,
             key_serde: Serde[Any] | None, value_serde: Serde[Any] | None,
             repartition_required: bool, key_changing: bool = False,
             value_changing: bool = False) -> KStream:
        node_name = self._builder.name_or_generate(name, prefix)
        node = ProcessorGraphNode(node_name, supplier)
        node.key_changing = key_changing
        node.value_changing = value_changing
        self._builder.add_graph_node(self._node, node)
        return KStream(self._builder, node_name, key_serde, value_serde, self._source_nodes,
                       repartition_required, node)

    # -- stateless --------------------------------------------------------------------
    def filter(self, predicate: Callable[[Any, Any], Any], *, name: str | None = None) -> KStream:
        """Keep the records for which ``predicate(key, value)`` is true."""
        _check_callable(predicate, "predicate")
        return self._add(naming.FILTER, name, KStreamFilter(predicate),
                         key_serde=self.key_serde, value_serde=self.value_serde,
                         repartition_required=self._repartition_required)

    def filter_not(self, predicate: Callable[[Any, Any], Any], *,
                   name: str | None = None) -> KStream:
        """Drop the records for which ``predicate(key, value)`` is true."""
        _check_callable(predicate, "predicate")
        return self._add(naming.FILTER, name, KStreamFilter(predicate, filter_not=True),
                         key_serde=self.key_serde, value_serde=self.value_serde,
                         repartition_required=self._repartition_required)

    def select_key(self, selector: Callable[[Any, Any], Any], *,
                   name: str | None = None) -> KStream:
        """Re-key each record with ``selector(key, value)``; grouping after it repartitions."""
        _check_callable(selector, "selector")
        return self._add(naming.KEY_SELECT, name, KStreamSelectKey(selector), key_serde=None,
                         value_serde=self.value_serde, repartition_required=True,
                         key_changing=True)

    def map(self, mapper: Callable[[Any, Any], Any], *, name: str | None = None) -> KStream:
        """``mapper(key, value)`` returns the new ``(key, value)`` tuple."""
        _check_callable(mapper, "mapper")
        return self._add(naming.MAP, name, KStreamMap(mapper), key_serde=None, value_serde=None,
                         repartition_required=True, key_changing=True)

    def map_values(self, mapper: Callable[[Any], Any], *, name: str | None = None,
                   with_key: bool = False) -> KStream:
        """``mapper(value)`` (or ``mapper(key, value)`` with ``with_key=True``) is the new value."""
        _check_callable(mapper, "mapper")
        return self._add(naming.MAPVALUES, name, KStreamMapValues(mapper, with_key),
                         key_serde=self.key_serde, value_serde=None,
                         repartition_required=self._repartition_required, value_changing=True)

    def flat_map(self, mapper: Callable[[Any, Any], Iterable[tuple[Any, Any]]], *,
                 name: str | None = None) -> KStream:
        """``mapper(key, value)`` returns an iterable of ``(key, value)`` tuples."""
        _check_callable(mapper, "mapper")
        return self._add(naming.FLATMAP, name, KStreamFlatMap(mapper), key_serde=None,
                         value_serde=None, repartition_required=True, key_changing=True)

    def flat_map_values(self, mapper: Callable[[Any], Iterable[Any]], *, name: str | None = None,
                        with_key: bool = False) -> KStream:
        """``mapper(value)`` returns an iterable of new values, each keeping the key."""
        _check_callable(mapper, "mapper")
        return self._add(naming.FLATMAPVALUES, name, KStreamFlatMapValues(mapper, with_key),
                         key_serde=self.key_serde, value_serde=None,
                         repartition_required=self._repartition_required, value_changing=True)

    def peek(self, action: Callable[[Any, Any], Any], *, name: str | None = None) -> KStream:
        """Call ``action(key, value)`` for each record and pass it on unchanged."""
        _check_callable(action, "action")
        return self._add(naming.PEEK, name, KStreamPeek(action), key_serde=self.key_serde,
                         value_serde=self.value_serde,
                         repartition_required=self._repartition_required)

    def foreach(self, action: Callable[[Any, Any], Any], *, name: str | None = None) -> None:
        """Call ``action(key, value)`` for each record; a terminal operation."""
        _check_callable(action, "action")
        self._add(naming.FOREACH, name, KStreamForeach(action), key_serde=None,
                  value_serde=None, repartition_required=False)

    @property
    def source_nodes(self) -> frozenset[str]:
        return self._source_nodes

    def split(self, *, name: str | None = None) -> BranchedKStream:
        """Branch the stream: ``split().branch(pred, name=...)....default_branch()``."""
        from runtime.dsl.branched import BranchedKStream

        return BranchedKStream(self, self._builder, name, self._repartition_required, self._node)

    def merge(self, other: KStream, *, name: str | None = None) -> KStream:
        """One stream with the records of both (in processing order, no ordering guarantee)."""
        if not isinstance(other, KStream) or other._builder is not self._builder:
            raise TypeError("merge() needs a KStream of the same StreamsBuilder")
        node_name = self._builder.name_or_generate(name, naming.MERGE)
        node = ProcessorGraphNode(node_name, PassThrough())
        node.merge_node = True
        self._builder.add_graph_node([self._node, other._node], node)
        return KStream(self._builder, node_name, None, None,
                       self._source_nodes | other._source_nodes,
                       self._repartition_required or other._repartition_required, node)

    # -- Processor API ------------------------------------------------------------------
    def process(self, factory: Callable[[], Any], *store_names: str,
                name: str | None = None) -> KStream:
        """Run a custom :class:`runtime.processor.Processor` made by ``factory()``,
        with access to the named state stores. Its output may have a new key."""
        _check_callable(factory, "factory")
        node_name = self._builder.new_processor_name(naming.PROCESSOR) if name is None \
            else naming.validate_name(name)
        node = StatefulProcessorNode(node_name, factory, store_names=tuple(store_names))
        node.key_changing = True
        self._builder.add_graph_node(self._node, node)
        return KStream(self._builder, node_name, None, None, self._source_nodes, True, node)

    # -- sinks ----------------------------------------------------------------------------
    def to(self, topic: str | Callable[..., str], *, key_serde: Serde[Any] | None = None,
           value_serde: Serde[Any] | None = None, name: str | None = None,
           partitioner: Callable[..., int | None] | None = None) -> None:
        """Write to ``topic``, or to the topic ``topic(key, value, record_context)``
        names per record (Kafka's TopicNameExtractor; the context has ``topic``,
        ``partition``, ``offset`` of the input and ``timestamp``, ``headers`` of the
        outgoing record)."""
        if not (isinstance(topic, str) and topic) and not callable(topic):
            raise TypeError(f"topic must be a topic name or a callable, got {topic!r}")
        node_name = self._builder.name_or_generate(name, naming.SINK)
        node = StreamSinkNode(node_name, topic,
                              key_serde if key_serde is not None else self.key_serde,
                              value_serde if value_serde is not None else self.value_serde,
                              partitioner)
        self._builder.add_graph_node(self._node, node)

    def repartition(self, *, key_serde: Serde[Any] | None = None,
                    value_serde: Serde[Any] | None = None, num_partitions: int | None = None,
                    name: str | None = None) -> KStream:
        """Write through a repartition topic (``<app>-<name>-repartition``), e.g. to change
        the partition count or to shuffle by a new key before several operations."""
        from runtime.dsl.internals.repartition import create_repartition_node

        if num_partitions is not None and (not isinstance(num_partitions, int)
                                           or num_partitions < 1):
            raise ValueError(f"num_partitions must be a positive integer, got {num_partitions!r}")
        prefix = self._builder.new_processor_name(naming.REPARTITION) if name is None \
            else naming.validate_name(name)
        ks = key_serde if key_serde is not None else self.key_serde
        vs = value_serde if value_serde is not None else self.value_serde
        node = create_repartition_node(self._builder, ks, vs, prefix, num_partitions)
        node.optimizable = False   # a topic the user asked for is never merged away
        self._builder.add_graph_node(self._node, node)
        return KStream(self._builder, node.source_name, ks, vs, frozenset({node.source_name}),
                       False, node)

    def to_table(self, *, name: str | None = None, store: Any = None,
                 key_serde: Serde[Any] | None = None,
                 value_serde: Serde[Any] | None = None) -> KTable:
        """The stream read as a table: each record is the latest value of its key (None
        deletes). Repartitions first if the key was changed."""
        from runtime.dsl.internals.graph import StreamToTableNode
        from runtime.dsl.internals.materialize import (
            resolve_materialized,
            timestamped_store_builder,
        )
        from runtime.dsl.internals.repartition import create_repartition_node
        from runtime.dsl.table import KTable
        from runtime.processors.table import KTableSource

        node_name = self._builder.name_or_generate(name, naming.TO_KTABLE)
        materialized, queryable = resolve_materialized(self._builder, store, naming.TO_KTABLE)
        ks = materialized.key_serde or key_serde or self.key_serde
        vs = materialized.value_serde or value_serde or self.value_serde
        parent = self._node
        sources = self._source_nodes
        if self._repartition_required:
            repartition = create_repartition_node(self._builder, ks, vs, node_name)
            self._builder.add_graph_node(parent, repartition)
            parent, sources = repartition, frozenset({repartition.source_name})
        assert materialized.store_name is not None
        supplier = KTableSource(materialized.store_name,
                                materialized.store_name if queryable else None)
        node = StreamToTableNode(node_name, supplier,
                                 lambda: timestamped_store_builder(materialized, ks, vs))
        self._builder.add_graph_node(parent, node)
        return KTable(self._builder, node_name, ks, vs, sources, supplier.queryable_name,
                      supplier, node)

    # -- joins ---------------------------------------------------------------------------
    def join(self, other: KStream | KTable, joiner: Callable[[Any, Any], Any],
             windows: JoinWindows | None = None, *, name: str | None = None,
             key_serde: Serde[Any] | None = None, value_serde: Serde[Any] | None = None,
             other_value_serde: Serde[Any] | None = None,
             store_name: str | None = None) -> KStream:
        """Inner join, ``joiner(value, other_value)`` per match.

        With a KStream and :class:`JoinWindows`: a windowed stream-stream join; records
        of the same key whose timestamps lie within the window join, and the result has
        the larger of the two timestamps. ``store_name`` names the join stores (Kafka's
        ``StreamJoined.withStoreName``). With a KTable: each record whose key is in the
        table joins its current value; the output keeps the stream record's key and
        timestamp. With a GlobalKTable: ``join(global_table, key_selector, joiner)``
        looks up ``key_selector(key, value)`` instead of the key (no repartition).
        """
        if isinstance(other, KStream):
            return self._join_stream(other, joiner, windows, False, False, name, store_name,
                                     key_serde, value_serde, other_value_serde)
        if _is_global_table(other):
            # join(global_table, key_selector, joiner): the selector comes second
            return other.join_stream(self, joiner, windows, False, name, key_serde)
        self._no_windows_for_table(windows)
        return self._join_table(other, joiner, False, name, key_serde, value_serde)

    def left_join(self, other: KStream | KTable, joiner: Callable[[Any, Any], Any],
                  windows: JoinWindows | None = None, *, name: str | None = None,
                  key_serde: Serde[Any] | None = None, value_serde: Serde[Any] | None = None,
                  other_value_serde: Serde[Any] | None = None,
                  store_name: str | None = None) -> KStream:
        """Left join: as :meth:`join`, and every record of this stream without a match
        also gives ``joiner(value, None)``. For a stream-stream join that result is
        emitted only once the record's window has closed (stream time past its
        timestamp + after + grace), with the record's own timestamp."""
        if isinstance(other, KStream):
            return self._join_stream(other, joiner, windows, True, False, name, store_name,
                                     key_serde, value_serde, other_value_serde)
        if _is_global_table(other):
            return other.join_stream(self, joiner, windows, True, name, key_serde)
        self._no_windows_for_table(windows)
        return self._join_table(other, joiner, True, name, key_serde, value_serde)

    def outer_join(self, other: KStream, joiner: Callable[[Any, Any], Any],
                   windows: JoinWindows, *, name: str | None = None,
                   key_serde: Serde[Any] | None = None, value_serde: Serde[Any] | None = None,
                   other_value_serde: Serde[Any] | None = None,
                   store_name: str | None = None) -> KStream:
        """Outer stream-stream join: as :meth:`left_join`, and records of ``other``
        without a match give ``joiner(None, other_value)`` once their window closes."""
        if not isinstance(other, KStream):
            raise TypeError(f"outer_join() takes a KStream, got {other!r}")
        return self._join_stream(other, joiner, windows, True, True, name, store_name,
                                 key_serde, value_serde, other_value_serde)

    @staticmethod
    def _no_windows_for_table(windows: Any) -> None:
        if windows is not None:
            raise TypeError("a stream-table join takes no JoinWindows")

    def _repartition_for_join(self, prefix: str, key_serde: Serde[Any] | None,
                              value_serde: Serde[Any] | None) -> KStream:
        """KStreamImpl#repartitionForJoin: the topic is named after the join, or after
        this stream, whose one repartition topic then serves all its unnamed joins (the
        indexes are used up either way)."""
        from runtime.dsl.internals.repartition import create_repartition_node

        repartition = create_repartition_node(self._builder, key_serde, value_serde, prefix)
        if self._join_repartition is None or prefix != self.name:
            self._join_repartition = repartition
            self._builder.add_graph_node(self._node, repartition)
        shared = self._join_repartition
        return KStream(self._builder, shared.source_name, key_serde, value_serde,
                       frozenset({shared.source_name}), False, shared)

    def _join_stream(self, other: KStream, joiner: Callable[[Any, Any], Any], windows: Any,
                     left_outer: bool, right_outer: bool, name: str | None,
                     store_name: str | None, key_serde: Serde[Any] | None,
                     value_serde: Serde[Any] | None,
                     other_value_serde: Serde[Any] | None) -> KStream:
        from runtime.dsl.internals.stream_join import add_stream_stream_join
        from runtime.dsl.join_windows import JoinWindows

        if other._builder is not self._builder:
            raise TypeError("a stream-stream join needs a KStream of the same StreamsBuilder")
        if not isinstance(windows, JoinWindows):
            raise TypeError(f"a stream-stream join needs JoinWindows, got {windows!r}")
        _check_callable(joiner, "joiner")
        ks = key_serde if key_serde is not None else self.key_serde
        vs = value_serde if value_serde is not None else self.value_serde
        ovs = other_value_serde if other_value_serde is not None else other.value_serde
        this, that = self, other
        # KStreamImpl#doJoin: "<name>-left" / "<name>-right", else each stream's own name
        if this._repartition_required:
            this = this._repartition_for_join(
                this.name if name is None else name + "-left", ks, vs)
        if that._repartition_required:
            that = that._repartition_for_join(
                that.name if name is None else name + "-right", ks, ovs)
        sources = this._source_nodes | that._source_nodes
        self._builder.copartition(sources)
        node = add_stream_stream_join(
            self._builder, this._node, that._node, joiner, windows, left_outer=left_outer,
            right_outer=right_outer, name=name, store_name=store_name, key_serde=ks,
            this_serde=vs, other_serde=ovs)
        return KStream(self._builder, node.name, ks, None, sources, False, node)

    def _join_table(self, table: KTable, joiner: Callable[[Any, Any], Any], left: bool,
                    name: str | None, key_serde: Serde[Any] | None,
                    value_serde: Serde[Any] | None) -> KStream:
        from runtime.dsl.table import KTable
        from runtime.processors.join import KStreamKTableJoin

        if not isinstance(table, KTable):
            raise TypeError(f"join() takes a KTable, got {table!r}")
        _check_callable(joiner, "joiner")
        stream = self
        if self._repartition_required:
            stream = self._repartition_for_join(
                name if name is not None else self.name,
                key_serde if key_serde is not None else self.key_serde,
                value_serde if value_serde is not None else self.value_serde)
        sources = stream._source_nodes | table.source_nodes
        self._builder.copartition(sources)
        node_name = self._builder.name_or_generate(name, naming.LEFTJOIN if left else naming.JOIN)
        getter = table.value_getter()
        node = StatefulProcessorNode(node_name, KStreamKTableJoin(getter, joiner, left),
                                     store_names=tuple(getter.store_names))
        self._builder.add_graph_node(stream._node, node)
        return KStream(self._builder, node_name,
                       key_serde if key_serde is not None else stream.key_serde, None,
                       sources, False, node)

    # -- grouping ------------------------------------------------------------------------
    def group_by_key(self, *, key_serde: Serde[Any] | None = None,
                     value_serde: Serde[Any] | None = None,
                     name: str | None = None) -> KGroupedStream:
        """Group by the current key; repartitions first if an operator changed the key.

        ``name`` names the repartition topic (``<name>-repartition``)."""
        from runtime.dsl.grouped import KGroupedStream

        return KGroupedStream(
            self._builder, self.name, self._source_nodes,
            key_serde if key_serde is not None else self.key_serde,
            value_serde if value_serde is not None else self.value_serde,
            None if name is None else naming.validate_name(name),
            self._repartition_required, self._node)

    def group_by(self, selector: Callable[[Any, Any], Any], *,
                 key_serde: Serde[Any] | None = None, value_serde: Serde[Any] | None = None,
                 name: str | None = None) -> KGroupedStream:
        """Group by ``selector(key, value)``; always repartitions."""
        from runtime.dsl.grouped import KGroupedStream

        _check_callable(selector, "selector")
        # The key-select node takes the grouping's name, as in Kafka Streams.
        node_name = self._builder.name_or_generate(name, naming.KEY_SELECT)
        node = ProcessorGraphNode(node_name, KStreamSelectKey(selector))
        node.key_changing = True
        self._builder.add_graph_node(self._node, node)
        return KGroupedStream(
            self._builder, node_name, self._source_nodes, key_serde,
            value_serde if value_serde is not None else self.value_serde,
            None if name is None else naming.validate_name(name), True, node)

    def __repr__(self) -> str:
        return f"KStream({self.name!r})"
