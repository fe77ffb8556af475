"""Value getters: how a join looks up a KTable's current value for a key.

A store-backed table reads its store; a table derived by filter/map_values without a
store of its own computes the value from its parent's getter (Kafka's
KTableValueGetterSupplier chain).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.processor.api import ProcessorContext
from runtime.state.api import ValueAndTimestamp

__all__ = ["MappedValueGetterSupplier", "StoreValueGetter", "StoreValueGetterSupplier", "ValueGetter"]


class ValueGetter:
    def init(self, context: ProcessorContext) -> None:
        raise NotImplementedError

    def get(self, key: Any) -> ValueAndTimestamp | None:
        raise NotImplementedError


class StoreValueGetterSupplier:
    def __init__(self, store_name: str) -> None:
        self.store_names: tuple[str, ...] = (store_name,)

    def get(self) -> ValueGetter:
        return StoreValueGetter(self.store_names[0])


class StoreValueGetter(ValueGetter):
    def __init__(self, store_name: str) -> None:
        self.store_name = store_name
        self.store: Any = None

    def init(self, context: ProcessorContext) -> None:
        self.store = context.get_state_store(self.store_name)

    def get(self, key: Any) -> ValueAndTimestamp | None:
        return self.store.get(key)  # type: ignore[no-any-return]


class MappedValueGetterSupplier:
    """``compute(key, value)`` applied to the parent's value; None stays None."""

    def __init__(self, parent: Any, compute: Callable[[Any, Any], Any]) -> None:
        self.parent = parent
        self.compute = compute
        self.store_names: tuple[str, ...] = parent.store_names

    def get(self) -> ValueGetter:
        return _MappedValueGetter(self.parent.get(), self.compute)


class _MappedValueGetter(ValueGetter):
    def __init__(self, parent: ValueGetter, compute: Callable[[Any, Any], Any]) -> None:
        self.parent = parent
        self.compute = compute

    def init(self, context: ProcessorContext) -> None:
        self.parent.init(context)

    def get(self, key: Any) -> ValueAndTimestamp | None:
        found = self.parent.get(key)
        if found is None:
            return None
        return ValueAndTimestamp.make(self.compute(key, found[0]), found[1])
