"""Windowed stream-stream joins (Kafka's KStreamJoinWindow and KStreamKStreamJoin).

Each side's records go first through a *windowed* processor that keeps them in that
side's window store (retaining duplicates), then to that side's *join* processor, which
looks up the other side's store for records of the same key within the join window and
emits ``joiner(left_value, right_value)`` at the larger of the two timestamps.

Left and outer joins (Kafka Streams 3.1+, KIP-633): a record that finds no partner is
not emitted at once but parked in the shared "outer" store; it is emitted with None for
the missing side only when its window has closed, i.e. when stream time (the largest
timestamp seen by either side of the join in this task) passes ``t + after + grace``
for a left record or ``t + before + grace`` for a right one. A partner arriving in time
removes it, so no spurious ``(value, None)`` result is ever emitted. A record whose
window has already ended when it arrives (``t + after < stream time``) is emitted at
once. Records with a None key or value are dropped, except that on a side whose
records are emitted without a partner, a None key with a value is emitted at once as a
non-join (KIP-962).

Kafka throttles the scan of the outer store to once per
``__emit.interval.ms.kstreams.outer.join.spurious.results.fix__`` of wall-clock time
(1000 ms by default) as a pure performance measure; that internal setting is honoured
here under the same name, with the default 0 (scan on every record) so results do not
depend on the wall clock.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.base import DslProcessor, record_dropped

__all__ = ["EMIT_INTERVAL_CONFIG", "KStreamJoinWindow", "KStreamKStreamJoin", "TimeTrackers"]

logger = logging.getLogger(__name__)

EMIT_INTERVAL_CONFIG = "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__"
_NO_TIMESTAMP = -1


class _TimeTracker:
    """Stream time and the oldest waiting record, shared by both sides of one join."""

    def __init__(self) -> None:
        self.stream_time = _NO_TIMESTAMP
        self.min_time: int | None = None   # None: Kafka's Long.MAX_VALUE
        self.next_time_to_emit = 0


class TimeTrackers:
    """One tracker per task, handed to both join processors of that task."""

    def __init__(self) -> None:
        self._by_task: dict[str, _TimeTracker] = {}

    def get(self, task_id: str) -> _TimeTracker:
        tracker = self._by_task.get(task_id)
        if tracker is None:
            tracker = self._by_task[task_id] = _TimeTracker()
        return tracker

    def remove(self, task_id: str) -> None:
        self._by_task.pop(task_id, None)


class KStreamJoinWindow:
    """Puts each record with a key into this side's window store, then forwards it."""

    def __init__(self, store_name: str) -> None:
        self.store_name = store_name

    def __call__(self) -> DslProcessor:
        return _JoinWindowProcessor(self.store_name)


class _JoinWindowProcessor(DslProcessor):
    def __init__(self, store_name: str) -> None:
        self.store_name = store_name

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Record) -> None:
        # A None key can never join; the join processor still sees it (left/outer
        # joins emit it as a non-join).
        self.forward(record)
        if record[0] is not None:
            # each record starts its own window; the store is there for retention
            self.store.put(record[0], record[1], record[2])


class KStreamKStreamJoin:
    """One side's join processor. ``is_left`` tells which side this is; ``outer`` whether
    this side's records are emitted without a partner (left side of left/outer joins,
    right side of outer joins). The joiner always receives ``(left_value, right_value)``.
    """

    def __init__(self, *, is_left: bool, windows: Any, joiner: Callable[[Any, Any], Any],
                 outer: bool, other_store: str, outer_store: str | None,
                 trackers: TimeTrackers) -> None:
        self.is_left = is_left
        self.windows = windows
        self.joiner = joiner
        self.outer = outer
        self.other_store = other_store
        self.outer_store = outer_store
        self.trackers = trackers
        # The other side's window is this one mirrored.
        self.join_before_ms = windows.before_ms if is_left else windows.after_ms
        self.join_after_ms = windows.after_ms if is_left else windows.before_ms

    @property
    def store_names(self) -> tuple[str, ...]:
        return (self.other_store,) + ((self.outer_store,) if self.outer_store else ())

    def __call__(self) -> DslProcessor:
        return _StreamStreamJoinProcessor(self)


class _StreamStreamJoinProcessor(DslProcessor):
    def __init__(self, supplier: KStreamKStreamJoin) -> None:
        self.s = supplier

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.other = context.get_state_store(self.s.other_store)
        self.outer_store = (None if self.s.outer_store is None
                            else context.get_state_store(self.s.outer_store))
        self.tracker = self.s.trackers.get(context.task_id)
        self.emit_interval = int(context.app_config.get(EMIT_INTERVAL_CONFIG, 0))

    def _join(self, value: Any, other: Any) -> Any:
        return self.s.joiner(value, other) if self.s.is_left else self.s.joiner(other, value)

    def process(self, record: Record) -> None:
        s, tracker = self.s, self.tracker
        key, value, ts = record[0], record[1], record[2]
        if ts > tracker.stream_time:
            tracker.stream_time = ts
        if s.outer and key is None and value is not None:
            self.forward(Record(key, self._join(value, None), ts, record[3]))
            return
        if key is None or value is None:
            record_dropped(self.context, "null key or value")
            return
        if self.outer_store is not None and ts == tracker.stream_time:
            self._emit_closed_non_joins(record)
        time_from = max(0, ts - s.join_before_ms)
        time_to = max(0, ts + s.join_after_ms)
        matches = list(self.other.fetch(key, time_from, time_to))
        for other_ts, other_value in matches:
            if self.outer_store is not None:
                # the partner is no longer waiting for a match
                self.outer_store.remove(key, other_ts, not s.is_left)
            self.forward(Record(key, self._join(value, other_value), max(ts, other_ts),
                                record[3]))
        if s.outer and not matches:
            # A record whose window has already ended cannot be matched later: emit it
            # now rather than parking it (KStreamKStreamLeftJoinTest.testLowerWindowBound).
            if self.outer_store is None or time_to < tracker.stream_time:
                self.forward(Record(key, self._join(value, None), ts, record[3]))
            else:
                if tracker.min_time is None or ts < tracker.min_time:
                    tracker.min_time = ts
                self.outer_store.add(key, ts, s.is_left, value)

    def _lookback(self, is_left: bool) -> int:
        # a left record waits for right records up to `after` later, a right one for
        # left records up to `before` later
        return self.s.windows.after_ms if is_left else self.s.windows.before_ms

    def _emit_closed_non_joins(self, record: Record) -> None:
        s, tracker = self.s, self.tracker
        grace = s.windows.grace_ms
        if tracker.min_time is not None and \
                tracker.min_time + s.join_after_ms + grace >= tracker.stream_time:
            return  # nothing can have closed yet (Kafka's cheap pre-check)
        if self.emit_interval > 0:
            now = self.context.current_system_time_ms()
            if now < tracker.next_time_to_emit:
                return
            tracker.next_time_to_emit = now + self.emit_interval
        tracker.min_time = None
        store = self.outer_store
        assert store is not None
        emitted = []
        left_open = right_open = False
        for composite, values in store.entries():
            ts, is_left, key = composite
            tracker.min_time = ts
            if left_open and right_open:
                break  # entries are in time order: nothing later can have closed
            if ts + self._lookback(is_left) + grace >= tracker.stream_time:
                # this side's window is still open; the other side's may not be
                if is_left:
                    left_open = True
                else:
                    right_open = True
                continue
            for side, value in values:
                joined = s.joiner(value, None) if side else s.joiner(None, value)
                self.forward(Record(key, joined, ts, record[3]))
            emitted.append(composite)
        for ts, is_left, key in emitted:
            store.delete((ts, is_left, key))

    def close(self) -> None:
        self.s.trackers.remove(self.context.task_id)
