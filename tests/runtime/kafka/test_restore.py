"""Changelog restore (runtime/exec/restore.py) against the development broker and Redis:
checkpoint first, then only the changelog tail; stale checkpoints are discarded."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator

import pytest

from runtime.exec.restore import ChangelogReader
from runtime.kafka import KafkaConsumer, KafkaProducer
from runtime.kafka.config import producer_config, restore_consumer_config
from runtime.state.checkpoint import RedisCheckpointStore

pytestmark = [pytest.mark.kafka, pytest.mark.redis]


class RecordingTask:
    """Stands in for a StreamTask: one store, applies restore batches to a dict."""

    task_id = "0_0"

    def __init__(self, changelog: str) -> None:
        self.changelog = changelog
        self.state: dict[bytes, bytes] = {}
        self.batches: list[list[tuple[bytes, bytes | None, int]]] = []
        self.snapshots: list[list[tuple[bytes, bytes]]] = []

    def changelog_partitions(self) -> dict[str, tuple[str, int]]:
        return {"counts": (self.changelog, 0)}

    def restore(self, store_name: str, batch: Iterable[tuple[bytes, bytes | None, int]]) -> None:
        assert store_name == "counts"
        items = list(batch)
        self.batches.append(items)
        for key, value, timestamp in items:
            assert timestamp > 0  # the changelog record's timestamp travels along
            if value is None:
                self.state.pop(key, None)
            else:
                self.state[key] = value

    def load_snapshot(self, store_name: str, entries: Iterable[tuple[bytes, bytes]]) -> None:
        assert store_name == "counts" and not self.batches, "the snapshot comes first"
        items = list(entries)
        self.snapshots.append(items)
        self.state.update(items)


@pytest.fixture
def app_id(unique_name: Callable[[str], str], redis_url: str) -> Iterator[str]:
    name = unique_name("restore")
    yield name
    RedisCheckpointStore(redis_url).delete_all(name)


def _write(bootstrap: str, topic: str, records: list[tuple[bytes, bytes | None]]) -> list[int]:
    producer = KafkaProducer(producer_config({"bootstrap.servers": bootstrap}, client_id="t"))
    offsets: list[int] = []
    for key, value in records:
        producer.produce(topic, key, value, partition=0,
                         on_delivery=lambda err, msg: offsets.append(msg.offset()))
    assert producer.flush(15) == 0
    producer.close()
    return offsets


def _restorer(bootstrap: str, app_id: str, checkpoints: RedisCheckpointStore | None) -> ChangelogReader:
    consumer = KafkaConsumer(restore_consumer_config(
        {"application.id": app_id, "bootstrap.servers": bootstrap}, client_id="restore"))
    return ChangelogReader(consumer, application_id=app_id, checkpoints=checkpoints, stall_timeout_s=15)


def test_without_checkpoint_the_whole_changelog_is_replayed(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str
) -> None:
    changelog = create_topic("changelog", partitions=1, config={"cleanup.policy": "compact"})
    offsets = _write(kafka_bootstrap, changelog, [(b"a", b"1"), (b"b", b"1"), (b"a", b"2"), (b"b", None)])
    task = RecordingTask(changelog)
    restorer = _restorer(kafka_bootstrap, app_id, RedisCheckpointStore(redis_url))
    try:
        [result] = restorer.restore_task(task)
    finally:
        restorer.close()
    assert task.state == {b"a": b"2"}
    assert result.records_replayed == 4
    assert not result.from_checkpoint
    assert result.end_offset == offsets[-1] + 1


def test_a_checkpoint_is_loaded_and_only_the_tail_replayed(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str
) -> None:
    changelog = create_topic("changelog", partitions=1, config={"cleanup.policy": "compact"})
    head = _write(kafka_bootstrap, changelog, [(b"a", b"1"), (b"b", b"1")])
    tail = _write(kafka_bootstrap, changelog, [(b"b", b"2"), (b"c", b"1")])
    checkpoints = RedisCheckpointStore(redis_url)
    # The checkpoint covers the head: its snapshot is what the head wrote.
    assert checkpoints.save(app_id, "counts", 0, head[-1] + 1, [(b"a", b"1"), (b"b", b"1")])
    task = RecordingTask(changelog)
    restorer = _restorer(kafka_bootstrap, app_id, checkpoints)
    try:
        [result] = restorer.restore_task(task)
    finally:
        restorer.close()
    assert task.state == {b"a": b"1", b"b": b"2", b"c": b"1"}
    assert result.from_checkpoint
    assert result.records_replayed == 2
    assert result.end_offset == tail[-1] + 1


def test_a_checkpoint_at_the_end_replays_nothing(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str
) -> None:
    changelog = create_topic("changelog", partitions=1)
    offsets = _write(kafka_bootstrap, changelog, [(b"a", b"1")])
    checkpoints = RedisCheckpointStore(redis_url)
    checkpoints.save(app_id, "counts", 0, offsets[-1] + 1, [(b"a", b"1")])
    task = RecordingTask(changelog)
    restorer = _restorer(kafka_bootstrap, app_id, checkpoints)
    try:
        [result] = restorer.restore_task(task)
    finally:
        restorer.close()
    assert task.state == {b"a": b"1"}
    assert result.from_checkpoint and result.records_replayed == 0


def test_a_checkpoint_past_the_changelog_end_is_discarded(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str
) -> None:
    # E.g. the broker lost its data, or the changelog was recreated, but Redis kept
    # the checkpoint: Kafka is the source of truth, the snapshot must not leak in.
    changelog = create_topic("changelog", partitions=1)
    _write(kafka_bootstrap, changelog, [(b"a", b"1")])
    checkpoints = RedisCheckpointStore(redis_url)
    checkpoints.save(app_id, "counts", 0, 500, [(b"ghost", b"9")])
    task = RecordingTask(changelog)
    restorer = _restorer(kafka_bootstrap, app_id, checkpoints)
    started = time.monotonic()
    try:
        [result] = restorer.restore_task(task)
    finally:
        restorer.close()
    assert task.state == {b"a": b"1"}
    assert not result.from_checkpoint and task.snapshots == []
    assert time.monotonic() - started < 15


def test_an_empty_changelog_restores_nothing(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str
) -> None:
    changelog = create_topic("changelog", partitions=1)
    task = RecordingTask(changelog)
    restorer = _restorer(kafka_bootstrap, app_id, None)
    try:
        [result] = restorer.restore_task(task)
    finally:
        restorer.close()
    assert task.state == {} and result.end_offset == 0 and result.records_replayed == 0


def test_redis_down_falls_back_to_the_changelog(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str
) -> None:
    changelog = create_topic("changelog", partitions=1)
    _write(kafka_bootstrap, changelog, [(b"a", b"1"), (b"a", b"3")])
    task = RecordingTask(changelog)
    restorer = _restorer(kafka_bootstrap, app_id, RedisCheckpointStore("redis://127.0.0.1:1/0", socket_timeout_s=0.5))
    try:
        [result] = restorer.restore_task(task)
    finally:
        restorer.close()
    assert task.state == {b"a": b"3"} and not result.from_checkpoint
