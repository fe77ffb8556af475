"""Windowed key serdes with Kafka Streams' byte layouts.

- time-windowed key: inner key bytes, then the window start as an 8-byte big-endian
  long (``TimeWindowedSerializer`` / ``WindowKeySchema.toBinary``); the end is not
  written, so the reader must know the window size.
- session-windowed key: inner key bytes, then the window end, then the window start,
  each an 8-byte big-endian long (``SessionWindowedSerializer`` / ``SessionKeySchema``).
"""

from __future__ import annotations

import struct
from typing import Any

from runtime.errors import SerializationError
from runtime.serdes.base import Headers, Serde

__all__ = ["SessionWindowedSerde", "TimeWindowedSerde", "WindowedSerdes"]

_LONG = struct.Struct(">q")
_TWO_LONGS = struct.Struct(">qq")
_MAX_LONG = 2**63 - 1


def _inner_bytes(inner: Serde[Any], data: Any, topic: str | None, headers: Headers | None,
                 what: str) -> bytes:
    from runtime.dsl.windowed import Windowed  # the DSL imports serdes: import on use

    if not isinstance(data, Windowed):
        raise SerializationError(f"the {what} serde takes Windowed keys, got {data!r}")
    raw = inner.serialize(data.key, topic, headers)
    if raw is None:
        raise SerializationError(f"the {what} serde: key {data.key!r} serialized to None")
    return raw


class TimeWindowedSerde(Serde[Any]):
    """Kafka's ``TimeWindowedSerde``: ``Windowed`` keys of tumbling/hopping windows."""

    name = "time_windowed"

    def __init__(self, inner: Serde[Any], window_size: int) -> None:
        if window_size <= 0:
            raise ValueError("the window size of a time-windowed serde must be positive")
        self.inner = inner
        self.window_size = window_size

    def serialize(self, data: Any, topic: str | None = None,
                  headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        return _inner_bytes(self.inner, data, topic, headers, "time-windowed") + \
            _LONG.pack(data.window.start)

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Headers | None = None) -> Any:
        from runtime.dsl.windowed import TimeWindow, Windowed

        if data is None:
            return None
        if len(data) < 8:
            raise SerializationError(
                f"a time-windowed key needs at least 8 bytes, got {len(data)}: {data[:64]!r}")
        start = _LONG.unpack_from(data, len(data) - 8)[0]
        # Kafka clamps an end past Long.MAX_VALUE (TimeWindowedDeserializer#timeWindowFor)
        end = min(start + self.window_size, _MAX_LONG)
        try:
            window = TimeWindow(start, end)
        except ValueError as exc:
            raise SerializationError(
                f"bad window in time-windowed key {data[:64]!r}: {exc}") from exc
        return Windowed(self.inner.deserialize(data[:-8], topic, headers), window)

    def __repr__(self) -> str:
        return f"WindowedSerdes.time_windowed_serde_from({self.inner!r}, {self.window_size})"


class SessionWindowedSerde(Serde[Any]):
    """Kafka's ``SessionWindowedSerde``: ``Windowed`` keys of session windows."""

    name = "session_windowed"

    def __init__(self, inner: Serde[Any]) -> None:
        self.inner = inner

    def serialize(self, data: Any, topic: str | None = None,
                  headers: Headers | None = None) -> bytes | None:
        if data is None:
            return None
        return _inner_bytes(self.inner, data, topic, headers, "session-windowed") + \
            _TWO_LONGS.pack(data.window.end, data.window.start)

    def deserialize(self, data: bytes | None, topic: str | None = None,
                    headers: Headers | None = None) -> Any:
        from runtime.dsl.windowed import SessionWindow, Windowed

        if data is None:
            return None
        if len(data) < 16:
            raise SerializationError(
                f"a session-windowed key needs at least 16 bytes, got {len(data)}: {data[:64]!r}")
        end, start = _TWO_LONGS.unpack_from(data, len(data) - 16)
        try:
            window = SessionWindow(start, end)
        except ValueError as exc:
            raise SerializationError(
                f"bad window in session-windowed key {data[:64]!r}: {exc}") from exc
        return Windowed(self.inner.deserialize(data[:-16], topic, headers), window)

    def __repr__(self) -> str:
        return f"WindowedSerdes.session_windowed_serde_from({self.inner!r})"


class WindowedSerdes:
    """Factories named as Kafka's ``WindowedSerdes``."""

    @staticmethod
    def time_windowed_serde_from(inner_serde: Serde[Any], window_size: Any) -> TimeWindowedSerde:
        from runtime.processor.internals.context import to_millis

        return TimeWindowedSerde(inner_serde, to_millis(window_size))

    @staticmethod
    def session_windowed_serde_from(inner_serde: Serde[Any]) -> SessionWindowedSerde:
        return SessionWindowedSerde(inner_serde)
