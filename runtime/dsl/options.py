"""Option objects of the DSL (Kafka's Consumed, Produced, Grouped, Materialized).

Most users pass keywords (``key_serde=``, ``name=``, ``store=``); these frozen
dataclasses are what the keywords become, and can be passed where a store is named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

    ``store_type`` "rocks_db" (Kafka's default) or "in_memory".
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
