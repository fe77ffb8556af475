"""Short-lived Kafka clients for one Connection: cluster metadata, topics, records.

Every call opens its client, bounds every broker request by a timeout and closes the
client before returning, so an unreachable cluster costs seconds, never a hung request.
Consumers are assign-only: they have a group.id (confluent-kafka insists on one) but
never subscribe or commit, so they never join or touch a consumer group.

Failures raise `KafkaCallError` with an HTTP status and a readable message from which the
connection's secrets have been scrubbed.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Callable

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runtime.kafka.watermarks import exact_watermarks
from studio.connections.models import ClientConfig, Connection, UnusableConnectionError

__all__ = [
    "ClusterInfo", "KafkaCallError", "RawRecord", "TopicInfo", "TopicTail", "cluster_info",
    "create_topic", "list_topics", "produce", "read_records", "topic_watermarks",
]

logger = logging.getLogger(__name__)

TIMEOUT_S = 5.0
# Browsing gives up after this long even when fewer records than asked have arrived.
READ_DEADLINE_S = 8.0


class KafkaCallError(Exception):
    """A Kafka call that failed: `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ClusterInfo:
    brokers: int
    cluster_id: str | None


@dataclass(frozen=True)
class TopicInfo:
    name: str
    partitions: int
    internal: bool


@dataclass(frozen=True)
class RawRecord:
    partition: int
    offset: int
    timestamp: int | None
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes | None]]


def _config(connection: Connection, **extra: Any) -> ClientConfig:
    try:
        config = connection.client_config()
    except UnusableConnectionError as exc:
        # The connection's stored state is at fault, not the request or the cluster.
        raise KafkaCallError(str(exc), 409) from None
    config.update({
        "socket.connection.setup.timeout.ms": int(TIMEOUT_S * 1000),
        "socket.timeout.ms": int(TIMEOUT_S * 1000),
    })
    config.update(extra)
    return config


def _scrub(text: str, connection: Connection) -> str:
    return connection.scrub(text)


def _failure(exc: BaseException, connection: Connection, action: str) -> KafkaCallError:
    error = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    servers = connection.bootstrap_servers
    if isinstance(error, KafkaError):
        detail = _scrub(error.str(), connection)
        if error.code() == KafkaError._TIMED_OUT:
            return KafkaCallError(f"Kafka at {servers} did not answer within {TIMEOUT_S:.0f} s ({action}): {detail}", 504)
        if error.code() < 0:  # librdkafka's local errors: transport, resolution, auth
            return KafkaCallError(f"Cannot reach Kafka at {servers} ({action}): {detail}", 502)
        return KafkaCallError(f"Kafka refused to {action}: {detail}", 400)
    detail = _scrub(str(exc), connection)
    return KafkaCallError(f"Cannot reach Kafka at {servers} ({action}): {detail}", 502)


def _refused_settings(exc: BaseException, connection: Connection) -> KafkaCallError:
    """A client that cannot even be created: bad PEM text, an unknown setting."""
    error = exc.args[0] if isinstance(exc, KafkaException) and exc.args else None
    detail = _scrub(error.str() if isinstance(error, KafkaError) else str(exc), connection)
    return KafkaCallError(f"The Kafka client refuses this connection's settings: {detail}", 400)


@contextmanager
def _admin(connection: Connection, action: str) -> Iterator[AdminClient]:
    try:
        client = AdminClient(_config(connection))
    except (KafkaException, ValueError, TypeError) as exc:
        raise _refused_settings(exc, connection) from None
    try:
        yield client
    except KafkaException as exc:
        raise _failure(exc, connection, action) from None
    finally:
        del client  # AdminClient has no close(); dropping it ends its threads


@contextmanager
def _consumer(connection: Connection, action: str) -> Iterator[Consumer]:
    config = _config(
        connection,
        **{
            "group.id": f"riffle-studio-browse-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "enable.auto.offset.store": False,
        # The end of a partition may lie before its high watermark (transaction markers,
        # read_committed's last stable offset): EOF events say when there is no more.
            "enable.partition.eof": True,
        },
    )
    try:
        client = Consumer(config)
    except (KafkaException, ValueError, TypeError) as exc:
        raise _refused_settings(exc, connection) from None
    try:
        yield client
    except KafkaException as exc:
        raise _failure(exc, connection, action) from None
    finally:
        client.close()


def cluster_info(connection: Connection) -> ClusterInfo:
    with _admin(connection, "describe the cluster") as admin:
        metadata = admin.list_topics(timeout=TIMEOUT_S)
    return ClusterInfo(brokers=len(metadata.brokers), cluster_id=metadata.cluster_id)


def list_topics(connection: Connection) -> list[TopicInfo]:
    """Every topic, sorted by name. Internal topics are Kafka's own (`__`-prefixed)."""
    with _admin(connection, "list topics") as admin:
        metadata = admin.list_topics(timeout=TIMEOUT_S)
    return sorted(
        (TopicInfo(name, len(t.partitions), name.startswith("__"))
         for name, t in metadata.topics.items() if t.error is None),
        key=lambda t: t.name,
    )


def _partition_count(client: Consumer | Producer, connection: Connection, topic: str) -> int:
    # List every topic: asking for one by name makes auto-creating brokers create it.
    found = client.list_topics(timeout=TIMEOUT_S).topics.get(topic)
    if found is None or found.error is not None:
        raise KafkaCallError(f"There is no topic {topic!r} on connection {connection.name!r}.", 404)
    return len(found.partitions)


def topic_watermarks(connection: Connection, topics: list[TopicInfo]) -> dict[str, list[tuple[int, int]]]:
    """(low, high) watermark of each partition of each topic, in partition order."""
    with _consumer(connection, "read watermarks") as consumer:
        marks = exact_watermarks(consumer, [(topic.name, p) for topic in topics for p in range(topic.partitions)],
                                 timeout=TIMEOUT_S).marks
    return {topic.name: [marks[(topic.name, p)] for p in range(topic.partitions)] for topic in topics}


def create_topic(connection: Connection, name: str, partitions: int, replication_factor: int,
                 configs: dict[str, str]) -> None:
    with _admin(connection, f"create topic {name!r}") as admin:
        future = admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=replication_factor, config=configs)],
            operation_timeout=TIMEOUT_S, request_timeout=TIMEOUT_S,
        )[name]
        future.result(timeout=TIMEOUT_S * 2)


def ensure_topic(connection: Connection, name: str, partitions: int = 1) -> bool:
    """Create topic `name` (replication: the broker's default) unless it exists; whether
    it was created."""
    with _admin(connection, f"create topic {name!r}") as admin:
        future = admin.create_topics(
            [NewTopic(name, num_partitions=partitions, replication_factor=-1)],
            operation_timeout=TIMEOUT_S, request_timeout=TIMEOUT_S,
        )[name]
        try:
            future.result(timeout=TIMEOUT_S * 2)
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if isinstance(error, KafkaError) and error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                return False
            raise
    return True


def read_records(
    connection: Connection, topic: str, *, partition: int | None, offset: int | None,
    timestamp: int | None, limit: int,
) -> tuple[list[RawRecord], dict[int, int]]:
    """Up to `limit` records from `offset` (or the first at or after `timestamp`, or the
    start) of one partition or all; and the offset to read next in each partition."""
    with _consumer(connection, f"read topic {topic!r}") as consumer:
        count = _partition_count(consumer, connection, topic)
        if partition is not None and not 0 <= partition < count:
            raise KafkaCallError(f"Topic {topic!r} has partitions 0 to {count - 1}; there is no partition {partition}.", 400)
        chosen = [partition] if partition is not None else list(range(count))
        marks = _exact_watermarks(consumer, topic, chosen)
        ends = {p: high for p, (_, high) in marks.items()}
        starts = {p: max(low, offset) if offset is not None else low for p, (low, _) in marks.items()}
        if timestamp is not None:
            found = consumer.offsets_for_times([TopicPartition(topic, p, timestamp) for p in chosen], timeout=TIMEOUT_S)
            for tp in found:
                # -1: no record at or after the timestamp.
                starts[tp.partition] = tp.offset if tp.offset >= 0 else ends[tp.partition]
        return _consume(consumer, topic, starts, ends, timestamp, limit)


def _consume(consumer: Consumer, topic: str, starts: dict[int, int], ends: dict[int, int],
             timestamp: int | None, limit: int) -> tuple[list[RawRecord], dict[int, int]]:
    positions = dict(starts)
    active = {p for p in starts if starts[p] < ends[p]}
    # Some brokers (the development one) answer offsets_for_times with an earlier offset:
    # skipping each partition's records before its first one at or after the timestamp
    # gives Kafka's answer either way.
    seeking = set(active) if timestamp is not None else set()
    records: list[RawRecord] = []
    if active:
        consumer.assign([TopicPartition(topic, p, starts[p]) for p in sorted(active)])
    deadline = time.monotonic() + READ_DEADLINE_S
    while active and len(records) < limit and time.monotonic() < deadline:
        for message in consumer.consume(num_messages=min(500, limit), timeout=0.5):
            if len(records) >= limit:
                break  # the rest of the batch is read again from `positions` next time
            error = message.error()
            if error is not None and error.code() == KafkaError._PARTITION_EOF:
                active.discard(message.partition())
                continue
            if error is not None:
                raise KafkaException(error)
            p, position = message.partition(), message.offset()
            if p not in active or position >= ends[p]:
                continue
            positions[p] = position + 1
            if position + 1 >= ends[p]:
                active.discard(p)
            ts_type, ts = message.timestamp()
            if p in seeking:
                if timestamp is not None and ts < timestamp:
                    continue
                seeking.discard(p)
            records.append(RawRecord(p, position, ts if ts_type else None, message.key(),
                                     message.value(), list(message.headers() or [])))
    records.sort(key=lambda r: (r.partition, r.offset))
    return records, positions


def produce(connection: Connection, topic: str, *, key: bytes | None, value: bytes | None,
            partition: int | None, headers: list[tuple[str, bytes]]) -> tuple[int, int, int | None]:
    """Produce one record and wait for it: (partition, offset, timestamp)."""
    config = _config(connection, **{"message.timeout.ms": int(TIMEOUT_S * 2000)})
    try:
        producer = Producer(config)
    except (KafkaException, ValueError, TypeError) as exc:
        raise _refused_settings(exc, connection) from None
    delivered: list[Any] = []
    try:
        count = _partition_count(producer, connection, topic)
        if partition is not None and not 0 <= partition < count:
            raise KafkaCallError(f"Topic {topic!r} has partitions 0 to {count - 1}; there is no partition {partition}.", 400)
        extra = {"partition": partition} if partition is not None else {}
        producer.produce(topic, key=key, value=value, headers=headers,
                         on_delivery=lambda err, msg: delivered.append((err, msg)), **extra)
        producer.flush(TIMEOUT_S * 3)
    except KafkaException as exc:
        raise _failure(exc, connection, f"produce to {topic!r}") from None
    finally:
        # Drop anything unsent so that the client does not retry after we answered.
        producer.purge()
        producer.flush(0)
    if not delivered:
        raise KafkaCallError(f"Kafka at {connection.bootstrap_servers} did not confirm the record within {TIMEOUT_S * 3:.0f} s.", 504)
    err, msg = delivered[0]
    if err is not None:
        raise _failure(KafkaException(err), connection, f"produce to {topic!r}")
    ts_type, ts = msg.timestamp()
    return msg.partition(), msg.offset(), ts if ts_type else None


class TopicTail:
    """Follow a topic from its end (or its last `last` records per partition): an
    assign-only consumer on every partition, run by :meth:`run` on a thread of its own
    until :meth:`stop`. Each batch of new records goes to `deliver`, which must not block.
    """

    def __init__(self, connection: Connection, topic: str, *, last: int = 0) -> None:
        self.connection = connection
        self.topic = topic
        self.last = last
        self._stop = threading.Event()

    def stop(self) -> None:
        self._stop.set()

    def run(self, on_start: Callable[[dict[int, int]], None], deliver: Callable[[list[RawRecord]], None]) -> None:
        """Raises KafkaCallError when the topic cannot be followed (before `on_start`)."""
        with _consumer(self.connection, f"follow topic {self.topic!r}") as consumer:
            count = _partition_count(consumer, self.connection, self.topic)
            marks = _exact_watermarks(consumer, self.topic, range(count))
            starts = {p: max(low, high - self.last) for p, (low, high) in marks.items()}
            consumer.assign([TopicPartition(self.topic, p, o) for p, o in starts.items()])
            on_start(starts)
            while not self._stop.is_set():
                batch: list[RawRecord] = []
                for message in consumer.consume(num_messages=500, timeout=0.2):
                    error = message.error()
                    if error is not None:
                        if error.code() != KafkaError._PARTITION_EOF:
                            logger.info("tail of %r: %s", self.topic, _scrub(error.str(), self.connection))
                        continue
                    ts_type, ts = message.timestamp()
                    batch.append(RawRecord(message.partition(), message.offset(), ts if ts_type else None,
                                           message.key(), message.value(), list(message.headers() or [])))
                if batch:
                    deliver(batch)


def _exact_watermarks(consumer: Consumer, topic: str, partitions: Iterable[int]) -> dict[int, tuple[int, int]]:
    marks = exact_watermarks(consumer, [(topic, p) for p in partitions], timeout=TIMEOUT_S).marks
    return {p: mark for (_, p), mark in marks.items()}
