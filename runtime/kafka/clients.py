"""Where the engine gets its Kafka clients from; injectable so tests can swap them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from runtime.kafka.admin import KafkaAdmin
from runtime.kafka.consumer import KafkaConsumer
from runtime.kafka.producer import KafkaProducer

__all__ = ["ClientSupplier", "KafkaClientSupplier"]


class ClientSupplier(Protocol):
    def consumer(self, config: Mapping[str, Any]) -> KafkaConsumer: ...
    def producer(self, config: Mapping[str, Any]) -> KafkaProducer: ...
    def admin(self, config: Mapping[str, Any]) -> KafkaAdmin: ...


class KafkaClientSupplier:
    """The real clients (each connects lazily, on first use)."""

    def consumer(self, config: Mapping[str, Any]) -> KafkaConsumer:
        return KafkaConsumer(config)

    def producer(self, config: Mapping[str, Any]) -> KafkaProducer:
        return KafkaProducer(config)

    def admin(self, config: Mapping[str, Any]) -> KafkaAdmin:
        return KafkaAdmin(config)
