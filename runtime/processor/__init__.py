"""The public Processor API: ``from runtime.processor import Processor, Record, PunctuationType``."""

from __future__ import annotations

from runtime.processor.api import (
    Cancellable,
    Processor,
    ProcessorContext,
    ProcessorSupplier,
    PunctuationType,
    Punctuator,
)
from runtime.processor.record import Record, RecordContext, RecordMetadata
from runtime.processor.restore_listener import StateRestoreListener
from runtime.processor.timestamp_extractors import (
    ConsumerRecord,
    FailOnInvalidTimestamp,
    LogAndSkipOnInvalidTimestamp,
    TimestampExtractor,
    UsePartitionTimeOnInvalidTimestamp,
    ValueFieldTimestampExtractor,
    WallclockTimestampExtractor,
)

__all__ = [
    "Cancellable",
    "ConsumerRecord",
    "FailOnInvalidTimestamp",
    "LogAndSkipOnInvalidTimestamp",
    "Processor",
    "ProcessorContext",
    "ProcessorSupplier",
    "PunctuationType",
    "Punctuator",
    "Record",
    "RecordContext",
    "RecordMetadata",
    "StateRestoreListener",
    "TimestampExtractor",
    "UsePartitionTimeOnInvalidTimestamp",
    "ValueFieldTimestampExtractor",
    "WallclockTimestampExtractor",
]
