"""The logical nodes of a windowed stream-stream join (Kafka's KStreamImplJoin and
StreamStreamJoinNode): names, stores and the physical processors they become.

A join of ``this`` with ``other`` becomes::

    this  --> <this-windowed>  --> <this-join>  --> <merge>
    other --> <other-windowed> --> <other-join> -->

Each windowed processor writes its side's window store, which the other side's join
processor reads; left/outer joins add one shared "outer" store read and written by both
join processors. Generated names follow Kafka: ``KSTREAM-WINDOWED-``, ``KSTREAM-JOINTHIS-``
(``KSTREAM-OUTERTHIS-`` for an outer join), ``KSTREAM-JOINOTHER-`` (``KSTREAM-OUTEROTHER-``
for left/outer joins), ``KSTREAM-MERGE-``; stores ``<join processor>-store`` and
``KSTREAM-OUTERSHARED-<index of this-join>-store``. A user ``name`` gives
``<name>-this-windowed``, ``<name>-other-windowed``, ``<name>-this-join`` /
``<name>-outer-this-join``, ``<name>-other-join`` / ``<name>-outer-other-join`` and
``<name>-merge`` (the indexes are used up either way); a ``store_name`` (Kafka's
``StreamJoined.withStoreName``) gives ``<store_name>-this-join-store`` etc.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime import naming
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.internals.graph import GraphNode, ProcessorGraphNode
from runtime.processors.peek import PassThrough
from runtime.processors.stream_stream_join import (
    KStreamJoinWindow,
    KStreamKStreamJoin,
    TimeTrackers,
)
from runtime.serdes import Serde
from runtime.state.internals.builders import StoreBuilder
from runtime.state.internals.outer_join_store import OuterJoinStoreBuilder
from runtime.state.internals.window_builders import WindowBytesStoreSupplier, WindowStoreBuilder
from runtime.topology.internals.builder import InternalTopologyBuilder

__all__ = ["StreamStreamJoinNode", "add_stream_stream_join"]

JOINTHIS = "KSTREAM-JOINTHIS-"
JOINOTHER = "KSTREAM-JOINOTHER-"
OUTERTHIS = "KSTREAM-OUTERTHIS-"
OUTEROTHER = "KSTREAM-OUTEROTHER-"
OUTERSHARED = "KSTREAM-OUTERSHARED-"
WINDOWED = "KSTREAM-WINDOWED-"


class StreamStreamJoinNode(GraphNode):
    """Both join processors, the merge, and the stores (named after the merge)."""

    def __init__(self, merge_name: str, this_windowed: str, other_windowed: str,
                 this_join: tuple[str, KStreamKStreamJoin],
                 other_join: tuple[str, KStreamKStreamJoin],
                 this_store: StoreBuilder, other_store: StoreBuilder,
                 outer_store: StoreBuilder | None) -> None:
        super().__init__(merge_name)
        self.this_windowed = this_windowed
        self.other_windowed = other_windowed
        self.this_join = this_join
        self.other_join = other_join
        self.this_store = this_store
        self.other_store = other_store
        self.outer_store = outer_store

    def write_to_topology(self, builder: InternalTopologyBuilder) -> None:
        this_name, this_supplier = self.this_join
        other_name, other_supplier = self.other_join
        builder.add_processor(this_name, this_supplier, self.this_windowed)
        builder.add_processor(other_name, other_supplier, self.other_windowed)
        builder.add_processor(self.name, PassThrough(), this_name, other_name)
        builder.add_state_store(self.this_store, self.this_windowed, other_name)
        builder.add_state_store(self.other_store, self.other_windowed, this_name)
        if self.outer_store is not None:
            builder.add_state_store(self.outer_store, this_name, other_name)


class _WindowedNode(ProcessorGraphNode):
    """The windowed processor; its store is added by the join node."""


def _suffixed(builder: InternalStreamsBuilder, name: str | None, suffix: str,
              prefix: str) -> str:
    generated = builder.new_processor_name(prefix)
    return generated if name is None else naming.validate_name(name + suffix)


def _window_store(name: str, windows: Any, key_serde: Serde[Any] | None,
                  value_serde: Serde[Any] | None) -> WindowStoreBuilder:
    # Kafka: retention = window size + grace, window size = before + after, duplicates kept
    supplier = WindowBytesStoreSupplier(name, windows.size() + windows.grace_ms,
                                        windows.size(), True, "persistent_window_store")
    return WindowStoreBuilder(supplier, key_serde, value_serde)


def add_stream_stream_join(builder: InternalStreamsBuilder, this_node: GraphNode,
                           other_node: GraphNode, joiner: Callable[[Any, Any], Any],
                           windows: Any, *, left_outer: bool, right_outer: bool,
                           name: str | None, store_name: str | None,
                           key_serde: Serde[Any] | None, this_serde: Serde[Any] | None,
                           other_serde: Serde[Any] | None) -> StreamStreamJoinNode:
    """Add the windowed processors and the join node below two (co-partitioned) streams."""
    this_windowed = _suffixed(builder, name, "-this-windowed", WINDOWED)
    other_windowed = _suffixed(builder, name, "-other-windowed", WINDOWED)
    this_generated = builder.new_processor_name(OUTERTHIS if right_outer else JOINTHIS)
    other_generated = builder.new_processor_name(OUTEROTHER if left_outer else JOINOTHER)
    this_suffix = "-outer-this-join" if right_outer else "-this-join"
    other_suffix = "-outer-other-join" if left_outer else "-other-join"
    this_join = this_generated if name is None else naming.validate_name(name + this_suffix)
    other_join = other_generated if name is None else naming.validate_name(name + other_suffix)
    merge = _suffixed(builder, name, "-merge", naming.MERGE)

    if store_name is None:
        this_store_name, other_store_name = this_generated, other_generated
        prefix = OUTERTHIS if right_outer else JOINTHIS
        shared_store_name = OUTERSHARED + this_generated[len(prefix):]
    else:
        naming.validate_name(store_name)
        this_store_name, other_store_name = store_name + this_suffix, store_name + other_suffix
        shared_store_name = store_name + ("-outer-shared-join" if right_outer
                                          else "-left-shared-join")
    this_store = _window_store(this_store_name + "-store", windows, key_serde, this_serde)
    other_store = _window_store(other_store_name + "-store", windows, key_serde, other_serde)
    outer_store = None
    if left_outer:
        outer_store = OuterJoinStoreBuilder(shared_store_name + "-store", key_serde,
                                            this_serde, other_serde)

    trackers = TimeTrackers()
    outer_name = None if outer_store is None else outer_store.name
    this_supplier = KStreamKStreamJoin(is_left=True, windows=windows, joiner=joiner,
                                       outer=left_outer, other_store=other_store.name,
                                       outer_store=outer_name, trackers=trackers)
    other_supplier = KStreamKStreamJoin(is_left=False, windows=windows, joiner=joiner,
                                        outer=right_outer, other_store=this_store.name,
                                        outer_store=outer_name, trackers=trackers)

    this_windowed_node = _WindowedNode(this_windowed, KStreamJoinWindow(this_store.name))
    other_windowed_node = _WindowedNode(other_windowed, KStreamJoinWindow(other_store.name))
    builder.add_graph_node(this_node, this_windowed_node)
    builder.add_graph_node(other_node, other_windowed_node)
    join_node = StreamStreamJoinNode(merge, this_windowed, other_windowed,
                                     (this_join, this_supplier), (other_join, other_supplier),
                                     this_store, other_store, outer_store)
    builder.add_graph_node([this_windowed_node, other_windowed_node], join_node)
    return join_node
