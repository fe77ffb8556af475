"""Kafka's ``WindowKeySchema`` store-key layout, used for window-store changelog keys:
serialized key, 8-byte big-endian window start, 4-byte big-endian sequence number.

The sequence number tells duplicates apart in stores that retain them; stores that do
not (the DSL's aggregation stores) always write 0.
"""

from __future__ import annotations

import struct

__all__ = ["SUFFIX", "SUFFIX_SIZE", "from_store_key", "to_store_key"]

_SUFFIX = struct.Struct(">qi")
# to_store_key(key, start) is key + SUFFIX.pack(start, 0), for loops that inline it
SUFFIX = _SUFFIX
SUFFIX_SIZE = _SUFFIX.size  # 12


def to_store_key(key: bytes, window_start: int, seqnum: int = 0) -> bytes:
    return key + _SUFFIX.pack(window_start, seqnum)


def from_store_key(store_key: bytes) -> tuple[bytes, int, int]:
    """``(key, window_start, seqnum)`` of a store key."""
    if len(store_key) < SUFFIX_SIZE:
        raise ValueError(f"a window store key needs at least {SUFFIX_SIZE} bytes, "
                         f"got {len(store_key)}")
    start, seqnum = _SUFFIX.unpack_from(store_key, len(store_key) - SUFFIX_SIZE)
    return store_key[:-SUFFIX_SIZE], start, seqnum
