"""What the foreign-key join (KIP-213) sends through its two internal topics, with the
byte layouts of Kafka Streams' ``SubscriptionWrapperSerde`` and
``SubscriptionResponseWrapperSerde``, and the subscription store's combined key
(``CombinedKeySchema``), so a Java application's topics and changelogs read the same.

- subscription (left → right, keyed by foreign key)::

    {1 bit hash-is-null}{7 bits version}{1 byte instruction}{16 byte hash, if any}
    {primary key bytes}{4 byte primary partition, version 1 only}

- response (right → left, keyed by primary key)::

    {1 bit hash-is-null}{7 bits version}{16 byte hash, if any}{foreign value bytes, if any}

- subscription store key: ``{4 byte foreign key length}{foreign key}{primary key}``,
  so every subscription of one foreign key shares a prefix.

The hash is Murmur3 x64 128 of the left value's bytes, two signed 64-bit longs.
Inner serdes left None in the topology (the application's defaults) are filled in by
the join's processors at init, as Kafka's ``WrappingNullableSerde.setIfUnset`` does.
"""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import Any

from runtime.errors import SerializationError
from runtime.serdes.base import Headers, Serde, WrappingSerde

__all__ = [
    "CombinedKeySchema",
    "Instruction",
    "ResponseWrapper",
    "ResponseWrapperSerde",
    "SubscriptionWrapper",
    "SubscriptionWrapperSerde",
]

_HASH = struct.Struct(">qq")
_INT = struct.Struct(">i")
_HASH_IS_NULL = 0x80
SUBSCRIPTION_VERSION = 1
RESPONSE_VERSION = 0


class Instruction(enum.IntEnum):
    """What the right side does with a subscription (Kafka's byte values)."""

    DELETE_KEY_NO_PROPAGATE = 0
    DELETE_KEY_AND_PROPAGATE = 1
    PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE = 2
    PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE = 3


@dataclass(frozen=True)
class SubscriptionWrapper:
    hash: tuple[int, int] | None
    instruction: Instruction
    primary_key: Any
    primary_partition: int | None = None
    version: int = SUBSCRIPTION_VERSION


@dataclass(frozen=True)
class ResponseWrapper:
    original_value_hash: tuple[int, int] | None
    foreign_value: Any
    # not serialized: where the response goes (the left record's partition)
    primary_partition: int | None = None
    version: int = RESPONSE_VERSION


class SubscriptionWrapperSerde(WrappingSerde):
    name = "subscription_wrapper"

    def __init__(self, primary_key_serde: Serde[Any] | None,
                 pseudo_topic: str | None = None) -> None:
        super().__init__(primary_key_serde)
        self.pseudo_topic = pseudo_topic

    def serialize(self, data: Any, topic: str | None = None,
                  headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, SubscriptionWrapper):
            raise SerializationError(f"expected a SubscriptionWrapper, got {data!r}")
        pk = self._inner().serialize(data.primary_key, self.pseudo_topic, headers)
        if pk is None:
            raise SerializationError("the primary key of a subscription serialized to None")
        # Without a partition the wrapper is written as version 0 (which has none).
        version = data.version if data.primary_partition is not None else 0
        if not 0 <= version <= 0x7F:
            raise SerializationError(f"SubscriptionWrapper version {version} is out of range")
        head = bytes([version if data.hash is not None else version | _HASH_IS_NULL,
                      int(data.instruction)])
        hashed = _HASH.pack(*data.hash) if data.hash is not None else b""
        tail = _INT.pack(data.primary_partition) if version >= 1 else b""
        return head + hashed + pk + tail

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Headers | None = None) -> Any:
        if data is None:
            return None
        try:
            version = data[0] & 0x7F
            hash_is_null = bool(data[0] & _HASH_IS_NULL)
            instruction = Instruction(data[1])
            pos = 2
            digest = None
            if not hash_is_null:
                digest = _HASH.unpack_from(data, pos)
                pos += _HASH.size
            end = len(data) - (_INT.size if version > 0 else 0)
            if end < pos:
                raise ValueError("too short")
            partition = _INT.unpack_from(data, end)[0] if version > 0 else None
        except (IndexError, ValueError, struct.error) as exc:
            raise SerializationError(f"bad subscription wrapper {data[:64]!r}: {exc}") from exc
        pk = self._inner().deserialize(data[pos:end], self.pseudo_topic, headers)
        return SubscriptionWrapper(digest, instruction, pk, partition, version)


class ResponseWrapperSerde(WrappingSerde):
    name = "subscription_response_wrapper"

    def __init__(self, foreign_value_serde: Serde[Any] | None) -> None:
        super().__init__(foreign_value_serde)

    def serialize(self, data: Any, topic: str | None = None,
                  headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, ResponseWrapper):
            raise SerializationError(f"expected a ResponseWrapper, got {data!r}")
        if not 0 <= data.version <= 0x7F:
            raise SerializationError(f"ResponseWrapper version {data.version} is out of range")
        value = None if data.foreign_value is None else \
            self._inner().serialize(data.foreign_value, topic, headers)
        if data.original_value_hash is None:
            head = bytes([data.version | _HASH_IS_NULL])
        else:
            head = bytes([data.version]) + _HASH.pack(*data.original_value_hash)
        return head + (value or b"")

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Headers | None = None) -> Any:
        if data is None:
            return None
        try:
            version = data[0] & 0x7F
            pos = 1
            digest = None
            if not data[0] & _HASH_IS_NULL:
                digest = _HASH.unpack_from(data, pos)
                pos += _HASH.size
        except (IndexError, struct.error) as exc:
            raise SerializationError(f"bad subscription response {data[:64]!r}: {exc}") from exc
        # An empty remainder is a null foreign value, as in Kafka.
        value = self._inner().deserialize(data[pos:], topic, headers) if len(data) > pos else None
        return ResponseWrapper(digest, value, None, version)


class CombinedKeySchema:
    """The subscription store's keys: foreign key then primary key, length-prefixed so
    that one foreign key's subscriptions are a prefix range."""

    def __init__(self, foreign_key_serde: Serde[Any] | None, primary_key_serde: Serde[Any] | None,
                 foreign_key_topic: str | None = None,
                 primary_key_topic: str | None = None) -> None:
        self.foreign_key_serde = foreign_key_serde
        self.primary_key_serde = primary_key_serde
        self.foreign_key_topic = foreign_key_topic
        self.primary_key_topic = primary_key_topic

    def prefix_bytes(self, foreign_key: Any) -> bytes:
        assert self.foreign_key_serde is not None
        fk = self.foreign_key_serde.serialize(foreign_key, self.foreign_key_topic)
        if fk is None:
            raise SerializationError(f"foreign key {foreign_key!r} serialized to None")
        return _INT.pack(len(fk)) + fk

    def to_bytes(self, foreign_key: Any, primary_key: Any) -> bytes:
        assert self.primary_key_serde is not None
        pk = self.primary_key_serde.serialize(primary_key, self.primary_key_topic)
        if pk is None:
            raise SerializationError(f"primary key {primary_key!r} serialized to None")
        return self.prefix_bytes(foreign_key) + pk

    def from_bytes(self, data: bytes) -> tuple[Any, Any]:
        """``(foreign_key, primary_key)``."""
        assert self.foreign_key_serde is not None and self.primary_key_serde is not None
        length = _INT.unpack_from(data, 0)[0]
        fk = self.foreign_key_serde.deserialize(data[4:4 + length], self.foreign_key_topic)
        pk = self.primary_key_serde.deserialize(data[4 + length:], self.primary_key_topic)
        return fk, pk
