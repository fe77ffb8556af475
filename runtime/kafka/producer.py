"""A thin, typed wrapper around confluent-kafka's Producer, created on first use."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import confluent_kafka

from runtime.kafka.exceptions import KafkaClientError

__all__ = ["DeliveryCallback", "KafkaProducer"]

logger = logging.getLogger(__name__)

# confluent-kafka calls it with (KafkaError or None, Message).
DeliveryCallback = Callable[[Any, Any], None]


class KafkaProducer:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = dict(config)
        self._producer: confluent_kafka.Producer | None = None
        self._partition_counts: dict[str, int] = {}

    @property
    def _client(self) -> confluent_kafka.Producer:
        if self._producer is None:
            try:
                self._producer = confluent_kafka.Producer(self._config)
            except (confluent_kafka.KafkaException, ValueError, TypeError) as exc:
                raise KafkaClientError(f"cannot create producer: {exc}") from exc
        return self._producer

    def produce(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        *,
        timestamp: int = 0,
        headers: Sequence[tuple[str, bytes]] | None = None,
        partition: int | None = None,
        on_delivery: DeliveryCallback | None = None,
    ) -> None:
        """Queue one record; when the local queue is full, serve delivery reports until
        there is room (back-pressure instead of an error)."""
        client = self._client
        kwargs: dict[str, Any] = {"timestamp": timestamp}
        if partition is not None:
            kwargs["partition"] = partition
        if headers:
            kwargs["headers"] = list(headers)
        if on_delivery is not None:
            kwargs["on_delivery"] = on_delivery
        while True:
            try:
                client.produce(topic, value, key, **kwargs)
                return
            except BufferError:
                client.poll(0.05)
            except confluent_kafka.KafkaException as exc:
                raise KafkaClientError(f"cannot produce to {topic}: {exc}") from exc

    def partition_count(self, topic: str, timeout: float = 10.0) -> int:
        """Partitions of an existing output topic (cached; for custom partitioners)."""
        count = self._partition_counts.get(topic)
        if count is None:
            try:
                metadata = self._client.list_topics(topic, timeout=timeout).topics.get(topic)
            except confluent_kafka.KafkaException as exc:
                raise KafkaClientError(f"cannot read metadata of {topic}: {exc}") from exc
            if metadata is None or metadata.error is not None or not metadata.partitions:
                error = metadata.error if metadata is not None else "unknown topic"
                raise KafkaClientError(f"cannot read metadata of {topic}: {error}")
            count = self._partition_counts[topic] = len(metadata.partitions)
        return count

    def poll(self, timeout: float = 0.0) -> int:
        """Serve delivery reports; returns how many were served."""
        if self._producer is None:
            return 0
        return self._producer.poll(timeout)

    def flush(self, timeout: float) -> int:
        """Wait until every queued record is delivered or failed; returns how many are
        still in flight after ``timeout`` seconds."""
        if self._producer is None:
            return 0
        return self._producer.flush(timeout)

    def close(self, timeout: float = 10.0) -> None:
        if self._producer is not None:
            producer, self._producer = self._producer, None
            remaining = producer.flush(timeout)
            if remaining:
                logger.warning(
                    "producer %s closed with %d records undelivered", self._config.get("client.id"), remaining
                )
