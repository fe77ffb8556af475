"""Interactive queries on a running StreamsApp against the development broker: key
lookups, ranges and window fetches see the record cache; the errors say why a query
cannot be answered; and queries from another thread, while records are processed,
never see a half-applied record (they run on the stream thread between batches)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Producer

from runtime import (
    InvalidStateStoreError,
    QueryableStoreTypes,
    Serdes,
    StateStoreNotAvailableError,
    StoreQueryParameters,
    StreamsBuilder,
    TimeWindows,
    UnknownStateStoreError,
)
from runtime.app import StreamsApp
from runtime.processor.api import Processor
from runtime.processor.record import Record
from runtime.state.stores import Stores
from runtime.topology import Topology
from tests.runtime.kafka.helpers import read_topic, wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(120)]


def _config(bootstrap: str, app_id: str, **extra: Any) -> dict[str, Any]:
    return {"application.id": app_id, "bootstrap.servers": bootstrap,
            "riffle.metrics.interval.ms": 200, **extra}


def _produce(bootstrap: str, topic: str, records: list[tuple[str, str, int]]) -> dict[str, int]:
    """Keyed records with the default (murmur2) partitioner; returns key -> partition."""
    producer = Producer({"bootstrap.servers": bootstrap, "partitioner": "murmur2_random", "linger.ms": 5})
    partitions: dict[str, int] = {}

    def delivered(err: Any, msg: Any) -> None:
        assert err is None, err
        partitions[msg.key().decode()] = msg.partition()

    for key, value, ts in records:
        producer.produce(topic, value.encode(), key.encode(), timestamp=ts, on_delivery=delivered)
    assert producer.flush(30) == 0
    return partitions


def _query(call: Callable[[], Any], timeout: float = 40.0) -> Any:
    """``call()`` once the app can answer (retriable errors while it rebalances)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return call()
        except InvalidStateStoreError as exc:
            if not exc.retriable or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_lookup_range_and_window_fetch_see_the_record_cache(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    clicks = create_topic("clicks", partitions=2)
    out = create_topic("click-counts", partitions=2)
    b = StreamsBuilder()
    grouped = b.stream(clicks, key_serde=Serdes.string(), value_serde=Serdes.string()).group_by_key()
    grouped.count(store="clicks-per-user").to_stream().to(out, key_serde=Serdes.string(), value_serde=Serdes.long())
    grouped.windowed_by(TimeWindows.of_size_and_grace(60_000, 3_600_000)).count(store="clicks-per-minute")
    # A long commit interval and a big cache: nothing is flushed while we query, so
    # the counts are only in the record cache.
    app = StreamsApp(b.build(), _config(kafka_bootstrap, unique_name("iq"), **{
        "commit.interval.ms": 600_000, "statestore.cache.max.bytes": 10_000_000}))
    with pytest.raises(StateStoreNotAvailableError, match="CREATED"):
        app.store(StoreQueryParameters.from_name_and_type("clicks-per-user", QueryableStoreTypes.key_value_store()))
    app.start()
    try:
        # alice: 3 in minute 0, 1 in minute 1; bob: 2 in minute 1; carol 1 in minute 2
        records = [("alice", "a", 1_000), ("bob", "b", 61_000), ("alice", "a", 2_000), ("carol", "c", 125_000),
                   ("alice", "a", 59_999), ("bob", "b", 62_000), ("alice", "a", 60_000)]
        partitions = _produce(kafka_bootstrap, clicks, records)
        counts = _query(lambda: app.store(StoreQueryParameters.from_name_and_type(
            "clicks-per-user", QueryableStoreTypes.key_value_store())))
        wait_until(lambda: _query(lambda: counts.get("carol")) == 1 and counts.get("alice") == 4, 40,
                   "the counts to be queryable")
        assert counts.get("alice") == 4 and counts.get("bob") == 2 and counts.get("dave") is None
        assert counts.all() == [("alice", 4), ("bob", 2), ("carol", 1)]
        assert counts.range("b", "c") == [("bob", 2)]
        assert counts.range(None, None, limit=2) == [("alice", 4), ("bob", 2)]
        assert counts.reverse_all(limit=1) == [("carol", 1)]
        # approximate, as Kafka's: the caching layer counts what was flushed below it
        assert counts.approximate_num_entries() == 0
        assert read_topic(kafka_bootstrap, out) == []   # answered from the cache, not flushed yet

        stamped = app.store(StoreQueryParameters.from_name_and_type(
            "clicks-per-user", QueryableStoreTypes.timestamped_key_value_store()))
        assert stamped.get("alice").timestamp == 60_000 and stamped.get("alice").value == 4

        # each key is on the partition the producer's murmur2 put it, and local
        for key, partition in partitions.items():
            meta = app.query_metadata_for_key("clicks-per-user", key)
            assert (meta.partition, meta.local) == (partition, True), key
            only = app.store(StoreQueryParameters.from_name_and_type(
                "clicks-per-user", QueryableStoreTypes.key_value_store()).with_partition(partition))
            assert only.get(key) is not None
            other = app.store(StoreQueryParameters.from_name_and_type(
                "clicks-per-user", QueryableStoreTypes.key_value_store()).with_partition(1 - partition))
            assert other.get(key) is None

        minutes = app.store(StoreQueryParameters.from_name_and_type(
            "clicks-per-minute", QueryableStoreTypes.window_store()))
        assert minutes.fetch("alice", 0) == 3
        assert minutes.fetch("alice", 60_000) == 1
        assert minutes.fetch("bob", 0) is None
        assert minutes.fetch("alice", 0, 120_000) == [(0, 3), (60_000, 1)]
        assert [(w.key, w.window.start, v) for w, v in minutes.fetch_all(0, 200_000)] == [
            ("alice", 0, 3), ("alice", 60_000, 1), ("bob", 60_000, 2), ("carol", 120_000, 1)]

        with pytest.raises(UnknownStateStoreError, match="clicks-per-minute, clicks-per-user"):
            app.store(StoreQueryParameters.from_name_and_type("nope", QueryableStoreTypes.key_value_store()))
        with pytest.raises(InvalidStateStoreError, match="is a window store, not a key-value store"):
            app.store(StoreQueryParameters.from_name_and_type("clicks-per-minute",
                                                              QueryableStoreTypes.key_value_store()))
    finally:
        assert app.close(30)
    with pytest.raises(StateStoreNotAvailableError, match="NOT_RUNNING") as raised:
        counts.get("alice")
    assert not raised.value.retriable


class SlowPairWriter(Processor):
    """For each record ``(key, n)``: ``put(key+":x", n)``, a pause, ``put(key+":y", -n)``
    and a new key: within one record the store is briefly unbalanced."""

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("pairs")

    def process(self, record: Record) -> None:
        n = int(record.value)
        self.store.put(f"{record.key}:x", n)
        time.sleep(0.002)
        self.store.put(f"{record.key}:y", -n)
        self.store.put(f"seen:{n:06d}", n)


def test_queries_while_records_are_processed_never_see_half_a_record(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    topic = create_topic("pairs-in", partitions=2)
    topology = Topology()
    topology.add_source("In", topic, key_serde=Serdes.string(), value_serde=Serdes.string())
    topology.add_processor("Write", SlowPairWriter, "In")
    topology.add_state_store(Stores.key_value_store_builder(
        Stores.in_memory_key_value_store("pairs"), Serdes.string(), Serdes.long()).with_caching_enabled(), "Write")
    app = StreamsApp(topology, _config(kafka_bootstrap, unique_name("iq-race"), **{
        "commit.interval.ms": 500, "max.poll.records": 20}))
    app.start()
    total = 1500
    produced = threading.Thread(target=_produce, args=(
        kafka_bootstrap, topic, [(f"k{i % 7}", str(i + 1), 1000 + i) for i in range(total)]))
    try:
        view = _query(lambda: app.store(StoreQueryParameters.from_name_and_type(
            "pairs", QueryableStoreTypes.key_value_store())))
        produced.start()
        queries = 0
        deadline = time.monotonic() + 60
        seen = 0
        while seen < total:
            assert time.monotonic() < deadline, f"only {seen} of {total} records processed"
            entries = dict(_query(lambda: view.all(limit=None)))
            pairs = {k.split(":")[0] for k in entries if not k.startswith("seen:")}
            for key in pairs:
                assert entries.get(f"{key}:x", 0) + entries.get(f"{key}:y", 0) == 0, (key, entries)
            seen = sum(1 for k in entries if k.startswith("seen:"))
            queries += 1
        assert queries > 20, queries   # the queries really ran while records were processed
        assert len(view.all(limit=None)) == total + 14
        # the last value of k0 is record i=1498 (value 1499), of k1 record i=1499
        assert view.all(limit=3) == [("k0:x", 1499), ("k0:y", -1499), ("k1:x", 1500)]
    finally:
        produced.join(30)
        assert app.close(30)
