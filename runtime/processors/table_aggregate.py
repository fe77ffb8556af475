"""KTableAggregate / KTableReduce: aggregates of a grouped table (``KGroupedTable``).

Each input is a :class:`Change` read from the repartition topic: its old value is
subtracted from the key's aggregate, then its new value added. The output timestamp is
the record's, or the larger of it and the stored aggregate's when the aggregate existed
(Kafka's KTableAggregate / KTableReduce).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.aggregate import AggregateSupplier, forward_via_cache
from runtime.processors.base import DslProcessor, record_dropped
from runtime.processors.change import Change
from runtime.processors.table_repartition import bind_default_serde
from runtime.state.api import ValueAndTimestamp

__all__ = ["KTableAggregate", "KTableReduce", "count_subtractor"]


def count_subtractor(key: Any, value: Any, aggregate: int) -> int:
    return aggregate - 1


class KTableAggregate(AggregateSupplier):
    """``initializer`` None is a reduce: a group's first value starts its aggregate."""

    # the serde of the repartition topic this aggregation reads (bound at init)
    change_serde: Any = None

    def __init__(self, store_name: str, initializer: Callable[[], Any] | None,
                 adder: Callable[[Any, Any, Any], Any],
                 subtractor: Callable[[Any, Any, Any], Any]) -> None:
        super().__init__(store_name)
        self.initializer = initializer
        self.adder = adder
        self.subtractor = subtractor

    def __call__(self) -> DslProcessor:
        return _TableAggregateProcessor(self)


class KTableReduce(KTableAggregate):
    """``adder(aggregate, value)`` / ``subtractor(aggregate, value)``."""

    def __init__(self, store_name: str, adder: Callable[[Any, Any], Any],
                 subtractor: Callable[[Any, Any], Any]) -> None:
        super().__init__(store_name, None, lambda key, value, agg: adder(agg, value),
                         lambda key, value, agg: subtractor(agg, value))


class _TableAggregateProcessor(DslProcessor):
    def __init__(self, supplier: KTableAggregate) -> None:
        self.supplier = supplier

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        bind_default_serde(self.supplier.change_serde, context)
        self.store = context.get_state_store(self.supplier.store_name)
        self.cached = forward_via_cache(self.store, context, self.supplier.send_old_values)

    def process(self, record: Record) -> None:
        key, change, ts = record[0], record[1], record[2]
        if key is None:  # cannot come out of the repartition map; Kafka raises here
            record_dropped(self.context, "null key")
            return
        supplier = self.supplier
        new_value, old_value = change[0], change[1]
        old = self.store.get(key)
        old_agg = None if old is None else old[0]
        agg = old_agg
        if old_value is not None and old_agg is not None:
            agg = supplier.subtractor(key, old_value, old_agg)
        if new_value is not None:
            if agg is not None:
                agg = supplier.adder(key, new_value, agg)
            elif supplier.initializer is not None:
                agg = supplier.adder(key, new_value, supplier.initializer())
            else:
                agg = new_value
        # the aggregate's timestamp only moves forward once it exists
        changed = old_value is not None or new_value is not None
        new_ts = max(ts, old[1]) if old is not None and changed else ts
        self.store.put(key, ValueAndTimestamp.make(agg, new_ts))
        if self.cached:
            return
        sent_old = old_agg if supplier.send_old_values else None
        self.forward(Record(key, Change(agg, sent_old), new_ts, record[3]))
