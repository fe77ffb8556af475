"""Plain value types and Protocols for the Kafka wrappers.

The engine speaks these types, never confluent-kafka's, so that only ``runtime.kafka``
imports the client library and tests of the engine logic can hand in fakes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, Sequence

__all__ = [
    "OFFSET_BEGINNING",
    "OFFSET_END",
    "OFFSET_INVALID",
    "MessageProto",
    "NewTopicSpec",
    "TopicPartition",
    "TopicPartitionOffset",
]

# librdkafka's logical offsets.
OFFSET_BEGINNING = -2
OFFSET_END = -1
OFFSET_INVALID = -1001


@dataclass(frozen=True, order=True)
class TopicPartition:
    topic: str
    partition: int

    def __str__(self) -> str:
        return f"{self.topic}-{self.partition}"


@dataclass(frozen=True)
class TopicPartitionOffset:
    topic: str
    partition: int
    offset: int

    @property
    def topic_partition(self) -> TopicPartition:
        return TopicPartition(self.topic, self.partition)


@dataclass(frozen=True)
class NewTopicSpec:
    name: str
    num_partitions: int
    replication_factor: int = -1  # -1: the broker's default.replication.factor
    config: dict[str, str] = field(default_factory=dict)


class KafkaErrorProto(Protocol):
    def code(self) -> int: ...
    def name(self) -> str: ...
    def str(self) -> str: ...
    def fatal(self) -> bool: ...
    def retriable(self) -> bool: ...


class MessageProto(Protocol):
    """What a consumer hands back: confluent-kafka's ``Message`` satisfies it."""

    def topic(self) -> str | None: ...
    def partition(self) -> int | None: ...
    def offset(self) -> int | None: ...
    def key(self) -> bytes | None: ...
    def value(self) -> bytes | None: ...
    def timestamp(self) -> tuple[int, int]: ...
    def headers(self) -> Sequence[tuple[str, bytes]] | None: ...
    def error(self) -> Any: ...
