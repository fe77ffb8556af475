"""KTableSuppress: holds KTable updates in a time-ordered buffer and emits them later
(Kafka's ``KTableSuppressProcessorSupplier``).

Each update replaces the key's buffered one. The processor's stream time is the largest
record timestamp it has seen; entries whose buffer time is at or before stream time
minus the wait are emitted, oldest first, with the timestamp and headers of their latest
update. Buffer time is the window end for final results (the wait then is the upstream
grace) and the record timestamp for a time limit. Final results drop tombstones (a
window that never emitted has nothing to delete); a time limit forwards them. When the
buffer is over its limits it emits the oldest entries early, or stops the application.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runtime.errors import StreamsError
from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.base import DslProcessor, record_dropped
from runtime.processors.change import Change
from runtime.processors.value_getters import ValueGetter
from runtime.state.api import ValueAndTimestamp
from runtime.state.internals.time_ordered_buffer import RecordContext, TimeOrderedKeyValueBuffer

if TYPE_CHECKING:
    from runtime.dsl.suppressed import BufferConfig

__all__ = ["KTableSuppress"]

_NO_TIMESTAMP = -1


class KTableSuppress:
    def __init__(self, parent: Any, store_name: str, wait_ms: int, final_results: bool,
                 buffer_config: BufferConfig) -> None:
        self.parent = parent
        self.store_name = store_name
        self.wait_ms = wait_ms
        self.final_results = final_results
        self.buffer_config = buffer_config
        # The buffer remembers what downstream last saw (for the value getter), which
        # needs the old values of the parent's updates.
        enable = getattr(parent, "enable_send_old_values", None)
        if enable is not None:
            enable()

    def enable_send_old_values(self) -> None:
        # Old values are always forwarded: the parent sends them and the buffer keeps them.
        return None

    def view(self) -> _SuppressedValueGetterSupplier:
        return _SuppressedValueGetterSupplier(self.parent.view(), self.store_name)

    def __call__(self) -> DslProcessor:
        return _SuppressProcessor(self)


class _SuppressProcessor(DslProcessor):
    def __init__(self, supplier: KTableSuppress) -> None:
        self.supplier = supplier
        self.observed_stream_time = _NO_TIMESTAMP
        config = supplier.buffer_config
        self.max_records = config.record_limit
        self.max_bytes = config.byte_limit
        self.emit_early = config.emit_early

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.buffer: TimeOrderedKeyValueBuffer = context.get_state_store(self.supplier.store_name)

    def process(self, record: Record) -> None:
        key, change, ts = record[0], record[1], record[2]
        if key is None:
            record_dropped(self.context, "null key")
            return
        if ts > self.observed_stream_time:
            self.observed_stream_time = ts
        buffer_time = key.window.end if self.supplier.final_results else ts
        meta = self.context.record_metadata()
        context = (RecordContext(ts, meta.offset, meta.partition, meta.topic, record[3])
                   if meta is not None else RecordContext(ts, headers=record[3]))
        self.buffer.buffer(buffer_time, key, change, context)
        self._enforce_constraints()

    def _over_capacity(self) -> bool:
        buffer = self.buffer
        return buffer.num_records() > self.max_records or buffer.buffer_size() > self.max_bytes

    def _enforce_constraints(self) -> None:
        buffer = self.buffer
        expiry_time = self.observed_stream_time - self.supplier.wait_ms
        buffer.evict_while(lambda: buffer.min_timestamp() <= expiry_time, self._emit)
        if self._over_capacity():
            if self.emit_early:
                buffer.evict_while(self._over_capacity, self._emit)
            else:
                raise StreamsError(
                    f"{self.context.node_name} buffer exceeded its max capacity. Currently "
                    f"[{buffer.num_records()}/{self.max_records}] records and "
                    f"[{buffer.buffer_size()}/{self.max_bytes}] bytes.")

    def _emit(self, key: Any, change: Change, context: RecordContext) -> None:
        if change[0] is None and self.supplier.final_results:
            return  # a window that was never emitted has nothing to retract
        self.forward(Record(key, change, context.timestamp, context.headers))


class _SuppressedValueGetterSupplier:
    """What downstream has seen: the prior value of a buffered key, else the parent's."""

    def __init__(self, parent: Any, store_name: str) -> None:
        self.parent = parent
        self.store_name = store_name
        self.store_names: tuple[str, ...] = (store_name, *parent.store_names)

    def get(self) -> ValueGetter:
        return _SuppressedValueGetter(self.parent.get(), self.store_name)


class _SuppressedValueGetter(ValueGetter):
    def __init__(self, parent: ValueGetter, store_name: str) -> None:
        self.parent = parent
        self.store_name = store_name
        self.buffer: Any = None

    def init(self, context: ProcessorContext) -> None:
        self.parent.init(context)
        self.buffer = context.get_state_store(self.store_name)

    def get(self, key: Any) -> ValueAndTimestamp | None:
        buffered, prior = self.buffer.prior_value(key)
        return prior if buffered else self.parent.get(key)
