"""A plain-value view of a timestamped store (what the test driver hands out)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from runtime.state.api import KeyValueStore, StoreContext, ValueAndTimestamp
from runtime.state.internals.wrapped import WrappedKeyValueStore

__all__ = ["KeyValueStoreFacade"]


class KeyValueStoreFacade(WrappedKeyValueStore):
    """Reads unwrap :class:`ValueAndTimestamp`; writes stamp the value with the current
    record timestamp of the task, like Kafka's ``KeyValueStoreFacade``."""

    def __init__(self, wrapped: KeyValueStore[Any, Any], timestamp: Any) -> None:
        super().__init__(wrapped)
        self._timestamp = timestamp

    def init(self, context: StoreContext) -> None:
        raise RuntimeError("a facade is never initialised")

    def get(self, key: Any) -> Any:
        return ValueAndTimestamp.get_value_or_null(self.wrapped.get(key))

    def put(self, key: Any, value: Any) -> None:
        self.wrapped.put(key, ValueAndTimestamp.make(value, self._timestamp()))

    def put_if_absent(self, key: Any, value: Any) -> Any:
        return ValueAndTimestamp.get_value_or_null(
            self.wrapped.put_if_absent(key, ValueAndTimestamp.make(value, self._timestamp())))

    def delete(self, key: Any) -> Any:
        return ValueAndTimestamp.get_value_or_null(self.wrapped.delete(key))

    @staticmethod
    def _unwrap(it: Iterator[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
        return iter([(k, None if v is None else v.value) for k, v in it])

    def range(self, from_key: Any, to_key: Any) -> Iterator[tuple[Any, Any]]:
        return self._unwrap(self.wrapped.range(from_key, to_key))

    def reverse_range(self, from_key: Any, to_key: Any) -> Iterator[tuple[Any, Any]]:
        return self._unwrap(self.wrapped.reverse_range(from_key, to_key))

    def all(self) -> Iterator[tuple[Any, Any]]:
        return self._unwrap(self.wrapped.all())

    def reverse_all(self) -> Iterator[tuple[Any, Any]]:
        return self._unwrap(self.wrapped.reverse_all())
