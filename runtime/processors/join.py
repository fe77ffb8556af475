"""KStreamKTableJoin: each stream record looks up the table's current value for its key.

Inner join: no table value, no output. Left join: the joiner gets None. Records with a
None value are skipped, and with a None key too unless it is a left join (as in Kafka
Streams 3.7+). Output keeps the stream record's key and timestamp.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.base import DslProcessor, record_dropped

__all__ = ["KStreamKTableJoin"]


class KStreamKTableJoin:
    def __init__(self, value_getter: Any, joiner: Callable[[Any, Any], Any], left: bool) -> None:
        self.value_getter = value_getter
        self.joiner = joiner
        self.left = left

    def __call__(self) -> DslProcessor:
        return _StreamTableJoinProcessor(self.value_getter.get(), self.joiner, self.left)


class _StreamTableJoinProcessor(DslProcessor):
    def __init__(self, getter: Any, joiner: Callable[[Any, Any], Any], left: bool) -> None:
        self.getter = getter
        self.joiner = joiner
        self.left = left

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        self.getter.init(context)

    def process(self, record: Record) -> None:
        key, value = record[0], record[1]
        if value is None or (key is None and not self.left):
            record_dropped(self.context, "null join key or value")
            return
        found = None if key is None else self.getter.get(key)
        other = None if found is None else found[0]
        if other is not None or self.left:
            self.forward(Record(key, self.joiner(value, other), record[2], record[3]))
