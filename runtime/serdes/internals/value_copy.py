"""Copies of values as a serde round trip would give them, without the round trip.

A record cache that holds typed values (see ``state/internals/caching_store.py``) must
behave as if it held bytes: a read returns a fresh object the caller may mutate, and a
write keeps no reference to the caller's object and fails at once on a value the serde
cannot write. For the serdes below that is a cheap structural copy; for any other serde
(``copier_for`` returns None) the cache keeps bytes.

``normalize(v)`` equals ``deserialize(serialize(v))`` and raises the serde's
SerializationError where ``serialize`` would; ``copy(v)`` is for values that came out
of ``normalize``, so it need not check them again. ``adopt(v)`` is ``normalize(v)`` for
a value its caller has proved nobody else can reach (see ``state/internals/metered.py``):
it may return ``v`` itself when the round trip would give it back unchanged, since no
one is left to mutate it or to see it mutated.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from runtime.serdes.base import Serde
from runtime.serdes.internals.json_serde import JsonSerde
from runtime.serdes.internals.primitives import (
    DoubleSerde,
    IntegerSerde,
    LongSerde,
    ShortSerde,
    StringSerde,
)

__all__ = ["Copier", "copier_for"]

_SCALARS = frozenset({str, int, float, bool, type(None)})


class Copier(NamedTuple):
    normalize: Callable[[Any], Any]
    copy: Callable[[Any], Any]
    adopt: Callable[[Any], Any]
    # JSON only: whether a value is a flat dict normalize would give back unchanged
    plain_flat: Callable[[Any], bool] | None


def _round_trip(serde: Serde[Any]) -> Callable[[Any], Any]:
    def round_trip(value: Any) -> Any:
        return serde.deserialize(serde.serialize(value))
    return round_trip


def _identity(value: Any) -> Any:
    return value


class _NotPlain(Exception):
    """A value JSON would change or refuse: the real round trip decides."""


def _json_copier(serde: JsonSerde) -> Copier:
    slow = _round_trip(serde)
    scalars = _SCALARS
    only_scalars = scalars.issuperset

    def plain_copy(value: Any) -> Any:
        """A copy of ``value`` if JSON gives it back unchanged (the types json.loads
        gives, str keys, finite floats, text that encodes as UTF-8); else _NotPlain."""
        kind = type(value)
        if kind is dict:
            out = {}
            for k, v in value.items():
                if type(k) is not str or not (k.isascii() or _utf8(k)):
                    raise _NotPlain
                vkind = type(v)
                if vkind is float:
                    if v - v != 0.0:  # nan or infinite
                        raise _NotPlain
                elif vkind is str:
                    if not (v.isascii() or _utf8(v)):
                        raise _NotPlain
                elif vkind not in scalars:
                    v = plain_copy(v)
                out[k] = v
            return out
        if kind is list:
            return [plain_copy(v) for v in value]
        if kind is float:
            if value - value != 0.0:
                raise _NotPlain
            return value
        if kind is str:
            if not (value.isascii() or _utf8(value)):
                raise _NotPlain
            return value
        if kind is int or kind is bool or value is None:
            return value
        raise _NotPlain

    def normalize(value: Any) -> Any:
        try:
            return plain_copy(value)
        except (_NotPlain, RecursionError):  # tuples, subclasses, deep or circular...
            return slow(value)

    def copy(value: Any) -> Any:
        kind = type(value)
        if kind is dict:
            # most aggregates are flat: checked and copied in C, twice as fast
            if only_scalars(map(type, value.values())):
                return value.copy()
            return {k: v if type(v) in scalars else copy(v) for k, v in value.items()}
        if kind is list:
            if only_scalars(map(type, value)):
                return value.copy()
            return [v if type(v) in scalars else copy(v) for v in value]
        return value

    def plain_flat(value: Any) -> bool:
        """Whether ``value`` is a dict of plain scalars that JSON gives back unchanged
        (most aggregates): then ``normalize(value) == value`` and a shallow copy is a
        copy. Checked without copying (a plain loop: map/all/frozenset checks in C cost
        more instructions on dicts this small)."""
        if type(value) is not dict:
            return False
        for k, v in value.items():
            if type(k) is not str or not (k.isascii() or _utf8(k)):
                return False   # refused, or turned into a str
            vkind = type(v)
            if vkind is float:
                if v - v != 0.0:
                    return False   # nan and infinities are refused
            elif vkind is str:
                if not (v.isascii() or _utf8(v)):
                    return False
            elif vkind is not int and vkind is not bool and v is not None:
                return False   # a container (maybe shared) or a foreign type
        return True

    def adopt(value: Any) -> Any:
        return value if plain_flat(value) else normalize(value)

    return Copier(normalize, copy, adopt, plain_flat)


def _utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates
        return False
    return True


def _immutable_copier(serde: Serde[Any], fits: Callable[[Any], bool]) -> Copier:
    slow = _round_trip(serde)

    def normalize(value: Any) -> Any:
        return value if fits(value) else slow(value)

    # immutable values: adopting is normalizing, which copies nothing
    return Copier(normalize, _identity, normalize, None)


def _int_range(bits: int) -> Callable[[Any], bool]:
    low, high = -(1 << (bits - 1)), (1 << (bits - 1)) - 1
    return lambda v: type(v) is int and low <= v <= high


_FITS: dict[type, Callable[[Any], bool]] = {
    StringSerde: lambda v: type(v) is str and (v.isascii() or _utf8(v)),
    LongSerde: _int_range(64),
    IntegerSerde: _int_range(32),
    ShortSerde: _int_range(16),
    DoubleSerde: lambda v: type(v) is float,
}


def copier_for(serde: Serde[Any] | None) -> Copier | None:
    """The copier of ``serde``, or None when values must go through bytes. Exact types
    only: a subclass may serialize differently."""
    kind = type(serde)
    if kind is JsonSerde:
        return _json_copier(serde)  # type: ignore[arg-type]
    fits = _FITS.get(kind)
    return None if fits is None else _immutable_copier(serde, fits)  # type: ignore[arg-type]
