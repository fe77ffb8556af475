"""The logical graph the DSL builds: one node per operator, written to the physical
topology in a separate step (Kafka's ``kstream/internals/graph``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from runtime.processor.timestamp_extractors import FailOnInvalidTimestamp
from runtime.serdes import Serde
from runtime.state.internals.builders import StoreBuilder
from runtime.topology.internals.builder import InternalTopologyBuilder

__all__ = [
    "ForeignKeyJoinTopicNode",
    "GlobalTableSourceNode",
    "GraphNode",
    "GroupedTableRepartitionNode",
    "KTableKTableJoinNode",
    "OptimizableRepartitionNode",
    "ProcessorGraphNode",
    "RootNode",
    "StateStoreNode",
    "StatefulProcessorNode",
    "StreamSinkNode",
    "StreamSourceNode",
    "StreamToTableNode",
    "TableSourceNode",
]


class GraphNode:
    def __init__(self, name: str) -> None:
        self.name = name
        self.parents: list[GraphNode] = []
        self.children: list[GraphNode] = []
        self.build_priority = 0
        self.written = False
        self.key_changing = False
        self.value_changing = False
        self.merge_node = False

    def add_child(self, child: GraphNode) -> None:
        if child not in self.children:
            self.children.append(child)
        if self not in child.parents:
            child.parents.append(self)

    def remove_child(self, child: GraphNode) -> None:
        self.children.remove(child)
        child.parents.remove(self)

    def parent_names(self) -> list[str]:
        return [p.name for p in self.parents]

    def all_parents_written(self) -> bool:
        return all(p.written for p in self.parents)

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r}, priority={self.build_priority})"


class RootNode(GraphNode):
    def __init__(self) -> None:
        super().__init__("root")
        self.written = True

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        return None


class StreamSourceNode(GraphNode):
    def __init__(self, name: str, topics: list[str] | None, pattern: re.Pattern[str] | None,
                 key_serde: Serde[Any] | None, value_serde: Serde[Any] | None,
                 timestamp_extractor: Any) -> None:
        super().__init__(name)
        self.topics = topics
        self.pattern = pattern
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.timestamp_extractor = timestamp_extractor

    def merge(self, other: StreamSourceNode) -> None:
        """Take over the children of a source subscribed to the same topics."""
        for child in list(other.children):
            other.remove_child(child)
            self.add_child(child)

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        builder.add_source(self.name, self.topics, pattern=self.pattern,
                           key_serde=self.key_serde, value_serde=self.value_serde,
                           timestamp_extractor=self.timestamp_extractor)


class ProcessorGraphNode(GraphNode):
    def __init__(self, name: str, supplier: Callable[[], Any]) -> None:
        super().__init__(name)
        self.supplier = supplier

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        builder.add_processor(self.name, self.supplier, *self.parent_names())


class StatefulProcessorNode(ProcessorGraphNode):
    """A processor with stores: existing ones by name, or one it owns (a builder)."""

    def __init__(self, name: str, supplier: Callable[[], Any], *,
                 store_names: tuple[str, ...] = (),
                 store_builder: StoreBuilder | None = None) -> None:
        super().__init__(name, supplier)
        self.store_names = store_names
        self.store_builder = store_builder

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        super().write_to_topology(builder)
        if self.store_names:
            builder.connect_processor_and_state_stores(self.name, *self.store_names)
        if self.store_builder is not None:
            builder.add_state_store(self.store_builder, self.name)


class OptimizableRepartitionNode(GraphNode):
    """Filter → sink to the repartition topic, and a source reading it back.

    The node is named after its source, so downstream operators attach to the source.
    """

    def __init__(self, source_name: str, filter_name: str, sink_name: str, topic: str,
                 key_serde: Serde[Any] | None, value_serde: Serde[Any] | None,
                 filter_supplier: Callable[[], Any], num_partitions: int | None = None) -> None:
        super().__init__(source_name)
        self.source_name = source_name
        self.filter_name = filter_name
        self.sink_name = sink_name
        self.topic = topic
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.filter_supplier = filter_supplier
        self.num_partitions = num_partitions

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        builder.add_internal_topic(self.topic, self.num_partitions)
        builder.add_processor(self.filter_name, self.filter_supplier, *self.parent_names())
        builder.add_sink(self.sink_name, self.topic, self.filter_name,
                         key_serde=self.key_serde, value_serde=self.value_serde)
        # Repartitioned records keep their timestamps, whatever the default extractor.
        builder.add_source(self.source_name, [self.topic], key_serde=self.key_serde,
                           value_serde=self.value_serde,
                           timestamp_extractor=FailOnInvalidTimestamp())


class StreamSinkNode(GraphNode):
    def __init__(self, name: str, topic: str | Callable[..., str],
                 key_serde: Serde[Any] | None, value_serde: Serde[Any] | None,
                 partitioner: Any) -> None:
        super().__init__(name)
        self.topic = topic
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.partitioner = partitioner

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        builder.add_sink(self.name, self.topic, *self.parent_names(), key_serde=self.key_serde,
                         value_serde=self.value_serde, partitioner=self.partitioner)


class TableSourceNode(GraphNode):
    """A source topic and the KTable source processor behind it; the store is added
    only if the table ends up materialized (named, or looked up by a join)."""

    def __init__(self, source_name: str, processor_name: str, topic: str,
                 key_serde: Serde[Any] | None, value_serde: Serde[Any] | None,
                 timestamp_extractor: Any, supplier: Any,
                 store_builder_factory: Callable[[], StoreBuilder]) -> None:
        super().__init__(processor_name)
        self.source_name = source_name
        self.topic = topic
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.timestamp_extractor = timestamp_extractor
        self.supplier = supplier
        self.store_builder_factory = store_builder_factory
        # reuse.ktable.source.topics: the source topic is the store's changelog
        self.reuse_source_topic = False

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        builder.add_source(self.source_name, [self.topic], key_serde=self.key_serde,
                           value_serde=self.value_serde,
                           timestamp_extractor=self.timestamp_extractor)
        builder.add_processor(self.name, self.supplier, self.source_name)
        if self.supplier.materialized:
            store_builder = self.store_builder_factory()
            if self.reuse_source_topic:
                store_builder.with_logging_disabled()
                builder.connect_source_store_and_topic(store_builder.name, self.topic)
            builder.add_state_store(store_builder, self.name)


class StreamToTableNode(GraphNode):
    """KStream#toTable: a KTable source processor on a stream (store only if materialized)."""

    def __init__(self, name: str, supplier: Any,
                 store_builder_factory: Callable[[], StoreBuilder]) -> None:
        super().__init__(name)
        self.supplier = supplier
        self.store_builder_factory = store_builder_factory

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        builder.add_processor(self.name, self.supplier, *self.parent_names())
        if self.supplier.materialized:
            builder.add_state_store(self.store_builder_factory(), self.name)


class StateStoreNode(GraphNode):
    """A store added with ``StreamsBuilder.add_state_store``, connected later by name."""

    def __init__(self, store_builder: StoreBuilder) -> None:
        super().__init__(store_builder.name)
        self.store_builder = store_builder

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        builder.add_state_store(self.store_builder)


class GlobalTableSourceNode(TableSourceNode):
    """A global table: a global store fed by its topic through a KTable source
    processor (Kafka's TableSourceNode with isGlobalKTable); always materialized."""

    def __init__(self, source_name: str, processor_name: str, topic: str,
                 key_serde: Serde[Any] | None, value_serde: Serde[Any] | None,
                 timestamp_extractor: Any, supplier: Any, store_builder: StoreBuilder) -> None:
        super().__init__(source_name, processor_name, topic, key_serde, value_serde,
                         timestamp_extractor, supplier, lambda: store_builder)
        self.store_builder = store_builder

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        builder.add_global_store(self.store_builder, self.source_name, self.topic, self.name,
                                 self.supplier, key_serde=self.key_serde,
                                 value_serde=self.value_serde,
                                 timestamp_extractor=self.timestamp_extractor)


class GroupedTableRepartitionNode(GraphNode):
    """KTable#groupBy's repartition topic: a sink writing :class:`Change` records and a
    source reading them back, without a filter (Kafka's
    GroupedTableOperationRepartitionNode). Named after its source."""

    def __init__(self, source_name: str, sink_name: str, topic: str,
                 key_serde: Serde[Any] | None, change_serde: Serde[Any]) -> None:
        super().__init__(source_name)
        self.source_name = source_name
        self.sink_name = sink_name
        self.topic = topic
        self.key_serde = key_serde
        self.change_serde = change_serde

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        builder.add_internal_topic(self.topic)
        builder.add_sink(self.sink_name, self.topic, *self.parent_names(),
                         key_serde=self.key_serde, value_serde=self.change_serde)
        builder.add_source(self.source_name, [self.topic], key_serde=self.key_serde,
                           value_serde=self.change_serde,
                           timestamp_extractor=FailOnInvalidTimestamp())


class ForeignKeyJoinTopicNode(GroupedTableRepartitionNode):
    """A foreign-key join's subscription or response topic: sink and source, as for
    groupBy, plus the partitioner that sends responses back to the left record's
    partition. Named after its source."""

    def __init__(self, source_name: str, sink_name: str, topic: str,
                 key_serde: Serde[Any] | None, value_serde: Serde[Any],
                 partitioner: Callable[..., int | None] | None = None) -> None:
        super().__init__(source_name, sink_name, topic, key_serde, value_serde)
        self.partitioner = partitioner

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        builder.add_internal_topic(self.topic)
        builder.add_sink(self.sink_name, self.topic, *self.parent_names(),
                         key_serde=self.key_serde, value_serde=self.change_serde,
                         partitioner=self.partitioner)
        builder.add_source(self.source_name, [self.topic], key_serde=self.key_serde,
                           value_serde=self.change_serde,
                           timestamp_extractor=FailOnInvalidTimestamp())


class KTableKTableJoinNode(GraphNode):
    """The two join processors, each reading one table and looking up the other's
    stores, and the merger behind them (named after the merger)."""

    def __init__(self, merge_name: str, this_name: str, other_name: str,
                 this_table: str, other_table: str, this_supplier: Any, other_supplier: Any,
                 merger: Any, this_store_names: tuple[str, ...],
                 other_store_names: tuple[str, ...],
                 store_builder: StoreBuilder | None) -> None:
        super().__init__(merge_name)
        self.this_name = this_name
        self.other_name = other_name
        self.this_table = this_table
        self.other_table = other_table
        self.this_supplier = this_supplier
        self.other_supplier = other_supplier
        self.merger = merger
        self.this_store_names = this_store_names
        self.other_store_names = other_store_names
        self.store_builder = store_builder

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        builder.add_processor(self.this_name, self.this_supplier, self.this_table)
        builder.add_processor(self.other_name, self.other_supplier, self.other_table)
        builder.add_processor(self.name, self.merger, self.this_name, self.other_name)
        if self.other_store_names:
            builder.connect_processor_and_state_stores(self.this_name, *self.other_store_names)
        if self.this_store_names:
            builder.connect_processor_and_state_stores(self.other_name, *self.this_store_names)
        if self.store_builder is not None:
            builder.add_state_store(self.store_builder, self.name)
