"""Windowed key serdes with Kafka's byte layouts: TimeWindowedSerializer writes the inner
key then the window start as an 8-byte big-endian long (WindowKeySchema#toBinary); the
deserializer computes end = start + window size. SessionWindowedSerializer writes the key,
then end, then start (SessionKeySchema#toBinary)."""

from __future__ import annotations

import struct

import pytest

from runtime import Serdes, SessionWindow, TimeWindow, Windowed, WindowedSerdes
from runtime.errors import SerializationError


def test_time_windowed_key_bytes() -> None:
    serde = WindowedSerdes.time_windowed_serde_from(Serdes.string(), 5000)
    raw = serde.serialize(Windowed("ACME", TimeWindow(10_000, 15_000)), "t")
    assert raw == b"ACME" + bytes([0, 0, 0, 0, 0, 0, 0x27, 0x10])
    assert serde.deserialize(raw, "t") == Windowed("ACME", TimeWindow(10_000, 15_000))


def test_time_windowed_key_of_a_long_inner_key() -> None:
    serde = WindowedSerdes.time_windowed_serde_from(Serdes.long(), 1000)
    raw = serde.serialize(Windowed(7, TimeWindow(2000, 3000)))
    assert raw == struct.pack(">qq", 7, 2000)
    assert serde.deserialize(raw) == Windowed(7, TimeWindow(2000, 3000))


def test_time_windowed_end_comes_from_the_window_size() -> None:
    # the end is not on the wire: a reader configured with another size sees another end
    raw = WindowedSerdes.time_windowed_serde_from(Serdes.string(), 5000) \
        .serialize(Windowed("k", TimeWindow(0, 5000)))
    assert WindowedSerdes.time_windowed_serde_from(Serdes.string(), 100).deserialize(raw) == \
        Windowed("k", TimeWindow(0, 100))


def test_session_windowed_key_bytes() -> None:
    serde = WindowedSerdes.session_windowed_serde_from(Serdes.string())
    raw = serde.serialize(Windowed("u", SessionWindow(100, 250)))
    assert raw == b"u" + struct.pack(">qq", 250, 100)
    assert serde.deserialize(raw) == Windowed("u", SessionWindow(100, 250))


def test_none_and_bad_input() -> None:
    serde = WindowedSerdes.time_windowed_serde_from(Serdes.string(), 10)
    assert serde.serialize(None) is None and serde.deserialize(None) is None
    with pytest.raises(SerializationError):
        serde.deserialize(b"short")
    with pytest.raises(SerializationError):
        serde.serialize("not windowed")
    with pytest.raises(SerializationError):
        WindowedSerdes.session_windowed_serde_from(Serdes.string()).deserialize(b"x" * 8)
