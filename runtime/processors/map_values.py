"""KStreamMapValues: a new value for every record, the key untouched."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.processor.record import Record, new_record
from runtime.processors.base import DslProcessor

__all__ = ["KStreamMapValues"]


class KStreamMapValues:
    """``mapper(value)``, or ``mapper(key, value)`` with ``with_key=True``."""

    def __init__(self, mapper: Callable[..., Any], with_key: bool = False) -> None:
        self.mapper = mapper
        self.with_key = with_key

    def __call__(self) -> DslProcessor:
        if self.with_key:
            return _MapValuesWithKeyProcessor(self.mapper)
        return _MapValuesProcessor(self.mapper)


class _MapValuesProcessor(DslProcessor):
    def __init__(self, mapper: Callable[..., Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        self.forward(new_record((record[0], self.mapper(record[1]), record[2], record[3])))


class _MapValuesWithKeyProcessor(_MapValuesProcessor):
    def process(self, record: Record) -> None:
        self.forward(new_record((record[0], self.mapper(record[0], record[1]), record[2],
                                 record[3])))
