"""KTablePassThrough: the merge node of a cogrouped aggregation (Kafka's
``KTablePassThrough``). Every input's aggregate processor writes the one shared store
and forwards its update; the merge forwards them unchanged, and lookups read the store.
"""

from __future__ import annotations

from typing import Any

from runtime.processor.record import Record
from runtime.processors.base import DslProcessor

__all__ = ["KTablePassThrough"]


class KTablePassThrough:
    def __init__(self, parents: list[Any], store_name: str) -> None:
        self.parents = parents
        self.store_name = store_name

    def enable_send_old_values(self) -> None:
        for parent in self.parents:
            parent.enable_send_old_values()

    def view(self) -> Any:
        # Each parent's view reads the shared store (key-value or window store).
        return self.parents[0].view()

    def __call__(self) -> DslProcessor:
        return _PassThroughProcessor()


class _PassThroughProcessor(DslProcessor):
    def process(self, record: Record) -> None:
        self.forward(record)
