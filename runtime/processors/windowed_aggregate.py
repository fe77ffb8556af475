"""KStreamWindowAggregate: running aggregates per (key, time window) in a window store.

For each window containing the record's timestamp, the aggregate is updated unless the
window is closed: closed means ``window end <= stream time - grace``, where stream time
is the largest record timestamp this processor has seen (Kafka's
``KStreamWindowAggregate``, ``windowEnd > windowCloseTime``). A record arriving only for
closed windows is dropped and counted once per closed window, as Kafka's
late-record-drop sensor does. The output timestamp is the largest record timestamp in
the window. Records with a None key or value are skipped and counted, like the
non-windowed aggregations of this engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from runtime.dsl.windowed import TimeWindow, Windowed
from runtime.dsl.windows import TimeWindows
from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.aggregate import forward_via_cache
from runtime.processors.aggregate import AggregateSupplier
from runtime.processors.base import DslProcessor, record_dropped
from runtime.processors.change import Change
from runtime.processors.value_getters import (
    StoreValueGetterSupplier,
    ValueGetter,
    StoreValueGetter,
)
from runtime.state.api import ValueAndTimestamp

__all__ = ["KStreamWindowAggregate", "WindowStoreValueGetterSupplier"]

logger = logging.getLogger(__name__)

_NO_TIMESTAMP = -1


class WindowStoreValueGetterSupplier(StoreValueGetterSupplier):
    """Looks up ``Windowed(key, window)`` in a window store by key and window start."""

    def get(self) -> ValueGetter:
        return _WindowStoreValueGetter(self.store_names[0])


class _WindowStoreValueGetter(StoreValueGetter):
    def get(self, key: Any) -> ValueAndTimestamp | None:
        return self.store.fetch(key.key, key.window.start)  # type: ignore[no-any-return]


class KStreamWindowAggregate(AggregateSupplier):
    """``aggregator(key, value, aggregate)`` per window, starting from ``initializer()``;
    ``initializer`` None means a reduce: the first value starts the aggregate and
    ``aggregator`` is then ``reducer(aggregate, value)``."""

    def __init__(self, windows: TimeWindows, store_name: str,
                 initializer: Callable[[], Any] | None,
                 aggregator: Callable[..., Any]) -> None:
        super().__init__(store_name)
        self.windows = windows
        self.initializer = initializer
        self.aggregator = aggregator

    def view(self) -> WindowStoreValueGetterSupplier:
        return WindowStoreValueGetterSupplier(self.store_name)

    def __call__(self) -> DslProcessor:
        return _WindowAggregateProcessor(self)


class _WindowAggregateProcessor(DslProcessor):
    def __init__(self, supplier: KStreamWindowAggregate) -> None:
        self.supplier = supplier
        self.observed_stream_time = _NO_TIMESTAMP

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.store = context.get_state_store(self.supplier.store_name)
        self.cached = forward_via_cache(self.store, context, self.supplier.send_old_values)

    def process(self, record: Record) -> None:
        key, value, ts = record[0], record[1], record[2]
        if key is None or value is None:
            record_dropped(self.context, "null key or value")
            return
        if ts > self.observed_stream_time:
            self.observed_stream_time = ts
        supplier = self.supplier
        windows = supplier.windows
        close_time = self.observed_stream_time - windows.grace_ms
        size = windows.size_ms
        store = self.store
        for start in windows.window_starts_for(ts):
            end = start + size
            if end <= close_time:
                logger.debug("Skipping record for expired window. key=[%s] timestamp=[%d] "
                             "window=[%d,%d) expiration=[%d] streamTime=[%d]", key, ts, start,
                             end, close_time, self.observed_stream_time)
                record_dropped(self.context, "expired window")
                continue
            old = store.fetch(key, start)
            if old is None:
                old_agg = None
                new_ts = ts
                if supplier.initializer is None:
                    new_agg = value
                else:
                    new_agg = supplier.aggregator(key, value, supplier.initializer())
            else:
                old_agg = old[0]
                new_ts = ts if ts > old[1] else old[1]
                if supplier.initializer is None:
                    new_agg = supplier.aggregator(old_agg, value)
                else:
                    new_agg = supplier.aggregator(key, value, old_agg)
            store.put(key, ValueAndTimestamp.make(new_agg, new_ts), start)
            if self.cached:
                continue  # the cache forwards at flush
            sent_old = old_agg if supplier.send_old_values else None
            self.forward(Record(Windowed(key, TimeWindow(start, end)), Change(new_agg, sent_old),
                                new_ts, record[3]))
