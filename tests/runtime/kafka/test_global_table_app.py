"""StreamsApp on the development broker: a stream joined with a global table (the whole
table bootstrapped before processing starts, then followed), and an optimized table
restored from its source topic (reuse.ktable.source.topics) after a restart. Expected
outputs are computed from the produced data, not by the engine."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from runtime import Serdes, StreamsBuilder
from runtime.app import StreamsApp
from tests.runtime.kafka.helpers import produce, read_topic, wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(180)]

S = Serdes.string()


def _config(bootstrap: str, app_id: str) -> dict[str, Any]:
    return {"application.id": app_id, "bootstrap.servers": bootstrap,
            "commit.interval.ms": 200, "riffle.metrics.interval.ms": 200}


def _enriched(bootstrap: str, topic: str) -> dict[str, str]:
    return {r.key.decode(): r.value.decode() for r in read_topic(bootstrap, topic)
            if r.key is not None and r.value is not None}


def _wait_for(bootstrap: str, topic: str, expected: dict[str, str], app: StreamsApp) -> None:
    def reached() -> bool:
        assert app.error is None, app.error
        return _enriched(bootstrap, topic) == expected

    try:
        wait_until(reached, 60, f"{topic} to hold {len(expected)} enriched orders", 0.5)
    except AssertionError:
        got = _enriched(bootstrap, topic)
        diff = {k: (got.get(k), v) for k, v in expected.items() if got.get(k) != v}
        raise AssertionError(f"{topic}: {len(got)} records; differing {list(diff.items())[:5]}")


def test_stream_global_table_join(kafka_bootstrap: str, create_topic: Callable[..., str],
                                  unique_name: Callable[[str], str]) -> None:
    customers = create_topic("customers", partitions=3)
    orders = create_topic("orders", partitions=2)
    enriched = create_topic("enriched", partitions=2)
    # The table is written before the app starts, across all three partitions: each
    # instance must read all of them (no co-partitioning with the orders).
    table: dict[str, str | None] = {f"c{i}": f"name{i}" for i in range(12)}
    updates = [(f"c{i}", f"name{i}") for i in range(12)] + [("c3", "renamed3"), ("c5", None)]
    produce(kafka_bootstrap, customers,
            [(k.encode(), None if v is None else v.encode()) for k, v in updates])  # type: ignore[misc]
    table.update(updates[-2:])
    order_values = {f"o{n}": f"c{n % 14}:{n}" for n in range(60)}   # c12, c13 never exist

    builder = StreamsBuilder()
    global_customers = builder.global_table(customers, key_serde=S, value_serde=S)
    (builder.stream(orders, key_serde=S, value_serde=S)
     .left_join(global_customers, lambda order_id, value: value.split(":")[0],
                lambda value, name: f"{value}/{name}")
     .to(enriched, key_serde=S, value_serde=S))
    topology = builder.build()

    def expected(orders_: dict[str, str]) -> dict[str, str]:
        return {o: f"{v}/{table.get(v.split(':')[0])}" for o, v in orders_.items()}

    app = StreamsApp(topology, _config(kafka_bootstrap, unique_name("gt")))
    app.start()
    try:
        produce(kafka_bootstrap, orders, [(k.encode(), v.encode())
                                          for k, v in order_values.items()])
        first = expected(order_values)
        _wait_for(kafka_bootstrap, enriched, first, app)
        assert app.state == "RUNNING"
        # The updater keeps following the topic: later changes reach later orders.
        produce(kafka_bootstrap, customers, [(b"c12", b"late12"), (b"c0", b"renamed0")])
        table.update({"c12": "late12", "c0": "renamed0"})
        wait_until(lambda: _global_value(app, "c12") == "late12", 30,
                   "the global store to see c12")
        wait_until(lambda: _global_value(app, "c0") == "renamed0", 30,
                   "the global store to see c0")
        more = {f"p{n}": f"c{n % 14}:{n}" for n in range(20)}
        produce(kafka_bootstrap, orders, [(k.encode(), v.encode()) for k, v in more.items()])
        # earlier orders keep what they were joined with (table updates emit nothing)
        _wait_for(kafka_bootstrap, enriched, first | expected(more), app)
    finally:
        assert app.close(30)
    # No changelog topic for the global store: its topic is the changelog.
    assert not any(t.name.endswith("-changelog") for t in topology.internal_topics("x"))


def _committed(bootstrap: str, group: str, topic: str, partitions: int) -> int:
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "enable.auto.commit": False})
    try:
        offsets = consumer.committed([TopicPartition(topic, p) for p in range(partitions)],
                                     timeout=10)
    finally:
        consumer.close()
    return sum(max(tp.offset, 0) for tp in offsets)


def _global_value(app: StreamsApp, key: str) -> Any:
    updater = app._global_updater
    assert updater is not None
    found = next(iter(updater.stores.values())).get(key)
    return None if found is None else found.value


def test_optimized_table_restores_from_source_topic(
        kafka_bootstrap: str, create_topic: Callable[..., str],
        unique_name: Callable[[str], str]) -> None:
    profiles = create_topic("profiles", partitions=2)
    clicks = create_topic("clicks", partitions=2)
    joined = create_topic("joined", partitions=2)
    app_id = unique_name("reuse")

    def topology() -> Any:
        builder = StreamsBuilder()
        table = builder.table(profiles, key_serde=S, value_serde=S, store="profiles-store")
        (builder.stream(clicks, key_serde=S, value_serde=S)
         .join(table, lambda click, profile: f"{click}@{profile}")
         .to(joined, key_serde=S, value_serde=S))
        return builder.build(optimize=True)

    built = topology()
    assert built.internal_topics(app_id) == []    # no profiles-store-changelog
    profile_values = {f"u{i}": f"p{i}" for i in range(10)}
    produce(kafka_bootstrap, profiles, [(k.encode(), v.encode())
                                        for k, v in profile_values.items()])
    first = StreamsApp(built, _config(kafka_bootstrap, app_id))
    first.start()
    try:
        # The first run builds the table by processing the profiles (nothing committed:
        # nothing to restore); clicks go in once they are processed and committed.
        wait_until(lambda: _committed(kafka_bootstrap, app_id, profiles, 2) == 10, 60,
                   "the profiles to be processed")
        produce(kafka_bootstrap, clicks, [(f"u{i}".encode(), b"a") for i in range(10)])
        _wait_for(kafka_bootstrap, joined, {f"u{i}": f"a@p{i}" for i in range(10)}, first)
    finally:
        assert first.close(30)

    # The second run resumes after the committed profiles: only the restore from the
    # source topic can give the table its rows back.
    second = StreamsApp(topology(), _config(kafka_bootstrap, app_id))
    second.start()
    try:
        produce(kafka_bootstrap, clicks, [(f"u{i}".encode(), b"b") for i in range(10)])
        _wait_for(kafka_bootstrap, joined, {f"u{i}": f"b@p{i}" for i in range(10)}, second)
    finally:
        assert second.close(30)


def test_source_topic_changelog_restored_up_to_the_committed_offset(
        kafka_bootstrap: str, create_topic: Callable[..., str],
        unique_name: Callable[[str], str]) -> None:
    # Kafka's StoreChangelogReader ends the restore of a source-topic changelog at the
    # committed offset: the records after it are processed, and must meet the old state.
    from runtime.exec.restore import ChangelogReader
    from runtime.kafka import KafkaConsumer, TopicPartition
    from runtime.kafka.config import restore_consumer_config

    topic = create_topic("source", partitions=1)
    produce(kafka_bootstrap, topic, [(b"a", b"1"), (b"b", b"1"), (b"a", b"2"), (b"b", b"2"),
                                     (b"c", b"1")])

    class Task:
        task_id = "0_0"

        def __init__(self) -> None:
            self.state: dict[bytes, bytes | None] = {}

        def changelog_partitions(self) -> dict[str, tuple[str, int]]:
            return {"store": (topic, 0)}

        def restore(self, store: str, batch: Any) -> None:
            self.state.update((k, v) for k, v, _ in batch)

        def load_snapshot(self, store: str, entries: Any) -> None:
            raise AssertionError("no checkpoint for a source-topic changelog")

    app_id = unique_name("src")
    consumer = KafkaConsumer(restore_consumer_config(
        {"application.id": app_id, "bootstrap.servers": kafka_bootstrap}, client_id="r"))
    restorer = ChangelogReader(consumer, application_id=app_id, checkpoints=None,
                                 stall_timeout_s=15)
    try:
        task = Task()
        [result] = restorer.restore_task(task, {TopicPartition(topic, 0): 3})
        assert task.state == {b"a": b"2", b"b": b"1"}
        assert (result.end_offset, result.records_replayed) == (3, 3)
        nothing = Task()   # no committed offset yet: nothing to restore
        [result] = restorer.restore_task(nothing, {TopicPartition(topic, 0): 0})
        assert nothing.state == {} and result.end_offset == 0
        everything = Task()
        [result] = restorer.restore_task(everything, {TopicPartition(topic, 0): 5})
        assert everything.state == {b"a": b"2", b"b": b"2", b"c": b"1"}
    finally:
        restorer.close()
