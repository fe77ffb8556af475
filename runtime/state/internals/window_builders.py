"""Window store suppliers and builders (Kafka's WindowBytesStoreSupplier / WindowStoreBuilder)."""

from __future__ import annotations

from typing import Any

from runtime.serdes import Serde
from runtime.state.api import WindowStore
from runtime.state.internals.builders import StoreBuilder
from runtime.state.internals.caching_window_store import CachingWindowStore
from runtime.state.internals.in_memory_window import InMemoryWindowStore
from runtime.state.internals.rocksdb_window_store import RocksDBWindowStore
from runtime.state.internals.store_settings import current_settings
from runtime.state.internals.window_duplicates import ChangeLoggingDuplicatesWindowBytesStore
from runtime.state.internals.window_layers import (
    ChangeLoggingTimestampedWindowBytesStore,
    ChangeLoggingWindowBytesStore,
    MeteredTimestampedWindowStore,
    MeteredWindowStore,
)

__all__ = ["TimestampedWindowStoreBuilder", "WindowBytesStoreSupplier", "WindowStoreBuilder",
           "WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS"]

# windowstore.changelog.additional.retention.ms: how much longer than the store the
# changelog keeps a window, so clock drift does not delete data still needed (1 day).
WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS = 24 * 60 * 60 * 1000


class WindowBytesStoreSupplier:
    """Makes the innermost bytes store of a window store: ``backend`` "rocksdb",
    "in_memory", or None for what the task's ``default.dsl.store`` says (the DSL's
    stores whose Materialized names no store type)."""

    def __init__(self, name: str, retention_period: int, window_size: int,
                 retain_duplicates: bool, kind: str, backend: str | None = None) -> None:
        if window_size > retention_period:
            raise ValueError(f"The retention period of the window store {name} must be no "
                             f"smaller than its window size. Got size=[{window_size}], "
                             f"retention=[{retention_period}]")
        self.name = name
        self.retention_period = retention_period
        self.window_size = window_size
        self.retain_duplicates = retain_duplicates
        self.persistent = backend == "rocksdb"
        self.kind = kind
        self.backend = backend

    def get(self) -> WindowStore[bytes, bytes]:
        persistent = (self.backend == "rocksdb" if self.backend is not None
                      else current_settings().dsl_persistent)
        factory = RocksDBWindowStore if persistent else InMemoryWindowStore
        return factory(self.name, self.retention_period, self.window_size,
                       self.retain_duplicates)

    def __repr__(self) -> str:
        return (f"Stores.{self.kind}({self.name!r}, {self.retention_period}, "
                f"{self.window_size}, {self.retain_duplicates})")


class WindowStoreBuilder(StoreBuilder):
    """Changelog topics of window stores are compacted *and* deleted by time, kept for
    the store's retention plus one day (Kafka's WindowedChangelogTopicConfig). A store
    that retains duplicates has keys that never repeat, so its changelog is only
    deleted by time (``cleanup.policy=delete``), as in Kafka."""

    def __init__(self, supplier: WindowBytesStoreSupplier, key_serde: Serde[Any] | None,
                 value_serde: Serde[Any] | None) -> None:
        super().__init__(supplier, key_serde, value_serde)  # type: ignore[arg-type]
        self.window_supplier = supplier

    @property  # type: ignore[override]
    def log_config(self) -> dict[str, str]:
        defaults = {
            "cleanup.policy": ("delete" if self.window_supplier.retain_duplicates
                               else "compact,delete"),
            "retention.ms": str(self.window_supplier.retention_period
                                + WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS),
        }
        return {**defaults, **self._user_log_config}

    @log_config.setter
    def log_config(self, config: dict[str, str]) -> None:
        self._user_log_config = dict(config)

    def _cached(self, store: Any) -> Any:
        # Kafka's WindowStoreBuilder never caches a store that retains duplicates
        if self.window_supplier.retain_duplicates:
            return store
        return self._maybe_cached(store, CachingWindowStore)

    def build(self) -> Any:
        store: Any = self.window_supplier.get()
        if self.logging_enabled:
            store = (ChangeLoggingDuplicatesWindowBytesStore(store)
                     if self.window_supplier.retain_duplicates
                     else ChangeLoggingWindowBytesStore(store))
        return MeteredWindowStore(self._cached(store), self.key_serde, self.value_serde)


class TimestampedWindowStoreBuilder(WindowStoreBuilder):
    timestamped = True

    def build(self) -> Any:
        store: Any = self.window_supplier.get()
        if self.logging_enabled:
            store = ChangeLoggingTimestampedWindowBytesStore(store)
        return MeteredTimestampedWindowStore(self._cached(store), self.key_serde,
                                             self.value_serde)
