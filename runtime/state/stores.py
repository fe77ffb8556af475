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
    dsl_default_key_value_store,
)
from runtime.state.internals.in_memory import InMemoryKeyValueStore
from runtime.state.internals.rocksdb_store import RocksDBKeyValueStore
from runtime.state.internals.session_builders import SessionBytesStoreSupplier, SessionStoreBuilder
from runtime.state.internals.window_builders import (
    TimestampedWindowStoreBuilder,
    WindowBytesStoreSupplier,
    WindowStoreBuilder,
)

__all__ = ["Stores", "dsl_key_value_store", "dsl_session_store", "dsl_window_store"]


def dsl_key_value_store(name: str, store_type: str | None) -> KeyValueBytesStoreSupplier:
    """The supplier of a DSL key-value store: ``Materialized.store_type`` "in_memory" or
    "rocks_db", or None for the task's ``default.dsl.store`` (Kafka's DslStoreSuppliers)."""
    if store_type == "in_memory":
        return Stores.in_memory_key_value_store(name)
    if store_type == "rocks_db":
        return Stores.persistent_timestamped_key_value_store(name)
    return KeyValueBytesStoreSupplier(name, dsl_default_key_value_store, False,
                                      "persistent_timestamped_key_value_store")


def dsl_window_store(name: str, retention_period: int, window_size: int,
                     retain_duplicates: bool, store_type: str | None) -> WindowBytesStoreSupplier:
    """The supplier of a DSL window store, chosen like :func:`dsl_key_value_store`'s."""
    if store_type == "in_memory":
        return Stores.in_memory_window_store(name, retention_period, window_size,
                                             retain_duplicates)
    if store_type == "rocks_db":
        return Stores.persistent_timestamped_window_store(name, retention_period, window_size,
                                                          retain_duplicates)
    return WindowBytesStoreSupplier(name, retention_period, window_size, retain_duplicates,
                                    "persistent_timestamped_window_store", None)


def dsl_session_store(name: str, retention_period: int,
                      store_type: str | None) -> SessionBytesStoreSupplier:
    """The supplier of a DSL session store, chosen like :func:`dsl_key_value_store`'s."""
    if store_type == "in_memory":
        return Stores.in_memory_session_store(name, retention_period)
    if store_type == "rocks_db":
        return Stores.persistent_session_store(name, retention_period)
    return SessionBytesStoreSupplier(name, retention_period, "persistent_session_store", None)


class Stores:
    @staticmethod
    def in_memory_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        return KeyValueBytesStoreSupplier(name, InMemoryKeyValueStore, False,
                                          "in_memory_key_value_store")

    @staticmethod
    def persistent_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        """A RocksDB store under ``state.dir``; the changelog restores it at task init."""
        return KeyValueBytesStoreSupplier(name, RocksDBKeyValueStore, True,
                                          "persistent_key_value_store")

    @staticmethod
    def persistent_timestamped_key_value_store(name: str) -> KeyValueBytesStoreSupplier:
        return KeyValueBytesStoreSupplier(name, RocksDBKeyValueStore, True,
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
                                        retain_duplicates, "in_memory_window_store", "in_memory")

    @staticmethod
    def persistent_window_store(name: str, retention_period: timedelta | int,
                                window_size: timedelta | int,
                                retain_duplicates: bool = False) -> WindowBytesStoreSupplier:
        """A segmented RocksDB window store under ``state.dir``."""
        return WindowBytesStoreSupplier(name, to_millis(retention_period), to_millis(window_size),
                                        retain_duplicates, "persistent_window_store", "rocksdb")

    @staticmethod
    def persistent_timestamped_window_store(
            name: str, retention_period: timedelta | int, window_size: timedelta | int,
            retain_duplicates: bool = False) -> WindowBytesStoreSupplier:
        return WindowBytesStoreSupplier(name, to_millis(retention_period), to_millis(window_size),
                                        retain_duplicates, "persistent_timestamped_window_store",
                                        "rocksdb")

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

    # -- session stores -----------------------------------------------------------------
    @staticmethod
    def in_memory_session_store(name: str,
                                retention_period: timedelta | int) -> SessionBytesStoreSupplier:
        """Sessions kept until stream time passes their end by ``retention_period``."""
        return SessionBytesStoreSupplier(name, to_millis(retention_period),
                                         "in_memory_session_store", "in_memory")

    @staticmethod
    def persistent_session_store(name: str,
                                 retention_period: timedelta | int) -> SessionBytesStoreSupplier:
        """A segmented RocksDB session store under ``state.dir``."""
        return SessionBytesStoreSupplier(name, to_millis(retention_period),
                                         "persistent_session_store", "rocksdb")

    @staticmethod
    def session_store_builder(supplier: SessionBytesStoreSupplier,
                              key_serde: Serde[Any] | None = None,
                              value_serde: Serde[Any] | None = None) -> SessionStoreBuilder:
        return SessionStoreBuilder(supplier, key_serde, value_serde)
