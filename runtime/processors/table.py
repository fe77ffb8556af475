"""KTable operators on :class:`Change` records: filter, map_values, to_stream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.processor.api import ProcessorContext
from runtime.processor.record import Record
from runtime.processors.aggregate import forward_via_cache
from runtime.processors.base import DslProcessor, record_dropped
from runtime.processors.change import Change
from runtime.processors.value_getters import MappedValueGetterSupplier, StoreValueGetterSupplier
from runtime.state.api import ValueAndTimestamp

__all__ = ["KTableFilter", "KTableMapValues", "KTableSource", "KTableToStream"]


class KTableSource:
    """Turns a topic into a table. Materialized (a store kept up to date) when the table
    is named or something downstream needs to look values up, e.g. a join."""

    def __init__(self, store_name: str, queryable_name: str | None) -> None:
        self.store_name = store_name
        self.queryable_name = queryable_name
        self.send_old_values = False

    @property
    def materialized(self) -> bool:
        return self.queryable_name is not None

    def materialize(self) -> None:
        self.queryable_name = self.store_name

    def enable_send_old_values(self) -> None:
        self.send_old_values = True
        self.materialize()

    def view(self) -> StoreValueGetterSupplier:
        self.materialize()
        return StoreValueGetterSupplier(self.store_name)

    def __call__(self) -> DslProcessor:
        return _TableSourceProcessor(self)


class _TableSourceProcessor(DslProcessor):
    def __init__(self, supplier: KTableSource) -> None:
        self.supplier = supplier
        self.store: Any = None
        self.cached = False

    def init(self, context: ProcessorContext) -> None:
        super().init(context)
        if self.supplier.materialized:
            self.store = context.get_state_store(self.supplier.store_name)
            self.cached = forward_via_cache(self.store, context, self.supplier.send_old_values)

    def process(self, record: Record) -> None:
        key, value = record[0], record[1]
        if key is None:
            record_dropped(self.context, "null key")
            return
        if self.store is None:
            self.forward(Record(key, Change(value, None), record[2], record[3]))
            return
        old = self.store.get(key)
        self.store.put(key, ValueAndTimestamp.make(value, record[2]))
        if self.cached:
            return
        old_value = None if old is None or not self.supplier.send_old_values else old[0]
        self.forward(Record(key, Change(value, old_value), record[2], record[3]))


class KTableFilter:
    """A value failing the predicate becomes None, so a filtered-out update is
    forwarded as a tombstone (Kafka's KTableFilter without materialization)."""

    def __init__(self, parent: Any, predicate: Callable[[Any, Any], Any],
                 filter_not: bool = False) -> None:
        self.parent = parent
        self.predicate = predicate
        self.filter_not = filter_not
        self.send_old_values = False

    def enable_send_old_values(self) -> None:
        self.send_old_values = True
        self.parent.enable_send_old_values()

    def keep(self, key: Any, value: Any) -> Any:
        return value if bool(self.predicate(key, value)) != self.filter_not else None

    def view(self) -> MappedValueGetterSupplier:
        return MappedValueGetterSupplier(self.parent.view(), self.keep)

    def __call__(self) -> DslProcessor:
        return _TableFilterProcessor(self)


class _TableFilterProcessor(DslProcessor):
    def __init__(self, supplier: KTableFilter) -> None:
        self.supplier = supplier

    def _compute(self, key: Any, value: Any) -> Any:
        return None if value is None else self.supplier.keep(key, value)

    def process(self, record: Record) -> None:
        key, change = record[0], record[1]
        new = self._compute(key, change[0])
        old = self._compute(key, change[1]) if self.supplier.send_old_values else None
        if self.supplier.send_old_values and new is None and old is None:
            return  # nothing changed downstream
        self.forward(Record(key, Change(new, old), record[2], record[3]))


class KTableMapValues:
    def __init__(self, parent: Any, mapper: Callable[..., Any], with_key: bool = False) -> None:
        self.parent = parent
        self.mapper = mapper
        self.with_key = with_key
        self.send_old_values = False

    def enable_send_old_values(self) -> None:
        self.send_old_values = True
        self.parent.enable_send_old_values()

    def map(self, key: Any, value: Any) -> Any:
        return self.mapper(key, value) if self.with_key else self.mapper(value)

    def view(self) -> MappedValueGetterSupplier:
        return MappedValueGetterSupplier(self.parent.view(), self.map)

    def __call__(self) -> DslProcessor:
        return _TableMapValuesProcessor(self)


class _TableMapValuesProcessor(DslProcessor):
    def __init__(self, supplier: KTableMapValues) -> None:
        self.supplier = supplier

    def _compute(self, key: Any, value: Any) -> Any:
        return None if value is None else self.supplier.map(key, value)

    def process(self, record: Record) -> None:
        key, change = record[0], record[1]
        new = self._compute(key, change[0])
        old = self._compute(key, change[1]) if self.supplier.send_old_values else None
        self.forward(Record(key, Change(new, old), record[2], record[3]))


class KTableToStream:
    """A KTable's update stream: each change becomes its new value (None = tombstone)."""

    def __call__(self) -> DslProcessor:
        return _ToStreamProcessor()


class _ToStreamProcessor(DslProcessor):
    def process(self, record: Record) -> None:
        self.forward(Record(record[0], record[1][0], record[2], record[3]))
