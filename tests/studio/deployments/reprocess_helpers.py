"""Helpers of the reprocessing tests: word-count deployments on fresh topics, records
with known offsets and timestamps, the group's committed offsets, topics on the cluster."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runtime import Serdes
from studio.deployments.models import Deployment, Replica
from tests.studio.helpers import ReplicaThread

# The lines of Kafka Streams' word-count walkthrough; its documented final counts.
LINES = ["all streams lead to kafka", "hello kafka streams", "join kafka summit"]
EXPECTED = {"all": 1, "streams": 2, "lead": 1, "to": 1, "kafka": 3, "hello": 1, "join": 1, "summit": 1}
REPARTITION = "group-by-word-repartition"
CHANGELOG = "counts-store-changelog"


def produce(bootstrap: str, topic: str, records: list[tuple[int, bytes, bytes, int | None]]) -> list[int]:
    """(partition, key, value, timestamp ms or None) each, one flush per record (so each
    is a batch of its own); the offsets Kafka gave them."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    offsets: list[int] = []

    def delivered(error: Any, message: Any) -> None:
        assert error is None, error
        offsets.append(message.offset())

    for partition, key, value, ts in records:
        kwargs = {"timestamp": ts} if ts is not None else {}
        producer.produce(topic, key=key, value=value, partition=partition, on_delivery=delivered, **kwargs)
        assert producer.flush(15) == 0
    return offsets


def commit(bootstrap: str, group: str, positions: dict[tuple[str, int], int]) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in positions.items()], asynchronous=False)
    finally:
        consumer.close()


def committed(bootstrap: str, group: str, topic: str, partitions: int) -> dict[int, int | None]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        tps = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
    finally:
        consumer.close()
    return {tp.partition: (tp.offset if tp.offset >= 0 else None) for tp in tps}


def topics(bootstrap: str) -> dict[str, int]:
    metadata = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    return {name: len(t.partitions) for name, t in metadata.topics.items() if t.error is None}


def make_topic(bootstrap: str, name: str, partitions: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])[name].result(15)
    wait_until(lambda: topics(bootstrap).get(name) == partitions, 15, f"topic {name}")


def delete_topics(bootstrap: str, names: list[str]) -> None:
    present = [n for n in names if n in topics(bootstrap)]
    if present:
        for future in AdminClient({"bootstrap.servers": bootstrap}).delete_topics(present, operation_timeout=10).values():
            try:
                future.result(15)
            except Exception:  # noqa: BLE001 - cleanup is best effort
                pass


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"no {what} within {timeout:.0f} s")


def read_latest(bootstrap: str, topic: str, want: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Latest long count per word of a word-count output topic, until it equals `want`."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}-reader-{time.time_ns()}",
                         "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    latest: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and latest != want:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            latest[Serdes.string().deserialize(message.key(), topic)] = Serdes.long().deserialize(message.value(), topic)
    finally:
        consumer.close()
    return latest


class RunningReplica:
    """A replica of `deployment` run in-process on a thread, as run_replica would."""

    def __init__(self, deployment: Deployment) -> None:
        self.replica = Replica.objects.create(deployment=deployment, index=0, celery_task_id="in-process",
                                              generation=deployment.generation)
        self.thread = ReplicaThread(self.replica.pk)
        self.thread.start()
        self.outcome = self.thread.outcome

    def join(self, timeout: float = 45) -> None:
        self.thread.join(timeout)
