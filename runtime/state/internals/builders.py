"""Store suppliers (the innermost store) and builders (the decorator stack around it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runtime.serdes import Serde
from runtime.state.api import KeyValueStore
from runtime.state.internals.caching_store import CachingKeyValueStore
from runtime.state.internals.change_logging import (
    ChangeLoggingKeyValueBytesStore,
    ChangeLoggingTimestampedKeyValueBytesStore,
)
from runtime.state.internals.in_memory import InMemoryKeyValueStore
from runtime.state.internals.metered import MeteredKeyValueStore, MeteredTimestampedKeyValueStore
from runtime.state.internals.rocksdb_store import RocksDBKeyValueStore
from runtime.state.internals.store_settings import current_settings

__all__ = ["KeyValueBytesStoreSupplier", "KeyValueStoreBuilder", "StoreBuilder",
           "TimestampedKeyValueStoreBuilder", "dsl_default_key_value_store"]


def dsl_default_key_value_store(name: str) -> KeyValueStore[bytes, bytes]:
    """The store of a DSL operator whose Materialized names no store type: RocksDB or
    in memory as the task's ``default.dsl.store`` says (Kafka's DslStoreSuppliers)."""
    if current_settings().dsl_persistent:
        return RocksDBKeyValueStore(name)
    return InMemoryKeyValueStore(name)


class KeyValueBytesStoreSupplier:
    """Makes the innermost bytes store of a key-value store."""

    def __init__(self, name: str, factory: Callable[[str], KeyValueStore[bytes, bytes]],
                 persistent: bool, kind: str) -> None:
        self.name = name
        self._factory = factory
        self.persistent = persistent
        self.kind = kind

    def get(self) -> KeyValueStore[bytes, bytes]:
        return self._factory(self.name)

    def __repr__(self) -> str:
        return f"Stores.{self.kind}({self.name!r})"


class StoreBuilder:
    """Builds a fresh store stack for each task; configured fluently like Kafka's."""

    timestamped = False

    def __init__(self, supplier: KeyValueBytesStoreSupplier, key_serde: Serde[Any] | None,
                 value_serde: Serde[Any] | None) -> None:
        self.supplier = supplier
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.logging_enabled = True
        self.log_config: dict[str, str] = {}
        self.caching_enabled = False

    @property
    def name(self) -> str:
        return self.supplier.name

    def with_logging_enabled(self, config: Mapping[str, str] | None = None) -> StoreBuilder:
        self.logging_enabled = True
        self.log_config = dict(config or {})
        return self

    def with_logging_disabled(self) -> StoreBuilder:
        self.logging_enabled = False
        self.log_config = {}
        return self

    def with_caching_enabled(self) -> StoreBuilder:
        self.caching_enabled = True
        return self

    def with_caching_disabled(self) -> StoreBuilder:
        self.caching_enabled = False
        return self

    def build(self) -> KeyValueStore[Any, Any]:
        raise NotImplementedError

    def _maybe_cached(self, store: Any, layer: Callable[[Any, Any], Any]) -> Any:
        """Put the caching layer over ``store`` when this builder asks for caching and
        the building task has a record cache (``statestore.cache.max.bytes`` > 0)."""
        cache = current_settings().cache
        if self.caching_enabled and cache is not None:
            return layer(store, cache)
        return store


class KeyValueStoreBuilder(StoreBuilder):
    def build(self) -> KeyValueStore[Any, Any]:
        store: KeyValueStore[Any, Any] = self.supplier.get()
        if self.logging_enabled:
            store = ChangeLoggingKeyValueBytesStore(store)
        store = self._maybe_cached(store, CachingKeyValueStore)
        return MeteredKeyValueStore(store, self.key_serde, self.value_serde)


class TimestampedKeyValueStoreBuilder(StoreBuilder):
    timestamped = True

    def build(self) -> KeyValueStore[Any, Any]:
        store: KeyValueStore[Any, Any] = self.supplier.get()
        if self.logging_enabled:
            store = ChangeLoggingTimestampedKeyValueBytesStore(store)
        store = self._maybe_cached(store, CachingKeyValueStore)
        return MeteredTimestampedKeyValueStore(store, self.key_serde, self.value_serde)

