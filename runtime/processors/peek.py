"""KStreamPeek and foreach: call an action per record; peek forwards it unchanged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.processor.record import Record
from runtime.processors.base import DslProcessor

__all__ = ["KStreamForeach", "KStreamPeek", "PassThrough"]


class KStreamPeek:
    def __init__(self, action: Callable[[Any, Any], Any]) -> None:
        self.action = action

    def __call__(self) -> DslProcessor:
        return _PeekProcessor(self.action)


class _PeekProcessor(DslProcessor):
    def __init__(self, action: Callable[[Any, Any], Any]) -> None:
        self.action = action

    def process(self, record: Record) -> None:
        self.action(record[0], record[1])
        self.forward(record)


class KStreamForeach:
    def __init__(self, action: Callable[[Any, Any], Any]) -> None:
        self.action = action

    def __call__(self) -> DslProcessor:
        return _ForeachProcessor(self.action)


class _ForeachProcessor(DslProcessor):
    def __init__(self, action: Callable[[Any, Any], Any]) -> None:
        self.action = action

    def process(self, record: Record) -> None:
        self.action(record[0], record[1])


class PassThrough:
    """Forwards everything: merge nodes and the filter in front of a repartition sink."""

    def __call__(self) -> DslProcessor:
        return _PassThroughProcessor()

    def __repr__(self) -> str:
        return "PassThrough()"


class _PassThroughProcessor(DslProcessor):
    def process(self, record: Record) -> None:
        self.forward(record)
