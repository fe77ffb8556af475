"""Timestamp extractors: how a source node decides a record's timestamp.

An extractor is a callable ``(record, partition_time) -> int`` or an object with
``extract(record, partition_time)``. ``record`` is a :class:`ConsumerRecord` whose key
and value are already deserialized; ``partition_time`` is the highest timestamp seen
so far on the record's partition (-1 before the first record).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Protocol, Union

from runtime.errors import StreamsError
from runtime.processor.record import Headers

__all__ = [
    "ConsumerRecord",
    "FailOnInvalidTimestamp",
    "LogAndSkipOnInvalidTimestamp",
    "TimestampExtractor",
    "UsePartitionTimeOnInvalidTimestamp",
    "ValueFieldTimestampExtractor",
    "WallclockTimestampExtractor",
    "as_extractor_function",
    "extractor_by_name",
    "parse_timestamp",
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


def _fast_constructor() -> Callable[[str, int, int, int, Any, Any, Headers], ConsumerRecord]:
    new = object.__new__
    slots = ConsumerRecord.__dict__
    set_topic, set_partition, set_offset, set_timestamp, set_key, set_value, set_headers = (
        slots[name].__set__ for name in
        ("topic", "partition", "offset", "timestamp", "key", "value", "headers"))

    def consumer_record(topic: str, partition: int, offset: int, timestamp: int, key: Any,
                        value: Any, headers: Headers) -> ConsumerRecord:
        record = new(ConsumerRecord)
        set_topic(record, topic)
        set_partition(record, partition)
        set_offset(record, offset)
        set_timestamp(record, timestamp)
        set_key(record, key)
        set_value(record, value)
        set_headers(record, headers)
        return record

    return consumer_record


# ConsumerRecord(...) with every field given, through its slots: the frozen dataclass's
# __init__ (object.__setattr__ per field) is a sixteenth of a windowed aggregation's
# per-record cost, and the task builds one per record for a timestamp extractor
new_consumer_record = _fast_constructor()


class _ExtractorObject(Protocol):
    def extract(self, record: ConsumerRecord, partition_time: int) -> int: ...


#: a callable ``(record, partition_time) -> int`` or an object with ``extract``
TimestampExtractor = Union[Callable[[ConsumerRecord, int], int], _ExtractorObject]


class _RecordMetadataTimestamp:
    """The record's own timestamp (event or log-append time, as the topic is configured);
    a negative one goes to :meth:`on_invalid_timestamp` (Kafka's
    ExtractRecordMetadataTimestamp). The three subclasses are the invalid-timestamp
    policies; :class:`ValueFieldTimestampExtractor` applies one to values it cannot use.
    """

    def extract(self, record: ConsumerRecord, partition_time: int) -> int:
        if record.timestamp < 0:
            return self.on_invalid_timestamp(record, record.timestamp, partition_time)
        return record.timestamp

    def on_invalid_timestamp(self, record: ConsumerRecord, record_timestamp: int,
                             partition_time: int) -> int:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class FailOnInvalidTimestamp(_RecordMetadataTimestamp):
    """The default: the record's own timestamp; an invalid one stops processing."""

    def on_invalid_timestamp(self, record: ConsumerRecord, record_timestamp: int,
                             partition_time: int) -> int:
        raise StreamsError(
            f"Input record {record.topic}-{record.partition}@{record.offset} has invalid "
            f"(negative) timestamp {record_timestamp}. Possibly because a pre-0.10 producer "
            "client was used to write this record to Kafka without embedding a timestamp, "
            "or because the input topic was created before upgrading the Kafka cluster "
            "to 0.10+. Use a different TimestampExtractor to process this data.")


class LogAndSkipOnInvalidTimestamp(_RecordMetadataTimestamp):
    """The record's own timestamp; records with an invalid one are logged and dropped
    (the task skips records whose extracted timestamp is negative, and counts them)."""

    def on_invalid_timestamp(self, record: ConsumerRecord, record_timestamp: int,
                             partition_time: int) -> int:
        logger.warning(
            "Input record %s-%s@%s will be dropped because it has an invalid "
            "(negative) timestamp.", record.topic, record.partition, record.offset)
        return record_timestamp if record_timestamp < 0 else -1


class UsePartitionTimeOnInvalidTimestamp(_RecordMetadataTimestamp):
    """The record's own timestamp; an invalid one is replaced by the partition time."""

    def on_invalid_timestamp(self, record: ConsumerRecord, record_timestamp: int,
                             partition_time: int) -> int:
        if partition_time < 0:
            raise StreamsError(
                f"Could not infer new timestamp for input record {record.topic}-"
                f"{record.partition}@{record.offset} because partition time is unknown.")
        return partition_time


class ValueFieldTimestampExtractor:
    """Event time from a field of the (deserialized, dict-like) value.

    The field holds epoch milliseconds (an int, or a float that is truncated) or an
    ISO-8601 date-time text (``2024-05-01T12:00:00Z``, ``...+02:00``; without a zone it
    is taken as UTC). A missing, unparseable or negative field goes to ``on_invalid``,
    an invalid-timestamp policy (default :class:`FailOnInvalidTimestamp`): fail, skip
    (:class:`LogAndSkipOnInvalidTimestamp`) or use the partition time
    (:class:`UsePartitionTimeOnInvalidTimestamp`).

    :param field: the value's key holding the timestamp
    :param on_invalid: the policy for records whose field cannot be used
    """

    def __init__(self, field: str, on_invalid: _RecordMetadataTimestamp | None = None) -> None:
        if not isinstance(field, str) or not field:
            raise ValueError(f"field must be a non-empty string, got {field!r}")
        self.field = field
        self.on_invalid = on_invalid if on_invalid is not None else FailOnInvalidTimestamp()
        if not callable(getattr(self.on_invalid, "on_invalid_timestamp", None)):
            raise TypeError("on_invalid must be an invalid-timestamp policy such as "
                            f"LogAndSkipOnInvalidTimestamp(), got {on_invalid!r}")

    def extract(self, record: ConsumerRecord, partition_time: int) -> int:
        value = record.value
        raw = value.get(self.field) if isinstance(value, Mapping) else None
        timestamp = parse_timestamp(raw)
        if timestamp is None or timestamp < 0:
            return self.on_invalid.on_invalid_timestamp(
                record, -1 if timestamp is None else timestamp, partition_time)
        return timestamp

    def __repr__(self) -> str:
        return f"ValueFieldTimestampExtractor({self.field!r}, on_invalid={self.on_invalid!r})"


def parse_timestamp(raw: Any) -> int | None:
    """Epoch milliseconds from an int/float of milliseconds or an ISO-8601 text, else None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if math.isfinite(raw) else None
    if isinstance(raw, str):
        text = raw.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        delta = parsed - _EPOCH
        return (delta.days * 86_400 + delta.seconds) * 1000 + delta.microseconds // 1000
    return None


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


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
