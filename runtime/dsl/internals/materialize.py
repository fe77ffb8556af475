"""Turn a ``Materialized`` into the store builder of a KTable (KeyValueStoreMaterializer)."""

from __future__ import annotations

from typing import Any

from runtime import naming
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.options import Materialized
from runtime.state.internals.builders import StoreBuilder
from runtime.state.stores import Stores, dsl_key_value_store

__all__ = ["resolve_materialized", "timestamped_store_builder"]


def resolve_materialized(builder: InternalStreamsBuilder, store: str | Materialized | None,
                         store_prefix: str, *, burn_unnamed: bool = False) -> tuple[Materialized, bool]:
    """The Materialized for ``store`` with a store name, and whether it is queryable.

    An unnamed store gets a generated name ``<prefix>STATE-STORE-<index>``. With
    ``burn_unnamed``, one more index is used up first (Kafka's count(Materialized)).
    """
    if isinstance(store, str):
        materialized = Materialized(store_name=store)
    elif store is None:
        materialized = Materialized()
    elif isinstance(store, Materialized):
        materialized = store
    else:
        raise TypeError(f"store must be a store name or a Materialized, got {store!r}")
    if materialized.store_name is not None:
        naming.validate_name(materialized.store_name)
        return materialized, True
    if burn_unnamed:
        builder.new_store_name(store_prefix)
    generated = builder.new_store_name(store_prefix)
    return Materialized(generated, materialized.key_serde, materialized.value_serde,
                        materialized.store_type, materialized.logging_enabled,
                        materialized.log_config, materialized.caching_enabled), False


def timestamped_store_builder(materialized: Materialized, key_serde: Any,
                              value_serde: Any) -> StoreBuilder:
    assert materialized.store_name is not None
    supplier = dsl_key_value_store(materialized.store_name, materialized.store_type)
    store_builder = Stores.timestamped_key_value_store_builder(supplier, key_serde, value_serde)
    if materialized.logging_enabled:
        store_builder.with_logging_enabled(materialized.log_config)
    else:
        store_builder.with_logging_disabled()
    if materialized.caching_enabled:
        store_builder.with_caching_enabled()
    return store_builder
