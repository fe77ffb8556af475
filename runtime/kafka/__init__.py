"""The engine's Kafka clients: the only package that imports confluent-kafka."""

from __future__ import annotations

from runtime.kafka.admin import KafkaAdmin
from runtime.kafka.clients import ClientSupplier, KafkaClientSupplier
from runtime.kafka.consumer import KafkaConsumer, is_offset_reset_error, is_partition_eof
from runtime.kafka.exceptions import (
    CommitFailedError,
    InternalTopicError,
    KafkaClientError,
    MissingSourceTopicError,
    TransactionError,
)
from runtime.kafka.producer import KafkaProducer
from runtime.kafka.types import (
    OFFSET_BEGINNING,
    OFFSET_END,
    OFFSET_INVALID,
    MessageProto,
    NewTopicSpec,
    TopicPartition,
    TopicPartitionOffset,
)

__all__ = [
    "OFFSET_BEGINNING",
    "OFFSET_END",
    "OFFSET_INVALID",
    "ClientSupplier",
    "CommitFailedError",
    "InternalTopicError",
    "KafkaAdmin",
    "KafkaClientError",
    "KafkaClientSupplier",
    "KafkaConsumer",
    "KafkaProducer",
    "MessageProto",
    "MissingSourceTopicError",
    "TransactionError",
    "NewTopicSpec",
    "TopicPartition",
    "TopicPartitionOffset",
    "is_offset_reset_error",
    "is_partition_eof",
]
