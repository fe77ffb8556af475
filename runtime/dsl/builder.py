"""``StreamsBuilder``: the entry point of the DSL."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from runtime import naming
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.internals.graph import StateStoreNode, StreamSourceNode, TableSourceNode
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
        if name is not None:
            naming.validate_name(name)
            self._internal.new_processor_name(naming.SOURCE)
            source_name = name + naming.TABLE_SOURCE_SUFFIX
        else:
            source_name = self._internal.new_processor_name(naming.SOURCE)
        processor_name = self._internal.name_or_generate(name, naming.KTABLE_SOURCE)
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

    def add_state_store(self, store_builder: StoreBuilder) -> StreamsBuilder:
        """Register a store for processors that name it (``stream.process(f, "store")``)."""
        if not isinstance(store_builder, StoreBuilder):
            raise TypeError(f"expected a StoreBuilder (Stores.key_value_store_builder(...)), "
                            f"got {store_builder!r}")
        self._internal.add_graph_node(self._internal.root, StateStoreNode(store_builder))
        return self

    def build(self, optimize: bool = False) -> Topology:
        """The physical topology. ``optimize=True`` (topology.optimization=all) is not
        available yet and raises."""
        if optimize:
            raise NotImplementedError("topology optimization is not implemented yet")
        return self._internal.build()
