"""``Serdes``: factories for the built-in serdes, named as Kafka's ``Serdes`` class."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.errors import ConfigError
from runtime.serdes.base import FunctionSerde, Serde
from runtime.serdes.internals.json_serde import JsonSerde
from runtime.serdes.internals.primitives import (
    BooleanSerde,
    BytesSerde,
    DoubleSerde,
    FloatSerde,
    IntegerSerde,
    LongSerde,
    ShortSerde,
    StringSerde,
    UUIDSerde,
    VoidSerde,
)

__all__ = ["Serdes", "resolve_serde"]

_STRING = StringSerde()
_BYTES = BytesSerde()
_SHORT = ShortSerde()
_INTEGER = IntegerSerde()
_LONG = LongSerde()
_FLOAT = FloatSerde()
_DOUBLE = DoubleSerde()
_BOOLEAN = BooleanSerde()
_UUID = UUIDSerde()
_VOID = VoidSerde()
_JSON = JsonSerde()

_BY_NAME: dict[str, Serde[Any]] = {
    s.name: s for s in (_STRING, _BYTES, _SHORT, _INTEGER, _LONG, _FLOAT, _DOUBLE,
                        _BOOLEAN, _UUID, _VOID, _JSON)
}
# Java class names accepted in configuration, so a Kafka Streams properties file works.
_JAVA_NAMES = {
    "org.apache.kafka.common.serialization.Serdes$StringSerde": "string",
    "org.apache.kafka.common.serialization.Serdes$ByteArraySerde": "bytes",
    "org.apache.kafka.common.serialization.Serdes$BytesSerde": "bytes",
    "org.apache.kafka.common.serialization.Serdes$ShortSerde": "short",
    "org.apache.kafka.common.serialization.Serdes$IntegerSerde": "integer",
    "org.apache.kafka.common.serialization.Serdes$LongSerde": "long",
    "org.apache.kafka.common.serialization.Serdes$FloatSerde": "float",
    "org.apache.kafka.common.serialization.Serdes$DoubleSerde": "double",
    "org.apache.kafka.common.serialization.Serdes$BooleanSerde": "boolean",
    "org.apache.kafka.common.serialization.Serdes$UUIDSerde": "uuid",
    "org.apache.kafka.common.serialization.Serdes$VoidSerde": "void",
}


class Serdes:
    """Built-in serdes with Kafka's byte layouts. ``None`` always maps to ``None``."""

    @staticmethod
    def string() -> Serde[Any]:
        return _STRING

    @staticmethod
    def bytes() -> Serde[Any]:
        return _BYTES

    @staticmethod
    def short() -> Serde[Any]:
        return _SHORT

    @staticmethod
    def integer() -> Serde[Any]:
        return _INTEGER

    @staticmethod
    def long() -> Serde[Any]:
        return _LONG

    @staticmethod
    def float() -> Serde[Any]:
        return _FLOAT

    @staticmethod
    def double() -> Serde[Any]:
        return _DOUBLE

    @staticmethod
    def boolean() -> Serde[Any]:
        return _BOOLEAN

    @staticmethod
    def uuid() -> Serde[Any]:
        return _UUID

    @staticmethod
    def void() -> Serde[Any]:
        return _VOID

    @staticmethod
    def json() -> Serde[Any]:
        return _JSON

    @staticmethod
    def serde_from(serializer: Callable[[Any], bytes | None],
                   deserializer: Callable[[bytes], Any]) -> Serde[Any]:
        """A serde from two functions; ``None`` is handled before they are called."""
        return FunctionSerde(serializer, deserializer)

    @staticmethod
    def by_name(name: str) -> Serde[Any]:
        """The built-in serde called ``name`` ("string", "long", ...) or its Java class name."""
        serde = _BY_NAME.get(_JAVA_NAMES.get(name, name))
        if serde is None:
            known = ", ".join(sorted(_BY_NAME))
            raise ConfigError(f"unknown serde {name!r}; built-in serdes are: {known}")
        return serde


def resolve_serde(value: Serde[Any] | str | None) -> Serde[Any] | None:
    """A serde from a config value: a Serde, a built-in name, a Java class name or None."""
    if value is None or isinstance(value, Serde):
        return value
    if isinstance(value, str):
        return Serdes.by_name(value)
    raise ConfigError(f"expected a Serde or a serde name, got {value!r}")
