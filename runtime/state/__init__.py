"""State stores: interfaces and the ``Stores`` factories."""

from __future__ import annotations

from runtime.state.api import (
    KeyValueStore,
    StateStore,
    StoreContext,
    TimestampedKeyValueStore,
    TimestampedWindowStore,
    ValueAndTimestamp,
    WindowStore,
)
from runtime.state.internals.builders import KeyValueBytesStoreSupplier, StoreBuilder
from runtime.state.queryable import (
    QueryableStoreType,
    QueryableStoreTypes,
    ReadOnlyKeyValueStore,
    ReadOnlySessionStore,
    ReadOnlyWindowStore,
    StoreQueryParameters,
)
from runtime.state.stores import Stores

__all__ = [
    "KeyValueBytesStoreSupplier",
    "KeyValueStore",
    "QueryableStoreType",
    "QueryableStoreTypes",
    "ReadOnlyKeyValueStore",
    "ReadOnlySessionStore",
    "ReadOnlyWindowStore",
    "StateStore",
    "StoreBuilder",
    "StoreContext",
    "StoreQueryParameters",
    "Stores",
    "TimestampedKeyValueStore",
    "TimestampedWindowStore",
    "ValueAndTimestamp",
    "WindowStore",
]
