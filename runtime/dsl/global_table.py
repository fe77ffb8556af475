"""``GlobalKTable``: a table replicated in full to every instance, and the stream joins
against it (Kafka Streams' GlobalKTable and KStreamGlobalKTableJoin).

Every task reads the same global store, so a stream joins it by any key its
``key_selector(key, value)`` derives from the record: no repartition, no
co-partitioning. Updates of the table never trigger output (only stream records do).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runtime import naming
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.internals.graph import StatefulProcessorNode
from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.base import DslProcessor, record_dropped
from runtime.processors.value_getters import StoreValueGetterSupplier
from runtime.serdes import Serde

if TYPE_CHECKING:
    from runtime.dsl.stream import KStream

__all__ = ["GlobalKTable", "KStreamGlobalKTableJoin"]


class GlobalKTable:
    """Made by ``StreamsBuilder.global_table``; use it in ``KStream.join`` /
    ``KStream.left_join`` with a key selector."""

    def __init__(self, builder: InternalStreamsBuilder, store_name: str,
                 queryable_store_name: str | None, key_serde: Serde[Any] | None,
                 value_serde: Serde[Any] | None) -> None:
        self._builder = builder
        self.store_name = store_name
        self.queryable_store_name = queryable_store_name
        self.key_serde = key_serde
        self.value_serde = value_serde

    def value_getter(self) -> StoreValueGetterSupplier:
        return StoreValueGetterSupplier(self.store_name)

    def join_stream(self, stream: KStream, key_selector: Callable[[Any, Any], Any],
                    joiner: Callable[[Any, Any], Any], left: bool, name: str | None,
                    key_serde: Serde[Any] | None) -> KStream:
        """KStreamImpl#globalTableJoin: one processor on the stream, no repartition
        even after a key change, no store connected (global stores need none)."""
        from runtime.dsl.stream import KStream

        if stream._builder is not self._builder:
            raise TypeError("a global table join needs a GlobalKTable of the same StreamsBuilder")
        if not callable(key_selector):
            raise TypeError(f"key_selector must be callable, got {key_selector!r}")
        if not callable(joiner):
            raise TypeError(f"joiner must be callable, got {joiner!r}")
        node_name = self._builder.name_or_generate(name, naming.LEFTJOIN if left else naming.JOIN)
        supplier = KStreamGlobalKTableJoin(self.value_getter(), key_selector, joiner, left)
        node = StatefulProcessorNode(node_name, supplier)
        self._builder.add_graph_node(stream._node, node)
        return KStream(self._builder, node_name,
                       key_serde if key_serde is not None else stream.key_serde, None,
                       stream.source_nodes, stream._repartition_required, node)

    def __repr__(self) -> str:
        return f"GlobalKTable({self.store_name!r})"


class KStreamGlobalKTableJoin:
    """Each stream record looks up ``key_selector(key, value)`` in the global store.

    As Kafka's KStreamKTableJoinProcessor: records with a None value, or whose
    selected key is None, are dropped (except that a left join keeps a None-keyed
    record: its selected key may still match); an inner join emits only on a match; the
    output keeps the stream record's key and timestamp.
    """

    def __init__(self, value_getter: StoreValueGetterSupplier,
                 key_selector: Callable[[Any, Any], Any], joiner: Callable[[Any, Any], Any],
                 left: bool) -> None:
        self.value_getter = value_getter
        self.key_selector = key_selector
        self.joiner = joiner
        self.left = left

    def __call__(self) -> DslProcessor:
        return _GlobalJoinProcessor(self)


class _GlobalJoinProcessor(DslProcessor):
    def __init__(self, supplier: KStreamGlobalKTableJoin) -> None:
        self.supplier = supplier
        self.getter = supplier.value_getter.get()

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.getter.init(context)

    def process(self, record: Record) -> None:
        key, value = record[0], record[1]
        if value is None:
            record_dropped(self.context, "null join key or value")
            return
        mapped = self.supplier.key_selector(key, value)
        if mapped is None and not (self.supplier.left and key is None):
            record_dropped(self.context, "null join key or value")
            return
        found = None if mapped is None else self.getter.get(mapped)
        other = None if found is None else found[0]
        if other is not None or self.supplier.left:
            self.forward(Record(key, self.supplier.joiner(value, other), record[2], record[3]))
