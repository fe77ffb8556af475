"""Kafka's built-in serdes, byte for byte (org.apache.kafka.common.serialization).

Integers are two's complement big-endian, floating point numbers IEEE 754 big-endian,
strings UTF-8, booleans one byte, UUIDs their canonical text in UTF-8.
"""

from __future__ import annotations

import struct
import uuid
from typing import Any

from runtime.errors import SerializationError
from runtime.serdes.base import Headers, Serde

__all__ = [
    "BooleanSerde",
    "BytesSerde",
    "DoubleSerde",
    "FloatSerde",
    "IntegerSerde",
    "LongSerde",
    "ShortSerde",
    "StringSerde",
    "UUIDSerde",
    "VoidSerde",
]


class StringSerde(Serde[str]):
    name = "string"

    def serialize(self, data: str | None, topic: str | None = None,
                  headers: Headers | None = None) -> bytes | None:
        if type(data) is not str:
            if data is None:
                return None
            if not isinstance(data, str):
                raise SerializationError(
                    f"Serdes.string() can only serialize str, got {type(data).__name__}: "
                    f"{data!r}")
        try:
            return data.encode("utf-8")
        except UnicodeEncodeError as exc:  # lone surrogates
            raise SerializationError(f"Serdes.string() cannot encode {data!r}: {exc}") from exc

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Headers | None = None) -> str | None:
        if data is None:
            return None
        try:
            # bytes decode in place; bytearray/memoryview are copied to bytes first
            return (data if type(data) is bytes else bytes(data)).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise SerializationError(f"Serdes.string() got invalid UTF-8: {exc}") from exc


class BytesSerde(Serde[bytes]):
    name = "bytes"

    def serialize(self, data: bytes | None, topic: str | None = None,
                  headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise SerializationError(
                f"Serdes.bytes() can only serialize bytes, got {type(data).__name__}")
        return bytes(data)

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Headers | None = None) -> bytes | None:
        return None if data is None else bytes(data)


class _StructSerde(Serde[Any]):
    """Fixed-width numbers; the deserializer insists on the exact size, as Kafka's does."""

    _struct: struct.Struct
    _java: str
    _types: tuple[type, ...]

    def serialize(self, data: Any, topic: str | None = None,
                  headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        if isinstance(data, bool) or not isinstance(data, self._types):
            raise SerializationError(
                f"Serdes.{self.name}() cannot serialize {type(data).__name__}: {data!r}")
        try:
            return self._struct.pack(data)
        except (struct.error, OverflowError) as exc:
            raise SerializationError(
                f"Serdes.{self.name}(): {data!r} does not fit a Java {self._java}") from exc

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Headers | None = None) -> Any:
        if data is None:
            return None
        if len(data) != self._struct.size:
            raise SerializationError(
                f"Size of data received by {self._java.capitalize()}Deserializer is not "
                f"{self._struct.size} (got {len(data)} bytes)")
        return self._struct.unpack(data)[0]


class ShortSerde(_StructSerde):
    name = "short"
    _struct = struct.Struct(">h")
    _java = "short"
    _types = (int,)


class IntegerSerde(_StructSerde):
    name = "integer"
    _struct = struct.Struct(">i")
    _java = "integer"
    _types = (int,)


class LongSerde(_StructSerde):
    name = "long"
    _struct = struct.Struct(">q")
    _java = "long"
    _types = (int,)


class FloatSerde(_StructSerde):
    name = "float"
    _struct = struct.Struct(">f")
    _java = "float"
    _types = (int, float)


class DoubleSerde(_StructSerde):
    name = "double"
    _struct = struct.Struct(">d")
    _java = "double"
    _types = (int, float)


class BooleanSerde(Serde[bool]):
    """Kafka's BooleanSerializer: one byte, 0x01 for true and 0x00 for false."""

    name = "boolean"

    def serialize(self, data: bool | None, topic: str | None = None,
                  headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, bool):
            raise SerializationError(f"Serdes.boolean() cannot serialize {data!r}")
        return b"\x01" if data else b"\x00"

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Headers | None = None) -> bool | None:
        if data is None:
            return None
        if len(data) != 1:
            raise SerializationError("Size of data received by BooleanDeserializer is not 1")
        if data[0] == 1:
            return True
        if data[0] == 0:
            return False
        raise SerializationError(f"Unexpected byte received by BooleanDeserializer: {data[0]}")


class UUIDSerde(Serde[uuid.UUID]):
    name = "uuid"

    def serialize(self, data: uuid.UUID | None, topic: str | None = None,
                  headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        if not isinstance(data, uuid.UUID):
            raise SerializationError(f"Serdes.uuid() cannot serialize {data!r}")
        return str(data).encode("utf-8")

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Headers | None = None) -> uuid.UUID | None:
        if data is None:
            return None
        try:
            return uuid.UUID(bytes(data).decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise SerializationError(f"Serdes.uuid() got an invalid UUID: {exc}") from exc


class VoidSerde(Serde[None]):
    """Only ``None``: for topics whose keys are always null."""

    name = "void"

    def serialize(self, data: None, topic: str | None = None,
                  headers: Headers | None = None) -> bytes | None:
        if data is not None:
            raise SerializationError("Serdes.void() can only serialize None")
        return None

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Headers | None = None) -> None:
        if data is not None:
            raise SerializationError("Data should be null for a VoidDeserializer.")
        return None
