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
from runtime.state.stores import Stores

__all__ = [
    "KeyValueBytesStoreSupplier",
    "KeyValueStore",
    "StateStore",
    "StoreBuilder",
    "StoreContext",
    "Stores",
    "TimestampedKeyValueStore",
    "TimestampedWindowStore",
    "ValueAndTimestamp",
    "WindowStore",
]
