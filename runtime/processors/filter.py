"""KStreamFilter: forward the records a predicate accepts (or rejects, for filter_not)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.processor.record import Record
from runtime.processors.base import DslProcessor

__all__ = ["KStreamFilter"]


class KStreamFilter:
    def __init__(self, predicate: Callable[[Any, Any], Any], filter_not: bool = False) -> None:
        self.predicate = predicate
        self.filter_not = filter_not

    def __call__(self) -> DslProcessor:
        return _FilterNotProcessor(self.predicate) if self.filter_not \
            else _FilterProcessor(self.predicate)


class _FilterProcessor(DslProcessor):
    def __init__(self, predicate: Callable[[Any, Any], Any]) -> None:
        self.predicate = predicate

    def process(self, record: Record) -> None:
        if self.predicate(record[0], record[1]):
            self.forward(record)


class _FilterNotProcessor(_FilterProcessor):
    def process(self, record: Record) -> None:
        if not self.predicate(record[0], record[1]):
            self.forward(record)
