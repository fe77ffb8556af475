"""Records as processors see them, and where an input record came from."""

from __future__ import annotations

from functools import partial
from typing import Any, NamedTuple

__all__ = ["Headers", "Record", "RecordContext", "RecordMetadata", "new_record"]

Headers = tuple[tuple[str, bytes], ...]


class Record(NamedTuple):
    """One record flowing through a topology: key, value, timestamp (epoch ms), headers.

    Immutable; derive changed copies with :meth:`with_key`, :meth:`with_value`,
    :meth:`with_timestamp` and :meth:`with_headers`, as with Kafka's ``Record``.
    """

    key: Any
    value: Any
    timestamp: int
    headers: Headers | None = None

    def with_key(self, key: Any) -> Record:
        return Record(key, self[1], self[2], self[3])

    def with_value(self, value: Any) -> Record:
        return Record(self[0], value, self[2], self[3])

    def with_timestamp(self, timestamp: int) -> Record:
        if timestamp < 0:
            raise ValueError(f"timestamp must not be negative, got {timestamp}")
        return Record(self[0], self[1], timestamp, self[3])

    def with_headers(self, headers: Headers | None) -> Record:
        return Record(self[0], self[1], self[2], None if headers is None else tuple(headers))


#: ``new_record((key, value, timestamp, headers))`` is ``Record(key, value, timestamp,
#: headers)`` without NamedTuple's Python-level ``__new__``: half the cost, for the
#: operators that make one record per input record.
new_record = partial(tuple.__new__, Record)


class RecordMetadata(NamedTuple):
    """Topic, partition and offset of the input record being processed."""

    topic: str
    partition: int
    offset: int


class RecordContext(NamedTuple):
    """What a topic chooser sees of the record it routes (Kafka's RecordContext): where
    the input record came from, and the outgoing record's timestamp and headers."""

    topic: str | None
    partition: int
    offset: int
    timestamp: int
    headers: Any
