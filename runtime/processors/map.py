"""KStreamMap: a new key and value for every record; select_key changes only the key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from runtime.processor.record import Record, new_record
from runtime.processors.base import DslProcessor

__all__ = ["KStreamMap", "KStreamSelectKey", "as_key_value"]


def as_key_value(result: Any, what: str) -> tuple[Any, Any]:
    if isinstance(result, (tuple, list)) and len(result) == 2:
        return result[0], result[1]
    raise TypeError(f"{what} must return a (key, value) tuple, got {result!r}")


class KStreamMap:
    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def __call__(self) -> DslProcessor:
        return _MapProcessor(self.mapper)


class _MapProcessor(DslProcessor):
    def __init__(self, mapper: Callable[[Any, Any], Any]) -> None:
        self.mapper = mapper

    def process(self, record: Record) -> None:
        result = self.mapper(record[0], record[1])
        if type(result) is not tuple or len(result) != 2:  # the usual case skips a call
            result = as_key_value(result, "the map() mapper")
        self.forward(new_record((result[0], result[1], record[2], record[3])))


class KStreamSelectKey:
    def __init__(self, selector: Callable[[Any, Any], Any]) -> None:
        self.selector = selector

    def __call__(self) -> DslProcessor:
        return _SelectKeyProcessor(self.selector)


class _SelectKeyProcessor(DslProcessor):
    def __init__(self, selector: Callable[[Any, Any], Any]) -> None:
        self.selector = selector

    def process(self, record: Record) -> None:
        self.forward(new_record((self.selector(record[0], record[1]), record[1], record[2],
                                 record[3])))
