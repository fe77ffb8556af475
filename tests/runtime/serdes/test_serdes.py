"""Byte layouts of the built-in serdes against Kafka's (org.apache.kafka.common.serialization).

Expected bytes are written out by hand from Kafka's serializers: LongSerializer and
IntegerSerializer write big-endian two's complement, DoubleSerializer the IEEE 754
bits big-endian (Double.doubleToLongBits), StringSerializer UTF-8, BooleanSerializer
one byte 0x01/0x00, UUIDSerializer the UUID's text; all map null to null.
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.errors import ConfigError, SerializationError
from runtime.serdes import Serde, Serdes, resolve_serde

from tests.runtime.serdes.test_value_copy import values as json_values


@pytest.mark.parametrize(
    ("serde", "value", "raw"),
    [
        (Serdes.long(), 1, b"\x00" * 7 + b"\x01"),
        (Serdes.long(), -1, b"\xff" * 8),
        (Serdes.long(), 2**63 - 1, b"\x7f" + b"\xff" * 7),
        (Serdes.long(), -(2**63), b"\x80" + b"\x00" * 7),
        (Serdes.long(), 258, b"\x00" * 6 + b"\x01\x02"),
        (Serdes.integer(), 1, b"\x00\x00\x00\x01"),
        (Serdes.integer(), -2, b"\xff\xff\xff\xfe"),
        (Serdes.integer(), 2**31 - 1, b"\x7f\xff\xff\xff"),
        (Serdes.short(), 256, b"\x01\x00"),
        (Serdes.double(), 1.0, b"\x3f\xf0" + b"\x00" * 6),
        (Serdes.double(), -2.5, b"\xc0\x04" + b"\x00" * 6),
        (Serdes.double(), 0.1, bytes.fromhex("3fb999999999999a")),
        (Serdes.float(), 1.0, b"\x3f\x80\x00\x00"),
        (Serdes.string(), "kafka", b"kafka"),
        (Serdes.string(), "é€😀", "é€😀".encode()),
        (Serdes.string(), "", b""),
        (Serdes.bytes(), b"\x00\x01", b"\x00\x01"),
        (Serdes.boolean(), True, b"\x01"),
        (Serdes.boolean(), False, b"\x00"),
        (Serdes.json(), {"word": "héllo", "n": [1, 2.5, None]}, '{"word":"héllo","n":[1,2.5,null]}'.encode()),
        (Serdes.json(), "x", b'"x"'),
        (Serdes.uuid(), uuid.UUID("123e4567-e89b-12d3-a456-426614174000"),
         b"123e4567-e89b-12d3-a456-426614174000"),
    ],
)
def test_it_matches_kafka_byte_layout(serde: Serde, value: object, raw: bytes) -> None:
    assert serde.serialize(value, "t") == raw
    assert serde.deserialize(raw, "t") == value


@pytest.mark.parametrize("name", ["string", "bytes", "short", "integer", "long", "float",
                                  "double", "boolean", "uuid", "void", "json"])
def test_none_maps_to_none(name: str) -> None:
    serde = Serdes.by_name(name)
    assert serde.serialize(None) is None
    assert serde.deserialize(None) is None


def test_double_keeps_special_values() -> None:
    raw = Serdes.double().serialize(math.inf)
    assert raw == b"\x7f\xf0" + b"\x00" * 6
    assert math.isnan(Serdes.double().deserialize(Serdes.double().serialize(math.nan)))


@pytest.mark.parametrize(
    ("serde", "raw"),
    [
        (Serdes.long(), b"\x00\x01"),           # LongDeserializer: "Size of data received ... is not 8"
        (Serdes.integer(), b"\x00" * 5),
        (Serdes.double(), b"\x00"),
        (Serdes.boolean(), b"\x02"),
        (Serdes.string(), b"\xff\xfe"),         # not UTF-8
        (Serdes.json(), b"{not json"),
        (Serdes.uuid(), b"nope"),
        (Serdes.void(), b"x"),
    ],
)
def test_it_rejects_undecodable_bytes(serde: Serde, raw: bytes) -> None:
    with pytest.raises(SerializationError):
        serde.deserialize(raw)


@pytest.mark.parametrize(
    ("serde", "value"),
    [
        (Serdes.long(), 2**63),
        (Serdes.integer(), 2**31),
        (Serdes.long(), "1"),
        (Serdes.long(), True),
        (Serdes.string(), 5),
        (Serdes.json(), {1, 2}),
        (Serdes.json(), math.nan),
        (Serdes.bytes(), "text"),
    ],
)
def test_it_rejects_values_it_cannot_represent(serde: Serde, value: object) -> None:
    with pytest.raises(SerializationError):
        serde.serialize(value)


def test_serde_from_functions() -> None:
    serde = Serdes.serde_from(lambda v: v.upper().encode(), lambda b: b.decode().lower())
    assert serde.serialize("ab") == b"AB"
    assert serde.deserialize(b"AB") == "ab"
    assert serde.serialize(None) is None
    with pytest.raises(SerializationError):
        serde.serialize(3)


def test_serdes_resolve_by_name_and_java_class() -> None:
    assert resolve_serde("long") is Serdes.long()
    assert resolve_serde("org.apache.kafka.common.serialization.Serdes$StringSerde") is Serdes.string()
    assert resolve_serde(None) is None
    with pytest.raises(ConfigError, match="unknown serde"):
        resolve_serde("avro-ish")


def outcome(loads: Any, text: str) -> tuple[str, str]:
    try:
        return "ok", repr(loads(text))
    except ValueError as exc:
        return type(exc).__name__, str(exc)


json_texts = st.one_of(
    st.text(max_size=12),
    st.builds(lambda v, before, after: before + json.dumps(v) + after,
              json_values.filter(lambda v: not isinstance(v, tuple)),
              st.sampled_from(["", " ", "\n\t", "\ufeff"]),
              st.sampled_from(["", " ", "x", "{}", ",", "\n"])))


@settings(max_examples=400, deadline=None)
@given(json_texts)
def test_the_json_serdes_scanner_shortcut_reads_as_json_loads(text: str) -> None:
    from runtime.serdes.internals.json_serde import _loads

    assert outcome(_loads, text) == outcome(json.loads, text)
