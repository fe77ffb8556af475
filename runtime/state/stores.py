"""``Stores``: the public factories for state stores."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from runtime.processor.internals.context import to_millis
from runtime.serdes import Serde
from runtime.state.internals.builders import (
    KeyValueBytesStoreSupplier,
    KeyValueStoreBuilder,
    TimestampedKeyValueStoreBuilder,
)
from runtime.state.internals.in_memory import InMemoryKeyValueStore
from runtime.state.internals.window_builders import (
    TimestampedWindowStoreBuilder,
    WindowBytesStoreSupplier,
    WindowStoreBuilder,
)

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

    # -- window stores ------------------------------------------------------------------
    @staticmethod
    def in_memory_window_store(name: str, retention_period: timedelta | int,
                               window_size: timedelta | int,
                               retain_duplicates: bool = False) -> WindowBytesStoreSupplier:
        """Windows kept for ``retention_period`` of stream time after they start."""
        return WindowBytesStoreSupplier(name, to_millis(retention_period), to_millis(window_size),
                                        retain_duplicates, "in_memory_window_store")

    @staticmethod
    def persistent_window_store(name: str, retention_period: timedelta | int,
                                window_size: timedelta | int,
                                retain_duplicates: bool = False) -> WindowBytesStoreSupplier:
        # In memory until the RocksDB-backed store lands; the changelog makes it durable.
        return WindowBytesStoreSupplier(name, to_millis(retention_period), to_millis(window_size),
                                        retain_duplicates, "persistent_window_store")

    @staticmethod
    def persistent_timestamped_window_store(
            name: str, retention_period: timedelta | int, window_size: timedelta | int,
            retain_duplicates: bool = False) -> WindowBytesStoreSupplier:
        return WindowBytesStoreSupplier(name, to_millis(retention_period), to_millis(window_size),
                                        retain_duplicates, "persistent_timestamped_window_store")

    @staticmethod
    def window_store_builder(supplier: WindowBytesStoreSupplier,
                             key_serde: Serde[Any] | None = None,
                             value_serde: Serde[Any] | None = None) -> WindowStoreBuilder:
        return WindowStoreBuilder(supplier, key_serde, value_serde)

    @staticmethod
    def timestamped_window_store_builder(
            supplier: WindowBytesStoreSupplier, key_serde: Serde[Any] | None = None,
            value_serde: Serde[Any] | None = None) -> TimestampedWindowStoreBuilder:
        return TimestampedWindowStoreBuilder(supplier, key_serde, value_serde)
