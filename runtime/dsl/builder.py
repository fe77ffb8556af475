"""``StreamsBuilder``: the entry point of the DSL."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from runtime import naming
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.global_table import GlobalKTable
from runtime.dsl.internals.graph import (
    GlobalTableSourceNode,
    StateStoreNode,
    StreamSourceNode,
    TableSourceNode,
)
from runtime.dsl.internals.materialize import resolve_materialized, timestamped_store_builder
from runtime.dsl.options import Materialized
from runtime.dsl.stream import KStream
from runtime.dsl.table import KTable
from runtime.processors.table import KTableSource
from runtime.errors import TopologyError
from runtime.serdes import Serde
from runtime.state.internals.builders import StoreBuilder
from runtime.topology.topology import Topology

__all__ = ["StreamsBuilder"]


class StreamsBuilder:
    """Builds a :class:`Topology` from DSL operations.

    >>> b = StreamsBuilder()
    >>> b.stream("in").filter(lambda k, v: v).to("out")
    >>> topology = b.build()
    """

    def __init__(self) -> None:
        self._internal = InternalStreamsBuilder()

    def stream(self, topics: str | Sequence[str] | re.Pattern[str], *,
               key_serde: Serde[Any] | None = None, value_serde: Serde[Any] | None = None,
               timestamp_extractor: Any = None, name: str | None = None) -> KStream:
        """A stream of the records of one topic, several topics, or a topic pattern.

        Serdes left out fall back to ``default.key.serde``/``default.value.serde``.
        ``timestamp_extractor`` is a callable ``(record, partition_time) -> int`` or an
        object with ``extract(record, partition_time)``.
        """
        pattern: re.Pattern[str] | None = None
        topic_list: list[str] | None = None
        if isinstance(topics, re.Pattern):
            pattern = topics
        elif isinstance(topics, str):
            topic_list = [topics]
        else:
            topic_list = list(topics)
            if not topic_list:
                raise TopologyError("stream() needs at least one topic")
        for topic in topic_list or []:
            if not isinstance(topic, str) or not topic:
                raise TopologyError(f"topic names must be non-empty strings, got {topic!r}")
        node_name = self._internal.name_or_generate(name, naming.SOURCE)
        node = StreamSourceNode(node_name, topic_list, pattern, key_serde, value_serde,
                                timestamp_extractor)
        self._internal.add_graph_node(self._internal.root, node)
        return KStream(self._internal, node_name, key_serde, value_serde,
                       frozenset({node_name}), False, node)

    def table(self, topic: str, *, key_serde: Serde[Any] | None = None,
              value_serde: Serde[Any] | None = None, store: str | Materialized | None = None,
              timestamp_extractor: Any = None, name: str | None = None) -> KTable:
        """A table of the latest value per key of a (compacted) topic; None values delete.

        The table keeps a store (``store`` names it) when named or when a join needs it.
        """
        if not isinstance(topic, str) or not topic:
            raise TopologyError(f"table() needs one topic name, got {topic!r}")
        materialized, queryable = resolve_materialized(self._internal, store, topic + "-")
        source_name, processor_name = self._table_source_names(name)
        assert materialized.store_name is not None
        supplier = KTableSource(materialized.store_name,
                                materialized.store_name if queryable else None)
        key = materialized.key_serde or key_serde
        value = materialized.value_serde or value_serde
        node = TableSourceNode(source_name, processor_name, topic, key_serde, value_serde,
                               timestamp_extractor, supplier,
                               lambda: timestamped_store_builder(materialized, key, value))
        self._internal.add_graph_node(self._internal.root, node)
        return KTable(self._internal, processor_name, key_serde, value_serde,
                      frozenset({source_name}), supplier.queryable_name, supplier, node)

    def _table_source_names(self, name: str | None) -> tuple[str, str]:
        """(source, KTable source processor) names: ``<name>-source`` and ``<name>``, or
        generated; an index is used up for each either way (NamedInternal)."""
        if name is not None:
            naming.validate_name(name)
            self._internal.new_processor_name(naming.SOURCE)
            source_name = name + naming.TABLE_SOURCE_SUFFIX
        else:
            source_name = self._internal.new_processor_name(naming.SOURCE)
        return source_name, self._internal.name_or_generate(name, naming.KTABLE_SOURCE)

    def global_table(self, topic: str, *, key_serde: Serde[Any] | None = None,
                     value_serde: Serde[Any] | None = None,
                     store: str | Materialized | None = None,
                     timestamp_extractor: Any = None, name: str | None = None) -> GlobalKTable:
        """A table of every partition of ``topic``, held in full by each instance and
        readable from every task; join a stream to it with a key selector.

        Always materialized (``store`` names the store, else
        ``<topic>-STATE-STORE-<index>``); the topic is the store's changelog.
        """
        if not isinstance(topic, str) or not topic:
            raise TopologyError(f"global_table() needs one topic name, got {topic!r}")
        materialized, queryable = resolve_materialized(self._internal, store, topic + "-")
        if materialized.store_type == "versioned":
            raise TopologyError("GlobalTables cannot be versioned.")
        source_name, processor_name = self._table_source_names(name)
        assert materialized.store_name is not None
        # The store name is the queryable name: a global table is always materialized.
        supplier = KTableSource(materialized.store_name, materialized.store_name)
        key = materialized.key_serde or key_serde
        value = materialized.value_serde or value_serde
        store_builder = timestamped_store_builder(materialized, key, value)
        store_builder.with_logging_disabled()   # the topic is the changelog
        # Nothing downstream of a global store consumes cache flushes, and the global
        # updater has no commit to flush at: readers see every update at once.
        store_builder.with_caching_disabled()
        # Kafka's globalTable(topic, Materialized) also consumes with the Materialized's
        # serdes when no others are given.
        node = GlobalTableSourceNode(source_name, processor_name, topic, key_serde or key,
                                     value_serde or value, timestamp_extractor, supplier,
                                     store_builder)
        self._internal.add_graph_node(self._internal.root, node)
        return GlobalKTable(self._internal, materialized.store_name,
                            materialized.store_name if queryable else None, key_serde,
                            value_serde)

    def add_state_store(self, store_builder: StoreBuilder) -> StreamsBuilder:
        """Register a store for processors that name it (``stream.process(f, "store")``)."""
        if not isinstance(store_builder, StoreBuilder):
            raise TypeError(f"expected a StoreBuilder (Stores.key_value_store_builder(...)), "
                            f"got {store_builder!r}")
        self._internal.add_graph_node(self._internal.root, StateStoreNode(store_builder))
        return self

    def build(self, config: Mapping[str, Any] | None = None, *,
              optimize: bool = False) -> Topology:
        """The physical topology.

        ``optimize=True`` applies every optimization (``topology.optimization=all``);
        ``config`` may instead give ``topology.optimization``: ``all``, ``none``, or a
        comma-separated list of ``reuse.ktable.source.topics``,
        ``merge.repartition.topics`` (Kafka's ``build(Properties)``).
        """
        from runtime.dsl.internals.optimizer import OPTIMIZATION_CONFIG, optimizations_from

        if isinstance(config, bool):   # build(True): the positional form of optimize=
            config, optimize = None, optimize or config
        value = "all" if optimize else (config or {}).get(OPTIMIZATION_CONFIG)
        return self._internal.build(optimizations_from(value))
