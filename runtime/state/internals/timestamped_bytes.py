"""Kafka's byte layout of a timestamped value: 8-byte big-endian timestamp, then the value."""

from __future__ import annotations

import struct

__all__ = ["raw_value", "timestamp_of", "with_timestamp"]

_TS = struct.Struct(">q")


def with_timestamp(value: bytes | None, timestamp: int) -> bytes | None:
    return None if value is None else _TS.pack(timestamp) + value


def raw_value(value_and_timestamp: bytes | None) -> bytes | None:
    return None if value_and_timestamp is None else value_and_timestamp[8:]


def timestamp_of(value_and_timestamp: bytes) -> int:
    return int(_TS.unpack_from(value_and_timestamp)[0])
