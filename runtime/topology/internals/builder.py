"""``InternalTopologyBuilder``: the physical topology, as Kafka Streams keeps it.

Nodes are registered in topological order (parents first). A union-find over node
names groups them into sub-topologies: processors and sinks are united with their
parents and processors sharing a store with each other, while sources are never
united with anything, so a repartition topic (sink in one group, source in another)
cuts the graph. Groups are numbered in the order their first node was registered.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from runtime.errors import TopologyError
from runtime.naming import CHANGELOG_SUFFIX
from runtime.serdes import Serde
from runtime.state.internals.builders import StoreBuilder
from runtime.topology.description import (
    GlobalStoreDescription,
    NodeDescription,
    SubtopologyDescription,
    TopologyDescription,
)
from runtime.topology.internals.java_order import java_compare_key, java_hash_set_order
from runtime.topology.internals.java_tree_set import JavaTreeSet
from runtime.topology.internals.union_find import QuickUnion

__all__ = [
    "InternalTopologyBuilder",
    "ProcessorNodeDef",
    "ProcessorTopology",
    "SinkNodeDef",
    "SourceNodeDef",
]

# Every internal topic gets these; repartition and changelog topics add their own
# (Kafka's RepartitionTopicConfig / UnwindowedUnversionedChangelogTopicConfig).
_INTERNAL_TOPIC_DEFAULTS = {"message.timestamp.type": "CreateTime"}
REPARTITION_TOPIC_DEFAULTS = {**_INTERNAL_TOPIC_DEFAULTS, "cleanup.policy": "delete",
                              "segment.bytes": "52428800", "retention.ms": "-1"}
CHANGELOG_TOPIC_DEFAULTS = {**_INTERNAL_TOPIC_DEFAULTS, "cleanup.policy": "compact"}


@dataclass
class SourceNodeDef:
    name: str
    topics: list[str]
    pattern: re.Pattern[str] | None
    key_serde: Serde[Any] | None
    value_serde: Serde[Any] | None
    timestamp_extractor: Any
    predecessors: tuple[str, ...] = ()


@dataclass
class ProcessorNodeDef:
    name: str
    predecessors: tuple[str, ...]
    supplier: Callable[[], Any]
    stores: list[str] = field(default_factory=list)


@dataclass
class SinkNodeDef:
    name: str
    predecessors: tuple[str, ...]
    topic: str | None
    topic_extractor: Callable[..., str] | None
    key_serde: Serde[Any] | None
    value_serde: Serde[Any] | None
    partitioner: Callable[..., int | None] | None


NodeDef = SourceNodeDef | ProcessorNodeDef | SinkNodeDef


@dataclass(frozen=True)
class InternalTopicProperties:
    num_partitions: int | None = None
    config: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ProcessorTopology:
    """One sub-topology with internal topic names resolved for an application id."""

    subtopology_id: int
    application_id: str
    nodes: tuple[NodeDef, ...]                 # parents before children
    source_topics: dict[str, str]              # full topic name -> source node
    sink_topics: dict[str, str | None]         # sink node -> full topic (None: chooser)
    stores: tuple[StoreBuilder, ...]
    changelog_topics: dict[str, str]           # store -> full changelog topic
    repartition_topics: frozenset[str]
    # store -> source topic that doubles as its changelog (a KTable reading its topic
    # under reuse.ktable.source.topics, or a global store): restored from, never written.
    source_changelogs: dict[str, str] = field(default_factory=dict)


class InternalTopologyBuilder:
    def __init__(self) -> None:
        self._nodes: dict[str, NodeDef] = {}
        self._stores: dict[str, StoreBuilder] = {}
        self._store_users: dict[str, list[str]] = {}
        self._internal_topics: dict[str, InternalTopicProperties] = {}
        self._topic_to_source: dict[str, str] = {}
        self._grouper = QuickUnion()
        self._copartition_groups: list[list[str]] = []
        self._node_groups: dict[int, list[str]] | None = None
        self._global_topics: list[str] = []
        self._global_stores: dict[str, StoreBuilder] = {}
        self._store_to_source_topic: dict[str, str] = {}

    # -- registration -------------------------------------------------------------
    def _check_new(self, name: str) -> None:
        if not name:
            raise TopologyError("node name must not be empty")
        if name in self._nodes:
            raise TopologyError(f"Processor {name} is already added.")

    def _check_parents(self, name: str, parents: Sequence[str]) -> tuple[str, ...]:
        if not parents:
            raise TopologyError(f"Processor {name} must have at least one parent")
        for parent in parents:
            if parent == name:
                raise TopologyError(f"Processor {name} cannot be a predecessor of itself.")
            node = self._nodes.get(parent)
            if node is None:
                raise TopologyError(f"Parent processor {parent} is not added yet for {name}")
            if isinstance(node, SinkNodeDef):
                raise TopologyError(f"Sink {parent} cannot be used a parent.")
        return tuple(parents)

    def add_source(self, name: str, topics: Sequence[str] | None = None, *,
                   pattern: re.Pattern[str] | str | None = None,
                   key_serde: Serde[Any] | None = None,
                   value_serde: Serde[Any] | None = None,
                   timestamp_extractor: Any = None) -> None:
        self._check_new(name)
        if (not topics) == (pattern is None):
            raise TopologyError(f"Source {name} needs either topics or a pattern, not both")
        topic_list = list(topics or [])
        for topic in topic_list:
            if not topic:
                raise TopologyError(f"Source {name}: topic names must not be empty")
            if topic in self._topic_to_source:
                raise TopologyError(f"Topic {topic} has already been registered by another source.")
        for topic in topic_list:
            self._topic_to_source[topic] = name
        compiled = re.compile(pattern) if isinstance(pattern, str) else pattern
        self._nodes[name] = SourceNodeDef(name, topic_list, compiled, key_serde, value_serde,
                                          timestamp_extractor)
        self._grouper.add(name)
        self._node_groups = None

    def add_processor(self, name: str, supplier: Callable[[], Any], *parents: str) -> None:
        self._check_new(name)
        if not callable(supplier):
            raise TopologyError(f"Processor {name}: the supplier must be callable")
        preds = self._check_parents(name, parents)
        self._nodes[name] = ProcessorNodeDef(name, preds, supplier)
        self._grouper.unite(name, preds)
        self._node_groups = None

    def add_sink(self, name: str, topic: str | Callable[..., str], *parents: str,
                 key_serde: Serde[Any] | None = None, value_serde: Serde[Any] | None = None,
                 partitioner: Callable[..., int | None] | None = None) -> None:
        self._check_new(name)
        preds = self._check_parents(name, parents)
        if isinstance(topic, str):
            if not topic:
                raise TopologyError(f"Sink {name}: topic must not be empty")
            self._nodes[name] = SinkNodeDef(name, preds, topic, None, key_serde, value_serde,
                                            partitioner)
        elif callable(topic):
            self._nodes[name] = SinkNodeDef(name, preds, None, topic, key_serde, value_serde,
                                            partitioner)
        else:
            raise TopologyError(f"Sink {name}: topic must be a name or a callable")
        self._grouper.unite(name, preds)
        self._node_groups = None

    def add_state_store(self, builder: StoreBuilder, *processor_names: str,
                        allow_override: bool = False) -> None:
        existing = self._stores.get(builder.name)
        if existing is not None and existing is not builder and not allow_override:
            raise TopologyError(
                f"A different StateStore has already been added with the name {builder.name}")
        self._stores[builder.name] = builder
        self._store_users.setdefault(builder.name, [])
        for processor in processor_names:
            self.connect_processor_and_state_store(processor, builder.name)

    def connect_processor_and_state_stores(self, processor: str, *store_names: str) -> None:
        if not store_names:
            raise TopologyError("at least one state store name is required")
        for store in store_names:
            self.connect_processor_and_state_store(processor, store)

    def connect_processor_and_state_store(self, processor: str, store: str) -> None:
        if store in self._global_stores:
            raise TopologyError(f"Global StateStore {store} can be used by a Processor without "
                                "being specified; it should not be explicitly passed.")
        if store not in self._stores:
            raise TopologyError(f"StateStore {store} is not added yet.")
        node = self._nodes.get(processor)
        if node is None:
            raise TopologyError(f"Processor {processor} is not added yet.")
        if not isinstance(node, ProcessorNodeDef):
            raise TopologyError(
                f"cannot connect a state store {store} to a source node or a sink node.")
        users = self._store_users[store]
        if users:
            self._grouper.unite(users[0], [processor])
        if processor not in users:
            users.append(processor)
        if store not in node.stores:
            node.stores.append(store)
        self._node_groups = None

    def add_global_store(self, store_builder: StoreBuilder, source_name: str, topic: str,
                         processor_name: str, supplier: Callable[[], Any], *,
                         key_serde: Serde[Any] | None = None,
                         value_serde: Serde[Any] | None = None,
                         timestamp_extractor: Any = None) -> None:
        """A store every task can read, kept up to date from ``topic`` by the processor
        ``supplier`` makes (Kafka's addGlobalStore). Its source and processor form a
        sub-topology of their own that creates no tasks; ``topic`` is its changelog."""
        if not isinstance(store_builder, StoreBuilder):
            raise TopologyError(f"expected a StoreBuilder, got {store_builder!r}")
        if store_builder.logging_enabled:
            # Kafka: the source topic is the changelog of a global store.
            raise TopologyError(f"StateStore {store_builder.name} for global table must not "
                                "have logging enabled.")
        if not topic:
            raise TopologyError("topic must not be empty")
        self._check_new(source_name)
        self._check_new(processor_name)
        if store_builder.name in self._stores:
            raise TopologyError("A different StateStore has already been added with the name "
                                f"{store_builder.name}")
        if store_builder.name in self._global_stores:
            raise TopologyError("A different GlobalStateStore has already been added with the "
                                f"name {store_builder.name}")
        if source_name == processor_name:
            raise TopologyError("sourceName and processorName must be different.")
        if not callable(supplier):
            raise TopologyError(f"Processor {processor_name}: the supplier must be callable")
        self.add_source(source_name, [topic], key_serde=key_serde, value_serde=value_serde,
                        timestamp_extractor=timestamp_extractor)
        self._nodes[processor_name] = ProcessorNodeDef(processor_name, (source_name,), supplier,
                                                       [store_builder.name])
        self._grouper.unite(processor_name, (source_name,))
        self._global_topics.append(topic)
        self._global_stores[store_builder.name] = store_builder
        self._store_to_source_topic[store_builder.name] = topic
        self._node_groups = None

    def connect_source_store_and_topic(self, store: str, topic: str) -> None:
        """``topic`` (a source topic) is the changelog of ``store`` (Kafka's
        connectSourceStoreAndTopic, used by reuse.ktable.source.topics)."""
        existing = self._store_to_source_topic.get(store)
        if existing is not None and existing != topic:
            raise TopologyError(f"Source store {store} is already added.")
        self._store_to_source_topic[store] = topic

    def add_internal_topic(self, name: str, num_partitions: int | None = None,
                           config: dict[str, str] | None = None) -> None:
        self._internal_topics[name] = InternalTopicProperties(num_partitions, dict(config or {}))

    def copartition_sources(self, source_names: Sequence[str]) -> None:
        self._copartition_groups.append(list(source_names))

    def copartition_groups(self) -> list[list[str]]:
        return [list(g) for g in self._copartition_groups]

    # -- queries ------------------------------------------------------------------
    def node(self, name: str) -> NodeDef:
        return self._nodes[name]

    @property
    def node_names(self) -> list[str]:
        return list(self._nodes)

    def store_builder(self, name: str) -> StoreBuilder:
        store = self._stores.get(name)
        return store if store is not None else self._global_stores[name]

    @property
    def global_store_names(self) -> list[str]:
        return list(self._global_stores)

    @property
    def global_topics(self) -> list[str]:
        return list(self._global_topics)

    def is_global_group(self, subtopology_id: int) -> bool:
        """Whether a sub-topology is a global store's (a source of a global topic)."""
        for name in self.node_groups()[subtopology_id]:
            node = self._nodes[name]
            if isinstance(node, SourceNodeDef) and any(t in self._global_topics
                                                       for t in node.topics):
                return True
        return False

    def source_topic_changelogs(self) -> dict[str, str]:
        """store -> the source topic that is its changelog."""
        return dict(self._store_to_source_topic)

    @property
    def store_names(self) -> list[str]:
        return list(self._stores)

    def is_internal_topic(self, topic: str) -> bool:
        return topic in self._internal_topics

    def internal_topic_properties(self) -> dict[str, InternalTopicProperties]:
        return dict(self._internal_topics)

    def decorate(self, topic: str, application_id: str) -> str:
        return f"{application_id}-{topic}" if topic in self._internal_topics else topic

    def node_groups(self) -> dict[int, list[str]]:
        """Sub-topology id -> node names in registration order."""
        if self._node_groups is None:
            groups: dict[int, list[str]] = {}
            by_root: dict[str, int] = {}
            for name in self._nodes:
                root = self._grouper.root(name)
                gid = by_root.get(root)
                if gid is None:
                    gid = by_root[root] = len(groups)
                    groups[gid] = []
                groups[gid].append(name)
            self._node_groups = groups
        return self._node_groups

    def subtopology_of(self, node_name: str) -> int:
        for gid, names in self.node_groups().items():
            if node_name in names:
                return gid
        raise KeyError(node_name)

    def store_subtopology(self, store: str) -> int | None:
        users = self._store_users.get(store)
        return self.subtopology_of(users[0]) if users else None

    # -- build --------------------------------------------------------------------
    def build_subtopology(self, subtopology_id: int, application_id: str) -> ProcessorTopology:
        groups = self.node_groups()
        if subtopology_id not in groups:
            raise TopologyError(
                f"no sub-topology {subtopology_id}; the topology has {sorted(groups)}")
        members = set(groups[subtopology_id])
        nodes = tuple(self._nodes[n] for n in self._nodes if n in members)
        source_topics: dict[str, str] = {}
        sink_topics: dict[str, str | None] = {}
        repartition: set[str] = set()
        store_names: list[str] = []
        for node in nodes:
            if isinstance(node, SourceNodeDef):
                for topic in node.topics:
                    full = self.decorate(topic, application_id)
                    source_topics[full] = node.name
                    if topic in self._internal_topics:
                        repartition.add(full)
            elif isinstance(node, SinkNodeDef):
                if node.topic is None:
                    sink_topics[node.name] = None
                else:
                    full = self.decorate(node.topic, application_id)
                    sink_topics[node.name] = full
                    if node.topic in self._internal_topics:
                        repartition.add(full)
            else:
                for store in node.stores:
                    if store not in store_names:
                        store_names.append(store)
        stores = tuple(self.store_builder(s) for s in store_names)
        changelogs = {b.name: f"{application_id}-{b.name}{CHANGELOG_SUFFIX}"
                      for b in stores if b.logging_enabled}
        source_changelogs = {b.name: self.decorate(self._store_to_source_topic[b.name],
                                                   application_id)
                             for b in stores if b.name in self._store_to_source_topic
                             and not b.logging_enabled}
        return ProcessorTopology(subtopology_id, application_id, nodes, source_topics,
                                 sink_topics, stores, changelogs, frozenset(repartition),
                                 source_changelogs)

    # -- describe -----------------------------------------------------------------
    def describe(self) -> TopologyDescription:
        subs = tuple(self._describe_group(gid, names)
                     for gid, names in self.node_groups().items()
                     if not self.is_global_group(gid))
        globals_ = tuple(self._describe_global_store(gid, names)
                         for gid, names in self.node_groups().items()
                         if self.is_global_group(gid))
        return TopologyDescription(subtopologies=subs, global_stores=globals_)

    def _describe_global_store(self, gid: int, names: list[str]) -> GlobalStoreDescription:
        # Kafka's GlobalStore description: the source and the store-updating processor.
        source = next(self._nodes[n] for n in names if isinstance(self._nodes[n], SourceNodeDef))
        processor = next(self._nodes[n] for n in names
                         if isinstance(self._nodes[n], ProcessorNodeDef))
        assert isinstance(source, SourceNodeDef) and isinstance(processor, ProcessorNodeDef)
        return GlobalStoreDescription(
            gid,
            NodeDescription("source", source.name, successors=(processor.name,),
                            topics=tuple(source.topics)),
            NodeDescription("processor", processor.name, (source.name,),
                            stores=tuple(processor.stores)))

    def _describe_group(self, gid: int, names: list[str]) -> SubtopologyDescription:
        # Replays Kafka's describeSubtopology: nodes are connected in the iteration
        # order of a HashMap keyed by name, each link inserted into TreeSets ordered by
        # sizes that are still growing; see java_tree_set for why that matters.
        size: dict[str, int] = {n: 1 for n in names}

        def compare(a: str, b: str) -> int:
            if a == b:
                return 0
            if size[a] != size[b]:
                return size[b] - size[a]
            ka, kb = java_compare_key(a), java_compare_key(b)
            return -1 if ka < kb else 1

        preds: dict[str, JavaTreeSet[str]] = {n: JavaTreeSet(compare) for n in names}
        succs: dict[str, JavaTreeSet[str]] = {n: JavaTreeSet(compare) for n in names}

        def update_size(name: str, delta: int) -> None:
            size[name] += delta
            for p in preds[name]:
                update_size(p, delta)

        for name in java_hash_set_order(java_hash_set_order(names, copied=False), copied=False):
            for parent in self._nodes[name].predecessors:
                preds[name].add(parent)
                succs[parent].add(name)
                update_size(parent, size[name])

        final_order = sorted(names, key=lambda n: (-size[n], java_compare_key(n)))
        described = []
        for name in final_order:
            node = self._nodes[name]
            p, s = tuple(preds[name]), tuple(succs[name])
            if isinstance(node, SourceNodeDef):
                if node.pattern is not None:
                    described.append(NodeDescription("source", name, successors=s,
                                                     topic_pattern=node.pattern.pattern))
                else:
                    described.append(NodeDescription(
                        "source", name, successors=s,
                        topics=tuple(java_hash_set_order(node.topics))))
            elif isinstance(node, ProcessorNodeDef):
                stores = java_hash_set_order(java_hash_set_order(node.stores, copied=False))
                described.append(NodeDescription("processor", name, p, s, stores=tuple(stores)))
            elif node.topic is not None:
                described.append(NodeDescription("sink", name, p, topic=node.topic))
            else:
                described.append(NodeDescription("sink", name, p,
                                                 topic_extractor=repr(node.topic_extractor)))
        return SubtopologyDescription(gid, tuple(described))
