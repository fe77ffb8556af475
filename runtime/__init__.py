"""Riffle's stream-processing engine, following Apache Kafka Streams semantics.

``from runtime import StreamsBuilder, Serdes`` works without a Kafka client installed;
``StreamsApp`` (the engine on Kafka) is imported on first use.
"""

from __future__ import annotations

from typing import Any

from runtime.config import StreamsConfig
from runtime.dsl import (
    BufferConfig,
    CogroupedKStream,
    Consumed,
    GlobalKTable,
    Grouped,
    JoinWindows,
    KGroupedStream,
    KGroupedTable,
    KStream,
    KTable,
    Materialized,
    Produced,
    SessionWindow,
    SessionWindowedKStream,
    SessionWindows,
    SlidingWindows,
    StreamsBuilder,
    Suppressed,
    TimeWindow,
    TimeWindowedKStream,
    TimeWindows,
    Windowed,
)
from runtime.errors import (
    DeserializationError,
    IllegalStateError,
    InvalidStateStoreError,
    InvalidStateStorePartitionError,
    ProcessingError,
    StateStoreMigratedError,
    StateStoreNotAvailableError,
    StoreNotFoundError,
    StreamsError,
    TopologyError,
    UnknownStateStoreError,
)
from runtime.processor.restore_listener import StateRestoreListener
from runtime.processor.timestamp_extractors import (
    FailOnInvalidTimestamp,
    LogAndSkipOnInvalidTimestamp,
    UsePartitionTimeOnInvalidTimestamp,
    ValueFieldTimestampExtractor,
    WallclockTimestampExtractor,
)
from runtime.serdes import Serde, Serdes, WindowedSerdes
from runtime.state import QueryableStoreTypes, StoreQueryParameters, Stores, ValueAndTimestamp
from runtime.topology import Topology, TopologyDescription

__all__ = [
    "BufferConfig",
    "CogroupedKStream",
    "Consumed",
    "DeserializationError",
    "FailOnInvalidTimestamp",
    "GlobalKTable",
    "Grouped",
    "IllegalStateError",
    "InvalidStateStoreError",
    "InvalidStateStorePartitionError",
    "JoinWindows",
    "KGroupedStream",
    "KGroupedTable",
    "KStream",
    "KTable",
    "LogAndSkipOnInvalidTimestamp",
    "Materialized",
    "ProcessingError",
    "Produced",
    "QueryableStoreTypes",
    "Serde",
    "Serdes",
    "SessionWindow",
    "SessionWindowedKStream",
    "SessionWindows",
    "SlidingWindows",
    "StateRestoreListener",
    "StateStoreMigratedError",
    "StateStoreNotAvailableError",
    "StoreNotFoundError",
    "StoreQueryParameters",
    "Stores",
    "StreamsApp",
    "StreamsBuilder",
    "StreamsConfig",
    "StreamsError",
    "Suppressed",
    "TimeWindow",
    "TimeWindowedKStream",
    "TimeWindows",
    "Topology",
    "TopologyDescription",
    "TopologyError",
    "UnknownStateStoreError",
    "UsePartitionTimeOnInvalidTimestamp",
    "ValueAndTimestamp",
    "ValueFieldTimestampExtractor",
    "WallclockTimestampExtractor",
    "Windowed",
    "WindowedSerdes",
]


def __getattr__(name: str) -> Any:
    # The engine pulls in confluent_kafka; importing it only when asked keeps the
    # DSL, the test driver and the studio's compile step free of that dependency.
    if name == "StreamsApp":
        from runtime.app import StreamsApp

        return StreamsApp
    raise AttributeError(f"module 'runtime' has no attribute {name!r}")
