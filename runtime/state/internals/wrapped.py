"""Base of every store layer: delegates to the store it wraps."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from runtime.state.api import KeyValueStore, StateStore, StoreContext

__all__ = ["StoreLayer", "WrappedKeyValueStore", "innermost"]


class StoreLayer(StateStore):
    """A layer of a store's decorator stack: name and lifecycle go to ``wrapped``.

    Shared by the key-value and the window store layers; each adds its own data calls.
    """

    wrapped: Any

    @property
    def name(self) -> str:
        return self.wrapped.name

    @property
    def persistent(self) -> bool:
        return self.wrapped.persistent

    @property
    def is_open(self) -> bool:
        return self.wrapped.is_open

    def init(self, context: StoreContext) -> None:
        self.wrapped.init(context)

    def flush(self) -> None:
        self.wrapped.flush()

    def close(self) -> None:
        self.wrapped.close()


class WrappedKeyValueStore(StoreLayer, KeyValueStore[Any, Any]):
    """A key-value layer; by default every call goes to ``wrapped``."""

    def __init__(self, wrapped: KeyValueStore[Any, Any]) -> None:
        self.wrapped = wrapped

    def get(self, key: Any) -> Any:
        return self.wrapped.get(key)

    def put(self, key: Any, value: Any) -> None:
        self.wrapped.put(key, value)

    def put_if_absent(self, key: Any, value: Any) -> Any:
        return self.wrapped.put_if_absent(key, value)

    def delete(self, key: Any) -> Any:
        return self.wrapped.delete(key)

    def range(self, from_key: Any, to_key: Any) -> Iterator[tuple[Any, Any]]:
        return self.wrapped.range(from_key, to_key)

    def reverse_range(self, from_key: Any, to_key: Any) -> Iterator[tuple[Any, Any]]:
        return self.wrapped.reverse_range(from_key, to_key)

    def all(self) -> Iterator[tuple[Any, Any]]:
        return self.wrapped.all()

    def reverse_all(self) -> Iterator[tuple[Any, Any]]:
        return self.wrapped.reverse_all()

    def approximate_num_entries(self) -> int:
        return self.wrapped.approximate_num_entries()


def innermost(store: StateStore) -> StateStore:
    """The bottom of a decorator stack (of key-value or window store layers)."""
    while isinstance(store, StoreLayer):
        store = store.wrapped
    return store
