"""KStreamSessionWindowAggregate: aggregates per (key, session) in a session store.

A record at ``ts`` finds the sessions of its key that end at or after ``ts - gap`` and
start at or before ``ts + gap``, merges them (``merger(key, agg1, agg2)``, starting from
``initializer()``) into one session spanning them all and the record, and adds the
record with ``aggregator(key, value, aggregate)``. Merged sessions are removed and a
tombstone is forwarded for each, timestamped with that session's end; the new session
is forwarded with its end as timestamp, which is the largest record timestamp in it.

Stream time is the largest record timestamp seen; a session ending before ``stream
time - grace - gap`` is closed (Kafka 3.0+, KAFKA-12718), and a record that would only
land in a closed session is dropped and counted. Records with a None key are dropped
and counted too; a None value is aggregated, as in Kafka. This follows Kafka's
``KStreamSessionWindowAggregate`` with the default emit strategy (on window update).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from runtime.dsl.session_windows import SessionWindows
from runtime.dsl.windowed import SessionWindow, Windowed
from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.aggregate import AggregateSupplier
from runtime.processors.base import DslProcessor, record_dropped
from runtime.processors.change import Change
from runtime.processors.value_getters import (
    StoreValueGetterSupplier,
    ValueGetter,
    StoreValueGetter,
)
from runtime.state.api import ValueAndTimestamp
from runtime.state.internals.caching_store import set_flush_listener

__all__ = ["KStreamSessionWindowAggregate", "SessionCacheFlushListener",
           "SessionStoreValueGetterSupplier"]

logger = logging.getLogger(__name__)

_NO_TIMESTAMP = -1


class SessionStoreValueGetterSupplier(StoreValueGetterSupplier):
    """Looks up ``Windowed(key, session)`` in a session store; the timestamp is the
    session end."""

    def get(self) -> ValueGetter:
        return _SessionStoreValueGetter(self.store_names[0])


class _SessionStoreValueGetter(StoreValueGetter):
    def get(self, key: Any) -> ValueAndTimestamp | None:
        window = key.window
        return ValueAndTimestamp.make(
            self.store.fetch_session(key.key, window.start, window.end), window.end)


class SessionCacheFlushListener:
    """Forwards what a cached session store flushes (Kafka's class of this name): the
    record is timestamped with the session end, as the uncached processor does."""

    def __init__(self, context: ProcessorContext) -> None:
        self._forward = context.forward

    def __call__(self, key: Any, new: Any, old: Any, timestamp: int, headers: Any) -> None:
        self._forward(Record(key, Change(new, old), key.window.end, headers))


class KStreamSessionWindowAggregate(AggregateSupplier):
    def __init__(self, windows: SessionWindows, store_name: str,
                 initializer: Callable[[], Any], aggregator: Callable[[Any, Any, Any], Any],
                 merger: Callable[[Any, Any, Any], Any]) -> None:
        super().__init__(store_name)
        self.windows = windows
        self.initializer = initializer
        self.aggregator = aggregator
        self.merger = merger

    def view(self) -> SessionStoreValueGetterSupplier:
        return SessionStoreValueGetterSupplier(self.store_name)

    def __call__(self) -> DslProcessor:
        return _SessionWindowAggregateProcessor(self)


class _SessionWindowAggregateProcessor(DslProcessor):
    def __init__(self, supplier: KStreamSessionWindowAggregate) -> None:
        self.supplier = supplier
        self.observed_stream_time = _NO_TIMESTAMP

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.store = context.get_state_store(self.supplier.store_name)
        # Kafka's TimestampedTupleForwarder: a cached store forwards at flush instead
        self.cached = set_flush_listener(self.store, SessionCacheFlushListener(context),
                                         self.supplier.send_old_values)

    def process(self, record: Record) -> None:
        key, ts = record[0], record[2]
        if key is None:
            record_dropped(self.context, "null key")
            return
        supplier = self.supplier
        gap = supplier.windows.gap_ms
        if ts > self.observed_stream_time:
            self.observed_stream_time = ts
        close_time = self.observed_stream_time - supplier.windows.grace_ms - gap
        store = self.store
        merged = list(store.find_sessions(key, ts - gap, ts + gap))
        agg = supplier.initializer()
        start = end = ts
        for session, session_agg in merged:
            agg = supplier.merger(key, agg, session_agg)
            start = min(start, session.window.start)
            end = max(end, session.window.end)
        if end < close_time:
            logger.warning("Skipping record for expired window. timestamp=[%d] window=[%d,%d] "
                           "expiration=[%d] streamTime=[%d]", ts, start, end, close_time,
                           self.observed_stream_time)
            record_dropped(self.context, "expired window")
            return
        send_old = supplier.send_old_values
        if start != ts or end != ts:
            for session, session_agg in merged:
                store.remove(session)
                if not self.cached:
                    self.forward(Record(session,
                                        Change(None, session_agg if send_old else None),
                                        session.window.end))
        agg = supplier.aggregator(key, record[1], agg)
        session_key = Windowed(key, SessionWindow(start, end))
        store.put(session_key, agg)
        if not self.cached:
            self.forward(Record(session_key, Change(agg, None), end))
