"""Option objects of the DSL (Kafka's Consumed, Produced, Grouped, Materialized).

Most users pass keywords (``key_serde=``, ``name=``, ``store=``); these frozen
dataclasses are what the keywords become, and can be passed where a store is named.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from runtime.serdes import Serde

__all__ = ["Consumed", "Grouped", "Materialized", "Produced"]


@dataclass(frozen=True)
class Consumed:
    key_serde: Serde[Any] | None = None
    value_serde: Serde[Any] | None = None
    timestamp_extractor: Any = None
    name: str | None = None


@dataclass(frozen=True)
class Produced:
    key_serde: Serde[Any] | None = None
    value_serde: Serde[Any] | None = None
    partitioner: Any = None
    name: str | None = None


@dataclass(frozen=True)
class Grouped:
    key_serde: Serde[Any] | None = None
    value_serde: Serde[Any] | None = None
    name: str | None = None


@dataclass(frozen=True)
class Materialized:
    """How a KTable's store is made: its name, serdes, type, logging and caching.

    ``store_type`` "rocks_db" or "in_memory"; None follows ``default.dsl.store``.
    ``caching_enabled`` (default True, as Kafka) puts the store behind the record cache
    when ``statestore.cache.max.bytes`` > 0.
    """

    store_name: str | None = None
    key_serde: Serde[Any] | None = None
    value_serde: Serde[Any] | None = None
    store_type: Literal["rocks_db", "in_memory"] | None = None
    logging_enabled: bool = True
    log_config: dict[str, str] = field(default_factory=dict)
    caching_enabled: bool = True

    @staticmethod
    def as_(store_name: str) -> Materialized:
        return Materialized(store_name=store_name)

    @staticmethod
    def with_(key_serde: Serde[Any] | None, value_serde: Serde[Any] | None) -> Materialized:
        return Materialized(key_serde=key_serde, value_serde=value_serde)

    def with_caching_enabled(self) -> Materialized:
        """Cache the store (the default): updates are compacted per key in the record
        cache and go downstream and to the changelog at commit or eviction."""
        return replace(self, caching_enabled=True)

    def with_caching_disabled(self) -> Materialized:
        """Forward and log every update of the store as it happens."""
        return replace(self, caching_enabled=False)

    def with_store_type(self, store_type: Literal["rocks_db", "in_memory"]) -> Materialized:
        """Override ``default.dsl.store`` for this store (Kafka's Materialized.as(StoreType))."""
        if store_type not in ("rocks_db", "in_memory"):
            raise ValueError(f"store_type must be 'rocks_db' or 'in_memory', got {store_type!r}")
        return replace(self, store_type=store_type)
