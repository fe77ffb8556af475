"""Record keys and values to and from JSON, through runtime's serdes.

`bytes` is shown and given as base64 text; other serdes' values are JSON values. A record
that a serde cannot read gets an error of its own instead of failing the whole page.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import TYPE_CHECKING, Any, TypedDict

from runtime.errors import SerializationError
from runtime.serdes import Serdes

if TYPE_CHECKING:
    from studio.connections.kafka import RawRecord

__all__ = ["SERDES", "HeaderDict", "RecordDict", "decode", "encode", "header", "record_dict"]

SERDES = ["string", "json", "long", "integer", "double", "bytes"]


class HeaderDict(TypedDict):
    key: str
    value: str | None
    encoding: str  # "utf-8", or "base64" when the value is not UTF-8 text


class RecordDict(TypedDict):
    partition: int
    offset: int
    timestamp: int | None
    key: Any
    value: Any
    key_error: str | None
    value_error: str | None
    headers: list[HeaderDict]


def decode(serde: str, data: bytes | None, topic: str) -> tuple[Any, str | None]:
    """(the value as JSON, None) or (None, why it cannot be read with `serde`)."""
    if data is None:
        return None, None
    try:
        value = Serdes.by_name(serde).deserialize(data, topic)
    except (SerializationError, ValueError, UnicodeDecodeError) as exc:
        return None, f"not {serde}: {exc}"
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii"), None  # JSON has no bytes
    if isinstance(value, float) and not math.isfinite(value):
        return str(value), None  # JSON has no NaN or infinity
    return value, None


def encode(serde: str, value: Any, topic: str) -> bytes | None:
    """The bytes of `value` with `serde`; ValueError with a readable message if it does
    not fit."""
    if value is None:
        return None
    if serde == "bytes":
        if not isinstance(value, str):
            raise ValueError("bytes are given as base64 text")
        try:
            value = base64.b64decode(value, validate=True)
        except binascii.Error:
            raise ValueError("not valid base64") from None
    try:
        data = Serdes.by_name(serde).serialize(float(value) if serde == "double" and type(value) is int else value, topic)
    except (SerializationError, ValueError, TypeError, OverflowError) as exc:
        raise ValueError(f"cannot write {value!r} as {serde}: {exc}") from None
    return data


def header(key: str, value: bytes | None) -> HeaderDict:
    if value is None:
        return {"key": key, "value": None, "encoding": "utf-8"}
    try:
        return {"key": key, "value": value.decode("utf-8"), "encoding": "utf-8"}
    except UnicodeDecodeError:
        return {"key": key, "value": base64.b64encode(value).decode("ascii"), "encoding": "base64"}


def record_dict(record: RawRecord, key_serde: str, value_serde: str, topic: str) -> RecordDict:
    """A record read from Kafka as JSON, key and value decoded with the serdes."""
    key, key_error = decode(key_serde, record.key, topic)
    value, value_error = decode(value_serde, record.value, topic)
    return {
        "partition": record.partition, "offset": record.offset, "timestamp": record.timestamp,
        "key": key, "value": value, "key_error": key_error, "value_error": value_error,
        "headers": [header(k, v) for k, v in record.headers],
    }
