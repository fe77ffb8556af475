"""The record collector of a stream thread: sinks and change-logging stores send through
it to the thread's producer (Kafka Streams' ``RecordCollectorImpl``).

It remembers, per partition, the offset after the last delivered record, which is the
changelog position a store checkpoint covers once the producer has been flushed. A
record the broker refuses is reported here, late: production.exception.handler decides
about it (RecordCollectorImpl.recordSendError), unless the error is one no handler may
swallow.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import confluent_kafka

from runtime.errors import ProductionError
from runtime.exec.dead_letter import DeadLetterQueue
from runtime.exec.sampling import DECISION_CONTINUED, DECISION_DLQ, DECISION_FAILED, RecordFeed
from runtime.kafka import KafkaProducer, TopicPartition

__all__ = ["KafkaRecordCollector"]

logger = logging.getLogger(__name__)

_E = confluent_kafka.KafkaError
# Delivery errors no handler may swallow (RecordCollectorImpl.recordSendError): the
# producer is fenced or out of sequence (task migrated), security errors, and Kafka's
# "communication" ones (InvalidTopic, UnknownServer, OffsetMetadataTooLarge); plus
# records purged by a transaction abort, which are the abort's doing, not the record's.
_NOT_HANDLED = frozenset(getattr(_E, name) for name in (
    "_FENCED", "PRODUCER_FENCED", "INVALID_PRODUCER_EPOCH", "INVALID_PRODUCER_ID_MAPPING",
    "OUT_OF_ORDER_SEQUENCE_NUMBER",
    "_AUTHENTICATION", "SASL_AUTHENTICATION_FAILED", "TOPIC_AUTHORIZATION_FAILED",
    "CLUSTER_AUTHORIZATION_FAILED", "TRANSACTIONAL_ID_AUTHORIZATION_FAILED",
    "SECURITY_DISABLED",
    "TOPIC_EXCEPTION", "UNKNOWN", "OFFSET_METADATA_TOO_LARGE",
    "_PURGE_QUEUE", "_PURGE_INFLIGHT", "_FATAL",
) if hasattr(_E, name))


def _handled(error: Any) -> bool:
    """Whether production.exception.handler decides about this delivery error."""
    if not isinstance(error, confluent_kafka.KafkaError):
        return True
    return not error.fatal() and error.code() not in _NOT_HANDLED


class KafkaRecordCollector:
    def __init__(self, producer: KafkaProducer, *, flush_timeout_s: float = 60.0,
                 continue_on_error: bool = False, dead_letter_topic: str | None = None) -> None:
        self._producer = producer
        self._flush_timeout_s = flush_timeout_s
        self._delivered_end: dict[tuple[str, int], int] = {}
        self._failure: ProductionError | None = None
        self.records_sent = 0
        self.records_dropped = 0
        self._continue_on_error = continue_on_error
        self._dead_letters: DeadLetterQueue | None = None
        self.handle_delivery_errors(continue_on_error, dead_letter_topic)
        # the thread's record feed: told what the handler decided (runtime.exec.sampling)
        self.records: RecordFeed | None = None

    def handle_delivery_errors(self, continue_on_error: bool,
                               dead_letter_topic: str | None) -> None:
        """The production.exception.handler's answer and the DLQ topic for records the
        broker refuses (every task of a thread has the same; the task tells)."""
        self._continue_on_error = continue_on_error
        if dead_letter_topic is None:
            self._dead_letters = None
        elif self._dead_letters is None or self._dead_letters.topic != dead_letter_topic:
            self._dead_letters = DeadLetterQueue(dead_letter_topic, self)

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
            if self._failure is None:   # after a failure, as Kafka: nothing more is sent
                self._delivery_failed(error, message)
            return
        tp = (message.topic(), message.partition())
        end = message.offset() + 1
        if end > self._delivered_end.get(tp, -1):
            self._delivered_end[tp] = end

    def _delivery_failed(self, error: Any, message: Any) -> None:
        """The broker refused a record: production.exception.handler decides, unless the
        error is one Kafka never lets a handler swallow. The source record is long gone:
        the handler and the DLQ see the serialized output record. Under exactly-once
        the producer has already doomed the transaction when the error requires it
        (KafkaProducer._transactional_delivery); continuing does not save it."""
        topic, partition = message.topic(), message.partition()
        failure = ProductionError(f"could not deliver a record to {topic}: {error}",
                                  node=None, topic=topic, partition=partition, offset=None)
        if not _handled(error):
            self._failure = failure
            self._report(failure, DECISION_FAILED, message, None)
            return
        if self._dead_letters is not None:
            try:
                # partition None: the record never got one (e.g. its topic is unknown)
                self._dead_letters.send_undelivered(
                    failure, topic, -1 if partition is None else partition,
                    message.key(), message.value(),
                    message.timestamp()[1])
            except Exception as exc:  # a delivery callback must not raise into poll()
                logger.error("could not write the undelivered record to the dead-letter "
                             "queue %s: %s", self._dead_letters.topic, exc)
        dlq = self._dead_letters.topic if self._dead_letters is not None else None
        if not self._continue_on_error:
            self._failure = failure
            self._report(failure, DECISION_FAILED, message, dlq)
            return
        logger.warning("%s; dropped (production.exception.handler=log-and-continue)", failure)
        self.records_dropped += 1
        self._report(failure, DECISION_CONTINUED if dlq is None else DECISION_DLQ, message, dlq)

    def _report(self, failure: ProductionError, decision: str, message: Any, dlq: str | None) -> None:
        records = self.records
        if records is None:
            return
        try:
            records.emit_error(failure, decision, message.key(), message.value(),
                               message.timestamp()[1], dlq)
        except Exception:   # a delivery callback must not raise into poll()
            logger.warning("could not report an undelivered record", exc_info=True)

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
