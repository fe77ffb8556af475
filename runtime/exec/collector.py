"""The record collector of a stream thread: sinks and change-logging stores send through
it to the thread's producer (Kafka Streams' ``RecordCollectorImpl``).

It remembers, per partition, the offset after the last delivered record, which is the
changelog position a store checkpoint covers once the producer has been flushed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from runtime.errors import ProductionError
from runtime.kafka import KafkaProducer, TopicPartition

__all__ = ["KafkaRecordCollector"]

logger = logging.getLogger(__name__)


class KafkaRecordCollector:
    def __init__(self, producer: KafkaProducer, *, flush_timeout_s: float = 60.0) -> None:
        self._producer = producer
        self._flush_timeout_s = flush_timeout_s
        self._delivered_end: dict[tuple[str, int], int] = {}
        self._failure: ProductionError | None = None
        self.records_sent = 0

    def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        timestamp: int,
        headers: Sequence[tuple[str, bytes]] | None = None,
        partition: int | None = None,
    ) -> None:
        if self._failure is not None:
            raise self._failure
        # Partition None: librdkafka's murmur2_random partitioner, as Java's default.
        self._producer.produce(
            topic, key, value, timestamp=max(timestamp, 0), headers=headers, partition=partition,
            on_delivery=self._on_delivery,
        )
        self.records_sent += 1

    def partitions_for(self, topic: str) -> int:
        """How many partitions ``topic`` has (a sink with a custom partitioner asks)."""
        return self._producer.partition_count(topic)

    def _on_delivery(self, error: Any, message: Any) -> None:
        if error is not None:
            if self._failure is None:
                self._failure = ProductionError(
                    f"could not deliver a record: {error}",
                    node=None, topic=message.topic(), partition=message.partition(), offset=None,
                )
            return
        tp = (message.topic(), message.partition())
        end = message.offset() + 1
        if end > self._delivered_end.get(tp, -1):
            self._delivered_end[tp] = end

    def poll(self) -> None:
        """Serve delivery reports; raises the first delivery failure."""
        self._producer.poll(0)
        if self._failure is not None:
            raise self._failure

    def flush(self) -> None:
        """Wait until everything sent so far is acknowledged; raises on any failure."""
        remaining = self._producer.flush(self._flush_timeout_s)
        if self._failure is not None:
            raise self._failure
        if remaining:
            raise ProductionError(
                f"{remaining} records still undelivered after {self._flush_timeout_s:.0f} s",
                node=None, topic=None, partition=None, offset=None,
            )

    def delivered_end(self, partition: TopicPartition) -> int | None:
        """The offset after the last record delivered to ``partition`` by this collector."""
        return self._delivered_end.get((partition.topic, partition.partition))

    def close(self) -> None:
        self._producer.close()
