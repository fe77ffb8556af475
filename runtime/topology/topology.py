"""``Topology``: the physical processing graph, built by the DSL or by hand.

Besides the Processor API (``add_source``/``add_processor``/``add_sink``/
``add_state_store``) it answers what the engine needs to run it: the sub-topologies,
their source topics and the internal topics to create.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from runtime.errors import TopologyError
from runtime.naming import CHANGELOG_SUFFIX
from runtime.serdes import Serde
from runtime.state.internals.builders import StoreBuilder
from runtime.topology.description import TopologyDescription
from runtime.topology.internals.builder import (
    CHANGELOG_TOPIC_DEFAULTS,
    REPARTITION_TOPIC_DEFAULTS,
    InternalTopologyBuilder,
    ProcessorTopology,
    SourceNodeDef,
)

__all__ = ["InternalTopicSpec", "QueryableStore", "Topology"]


@dataclass(frozen=True)
class InternalTopicSpec:
    name: str                                   # full name, e.g. "wc-counts-changelog"
    kind: Literal["repartition", "changelog"]
    subtopology_id: int                         # reads it (repartition) / owns it (changelog)
    num_partitions: int | None                  # None: same as the sub-topology's sources
    config: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class QueryableStore:
    """A state store as interactive queries see it (:meth:`Topology.queryable_stores`)."""

    name: str
    kind: Literal["key-value", "window", "session"]
    timestamped: bool                           # values are ValueAndTimestamp
    subtopology_id: int | None                  # the tasks that host it
    key_serde: Serde[Any] | None                # None: default.key.serde
    value_serde: Serde[Any] | None


class Topology:
    def __init__(self, builder: InternalTopologyBuilder | None = None) -> None:
        self._builder = builder if builder is not None else InternalTopologyBuilder()

    @property
    def internal_builder(self) -> InternalTopologyBuilder:
        return self._builder

    # -- Processor API -------------------------------------------------------------
    def add_source(self, name: str, *topics: str, pattern: re.Pattern[str] | str | None = None,
                   key_serde: Serde[Any] | None = None, value_serde: Serde[Any] | None = None,
                   timestamp_extractor: Any = None) -> Topology:
        """A source node reading ``topics`` (or every topic matching ``pattern``)."""
        self._builder.add_source(name, list(topics) or None, pattern=pattern,
                                 key_serde=key_serde, value_serde=value_serde,
                                 timestamp_extractor=timestamp_extractor)
        return self

    def add_processor(self, name: str, supplier: Callable[[], Any], *parent_names: str) -> Topology:
        """A processor made by ``supplier()`` (a Processor class or factory) fed by parents."""
        self._builder.add_processor(name, supplier, *parent_names)
        return self

    def add_sink(self, name: str, topic: str | Callable[..., str], *parent_names: str,
                 key_serde: Serde[Any] | None = None, value_serde: Serde[Any] | None = None,
                 partitioner: Callable[..., int | None] | None = None) -> Topology:
        """A sink writing to ``topic``, or to the topic ``topic(key, value, context)`` names."""
        self._builder.add_sink(name, topic, *parent_names, key_serde=key_serde,
                               value_serde=value_serde, partitioner=partitioner)
        return self

    def add_state_store(self, store_builder: StoreBuilder, *processor_names: str) -> Topology:
        self._builder.add_state_store(store_builder, *processor_names)
        return self

    def add_global_store(self, store_builder: StoreBuilder, source_name: str, topic: str,
                         processor_name: str, supplier: Callable[[], Any], *,
                         key_serde: Serde[Any] | None = None,
                         value_serde: Serde[Any] | None = None,
                         timestamp_extractor: Any = None) -> Topology:
        """A global store (logging disabled: ``topic`` is its changelog) that every
        processor can read by name without connecting it; ``supplier()`` makes the
        processor that writes each record of ``topic`` into it."""
        self._builder.add_global_store(store_builder, source_name, topic, processor_name,
                                       supplier, key_serde=key_serde, value_serde=value_serde,
                                       timestamp_extractor=timestamp_extractor)
        return self

    def connect_processor_and_state_stores(self, processor_name: str,
                                           *store_names: str) -> Topology:
        self._builder.connect_processor_and_state_stores(processor_name, *store_names)
        return self

    # -- what the engine needs -----------------------------------------------------
    def describe(self) -> TopologyDescription:
        return self._builder.describe()

    def queryable_stores(self) -> dict[str, QueryableStore]:
        """The stores of the tasks that an interactive query can read, by name, with
        their kind ("key-value", "window", "session"); internal buffers (suppression,
        outer-join bookkeeping) and global stores are left out."""
        from runtime.state.internals.builders import KeyValueStoreBuilder, TimestampedKeyValueStoreBuilder
        from runtime.state.internals.session_builders import SessionStoreBuilder
        from runtime.state.internals.window_builders import WindowStoreBuilder

        found: dict[str, QueryableStore] = {}
        for name in self._builder.store_names:
            builder = self._builder.store_builder(name)
            if isinstance(builder, WindowStoreBuilder):
                kind = "window"
            elif isinstance(builder, SessionStoreBuilder):
                kind = "session"
            elif isinstance(builder, (KeyValueStoreBuilder, TimestampedKeyValueStoreBuilder)):
                kind = "key-value"
            else:
                continue
            found[name] = QueryableStore(name, kind, bool(builder.timestamped),
                                         self._builder.store_subtopology(name),
                                         builder.key_serde, builder.value_serde)
        return found

    def sub_topology_ids(self) -> list[int]:
        """The sub-topologies that run as tasks (global stores' are left out)."""
        return sorted(gid for gid in self._builder.node_groups()
                      if not self._builder.is_global_group(gid))

    def global_sub_topology_ids(self) -> list[int]:
        """The global stores' sub-topologies, run by the global state updater."""
        return sorted(gid for gid in self._builder.node_groups()
                      if self._builder.is_global_group(gid))

    def global_topics(self) -> list[str]:
        """The topics that feed global stores (read whole by every instance)."""
        return self._builder.global_topics

    def source_topics(self, subtopology_id: int, application_id: str) -> list[str]:
        """Full topic names read by a sub-topology (internal ones prefixed with the app id)."""
        groups = self._builder.node_groups()
        if subtopology_id not in groups:
            raise TopologyError(f"no sub-topology {subtopology_id}")
        topics: list[str] = []
        for name in groups[subtopology_id]:
            node = self._builder.node(name)
            if isinstance(node, SourceNodeDef):
                topics.extend(self._builder.decorate(t, application_id) for t in node.topics)
        return topics

    def source_patterns(self, subtopology_id: int) -> list[re.Pattern[str]]:
        groups = self._builder.node_groups()
        return [node.pattern for name in groups.get(subtopology_id, [])
                if isinstance(node := self._builder.node(name), SourceNodeDef)
                and node.pattern is not None]

    def sink_topics(self, application_id: str) -> list[str]:
        """Fixed output topics that are not internal (topic choosers are not listed)."""
        out: list[str] = []
        for name in self._builder.node_names:
            node = self._builder.node(name)
            topic = getattr(node, "topic", None)
            if not isinstance(node, SourceNodeDef) and topic is not None \
                    and not self._builder.is_internal_topic(topic) and topic not in out:
                out.append(topic)
        return out

    def copartition_groups(self, application_id: str) -> list[list[str]]:
        """Groups of source topics that must have the same number of partitions (joins).

        Groups sharing a topic are merged, as Kafka's copartitionGroups() does.
        """
        merged: list[set[str]] = []
        for sources in self._builder.copartition_groups():
            topics: set[str] = set()
            for name in sources:
                node = self._builder.node(name)
                if isinstance(node, SourceNodeDef):
                    topics.update(self._builder.decorate(t, application_id) for t in node.topics)
            for group in [g for g in merged if g & topics]:
                merged.remove(group)
                topics |= group
            merged.append(topics)
        return [sorted(g) for g in merged]

    def internal_topics(self, application_id: str) -> list[InternalTopicSpec]:
        specs: list[InternalTopicSpec] = []
        props = self._builder.internal_topic_properties()
        for sid in self.sub_topology_ids():
            for name in self._builder.node_groups()[sid]:
                node = self._builder.node(name)
                if isinstance(node, SourceNodeDef):
                    for topic in node.topics:
                        if topic in props:
                            specs.append(InternalTopicSpec(
                                f"{application_id}-{topic}", "repartition", sid,
                                props[topic].num_partitions,
                                {**REPARTITION_TOPIC_DEFAULTS, **props[topic].config}))
        for store in self._builder.store_names:
            builder = self._builder.store_builder(store)
            sid = self._builder.store_subtopology(store)
            if builder.logging_enabled and sid is not None:
                specs.append(InternalTopicSpec(
                    f"{application_id}-{store}{CHANGELOG_SUFFIX}", "changelog", sid, None,
                    {**CHANGELOG_TOPIC_DEFAULTS, **builder.log_config}))
        return specs

    def build_subtopology(self, subtopology_id: int, application_id: str) -> ProcessorTopology:
        return self._builder.build_subtopology(subtopology_id, application_id)

    def __repr__(self) -> str:
        return f"Topology(sub_topologies={self.sub_topology_ids()})"
