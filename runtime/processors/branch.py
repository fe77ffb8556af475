"""KStreamBranch: each record goes to the first branch whose predicate accepts it,
else to the default branch if there is one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.processor.record import Record
from runtime.processors.base import DslProcessor

__all__ = ["KStreamBranch"]


class KStreamBranch:
    """Predicates and child names are filled in as branches are added."""

    def __init__(self) -> None:
        self.predicates: list[Callable[[Any, Any], Any]] = []
        self.children: list[str] = []

    def __call__(self) -> DslProcessor:
        return _BranchProcessor(self.predicates, self.children)


class _BranchProcessor(DslProcessor):
    def __init__(self, predicates: list[Callable[[Any, Any], Any]], children: list[str]) -> None:
        self.predicates = predicates
        self.children = children

    def process(self, record: Record) -> None:
        key, value = record[0], record[1]
        for i, predicate in enumerate(self.predicates):
            if predicate(key, value):
                self.forward(record, self.children[i])
                return
        if len(self.children) > len(self.predicates):
            self.forward(record, self.children[len(self.predicates)])
