"""Timestamp extractors: how a source node decides a record's timestamp.

An extractor is a callable ``(record, partition_time) -> int`` or an object with
``extract(record, partition_time)``. ``record`` is a :class:`ConsumerRecord` whose key
and value are already deserialized; ``partition_time`` is the highest timestamp seen
so far on the record's partition (-1 before the first record).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from collections.abc import Callable
from typing import Any, Protocol, Union

from runtime.errors import StreamsError
from runtime.processor.record import Headers

__all__ = [
    "ConsumerRecord",
    "FailOnInvalidTimestamp",
    "LogAndSkipOnInvalidTimestamp",
    "TimestampExtractor",
    "UsePartitionTimeOnInvalidTimestamp",
    "WallclockTimestampExtractor",
    "as_extractor_function",
    "extractor_by_name",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ConsumerRecord:
    topic: str
    partition: int
    offset: int
    timestamp: int
    key: Any
    value: Any
    headers: Headers = ()


class _ExtractorObject(Protocol):
    def extract(self, record: ConsumerRecord, partition_time: int) -> int: ...


#: a callable ``(record, partition_time) -> int`` or an object with ``extract``
TimestampExtractor = Union[Callable[[ConsumerRecord, int], int], _ExtractorObject]


class FailOnInvalidTimestamp:
    """The default: the record's own timestamp; a negative one stops processing."""

    def extract(self, record: ConsumerRecord, partition_time: int) -> int:
        if record.timestamp < 0:
            raise StreamsError(
                f"Input record {record.topic}-{record.partition}@{record.offset} has invalid "
                f"(negative) timestamp {record.timestamp}. Possibly because a pre-0.10 producer "
                "client was used to write this record to Kafka without embedding a timestamp, "
                "or because the input topic was created before upgrading the Kafka cluster "
                "to 0.10+. Use a different TimestampExtractor to process this data.")
        return record.timestamp

    def __repr__(self) -> str:
        return "FailOnInvalidTimestamp()"


class LogAndSkipOnInvalidTimestamp:
    """The record's own timestamp; records with a negative one are logged and dropped."""

    def extract(self, record: ConsumerRecord, partition_time: int) -> int:
        if record.timestamp < 0:
            logger.warning(
                "Input record %s-%s@%s will be dropped because it has an invalid "
                "(negative) timestamp.", record.topic, record.partition, record.offset)
        return record.timestamp


class UsePartitionTimeOnInvalidTimestamp:
    """The record's own timestamp; a negative one is replaced by the partition time."""

    def extract(self, record: ConsumerRecord, partition_time: int) -> int:
        if record.timestamp >= 0:
            return record.timestamp
        if partition_time < 0:
            raise StreamsError(
                f"Could not infer new timestamp for input record {record.topic}-"
                f"{record.partition}@{record.offset} because partition time is unknown.")
        return partition_time


class WallclockTimestampExtractor:
    """Processing time: the current wall-clock time, whatever the record says."""

    def extract(self, record: ConsumerRecord, partition_time: int) -> int:
        return time.time_ns() // 1_000_000


_BY_NAME = {cls.__name__.lower(): cls for cls in (
    FailOnInvalidTimestamp, LogAndSkipOnInvalidTimestamp, UsePartitionTimeOnInvalidTimestamp,
    WallclockTimestampExtractor)}


def extractor_by_name(name: str) -> Any:
    """A built-in extractor by class name (Kafka's fully qualified names accepted)."""
    cls = _BY_NAME.get(name.rsplit(".", 1)[-1].lower())
    if cls is None:
        raise ValueError(f"unknown timestamp extractor {name!r}; built-in ones are "
                         f"{sorted(c.__name__ for c in _BY_NAME.values())}")
    return cls()


def as_extractor_function(extractor: Any) -> Any:
    """Normalise an extractor (object with ``extract`` or plain callable) to a function."""
    if extractor is None:
        return FailOnInvalidTimestamp().extract
    if isinstance(extractor, str):
        extractor = extractor_by_name(extractor)
    extract = getattr(extractor, "extract", None)
    if callable(extract):
        return extract
    if callable(extractor):
        return extractor
    raise TypeError(f"a timestamp extractor must be callable or have extract(), got {extractor!r}")
