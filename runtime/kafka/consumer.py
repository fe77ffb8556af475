"""A thin, typed wrapper around confluent-kafka's Consumer; the client is created on
first use so that building the engine never touches the network."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import confluent_kafka

from runtime.kafka.exceptions import CommitFailedError, KafkaClientError
from runtime.kafka.types import (
    OFFSET_INVALID,
    MessageProto,
    TopicPartition,
    TopicPartitionOffset,
)

__all__ = ["KafkaConsumer", "RebalanceListener", "is_offset_reset_error", "is_partition_eof"]

logger = logging.getLogger(__name__)

RebalanceListener = Callable[[list[TopicPartition]], None]

# Commit errors meaning the group has moved on without this member's generation.
_GROUP_MOVED_ON = frozenset({
    confluent_kafka.KafkaError.ILLEGAL_GENERATION,
    confluent_kafka.KafkaError.UNKNOWN_MEMBER_ID,
    confluent_kafka.KafkaError.FENCED_INSTANCE_ID,
    confluent_kafka.KafkaError.REBALANCE_IN_PROGRESS,
})


def _commit_failed(detail: str, code: int | None) -> CommitFailedError:
    return CommitFailedError(f"offset commit failed: {detail}", code=code, group_moved_on=code in _GROUP_MOVED_ON)


def _tps(partitions: Iterable[confluent_kafka.TopicPartition]) -> list[TopicPartition]:
    return [TopicPartition(p.topic, p.partition) for p in partitions]


def is_partition_eof(error: Any) -> bool:
    return bool(error is not None and error.code() == confluent_kafka.KafkaError._PARTITION_EOF)


def is_offset_reset_error(error: Any) -> bool:
    """True for librdkafka's 'offset out of range and auto.offset.reset=error'."""
    return bool(
        error is not None
        and error.code()
        in (confluent_kafka.KafkaError._AUTO_OFFSET_RESET, confluent_kafka.KafkaError.OFFSET_OUT_OF_RANGE)
    )


class KafkaConsumer:
    """Group or assign-only consumer. Offsets are committed explicitly and synchronously."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = dict(config)
        self._consumer: confluent_kafka.Consumer | None = None

    @property
    def _client(self) -> confluent_kafka.Consumer:
        if self._consumer is None:
            try:
                self._consumer = confluent_kafka.Consumer(self._config)
            except (confluent_kafka.KafkaException, ValueError, TypeError) as exc:
                raise KafkaClientError(f"cannot create consumer: {exc}") from exc
        return self._consumer

    @property
    def config(self) -> dict[str, Any]:
        return dict(self._config)

    def subscribe(
        self,
        topics: Sequence[str],
        *,
        on_assign: RebalanceListener,
        on_revoke: RebalanceListener,
        on_lost: RebalanceListener,
    ) -> None:
        """Join the group. The listeners run inside :meth:`consume`, on the caller's
        thread; after ``on_assign`` returns the client applies the (incremental)
        assignment itself, resuming from the committed offsets."""
        self._client.subscribe(
            list(topics),
            on_assign=lambda _c, parts: on_assign(_tps(parts)),
            on_revoke=lambda _c, parts: on_revoke(_tps(parts)),
            on_lost=lambda _c, parts: on_lost(_tps(parts)),
        )

    def unsubscribe(self) -> None:
        """Leave the group (the listeners run for what is still assigned); a later
        :meth:`subscribe` joins again as a new member."""
        if self._consumer is not None:
            self._consumer.unsubscribe()

    def assign(self, offsets: Sequence[TopicPartitionOffset]) -> None:
        self._client.assign(
            [confluent_kafka.TopicPartition(o.topic, o.partition, o.offset) for o in offsets]
        )

    def load_metadata(self, topics: Iterable[str], timeout: float) -> None:
        """Fetch the metadata of ``topics`` now. A partition assigned before the client
        knows its leader waits for librdkafka's offset-query retry (500 ms); asked
        first, its offset lookup and fetch start at once. Best effort: on failure the
        client looks the leader up itself, as without this call."""
        client = self._client
        for topic in topics:
            try:
                client.list_topics(topic, timeout=timeout)
            except confluent_kafka.KafkaException as exc:
                logger.debug("metadata of %s not loaded: %s", topic, exc)

    def unassign(self) -> None:
        if self._consumer is not None:
            self._consumer.unassign()

    def assignment(self) -> list[TopicPartition]:
        return _tps(self._client.assignment())

    def consume(self, num_messages: int, timeout: float) -> list[MessageProto]:
        try:
            return self._client.consume(num_messages=num_messages, timeout=timeout)
        except confluent_kafka.KafkaException as exc:
            raise KafkaClientError(f"consume failed: {exc}") from exc

    def commit(self, offsets: Sequence[TopicPartitionOffset]) -> None:
        """Commit ``offsets`` (the next offset to read, per partition) and wait for it."""
        if not offsets:
            return
        try:
            result = self._client.commit(
                offsets=[confluent_kafka.TopicPartition(o.topic, o.partition, o.offset) for o in offsets],
                asynchronous=False,
            )
        except confluent_kafka.KafkaException as exc:
            error = exc.args[0] if exc.args else None
            code = error.code() if isinstance(error, confluent_kafka.KafkaError) else None
            raise _commit_failed(str(exc), code) from exc
        failed = [p for p in result or () if p.error is not None]
        if failed:
            detail = ", ".join(f"{p.topic}-{p.partition}: {p.error}" for p in failed)
            raise _commit_failed(f"for {detail}", failed[0].error.code())

    def group_metadata(self) -> Any:
        """This member's group metadata (generation included), which a transactional
        producer sends with the offsets so that a stale member's commit is rejected."""
        return self._client.consumer_group_metadata()

    def committed(self, partitions: Sequence[TopicPartition], timeout: float) -> dict[TopicPartition, int | None]:
        try:
            result = self._client.committed(
                [confluent_kafka.TopicPartition(p.topic, p.partition) for p in partitions], timeout=timeout
            )
        except confluent_kafka.KafkaException as exc:
            raise KafkaClientError(f"fetching committed offsets failed: {exc}") from exc
        return {
            TopicPartition(p.topic, p.partition): (None if p.offset < 0 else p.offset) for p in result
        }

    def watermarks(self, partition: TopicPartition, *, cached: bool = True, timeout: float = 5.0) -> tuple[int, int] | None:
        """(low, high) as last seen by the fetcher (``cached``) or asked from the broker.

        The cached high watermark comes from fetch responses and is exact; some
        Kafka-compatible brokers answer ListOffsets with a smaller "latest", so the
        engine prefers the cached value."""
        tp = confluent_kafka.TopicPartition(partition.topic, partition.partition)
        try:
            low, high = (
                self._client.get_watermark_offsets(tp, cached=True)
                if cached
                else self._client.get_watermark_offsets(tp, timeout=timeout)
            )
        except confluent_kafka.KafkaException as exc:
            logger.debug("watermarks of %s unavailable: %s", partition, exc)
            return None
        if high == OFFSET_INVALID:
            return None
        return low, high

    def position(self, partitions: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
        result = self._client.position(
            [confluent_kafka.TopicPartition(p.topic, p.partition) for p in partitions]
        )
        return {TopicPartition(p.topic, p.partition): (None if p.offset < 0 else p.offset) for p in result}

    def seek(self, offset: TopicPartitionOffset) -> None:
        """Move the fetch position of an assigned partition."""
        try:
            self._client.seek(confluent_kafka.TopicPartition(offset.topic, offset.partition, offset.offset))
        except confluent_kafka.KafkaException as exc:
            raise KafkaClientError(f"seek of {offset.topic}-{offset.partition} failed: {exc}") from exc

    def pause(self, partitions: Sequence[TopicPartition]) -> None:
        self._client.pause([confluent_kafka.TopicPartition(p.topic, p.partition) for p in partitions])

    def resume(self, partitions: Sequence[TopicPartition]) -> None:
        self._client.resume([confluent_kafka.TopicPartition(p.topic, p.partition) for p in partitions])

    def close(self) -> None:
        """Leave the group (running the revoke listener for what is still assigned)."""
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            try:
                consumer.close()
            except (confluent_kafka.KafkaException, RuntimeError) as exc:
                logger.warning("closing consumer %s failed: %s", self._config.get("client.id"), exc)
