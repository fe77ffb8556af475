"""``Stores``: the public factories for state stores."""

from __future__ import annotations

from typing import Any

from runtime.serdes import Serde
from runtime.state.internals.builders import (
    KeyValueBytesStoreSupplier,
    KeyValueStoreBuilder,
    TimestampedKeyValueStoreBuilder,
)
from runtime.state.internals.in_memory import InMemoryKeyValueStore

__all__ = ["Stores"]


class Stores:
    @staticmethod
    def in_memory_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        return KeyValueBytesStoreSupplier(name, InMemoryKeyValueStore, False,
                                          "in_memory_key_value_store")

    @staticmethod
    def persistent_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        # Until the RocksDB-backed store lands, a "persistent" store keeps its data in
        # memory; durability comes from the changelog topic either way.
        return KeyValueBytesStoreSupplier(name, InMemoryKeyValueStore, False,
                                          "persistent_key_value_store")

    @staticmethod
    def persistent_timestamped_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        return KeyValueBytesStoreSupplier(name, InMemoryKeyValueStore, False,
                                          "persistent_timestamped_key_value_store")

    @staticmethod
    def key_value_store_builder(supplier: KeyValueBytesStoreSupplier,
                                key_serde: Serde[Any] | None = None,
                                value_serde: Serde[Any] | None = None) -> KeyValueStoreBuilder:
        return KeyValueStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def timestamped_key_value_store_builder(
            supplier: KeyValueBytesStoreSupplier, key_serde: Serde[Any] | None = None,
            value_serde: Serde[Any] | None = None) -> TimestampedKeyValueStoreBuilder:
        return TimestampedKeyValueStoreBuilder(supplier, key_serde, value_serde)
