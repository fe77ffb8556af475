"""Restoring without stopping the stream thread (Kafka Streams' state updater), against
the development broker: while one task replays a large changelog, the thread's other
task processes; the restoring task processes only once its store is whole; the restore
listener (``StreamsApp.set_global_state_restore_listener``) sees start, batches and end,
or a suspension when the task is revoked mid-restore.

Order is checked causally, never by wall-clock bounds: the listener and the processor
run on the same stream thread and append to one list, and the test reads the output
topic and then asks whether the restore had ended. The listener slows each restore
batch of the big changelog a little until the test has seen what it waits for, so that
the restore lasts long enough on a fast machine; a restore that blocked the thread
would still end before any other output existed.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from runtime.app import StreamsApp
from runtime.errors import IllegalStateError
from runtime.kafka import TopicPartition
from runtime.processor import Processor, Record, StateRestoreListener
from runtime.serdes import Serdes
from runtime.state.stores import Stores
from runtime.topology import Topology
from tests.runtime.kafka.helpers import Out, decode_long, read_topic, wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(240)]

STORE = "Counts"
BATCH = 500            # restore.consumer.max.poll.records
BIG = 120_000          # records in a big changelog partition (plus one "hot" record)


class CountProcessor(Processor):
    """Counts per key in the store, forwards the count, and logs what it processed."""

    def __init__(self, events: list[tuple[Any, ...]]) -> None:
        self.events = events

    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store(STORE)

    def process(self, record: Record) -> None:
        count = (self.store.get(record.key) or 0) + 1
        self.store.put(record.key, count)
        self.events.append(("process", record.key, count))
        self.context.forward(record.with_value(count))


def _topology(in_topic: str, out_topic: str, events: list[tuple[Any, ...]]) -> Topology:
    topology = Topology()
    topology.add_source("In", in_topic, key_serde=Serdes.string(), value_serde=Serdes.string())
    topology.add_processor("Count", lambda: CountProcessor(events), "In")
    topology.add_state_store(
        Stores.key_value_store_builder(Stores.in_memory_key_value_store(STORE), Serdes.string(), Serdes.long()),
        "Count",
    )
    topology.add_sink("Out", out_topic, "Count", key_serde=Serdes.string(), value_serde=Serdes.long())
    return topology


class Listener(StateRestoreListener):
    """Logs every call into ``events``; while ``until`` is not set (at most
    ``max_throttle_s``), each batch of the ``slow`` changelogs waits ``pause_s``."""

    def __init__(self, events: list[tuple[Any, ...]], slow: set[TopicPartition] | None = None,
                 pause_s: float = 0.05, max_throttle_s: float = 60.0) -> None:
        self.events = events
        self.slow = slow or set()
        self.pause_s = pause_s
        self.until = threading.Event()
        self.throttle_deadline = time.monotonic() + max_throttle_s
        self.ended: set[TopicPartition] = set()
        self.suspended = threading.Event()
        self.thread_names: set[str] = set()

    def on_restore_start(self, tp: TopicPartition, store: str, start: int, end: int) -> None:
        self.thread_names.add(threading.current_thread().name)
        self.events.append(("start", tp, store, start, end))

    def on_batch_restored(self, tp: TopicPartition, store: str, batch_end: int, n: int) -> None:
        self.events.append(("batch", tp, store, batch_end, n))
        if tp in self.slow and not self.until.is_set() and time.monotonic() < self.throttle_deadline:
            self.until.wait(self.pause_s)

    def on_restore_end(self, tp: TopicPartition, store: str, total: int) -> None:
        self.events.append(("end", tp, store, total))
        self.ended.add(tp)

    def on_restore_suspended(self, tp: TopicPartition, store: str, total: int) -> None:
        self.events.append(("suspended", tp, store, total))
        self.suspended.set()

    def of(self, kind: str, tp: TopicPartition | None = None) -> list[tuple[Any, ...]]:
        return [e for e in list(self.events) if e[0] == kind and (tp is None or e[1] == tp)]


@pytest.fixture
def app_id(unique_name: Callable[[str], str], kafka_bootstrap: str) -> Iterator[str]:
    """An application id whose changelog topic (2 partitions) exists, deleted after."""
    name = unique_name("restoring")
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    changelog = f"{name}-{STORE}-changelog"
    admin.create_topics([NewTopic(changelog, num_partitions=2, replication_factor=1,
                                  config={"cleanup.policy": "compact"})])[changelog].result(timeout=15)
    wait_until(lambda: len(getattr(admin.list_topics(topic=changelog, timeout=5).topics.get(changelog),
                                   "partitions", {})) == 2, 15, "the changelog topic")
    yield name
    for future in admin.delete_topics([changelog], operation_timeout=10).values():
        try:
            future.result(timeout=15)
        except Exception:  # noqa: BLE001 - cleanup of a per-test topic is best effort
            pass


def _fill_changelog(bootstrap: str, topic: str, partition: int, n: int, hot: tuple[str, int]) -> int:
    """``n`` counts of other keys, then the ``hot`` key's count last, so that only a
    complete restore holds it. Returns the records written."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10_000})
    long = struct.Struct(">q")
    for i in range(n):
        producer.produce(topic, long.pack(i), f"r{i % 5000}".encode(), partition=partition)
        if i % 50_000 == 0:
            producer.poll(0)
    producer.produce(topic, long.pack(hot[1]), hot[0].encode(), partition=partition)
    assert producer.flush(60) == 0
    return n + 1


def _produce(bootstrap: str, topic: str, partition: int, key: str, n: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(n):
        producer.produce(topic, f"v{i}".encode(), key.encode(), partition=partition)
    assert producer.flush(30) == 0


def _counts(records: list[Out], key: str) -> list[int]:
    return [decode_long(r.value) for r in sorted(records, key=lambda r: (r.partition, r.offset))  # type: ignore[misc]
            if r.key == key.encode()]


def _config(bootstrap: str, app_id: str) -> dict[str, Any]:
    return {
        "application.id": app_id,
        "bootstrap.servers": bootstrap,
        "num.stream.threads": 1,
        "commit.interval.ms": 300,
        "restore.consumer.max.poll.records": BATCH,
        "riffle.metrics.interval.ms": 100,
    }


def _check_listener_calls(listener: Listener, tp: TopicPartition, total: int) -> None:
    """One start, batches of at most BATCH records in offset order adding up to
    ``total``, one end with ``total``. (The development broker's offsets are not dense
    record counts: offsets are compared, records counted.)"""
    [start] = listener.of("start", tp)
    batches = listener.of("batch", tp)
    [end] = listener.of("end", tp)
    assert start[2:4] == (STORE, 0)
    assert all(0 < b[4] <= BATCH for b in batches)
    assert sum(b[4] for b in batches) == total == end[3]
    ends = [b[3] for b in batches]
    assert ends == sorted(set(ends)) and ends[-1] < start[4]
    assert listener.events.index(start) < listener.events.index(batches[0]) < listener.events.index(end)


def test_a_restoring_task_holds_up_neither_the_thread_nor_its_own_records_order(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str
) -> None:
    in_topic = create_topic("in", partitions=2)
    out_topic = create_topic("out", partitions=2)
    changelog = f"{app_id}-{STORE}-changelog"
    big, empty = TopicPartition(changelog, 0), TopicPartition(changelog, 1)
    total = _fill_changelog(kafka_bootstrap, changelog, 0, BIG, ("hot", 1000))
    # Input waiting for both tasks before the app starts: task 0_0 must restore first,
    # task 0_1 has nothing to restore.
    _produce(kafka_bootstrap, in_topic, 0, "hot", 5)
    _produce(kafka_bootstrap, in_topic, 1, "cold", 5)
    events: list[tuple[Any, ...]] = []
    listener = Listener(events, slow={big}, pause_s=0.1)
    app = StreamsApp(_topology(in_topic, out_topic, events), _config(kafka_bootstrap, app_id))
    app.set_global_state_restore_listener(listener)
    app.start()
    try:
        with pytest.raises(IllegalStateError):
            app.set_global_state_restore_listener(Listener([]))

        output = wait_until(lambda: (lambda out: out if _counts(out, "cold") == [1, 2, 3, 4, 5] else None)(
            read_topic(kafka_bootstrap, out_topic)), 90, "task 0_1's output")
        # The output of 0_1 exists and 0_0 has not finished restoring: 0_1 did not wait.
        assert big not in listener.ended, "task 0_0's restore ended before task 0_1 produced anything"
        assert not _counts(output, "hot")

        def restoring_in_metrics() -> bool:
            snapshot = app.metrics()
            return (snapshot["tasks"] == ["0_0", "0_1"]
                    and snapshot["task_metrics"].get("0_0", {}).get("restore-remaining-records-total", 0) > 0
                    and next(iter(snapshot["threads"].values()), {}).get("active-restoring-tasks") == 1)
        wait_until(restoring_in_metrics, 10, "metrics of the restoring task")
        assert big not in listener.ended
        assert app.state == "REBALANCING"      # a thread is RUNNING once all its tasks run
        listener.until.set()

        output = wait_until(lambda: (lambda out: out if len(_counts(out, "hot")) == 5 else None)(
            read_topic(kafka_bootstrap, out_topic)), 90, "task 0_0's output")
        wait_until(lambda: app.state == "RUNNING", 30, "the app RUNNING")
        snapshot = app.metrics()
    finally:
        assert app.close(30)
    assert app.error is None, app.error

    # 0_0 continued from the restored count: its input was processed against the whole store.
    assert _counts(output, "hot") == [1001, 1002, 1003, 1004, 1005]
    ended = events.index(("end", big, STORE, total))
    hot = [i for i, e in enumerate(events) if e[:2] == ("process", "hot")]
    cold = [i for i, e in enumerate(events) if e[:2] == ("process", "cold")]
    assert len(hot) == 5 and min(hot) > ended
    assert len(cold) == 5 and max(cold) < ended
    # Restoring went on between 0_1's records: the thread interleaved both.
    assert any(min(cold) < i < ended for i, e in enumerate(events) if e[0] == "batch")
    _check_listener_calls(listener, big, total)
    assert listener.of("start", empty) == [("start", empty, STORE, 0, 0)]
    assert listener.of("end", empty) == [("end", empty, STORE, 0)]
    assert not listener.of("batch", empty) and not listener.of("suspended")
    assert len(listener.thread_names) == 1 and listener.thread_names.pop().endswith("-StreamThread-1")
    task = snapshot["task_metrics"]["0_0"]
    assert task["restore-total"] == total and task["restore-remaining-records-total"] == 0
    thread = next(iter(snapshot["threads"].values()))
    assert thread["restore-records-total"] == total and thread["active-restoring-tasks"] == 0


def test_a_task_revoked_mid_restore_is_suspended_here_and_restored_whole_by_its_new_owner(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str
) -> None:
    in_topic = create_topic("in", partitions=2)
    out_topic = create_topic("out", partitions=2)
    changelog = f"{app_id}-{STORE}-changelog"
    tps = [TopicPartition(changelog, 0), TopicPartition(changelog, 1)]
    totals = [_fill_changelog(kafka_bootstrap, changelog, p, BIG // 2, (f"hot{p}", 1000 + p)) for p in (0, 1)]
    # B's joining makes A rejoin: quicker with a short heartbeat on the development broker.
    config = {**_config(kafka_bootstrap, app_id),
              "consumer.session.timeout.ms": 3000, "consumer.heartbeat.interval.ms": 500}
    events_a: list[tuple[Any, ...]] = []
    events_b: list[tuple[Any, ...]] = []
    # A restores both slowly until one of them is taken away from it.
    listener_a = Listener(events_a, slow=set(tps), pause_s=0.5, max_throttle_s=120)
    listener_b = Listener(events_b)
    a = StreamsApp(_topology(in_topic, out_topic, events_a), {**config, "client.id": f"{app_id}-a"})
    a.set_global_state_restore_listener(listener_a)
    b = StreamsApp(_topology(in_topic, out_topic, events_b), {**config, "client.id": f"{app_id}-b"})
    b.set_global_state_restore_listener(listener_b)
    a.start()
    try:
        # Both restores have started (their ends are known) and records are coming in.
        wait_until(lambda: len(listener_a.of("batch")) >= 2 and {e[1] for e in listener_a.of("start")} == set(tps),
                   60, "A restoring both changelogs")
        b.start()
        assert listener_a.suspended.wait(90), "no restore of A was suspended after B joined"
        listener_a.until.set()
        [suspended] = listener_a.of("suspended")
        moved = suspended[1]
        kept = next(tp for tp in tps if tp != moved)
        wait_until(lambda: moved in listener_b.ended and kept in listener_a.ended, 90, "both restores ending")
        wait_until(lambda: a.state == "RUNNING" and b.state == "RUNNING", 60, "both apps RUNNING")
        for p in (0, 1):
            _produce(kafka_bootstrap, in_topic, p, f"hot{p}", 3)
        output = wait_until(lambda: (lambda out: out if all(len(_counts(out, f"hot{p}")) == 3 for p in (0, 1))
                                     else None)(read_topic(kafka_bootstrap, out_topic)), 60, "the output")
    finally:
        a.close(30)
        b.close(30)
    assert a.error is None and b.error is None, (a.error, b.error)

    for p in (0, 1):
        assert _counts(output, f"hot{p}") == [1001 + p, 1002 + p, 1003 + p]
    index = tps.index(moved)
    # A: the moved changelog suspended before its end (perhaps before its first record:
    # the development broker sends one partition's records after the other's) and never
    # ended there; the kept one restored whole.
    assert 0 <= suspended[3] < totals[index] and suspended[2] == STORE
    assert not listener_a.of("end", moved)
    _check_listener_calls(listener_a, kept, totals[tps.index(kept)])
    # B: replayed the moved changelog from the start (no checkpoints here), all of it.
    _check_listener_calls(listener_b, moved, totals[index])
    assert not listener_b.of("suspended")
