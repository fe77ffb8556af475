"""The copiers behind typed record caches: ``normalize(v)`` must equal the serde round
trip ``deserialize(serialize(v))`` and fail where ``serialize`` fails; ``copy`` must
share nothing mutable with its argument."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import Serdes
from runtime.errors import SerializationError
from runtime.serdes.internals.json_serde import JsonSerde
from runtime.serdes.internals.value_copy import copier_for

JSON = Serdes.json()

scalars = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
           | st.text(alphabet=st.characters(codec=None)))   # lone surrogates included
keys = st.text(max_size=5) | st.integers(-3, 3) | st.booleans() | st.none()
values = st.recursive(
    scalars,
    lambda inner: (st.lists(inner, max_size=4) | st.tuples(inner, inner)
                   | st.dictionaries(keys, inner, max_size=4)),
    max_leaves=20)


def round_trip(serde: Any, value: Any) -> tuple[str, Any]:
    try:
        return "ok", serde.deserialize(serde.serialize(value))
    except SerializationError:
        return "error", None


def via_copier(serde: Any, value: Any) -> tuple[str, Any]:
    copier = copier_for(serde)
    assert copier is not None
    try:
        return "ok", copier.normalize(value)
    except SerializationError:
        return "error", None


def same(a: Any, b: Any) -> bool:
    """Equality that also tells 1 from 1.0 and True from 1, as JSON text does."""
    return json.dumps(a, sort_keys=True, default=repr) == json.dumps(b, sort_keys=True, default=repr) \
        and type(a) is type(b)


@settings(max_examples=400, deadline=None)
@given(values)
def test_json_normalize_equals_the_round_trip(value: Any) -> None:
    expected, got = round_trip(JSON, value), via_copier(JSON, value)
    assert expected[0] == got[0]
    assert same(expected[1], got[1])


@pytest.mark.parametrize("value, expected", [
    ({"t": (1, 2)}, {"t": [1, 2]}),       # tuples come back as lists
    ({1: "a", None: "b"}, {"1": "a", "null": "b"}),
    ({"x": True, "y": 1.0}, {"x": True, "y": 1.0}),
])
def test_json_normalize_gives_what_json_gives(value: Any, expected: Any) -> None:
    copier = copier_for(JSON)
    assert copier is not None
    assert copier.normalize(value) == expected


@pytest.mark.parametrize("value", [{"bad": {1, 2}}, {"nan": math.nan}, [math.inf],
                                   {"s": "\ud800"}, {"o": object()}])
def test_json_normalize_refuses_what_the_serde_refuses(value: Any) -> None:
    copier = copier_for(JSON)
    assert copier is not None
    with pytest.raises(SerializationError):
        copier.normalize(value)


def test_json_normalize_refuses_circular_values() -> None:
    loop: dict[str, Any] = {}
    loop["self"] = loop
    copier = copier_for(JSON)
    assert copier is not None
    with pytest.raises(SerializationError):
        copier.normalize(loop)


def test_json_copies_share_nothing_mutable() -> None:
    copier = copier_for(JSON)
    assert copier is not None
    original = copier.normalize({"a": [1, {"b": [2]}], "c": {"d": 3}})
    copy = copier.copy(original)
    copy["a"][1]["b"].append(99)
    copy["c"]["d"] = 0
    assert original == {"a": [1, {"b": [2]}], "c": {"d": 3}}


def test_json_copies_of_flat_values_are_new_objects() -> None:
    copier = copier_for(JSON)
    assert copier is not None
    flat_dict, flat_list = {"n": 1, "x": 2.5, "s": "t", "z": None}, [1, "a", None, True]
    for original in (flat_dict, flat_list):
        copy = copier.copy(original)
        assert copy == original and copy is not original and type(copy) is type(original)
    copy = copier.copy(flat_dict)
    copy["n"] = 2
    assert flat_dict["n"] == 1


@pytest.mark.parametrize("serde, value", [
    (Serdes.string(), "plain"), (Serdes.string(), "ünïcode"), (Serdes.string(), "\ud800"),
    (Serdes.string(), 5), (Serdes.long(), 2**63 - 1), (Serdes.long(), 2**63),
    (Serdes.long(), True), (Serdes.long(), 1.5), (Serdes.integer(), 2**31),
    (Serdes.integer(), -2**31), (Serdes.short(), 40000), (Serdes.double(), 3),
    (Serdes.double(), 0.1),
])
def test_primitive_normalize_equals_the_round_trip(serde: Any, value: Any) -> None:
    expected, got = round_trip(serde, value), via_copier(serde, value)
    assert expected[0] == got[0]
    assert same(expected[1], got[1])


def test_other_serdes_and_subclasses_have_no_copier() -> None:
    class Custom(JsonSerde):
        pass

    assert copier_for(Custom()) is None
    assert copier_for(Serdes.float()) is None      # 32-bit: the round trip rounds
    assert copier_for(Serdes.bytes()) is None
    assert copier_for(None) is None
