"""Kafka's ``SessionKeySchema`` store-key layout, used for session-store changelog keys:
serialized key, 8-byte big-endian session end, 8-byte big-endian session start."""

from __future__ import annotations

import struct

__all__ = ["SUFFIX_SIZE", "from_store_key", "to_store_key"]

_SUFFIX = struct.Struct(">qq")
SUFFIX_SIZE = _SUFFIX.size  # 16


def to_store_key(key: bytes, start: int, end: int) -> bytes:
    return key + _SUFFIX.pack(end, start)


def from_store_key(store_key: bytes) -> tuple[bytes, int, int]:
    """``(key, start, end)`` of a store key."""
    if len(store_key) < SUFFIX_SIZE:
        raise ValueError(f"a session store key needs at least {SUFFIX_SIZE} bytes, "
                         f"got {len(store_key)}")
    end, start = _SUFFIX.unpack_from(store_key, len(store_key) - SUFFIX_SIZE)
    return store_key[:-SUFFIX_SIZE], start, end
