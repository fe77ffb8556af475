"""The serde of a :class:`Change` on a KTable repartition topic (Kafka's
ChangedSerializer / ChangedDeserializer, wire format of KIP-904, Kafka 3.5+).

Format, the last byte being the encoding flag::

    {old}{0}                     only the old value
    {new}{1}                     only the new value
    {varint len(new)}{new}{old}{2}   both (the grouping key did not change)

Flags 3-5 are the same with an "is latest" byte before the flag (versioned tables);
they are read, never written. The varint is zig-zag encoded, as Kafka's ByteUtils.
"""

from __future__ import annotations


from runtime.errors import SerializationError
from runtime.processors.change import Change
from runtime.serdes.base import Headers, WrappingSerde

__all__ = ["ChangeSerde"]


def _write_varint(value: int) -> bytes:
    zigzag = ((value << 1) ^ (value >> 31)) & 0xFFFFFFFF
    out = bytearray()
    while zigzag & ~0x7F:
        out.append((zigzag & 0x7F) | 0x80)
        zigzag >>= 7
    out.append(zigzag)
    return bytes(out)


def _read_varint(data: bytes) -> tuple[int, int]:
    """The value and the number of bytes it took."""
    raw = shift = 0
    for i, byte in enumerate(data[:5]):
        raw |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return (raw >> 1) ^ -(raw & 1), i + 1
        shift += 7
    raise SerializationError("malformed varint in a Change record")


class ChangeSerde(WrappingSerde):
    """Wraps the value serde; ``inner`` None means the default value serde, bound by the
    processors next to the repartition topic when they start."""

    name = "change"

    def serialize(self, data: Change | None, topic: str | None = None,
                  headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        inner = self._inner()
        new = None if data[0] is None else inner.serialize(data[0], topic, headers)
        old = None if data[1] is None else inner.serialize(data[1], topic, headers)
        if new is not None and old is not None:
            return _write_varint(len(new)) + new + old + b"\x02"
        if new is not None:
            return new + b"\x01"
        if old is not None:
            return old + b"\x00"
        raise SerializationError("Both old and new values are null in ChangeSerializer, "
                                 "which is not allowed.")

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Headers | None = None) -> Change | None:
        if data is None:
            return None
        if not data:
            raise SerializationError("an empty Change record")
        inner = self._inner()
        flag = data[-1]
        body = data[:-1] if flag <= 2 else data[:-2]
        if flag in (0, 3):
            new_bytes, old_bytes = None, body
        elif flag in (1, 4):
            new_bytes, old_bytes = body, None
        elif flag in (2, 5):
            length, used = _read_varint(body)
            new_bytes, old_bytes = body[used:used + length], body[used + length:]
        else:
            raise SerializationError(
                f"Encountered unknown byte value `{flag}` for encodingFlag in ChangedDeserializer.")
        return Change(inner.deserialize(new_bytes, topic, headers),
                      inner.deserialize(old_bytes, topic, headers))
