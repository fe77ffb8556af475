"""The shared store of a left/outer stream-stream join (Kafka's "outer" store, KIP-633).

Records that found no partner wait here until their join window closes. Keys are
Kafka's ``TimestampedKeyAndJoinSide`` layout: 8-byte big-endian timestamp, one byte for
the side (1 = left, 0 = right), then the serialized key, so the byte order of the store
is time, then side, then key. A key holds a list of values (Kafka's list-value store):
each entry is a 4-byte big-endian length and a ``LeftOrRightValue`` (side byte + value
bytes). The store is a plain key-value stack (metered → change-logging → in memory)
whose changelog is compacted like any key-value changelog.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

from runtime.errors import SerializationError
from runtime.serdes import Serde
from runtime.state.api import StoreContext
from runtime.state.internals.builders import KeyValueBytesStoreSupplier, StoreBuilder
from runtime.state.internals.change_logging import ChangeLoggingKeyValueBytesStore
from runtime.state.internals.in_memory import InMemoryKeyValueStore
from runtime.state.internals.metered import MeteredKeyValueStore

__all__ = ["OuterJoinStore", "OuterJoinStoreBuilder"]

_TIME_SIDE = struct.Struct(">q?")
_LENGTH = struct.Struct(">i")


class OuterJoinStoreBuilder(StoreBuilder):
    def __init__(self, name: str, key_serde: Serde[Any] | None, left_serde: Serde[Any] | None,
                 right_serde: Serde[Any] | None) -> None:
        supplier = KeyValueBytesStoreSupplier(name, InMemoryKeyValueStore, False,
                                              "in_memory_key_value_store")
        super().__init__(supplier, None, None)
        self.join_key_serde = key_serde
        self.left_serde = left_serde
        self.right_serde = right_serde

    def build(self) -> OuterJoinStore:
        store: Any = self.supplier.get()
        if self.logging_enabled:
            store = ChangeLoggingKeyValueBytesStore(store)
        return OuterJoinStore(store, self.join_key_serde, self.left_serde, self.right_serde)


class OuterJoinStore(MeteredKeyValueStore):
    """Typed access for the join processors: ``add``, ``remove`` and ``entries``.

    ``get``/``put``/``all`` (what a test driver sees) work on ``(timestamp, is_left,
    key)`` tuples and lists of ``(is_left, value)`` pairs.
    """

    def __init__(self, wrapped: Any, key_serde: Serde[Any] | None,
                 left_serde: Serde[Any] | None, right_serde: Serde[Any] | None) -> None:
        super().__init__(wrapped, None, None)
        self.join_key_serde = key_serde
        self.left_serde = left_serde
        self.right_serde = right_serde

    def init(self, context: StoreContext) -> None:
        if self.join_key_serde is None:
            self.join_key_serde = context.default_key_serde()
        if self.left_serde is None:
            self.left_serde = context.default_value_serde()
        if self.right_serde is None:
            self.right_serde = context.default_value_serde()
        self.key_serde = _KeyAndSideSerde(self)
        self.value_serde = _ValueListSerde(self)
        super().init(context)

    # -- what the join processors use ---------------------------------------------------
    def add(self, key: Any, timestamp: int, is_left: bool, value: Any) -> None:
        """Append ``value`` to the list of ``(timestamp, side, key)``."""
        composite = (timestamp, is_left, key)
        values = self.get(composite) or []
        values.append((is_left, value))
        self.put(composite, values)

    def remove(self, key: Any, timestamp: int, is_left: bool) -> None:
        """Drop every value of ``(timestamp, side, key)``, if there are any."""
        composite = (timestamp, is_left, key)
        if self.get(composite) is not None:
            self.delete(composite)

    def entries(self) -> Iterator[tuple[tuple[int, bool, Any], list[tuple[bool, Any]]]]:
        """Every waiting record, by time, then side (right first), then key bytes."""
        return self.all()


class _KeyAndSideSerde(Serde[Any]):
    def __init__(self, store: OuterJoinStore) -> None:
        self.store = store

    def serialize(self, data: Any, topic: str | None = None, headers: Any = None) -> bytes | None:
        if data is None:
            return None
        timestamp, is_left, key = data
        assert self.store.join_key_serde is not None
        raw = self.store.join_key_serde.serialize(key, topic)
        if raw is None:
            raise SerializationError(f"store {self.store.name}: key {key!r} serialized to None")
        return _TIME_SIDE.pack(timestamp, is_left) + raw

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Any = None) -> Any:
        if data is None:
            return None
        timestamp, is_left = _TIME_SIDE.unpack_from(data)
        assert self.store.join_key_serde is not None
        return (timestamp, is_left,
                self.store.join_key_serde.deserialize(data[_TIME_SIDE.size:], topic))


class _ValueListSerde(Serde[Any]):
    def __init__(self, store: OuterJoinStore) -> None:
        self.store = store

    def _serde(self, is_left: bool) -> Serde[Any]:
        serde = self.store.left_serde if is_left else self.store.right_serde
        assert serde is not None
        return serde

    def serialize(self, data: Any, topic: str | None = None, headers: Any = None) -> bytes | None:
        if data is None:
            return None
        parts = []
        for is_left, value in data:
            raw = self._serde(is_left).serialize(value, topic) or b""
            parts.append(_LENGTH.pack(len(raw) + 1) + (b"\x01" if is_left else b"\x00") + raw)
        return b"".join(parts)

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Any = None) -> Any:
        if data is None:
            return None
        out = []
        pos = 0
        while pos < len(data):
            (length,) = _LENGTH.unpack_from(data, pos)
            pos += _LENGTH.size
            is_left = data[pos] == 1
            out.append((is_left, self._serde(is_left).deserialize(data[pos + 1:pos + length],
                                                                  topic)))
            pos += length
        return out
