"""KStreamAggregate / KStreamReduce: running aggregates per key in a timestamped store.

Records with a None key or value are skipped (and counted as dropped). The output
timestamp is the largest timestamp seen for the key, and the result is forwarded as a
:class:`Change` for the KTable downstream (Kafka's KStreamAggregate/KStreamReduce).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.base import DslProcessor, record_dropped
from runtime.processors.change import Change
from runtime.processors.value_getters import StoreValueGetterSupplier
from runtime.state.api import ValueAndTimestamp
from runtime.state.internals.caching_store import set_flush_listener

__all__ = ["AggregateSupplier", "KStreamAggregate", "KStreamReduce", "TimestampedCacheFlushListener",
           "count_aggregator", "count_initializer", "forward_via_cache"]


class TimestampedCacheFlushListener:
    """Forwards what a cached timestamped store flushes (Kafka's class of this name):
    the values are unwrapped from their ValueAndTimestamp, and the record carries the
    new value's timestamp (the flushed record's for a delete) and headers."""

    def __init__(self, context: ProcessorContext) -> None:
        self._forward = context.forward

    def __call__(self, key: Any, new: ValueAndTimestamp | None, old: ValueAndTimestamp | None,
                 timestamp: int, headers: Any) -> None:
        self._forward(Record(key, Change(None if new is None else new[0],
                                         None if old is None else old[0]),
                             timestamp if new is None else new[1], headers))


def forward_via_cache(store: Any, context: ProcessorContext, send_old_values: bool) -> bool:
    """Kafka's TimestampedTupleForwarder: with a cached store, results go downstream
    when the cache flushes (at commit or eviction), compacted per key; the processor
    forwards itself only when this returns False."""
    return set_flush_listener(store, TimestampedCacheFlushListener(context), send_old_values)


def count_initializer() -> int:
    return 0


def count_aggregator(key: Any, value: Any, aggregate: int) -> int:
    return aggregate + 1


class AggregateSupplier:
    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self.send_old_values = False

    def enable_send_old_values(self) -> None:
        self.send_old_values = True

    def view(self) -> StoreValueGetterSupplier:
        return StoreValueGetterSupplier(self.store_name)


class KStreamAggregate(AggregateSupplier):
    def __init__(self, store_name: str, initializer: Callable[[], Any],
                 aggregator: Callable[[Any, Any, Any], Any]) -> None:
        super().__init__(store_name)
        self.initializer = initializer
        self.aggregator = aggregator

    def __call__(self) -> DslProcessor:
        return _AggregateProcessor(self)


class _AggregateProcessor(DslProcessor):
    def __init__(self, supplier: KStreamAggregate) -> None:
        self.supplier = supplier

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.store = context.get_state_store(self.supplier.store_name)
        self.cached = forward_via_cache(self.store, context, self.supplier.send_old_values)

    def process(self, record: Record) -> None:
        key, value, ts = record[0], record[1], record[2]
        if key is None or value is None:
            record_dropped(self.context, "null key or value")
            return
        store = self.store
        old = store.get(key)
        if old is None:
            old_agg = self.supplier.initializer()
            new_ts = ts
        else:
            old_agg = old[0]
            new_ts = ts if ts > old[1] else old[1]
        new_agg = self.supplier.aggregator(key, value, old_agg)
        store.put(key, ValueAndTimestamp(new_agg, new_ts))
        if self.cached:
            return
        sent_old = (None if old is None else old_agg) if self.supplier.send_old_values else None
        self.forward(Record(key, Change(new_agg, sent_old), new_ts, record[3]))


class KStreamReduce(AggregateSupplier):
    def __init__(self, store_name: str, reducer: Callable[[Any, Any], Any]) -> None:
        super().__init__(store_name)
        self.reducer = reducer

    def __call__(self) -> DslProcessor:
        return _ReduceProcessor(self)


class _ReduceProcessor(DslProcessor):
    def __init__(self, supplier: KStreamReduce) -> None:
        self.supplier = supplier

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.store = context.get_state_store(self.supplier.store_name)
        self.cached = forward_via_cache(self.store, context, self.supplier.send_old_values)

    def process(self, record: Record) -> None:
        key, value, ts = record[0], record[1], record[2]
        if key is None or value is None:
            record_dropped(self.context, "null key or value")
            return
        store = self.store
        old = store.get(key)
        if old is None:
            new_agg, new_ts, old_agg = value, ts, None
        else:
            old_agg = old[0]
            new_agg = self.supplier.reducer(old_agg, value)
            new_ts = ts if ts > old[1] else old[1]
        store.put(key, ValueAndTimestamp(new_agg, new_ts))
        if self.cached:
            return
        sent_old = old_agg if self.supplier.send_old_values else None
        self.forward(Record(key, Change(new_agg, sent_old), new_ts, record[3]))
