"""KTableRepartitionMap: ``KTable.group_by``'s selector applied to old and new values.

Each update of the table becomes at most two records for the repartition topic: the old
value to subtract under its old grouping key and the new value to add under its new
one. When both map to the same key they travel as one Change (Kafka 3.5+, KIP-904), so
the aggregation never shows the intermediate "subtracted" result. Pairs with a None key
or value are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.config import StreamsConfig
from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.base import DslProcessor, record_dropped
from runtime.processors.change import Change

__all__ = ["KTableRepartitionMap", "bind_default_serde"]


def bind_default_serde(serde: Any, context: ProcessorContext) -> None:
    """Give a :class:`ChangeSerde` without an inner serde the app's default value serde."""
    if serde is not None and serde.inner is None:
        serde.set_if_unset(StreamsConfig(context.app_config).default_value_serde())


class KTableRepartitionMap:
    def __init__(self, selector: Callable[[Any, Any], Any]) -> None:
        self.selector = selector
        # the serdes of the repartition topics this map writes (one per aggregation)
        self.change_serdes: list[Any] = []

    def enable_send_old_values(self) -> None:
        raise RuntimeError("KTableRepartitionMap always requires sending old values")

    def __call__(self) -> DslProcessor:
        return _RepartitionMapProcessor(self)


class _RepartitionMapProcessor(DslProcessor):
    def __init__(self, supplier: KTableRepartitionMap) -> None:
        self.supplier = supplier

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        for serde in self.supplier.change_serdes:
            bind_default_serde(serde, context)

    def _select(self, key: Any, value: Any) -> tuple[Any, Any] | None:
        if value is None:
            return None
        pair = self.supplier.selector(key, value)
        if pair is None:
            return None
        new_key, new_value = pair
        return None if new_key is None or new_value is None else (new_key, new_value)

    def process(self, record: Record) -> None:
        key, change = record[0], record[1]
        if key is None:  # a table never holds a None key; Kafka raises here
            record_dropped(self.context, "null key")
            return
        new = self._select(key, change[0])
        old = self._select(key, change[1])
        ts, headers = record[2], record[3]
        if old is not None and new is not None and old[0] == new[0]:
            self.forward(Record(new[0], Change(new[1], old[1]), ts, headers))
            return
        # the old value first, as reduce and aggregate expect
        if old is not None:
            self.forward(Record(old[0], Change(None, old[1]), ts, headers))
        if new is not None:
            self.forward(Record(new[0], Change(new[1], None), ts, headers))
