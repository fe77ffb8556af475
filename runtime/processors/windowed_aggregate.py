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
# ValueAndTimestamp without its checks, on the per-window path
_make = tuple.__new__


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
        self.windows = supplier.windows
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
        windows = self.windows
        size = windows.size_ms
        close_time = self.observed_stream_time - windows.grace_ms
        live = windows.window_starts_for(ts)   # ascending: closed windows come first
        if live and live[0] + size <= close_time:
            live = self._drop_closed(key, ts, live, close_time)
            if not live:
                return
        if self.cached:  # the cache forwards at flush
            self.store.update_windows(key, live, self._updater(key, value, ts))
            return
        aggregate = self._aggregate
        store = self.store
        send_old_values = self.supplier.send_old_values
        for start in live:
            old = store.fetch(key, start)
            new = aggregate(key, value, ts, old)
            store.put(key, new, start)
            # a None aggregate (a delete) goes on as a None value with the timestamp it
            # would have had
            new_ts = new[1] if new is not None else ts if old is None else max(ts, old[1])
            self.forward(Record(Windowed(key, TimeWindow(start, start + size)),
                                Change(None if new is None else new[0],
                                       old[0] if send_old_values and old is not None else None),
                                new_ts, record[3]))

    def _drop_closed(self, key: Any, ts: int, starts: range, close_time: int) -> list[int]:
        """The starts of the windows not yet closed; each closed one is logged and
        counted as a dropped record, as Kafka's late-record-drop sensor does."""
        size = self.windows.size_ms
        live = []
        for start in starts:
            if start + size <= close_time:
                logger.debug("Skipping record for expired window. key=[%s] timestamp=[%d] "
                             "window=[%d,%d) expiration=[%d] streamTime=[%d]", key, ts, start,
                             start + size, close_time, self.observed_stream_time)
                record_dropped(self.context, "expired window")
                continue
            live.append(start)
        return live

    def _updater(self, key: Any, value: Any, ts: int
                 ) -> Callable[[int, ValueAndTimestamp | None], ValueAndTimestamp | None]:
        """``_aggregate(key, value, ts, old)`` as ``update(start, old)`` for
        update_windows, one call per window (the per-window path of the benchmark's
        hopping windows)."""
        supplier = self.supplier
        initializer, aggregator = supplier.initializer, supplier.aggregator
        if initializer is None:
            def reduce(_start: int, old: ValueAndTimestamp | None) -> ValueAndTimestamp | None:
                if old is None:
                    return None if value is None else _make(ValueAndTimestamp, (value, ts))
                new_agg = aggregator(old[0], value)
                old_ts = old[1]
                return None if new_agg is None else _make(
                    ValueAndTimestamp, (new_agg, ts if ts > old_ts else old_ts))
            return reduce

        def aggregate(_start: int, old: ValueAndTimestamp | None) -> ValueAndTimestamp | None:
            if old is None:
                new_agg = aggregator(key, value, initializer())
                return None if new_agg is None else _make(ValueAndTimestamp, (new_agg, ts))
            new_agg = aggregator(key, value, old[0])
            old_ts = old[1]
            return None if new_agg is None else _make(
                ValueAndTimestamp, (new_agg, ts if ts > old_ts else old_ts))
        return aggregate

    def _aggregate(self, key: Any, value: Any, ts: int,
                   old: ValueAndTimestamp | None) -> ValueAndTimestamp | None:
        """The window's new aggregate with the largest record timestamp in it; None
        (a delete) when the aggregator returns None, as ValueAndTimestamp.make."""
        supplier = self.supplier
        if old is None:
            new_ts = ts
            if supplier.initializer is None:
                new_agg = value
            else:
                new_agg = supplier.aggregator(key, value, supplier.initializer())
        else:
            new_ts = ts if ts > old[1] else old[1]
            if supplier.initializer is None:
                new_agg = supplier.aggregator(old[0], value)
            else:
                new_agg = supplier.aggregator(key, value, old[0])
        return None if new_agg is None else _make(ValueAndTimestamp, (new_agg, new_ts))
