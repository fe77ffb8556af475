"""KStreamSlidingWindowAggregate: aggregates per (key, sliding window) in a window store.

Sliding windows ``[start, start + d]`` (both ends inclusive) exist only where records
are. A record at ``ts`` gets its left window ``[ts - d, ts]``, seeded with the aggregate
of the latest earlier window that ended before ``ts`` when the previous record falls in
it; the previous record's right window ``[prev + 1, prev + 1 + d]`` is created when the
new record falls in it; an out-of-order record creates its own right window from the
window holding the later records, and updates every existing window containing it.
Records before ``d`` share the window ``[0, d]``. This follows Kafka's
``KStreamSlidingWindowAggregate`` (its backward-iterating path, the one Kafka's own stores
take), including which windows exist and the output timestamps: the largest record
timestamp in the window.

Stream time is the largest record timestamp this processor has seen; a window ending
before ``stream time - grace`` is closed. A record whose right window would already be
closed is dropped; updates of closed windows are skipped; each drop is counted
(dropped-records), as are records with a None key or value.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from runtime.dsl.sliding_windows import SlidingWindows
from runtime.dsl.windowed import TimeWindow, Windowed
from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.aggregate import AggregateSupplier, forward_via_cache
from runtime.processors.base import DslProcessor, record_dropped
from runtime.processors.change import Change
from runtime.processors.windowed_aggregate import WindowStoreValueGetterSupplier
from runtime.state.api import ValueAndTimestamp

__all__ = ["KStreamSlidingWindowAggregate"]

logger = logging.getLogger(__name__)

_NO_TIMESTAMP = -1


class KStreamSlidingWindowAggregate(AggregateSupplier):
    """``aggregator(key, value, aggregate)`` per window, new windows starting from
    ``initializer()``. A reduce passes an initializer returning None and an aggregator
    that takes the value as is when the aggregate is None (as Kafka does)."""

    def __init__(self, windows: SlidingWindows, store_name: str,
                 initializer: Callable[[], Any],
                 aggregator: Callable[[Any, Any, Any], Any]) -> None:
        super().__init__(store_name)
        self.windows = windows
        self.initializer = initializer
        self.aggregator = aggregator

    def view(self) -> WindowStoreValueGetterSupplier:
        return WindowStoreValueGetterSupplier(self.store_name)

    def __call__(self) -> DslProcessor:
        return _SlidingWindowAggregateProcessor(self)


class _SlidingWindowAggregateProcessor(DslProcessor):
    def __init__(self, supplier: KStreamSlidingWindowAggregate) -> None:
        self.supplier = supplier
        self.d = supplier.windows.time_difference_ms
        self.observed_stream_time = _NO_TIMESTAMP

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.store = context.get_state_store(self.supplier.store_name)
        # With a cached store the cache forwards at flush (TimestampedTupleForwarder)
        self.cached = forward_via_cache(self.store, context, self.supplier.send_old_values)

    def process(self, record: Record) -> None:
        key, value, ts = record[0], record[1], record[2]
        if key is None or value is None:
            record_dropped(self.context, "null key or value")
            return
        if ts > self.observed_stream_time:
            self.observed_stream_time = ts
        close_time = self.observed_stream_time - self.supplier.windows.grace_ms
        if ts + self.d < close_time:
            self._skip_expired(ts, ts, ts + self.d, close_time)
            return
        if ts < self.d:
            self._process_early(record, close_time)
        else:
            self._process(record, close_time)

    def _skip_expired(self, ts: int, start: int, end: int, close_time: int) -> None:
        logger.warning("Skipping record for expired window. timestamp=[%d] window=[%d,%d] "
                       "expiration=[%d] streamTime=[%d]", ts, start, end, close_time,
                       self.observed_stream_time)
        record_dropped(self.context, "expired window")

    def _process(self, record: Record, close_time: int) -> None:
        key, ts, d = record[0], record[2], self.d
        starts: set[int] = set()
        left_agg: ValueAndTimestamp | None = None
        right_agg: ValueAndTimestamp | None = None
        left_created = right_created = False
        previous_ts: int | None = None
        existing = list(self.store.fetch(key, max(0, ts - 2 * d), ts + 1))
        # Latest window first: the windows containing the record, then its left window,
        # then the latest window ending before it (which holds the previous record).
        for start, found in reversed(existing):
            starts.add(start)
            end = start + d
            if start == ts + 1:
                right_created = True
            elif end > ts:
                if right_agg is None:
                    right_agg = found
                self._update(start, found, record, close_time)
            elif end == ts:
                left_created = True
                self._update(start, found, record, close_time)
                if found.timestamp < ts:
                    previous_ts = found.timestamp
                else:
                    return  # a record at ts came before: its windows all exist
            else:
                left_agg = found
                previous_ts = found.timestamp
                break
        if previous_ts is not None:
            previous_right_start = previous_ts + 1
            if previous_right_start not in starts and previous_right_start + d >= ts:
                self._create_previous_right_window(previous_right_start, record, close_time)
        if not left_created:
            if previous_ts is not None and left_agg is not None and ts - d <= previous_ts:
                seed = ValueAndTimestamp.make(left_agg.value, ts)
            else:
                seed = ValueAndTimestamp.make(self.supplier.initializer(), ts)
            self._update(ts - d, seed, record, close_time)
        if not right_created and right_agg is not None and right_agg.timestamp > ts:
            self._create_right_window(ts, right_agg, record)

    def _process_early(self, record: Record, close_time: int) -> None:
        """``0 <= ts < d``: the record's left window would start before the epoch, so
        all early records share the window [0, d]."""
        key, ts = record[0], record[2]
        combined: ValueAndTimestamp | None = None
        right_agg: ValueAndTimestamp | None = None
        right_created = False
        starts: set[int] = set()
        previous_ts: int | None = None
        for start, found in list(self.store.fetch(key, 0, ts + 1)):
            starts.add(start)
            if start == 0:
                combined = found
                if found.timestamp < ts:
                    previous_ts = found.timestamp
            elif start <= ts:
                right_agg = found
                self._update(start, found, record, close_time)
            elif start == ts + 1:
                right_created = True
        # Without a right window found, the combined window holds only records after
        # this one when its latest record is later.
        if right_agg is None and combined is not None and combined.timestamp > ts:
            right_agg = combined
        if not right_created and right_agg is not None and right_agg.timestamp > ts:
            self._create_right_window(ts, right_agg, record)
        if previous_ts is not None and previous_ts + 1 not in starts:
            self._create_previous_right_window(previous_ts + 1, record, close_time)
        if combined is None:
            combined = ValueAndTimestamp.make(self.supplier.initializer(), ts)
        self._update(0, combined, record, close_time)

    def _create_right_window(self, ts: int, right_agg: ValueAndTimestamp,
                             record: Record) -> None:
        start = ts + 1
        self.store.put(record[0], right_agg, start)
        if self.cached:
            return
        self.forward(Record(Windowed(record[0], TimeWindow(start, start + self.d)),
                            Change(right_agg.value, None), right_agg.timestamp, record[3]))

    def _create_previous_right_window(self, start: int, record: Record,
                                      close_time: int) -> None:
        seed = ValueAndTimestamp.make(self.supplier.initializer(), record[2])
        self._update(start, seed, record, close_time)

    def _update(self, start: int, found: ValueAndTimestamp | None, record: Record,
                close_time: int) -> None:
        end = start + self.d
        key, ts = record[0], record[2]
        if end < close_time:
            self._skip_expired(ts, start, end, close_time)
            return
        supplier = self.supplier
        old_agg = None if found is None else found.value
        new_agg = supplier.aggregator(key, record[1], old_agg)
        new_ts = ts if old_agg is None or ts > found.timestamp else found.timestamp  # type: ignore[union-attr]
        self.store.put(key, ValueAndTimestamp.make(new_agg, new_ts), start)
        if self.cached:
            return
        sent_old = old_agg if supplier.send_old_values else None
        self.forward(Record(Windowed(key, TimeWindow(start, end)), Change(new_agg, sent_old),
                            new_ts, record[3]))
