"""``Suppressed`` and ``BufferConfig``: how ``KTable.suppress`` holds back updates.

``Suppressed.until_window_closes(BufferConfig.unbounded())`` emits one final result per
window once stream time reaches window end + grace; ``Suppressed.until_time_limit(d,
config)`` emits a key's latest value once stream time is ``d`` past its first buffered
update (Kafka's ``Suppressed``, KIP-328). The buffer is a store with a changelog.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from runtime import naming
from runtime.errors import TopologyError
from runtime.processor.internals.context import to_millis

if TYPE_CHECKING:
    from runtime.dsl.internals.graph import GraphNode
    from runtime.dsl.table import KTable

__all__ = ["BufferConfig", "Suppressed", "suppress_table"]

logger = logging.getLogger(__name__)

# Java's Long.MAX_VALUE: what Kafka uses for "no limit".
UNLIMITED = sys.maxsize


@dataclass(frozen=True)
class BufferConfig:
    """Size limits of a suppression buffer and what happens when they are exceeded.

    ``emit_early``: evict the oldest records downstream when full (Kafka's
    EagerBufferConfig); otherwise the application stops with an error (StrictBufferConfig).
    """

    record_limit: int = UNLIMITED
    byte_limit: int = UNLIMITED
    emit_early: bool = False
    logging_enabled: bool = True
    log_config: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for what, limit in (("record_limit", self.record_limit), ("byte_limit", self.byte_limit)):
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise ValueError(f"{what} must be a non-negative integer, got {limit!r}")

    # -- Kafka's static factories --------------------------------------------------------
    @staticmethod
    def unbounded() -> BufferConfig:
        """No limit: the buffer grows as needed (strict: may be used to suppress until
        windows close)."""
        return BufferConfig()

    @staticmethod
    def max_records(record_limit: int) -> BufferConfig:
        """At most ``record_limit`` keys; emits the oldest early when full."""
        return BufferConfig(record_limit=record_limit, emit_early=True)

    @staticmethod
    def max_bytes(byte_limit: int) -> BufferConfig:
        """At most ``byte_limit`` bytes; emits the oldest early when full."""
        return BufferConfig(byte_limit=byte_limit, emit_early=True)

    # -- fluent changes ------------------------------------------------------------------
    def with_max_records(self, record_limit: int) -> BufferConfig:
        return replace(self, record_limit=record_limit)

    def with_max_bytes(self, byte_limit: int) -> BufferConfig:
        return replace(self, byte_limit=byte_limit)

    def with_no_bound(self) -> BufferConfig:
        return replace(self, record_limit=UNLIMITED, byte_limit=UNLIMITED, emit_early=False)

    def emit_early_when_full(self) -> BufferConfig:
        return replace(self, emit_early=True)

    def shut_down_when_full(self) -> BufferConfig:
        return replace(self, emit_early=False)

    def with_logging_disabled(self) -> BufferConfig:
        return replace(self, logging_enabled=False, log_config={})

    def with_logging_enabled(self, config: dict[str, str] | None = None) -> BufferConfig:
        return replace(self, logging_enabled=True, log_config=dict(config or {}))

    @property
    def is_strict(self) -> bool:
        return not self.emit_early

    def __repr__(self) -> str:
        def show(n: int) -> str:
            return "unlimited" if n == UNLIMITED else str(n)
        return (f"BufferConfig(record_limit={show(self.record_limit)}, "
                f"byte_limit={show(self.byte_limit)}, "
                f"{'emit_early_when_full' if self.emit_early else 'shut_down_when_full'}, "
                f"logging={'on' if self.logging_enabled else 'off'})")


@dataclass(frozen=True)
class Suppressed:
    """What to hold back: build with :meth:`until_window_closes` or
    :meth:`until_time_limit`, optionally :meth:`with_name`."""

    kind: Literal["window_closes", "time_limit"]
    time_to_wait_ms: int
    buffer_config: BufferConfig
    name: str | None = None

    @staticmethod
    def until_window_closes(buffer_config: BufferConfig) -> Suppressed:
        """Only the final result of each window, once stream time passes window end +
        grace. The buffer must be strict (``unbounded()`` or ``shut_down_when_full()``):
        emitting early would break the "only final results" promise."""
        if not isinstance(buffer_config, BufferConfig):
            raise TypeError(f"buffer_config must be a BufferConfig, got {buffer_config!r}")
        if not buffer_config.is_strict:
            raise TypeError(
                "until_window_closes needs a strict buffer config: BufferConfig.unbounded() "
                "or a bounded config with .shut_down_when_full(), not emit_early_when_full()")
        return Suppressed("window_closes", 0, buffer_config)

    @staticmethod
    def until_time_limit(time_to_wait_for_more_events: timedelta | int,
                         buffer_config: BufferConfig) -> Suppressed:
        """A key's latest update, once stream time is ``time_to_wait_for_more_events``
        past the first update buffered for it."""
        if not isinstance(buffer_config, BufferConfig):
            raise TypeError(f"buffer_config must be a BufferConfig, got {buffer_config!r}")
        wait = to_millis(time_to_wait_for_more_events)
        if wait < 0:
            raise ValueError("time_to_wait_for_more_events must not be negative")
        return Suppressed("time_limit", wait, buffer_config)

    def with_name(self, name: str) -> Suppressed:
        """Names the suppression node; its buffer store is ``<name>-store``."""
        return replace(self, name=naming.validate_name(name))


def _grace_of(supplier: object) -> int | None:
    """The grace period a windowed aggregation defines, or None for other processors
    (session windows add their inactivity gap, as in Kafka's GraphGraceSearchUtil)."""
    windows = getattr(supplier, "windows", None)
    if windows is None:
        return None
    grace = getattr(windows, "grace_ms", None)
    if grace is None:
        return None
    gap = getattr(windows, "gap_ms", None)  # session windows
    return int(grace) + (int(gap) if gap is not None else 0)


def find_window_grace(node: GraphNode, chain: str = "") -> int:
    """Walk up from ``node`` to the windowed aggregations feeding it; the largest grace
    of them (Kafka's ``findAndVerifyWindowGrace``)."""
    from runtime.dsl.internals.graph import StatefulProcessorNode

    if isinstance(node, StatefulProcessorNode):
        grace = _grace_of(node.supplier)
        if grace is not None:
            return grace
    chain = node.name if not chain else f"{node.name}->{chain}"
    if not node.parents:
        raise TopologyError(
            f"Window close time is only defined for windowed computations. Got [{chain}].")
    return max(find_window_grace(parent, chain) for parent in node.parents)


def suppress_table(table: KTable, suppressed: Suppressed, name: str | None) -> KTable:
    """What ``KTable.suppress`` does: a KTABLE-SUPPRESS node with its buffer store."""
    from runtime.dsl.internals.graph import StatefulProcessorNode
    from runtime.dsl.table import KTable
    from runtime.processors.suppress import KTableSuppress
    from runtime.state.internals.time_ordered_buffer import TimeOrderedBufferBuilder

    if not isinstance(suppressed, Suppressed):
        raise TypeError(f"suppressed must be a Suppressed, got {suppressed!r}")
    if name is not None:
        suppressed = suppressed.with_name(name)
    builder = table._builder
    # A named suppression uses up no index, unlike most named operators (Kafka's
    # KTableImpl.suppress; SuppressTopologyTest).
    node_name = (suppressed.name if suppressed.name is not None
                 else builder.new_processor_name(naming.KTABLE_SUPPRESS))
    if suppressed.kind == "window_closes":
        grace = find_window_grace(table._node)
        logger.info("Using grace period of [%d ms] as the suppress duration for node [%s].",
                    grace, node_name)
        wait_ms, final_results = grace, True
    else:
        wait_ms, final_results = suppressed.time_to_wait_ms, False
    store_name = (f"{suppressed.name}-store" if suppressed.name is not None
                  else builder.new_store_name(naming.KTABLE_SUPPRESS))
    config = suppressed.buffer_config
    store_builder = TimeOrderedBufferBuilder(store_name, table.key_serde, table.value_serde)
    if config.logging_enabled:
        store_builder.with_logging_enabled(config.log_config)
    else:
        store_builder.with_logging_disabled()
    supplier = KTableSuppress(table._supplier, store_name, wait_ms, final_results, config)
    node = StatefulProcessorNode(node_name, supplier, store_builder=store_builder)
    builder.add_graph_node(table._node, node)
    return KTable(builder, node_name, table.key_serde, table.value_serde, table.source_nodes,
                  None, supplier, node)
