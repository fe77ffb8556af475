"""The dead-letter queue of KIP-1034 (``errors.dead.letter.queue.topic.name``).

When the topic is configured, a record that fails deserialization, processing or
production is written there as it was read, raw source key and value bytes (a record
the broker refused after the fact: the output record's bytes), with
headers saying what failed and where; whether the task then continues or fails is the
handler's answer, as in Kafka Streams 4.x, where the built-in handlers add the
dead-letter record to either response.
"""

from __future__ import annotations

import logging
import traceback
from typing import TYPE_CHECKING

from runtime.errors import RecordTooLargeError

if TYPE_CHECKING:
    from runtime.exec.task import ConsumedRecord, RecordCollector

__all__ = [
    "HEADER_EXCEPTION",
    "HEADER_MESSAGE",
    "HEADER_OFFSET",
    "HEADER_PARTITION",
    "HEADER_STACKTRACE",
    "HEADER_TOPIC",
    "DeadLetterQueue",
    "dead_letter_headers",
]

logger = logging.getLogger(__name__)

# Kafka's ExceptionHandlerUtils names.
HEADER_EXCEPTION = "__streams.errors.exception"
HEADER_STACKTRACE = "__streams.errors.stacktrace"
HEADER_MESSAGE = "__streams.errors.message"
HEADER_TOPIC = "__streams.errors.topic"
HEADER_PARTITION = "__streams.errors.partition"
HEADER_OFFSET = "__streams.errors.offset"


def _utf8(text: str | None) -> bytes | None:
    return None if text is None else text.encode("utf-8", "replace")


def dead_letter_headers(exc: BaseException, topic: str | None, partition: int,
                        offset: int) -> list[tuple[str, bytes | None]]:
    """The six error headers, as strings encoded in UTF-8 (Java's StringSerializer).

    ``exception`` is the exception's class and message, like Java's ``toString()``; a
    punctuation has no source record, so its topic is null and partition/offset -1.
    """
    name = type(exc).__qualname__
    module = type(exc).__module__
    if module not in ("builtins", "__main__"):
        name = f"{module}.{name}"
    message = str(exc)
    stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return [
        (HEADER_EXCEPTION, _utf8(f"{name}: {message}" if message else name)),
        (HEADER_MESSAGE, _utf8(message)),
        (HEADER_STACKTRACE, _utf8(stack)),
        (HEADER_TOPIC, _utf8(topic)),
        (HEADER_PARTITION, _utf8(str(partition))),
        (HEADER_OFFSET, _utf8(str(offset))),
    ]


class DeadLetterQueue:
    """Sends failing source records of one task to the configured topic."""

    def __init__(self, topic: str, collector: RecordCollector) -> None:
        self.topic = topic
        self._collector = collector
        self.records_sent = 0

    def send(self, exc: BaseException, source: ConsumedRecord | None,
             timestamp: int) -> None:
        """Write ``source`` (None in a punctuation: null key and value) to the queue.

        Partition None: the default partitioner, as Kafka's DLQ ProducerRecord names
        none; the original record's own headers are not carried over, as in Kafka.
        """
        if source is None:
            self._write(None, None, timestamp, dead_letter_headers(exc, None, -1, -1))
        else:
            self._write(source.key, source.value, timestamp,
                        dead_letter_headers(exc, source.topic, source.partition, source.offset))

    def send_undelivered(self, exc: BaseException, topic: str, partition: int,
                         key: bytes | None, value: bytes | None, timestamp: int) -> None:
        """Write an output record the broker refused, as it was serialized.

        A delivery report comes long after its source record was processed, so (as
        Kafka 4.x hands the serialized ProducerRecord to the handler) the queue gets
        the output record's bytes; topic and partition headers name where it was
        going, the offset header is -1 (it was never written).
        """
        self._write(key, value, timestamp, dead_letter_headers(exc, topic, partition, -1))

    def _write(self, key: bytes | None, value: bytes | None, timestamp: int,
               headers: list[tuple[str, bytes | None]]) -> None:
        try:
            self._collector.send(self.topic, key, value, timestamp,
                                 headers, None)  # type: ignore[arg-type]
        except RecordTooLargeError:
            # the failing record itself is too large for the producer: the error log
            # line is all that can be kept of it
            logger.error("could not write the failing record to the dead-letter queue %s: "
                         "it is larger than the producer allows", self.topic)
            return
        self.records_sent += 1
