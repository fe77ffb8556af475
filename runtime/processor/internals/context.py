"""``ProcessorContext`` as a node sees it, backed by the task that hosts the node."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from runtime.errors import ProductionError, RecordError, StoreNotFoundError, StreamsError
from runtime.processor.api import Cancellable, ProcessorContext, PunctuationType, Punctuator
from runtime.processor.internals.nodes import RuntimeNode, SinkNode
from runtime.processor.record import Record, RecordMetadata

if TYPE_CHECKING:
    from runtime.exec.sampling import NodeSampler

__all__ = ["NodeContext", "TaskHost", "to_millis"]


def to_millis(interval: timedelta | int) -> int:
    if isinstance(interval, timedelta):
        return int(interval.total_seconds() * 1000)
    if isinstance(interval, bool) or not isinstance(interval, int):
        raise TypeError(f"a duration must be a timedelta or integer milliseconds, got {interval!r}")
    return interval


class TaskHost(Protocol):
    """What nodes and contexts need from their task (implemented by StreamTask)."""

    application_id: str
    task_id_str: str
    record_timestamp: int
    app_config: dict[str, Any]

    def record_metadata(self) -> RecordMetadata | None: ...

    def stream_time(self) -> int: ...

    def wall_clock_ms(self) -> int: ...

    def record_dropped(self) -> None: ...

    def store(self, name: str) -> Any: ...

    def schedule(self, node: RuntimeNode, interval_ms: int, kind: PunctuationType,
                 callback: Punctuator) -> Cancellable: ...

    def processing_failed(self, node: RuntimeNode, exc: BaseException,
                          during: str = "process") -> None: ...

    def record_error(self, cls: type[RecordError], node: str, message: str) -> RecordError: ...

    def production_failed(self, error: ProductionError) -> bool: ...

    def partition_for(self, sink: SinkNode, topic: str, record: Record) -> int | None: ...

    def send(self, sink: str, topic: str, record: Record, key: bytes | None,
             value: bytes | None, partition: int | None) -> None: ...


class NodeContext(ProcessorContext):
    __slots__ = ("_host", "_node", "_children", "_stores", "sampler")

    def __init__(self, host: TaskHost, node: RuntimeNode, stores: list[str]) -> None:
        self._host = host
        self._node = node
        self._children = node.children  # the node's own list: children added later count
        self._stores = frozenset(stores)
        # the node's sampler while it is due (runtime.exec.sampling); read per forward
        self.sampler: NodeSampler | None = None

    @property
    def application_id(self) -> str:
        return self._host.application_id

    @property
    def task_id(self) -> str:
        return self._host.task_id_str

    @property
    def node_name(self) -> str:
        return self._node.name

    @property
    def app_config(self) -> dict[str, Any]:
        return self._host.app_config

    def forward(self, record: Record, child_name: str | None = None) -> None:
        host = self._host
        sampler = self.sampler
        if sampler is not None:
            sampler.take(record)
        if child_name is None:
            children = self._children
        else:
            child = self._node.children_by_name.get(child_name)
            if child is None:
                raise StreamsError(
                    f"Unknown downstream node: {child_name} either does not exist or is "
                    f"not connected to this processor ({self._node.name}).")
            children = (child,)
        # Children see the forwarded record's timestamp as "the current record's" (it
        # is what change-logging stamps on their writes); the caller's is restored after.
        previous = host.record_timestamp
        if previous == record[2]:
            # The common case (one-to-one steps keep the timestamp): nothing to restore,
            # as every forward below restores what it changes.
            for child in children:
                child.process(record)
            return
        host.record_timestamp = record[2]
        try:
            for child in children:
                child.process(record)
        finally:
            host.record_timestamp = previous

    def schedule(self, interval: timedelta | int, punctuation_type: PunctuationType,
                 callback: Punctuator) -> Cancellable:
        ms = to_millis(interval)
        if ms < 1:
            raise ValueError("The minimum supported scheduling interval is 1 millisecond.")
        if not isinstance(punctuation_type, PunctuationType):
            raise TypeError(f"punctuation_type must be a PunctuationType, got {punctuation_type!r}")
        if not callable(callback):
            raise TypeError("callback must be callable")
        return self._host.schedule(self._node, ms, punctuation_type, callback)

    def get_state_store(self, name: str) -> Any:
        if name not in self._stores:
            raise StoreNotFoundError(
                f"Processor {self._node.name} has no access to StateStore {name} as the store "
                "is not connected to the processor. Connect it by naming it in "
                "stream.process(factory, ...) or Topology.add_state_store(builder, processor).")
        return self._host.store(name)

    def record_metadata(self) -> RecordMetadata | None:
        return self._host.record_metadata()

    def current_stream_time_ms(self) -> int:
        return self._host.stream_time()

    def current_system_time_ms(self) -> int:
        return self._host.wall_clock_ms()

    def record_dropped(self) -> None:
        """Count a record an operator skipped (task metric dropped-records-total)."""
        self._host.record_dropped()
