"""KStreamFlatMap / KStreamFlatMapValues: zero or more records out for each record in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from runtime.processor.record import Record, new_record
from runtime.processors.base import DslProcessor
from runtime.processors.map import as_key_value

__all__ = ["KStreamFlatMap", "KStreamFlatMapValues"]


def _iterable(result: Any, what: str) -> Iterable[Any]:
    # A str is iterable in Python but never meant as "many values" here (Java's
    # String is not an Iterable), so refuse it instead of emitting characters.
    if result is None or isinstance(result, (str, bytes, bytearray, dict)) \
            or not isinstance(result, Iterable):
        raise TypeError(f"{what} must return an iterable (list, tuple, generator), got {result!r}")
    return result


class KStreamFlatMap:
    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def __call__(self) -> DslProcessor:
        return _FlatMapProcessor(self.mapper)


class _FlatMapProcessor(DslProcessor):
    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        ts, headers, forward = record[2], record[3], self.forward
        for item in _iterable(self.mapper(record[0], record[1]), "the flat_map() mapper"):
            key, value = as_key_value(item, "each item of the flat_map() mapper")
            forward(new_record((key, value, ts, headers)))


class KStreamFlatMapValues:
    def __init__(self, mapper: Callable[..., Any], with_key: bool = False) -> None:
        self.mapper = mapper
        self.with_key = with_key

    def __call__(self) -> DslProcessor:
        return _FlatMapValuesProcessor(self.mapper, self.with_key)


class _FlatMapValuesProcessor(DslProcessor):
    def __init__(self, mapper: Callable[..., Any], with_key: bool) -> None:
        self.mapper = mapper
        self.with_key = with_key

    def process(self, record: Record) -> None:
        key, ts, headers, forward = record[0], record[2], record[3], self.forward
        result = self.mapper(key, record[1]) if self.with_key else self.mapper(record[1])
        for value in _iterable(result, "the flat_map_values() mapper"):
            forward(new_record((key, value, ts, headers)))
