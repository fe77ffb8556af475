"""Session store suppliers and builders (Kafka's SessionBytesStoreSupplier /
SessionStoreBuilder)."""

from __future__ import annotations

from typing import Any

from runtime.serdes import Serde
from runtime.state.api import SessionStore
from runtime.state.internals.builders import StoreBuilder
from runtime.state.internals.caching_session_store import CachingSessionStore
from runtime.state.internals.rocksdb_session_store import RocksDBSessionStore
from runtime.state.internals.session_in_memory import InMemorySessionStore
from runtime.state.internals.session_layers import (
    ChangeLoggingSessionBytesStore,
    MeteredSessionStore,
)
from runtime.state.internals.store_settings import current_settings
from runtime.state.internals.window_builders import WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS

__all__ = ["SessionBytesStoreSupplier", "SessionStoreBuilder"]


class SessionBytesStoreSupplier:
    """Makes the innermost bytes store of a session store: ``backend`` "rocksdb",
    "in_memory", or None for what the task's ``default.dsl.store`` says (the DSL's
    stores whose Materialized names no store type)."""

    def __init__(self, name: str, retention_period: int, kind: str,
                 backend: str | None = "in_memory") -> None:
        if retention_period < 0:
            raise ValueError("retentionPeriod cannot be negative")
        self.name = name
        self.retention_period = retention_period
        self.persistent = backend == "rocksdb"
        self.kind = kind
        self.backend = backend

    def get(self) -> SessionStore[bytes, bytes]:
        persistent = (self.backend == "rocksdb" if self.backend is not None
                      else current_settings().dsl_persistent)
        if persistent:
            return RocksDBSessionStore(self.name, self.retention_period)
        return InMemorySessionStore(self.name, self.retention_period)

    def __repr__(self) -> str:
        return f"Stores.{self.kind}({self.name!r}, {self.retention_period})"


class SessionStoreBuilder(StoreBuilder):
    """Session stores are window stores to Kafka's topology builder: their changelog is
    compacted *and* deleted by time, kept for the retention plus one day."""

    def __init__(self, supplier: SessionBytesStoreSupplier, key_serde: Serde[Any] | None,
                 value_serde: Serde[Any] | None) -> None:
        super().__init__(supplier, key_serde, value_serde)  # type: ignore[arg-type]
        self.session_supplier = supplier

    @property  # type: ignore[override]
    def log_config(self) -> dict[str, str]:
        defaults = {
            "cleanup.policy": "compact,delete",
            "retention.ms": str(self.session_supplier.retention_period
                                + WINDOW_CHANGELOG_ADDITIONAL_RETENTION_MS),
        }
        return {**defaults, **self._user_log_config}

    @log_config.setter
    def log_config(self, config: dict[str, str]) -> None:
        self._user_log_config = dict(config)

    def build(self) -> Any:
        store: Any = self.session_supplier.get()
        if self.logging_enabled:
            store = ChangeLoggingSessionBytesStore(store)
        # Kafka's stack: metered over caching over change-logging over the bytes store
        store = self._maybe_cached(store, CachingSessionStore)
        return MeteredSessionStore(store, self.key_serde, self.value_serde)
