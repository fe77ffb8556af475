"""StreamsApp under processing.guarantee=exactly_once_v2 (Kafka Streams' EOS v2): one
transactional producer per stream thread, output and consumed offsets committed in one
transaction, and a fenced producer recovered from by closing the tasks dirty and
rejoining.

Expected values come from a batch word count of the input (helpers.word_counts), and
the mechanics from Kafka Streams' documentation of EOS v2 (KIP-447: transactional.id
"<application.id>-<process id>-<thread index>", transaction.timeout.ms 10000,
read_committed consumers) and StreamThread/TaskManager's handling of
ProducerFencedException (tasks closed dirty, the thread rejoins).
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka import TopicPartition as CkTopicPartition

from runtime.app import StreamsApp
from runtime.kafka import KafkaClientSupplier, KafkaProducer, TopicPartitionOffset
from runtime.kafka.exceptions import TransactionError
from runtime.kafka.watermarks import exact_watermarks
from runtime.exec.eos import eos_producer_config, eos_restore_consumer_config
from runtime.state.checkpoint import RedisCheckpointStore
from tests.runtime.kafka.helpers import (
    counts_per_key_in_order,
    dsl_word_count,
    latest_per_key,
    make_lines,
    produce_lines,
    read_topic,
    wait_for_output,
    wait_until,
    word_counts,
)

# -- broker-free: the client settings ---------------------------------------------------


def test_producer_becomes_transactional_with_kafka_streams_default_timeout() -> None:
    out = eos_producer_config({"client.id": "c", "acks": "all"}, {}, "app-p-1")
    assert out["transactional.id"] == "app-p-1"
    assert out["transaction.timeout.ms"] == 10_000   # StreamsConfig's EOS producer default
    assert out["acks"] == "all" and out["client.id"] == "c"


@pytest.mark.parametrize("raw, producer", [
    ({"transaction.timeout.ms": 30_000}, {}),
    ({}, {"transaction.timeout.ms": 30_000}),         # from producer.transaction.timeout.ms
])
def test_transaction_timeout_passes_through(raw: dict[str, Any], producer: dict[str, Any]) -> None:
    assert eos_producer_config(producer, raw, "t")["transaction.timeout.ms"] == 30_000


def test_restore_consumer_reads_committed() -> None:
    assert eos_restore_consumer_config({"isolation.level": "read_uncommitted", "x": 1}) == {
        "isolation.level": "read_committed", "x": 1}


# -- broker-free: the transactional producer's bookkeeping ------------------------------


class _FakeClient:
    """confluent-kafka's transactional Producer API, recording the calls."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.reports: list[Any] = []

    def begin_transaction(self) -> None:
        self.calls.append("begin")

    def send_offsets_to_transaction(self, offsets: Any, metadata: Any, timeout: float) -> None:
        self.calls.append(f"offsets {[(o.topic, o.partition, o.offset) for o in offsets]}")

    def commit_transaction(self, timeout: float) -> None:
        self.calls.append("commit")

    def abort_transaction(self, timeout: float) -> None:
        self.calls.append("abort")

    def produce(self, topic: str, value: Any, key: Any, **kwargs: Any) -> None:
        self.calls.append(f"produce {topic}")
        self.reports.append(kwargs["on_delivery"])

    def poll(self, timeout: float) -> int:
        return 0

    def flush(self, timeout: float) -> int:
        return 0

    def purge(self) -> None:
        self.calls.append("purge")


class _Msg:
    def topic(self) -> str:
        return "out"


def _transactional() -> tuple[KafkaProducer, _FakeClient]:
    producer = KafkaProducer({"transactional.id": "t"})
    client = _FakeClient()
    producer._producer = client  # type: ignore[assignment]   # as if init_transactions ran
    return producer, client


def test_a_transaction_begins_before_the_first_send_and_commits_with_the_offsets() -> None:
    producer, client = _transactional()
    producer.commit_transaction([], None)             # nothing sent, no offset moved
    assert client.calls == []
    producer.produce("out", b"k", b"v")
    producer.produce("out", b"k", b"v")
    producer.commit_transaction([TopicPartitionOffset("in", 0, 7)], object())
    producer.produce("out", b"k", b"v")
    assert client.calls == ["begin", "produce out", "produce out", "offsets [('in', 0, 7)]", "commit",
                            "begin", "produce out"]
    assert producer.in_transaction and producer.transactions_committed == 1


def test_offsets_alone_are_committed_in_a_transaction() -> None:
    producer, client = _transactional()
    producer.commit_transaction([TopicPartitionOffset("in", 1, 3)], object())
    assert client.calls == ["begin", "offsets [('in', 1, 3)]", "commit"]


def test_fenced_delivery_dooms_the_transaction_and_the_next_send() -> None:
    producer, client = _transactional()
    producer.produce("out", b"k", b"v")
    client.reports[0](KafkaError(KafkaError._FENCED, fatal=True), _Msg())
    failure = producer.transaction_failure
    assert failure is not None and failure.fatal
    with pytest.raises(TransactionError):
        producer.produce("out", b"k", b"v")
    producer.reset()
    assert producer.transaction_failure is None and not producer.in_transaction


def test_an_abortable_failure_is_aborted_and_late_purge_reports_are_ignored() -> None:
    producer, client = _transactional()
    producer.produce("out", b"k", b"v")
    producer.produce("out", b"k", b"v")
    client.reports[0](KafkaError(KafkaError.INVALID_TXN_STATE, txn_requires_abort=True), _Msg())
    failure = producer.transaction_failure
    assert failure is not None and not failure.fatal
    producer.abort_transaction()
    assert client.calls[-1] == "abort" and producer.transaction_failure is None
    # The aborted transaction's second record, purged by the abort, reports late.
    client.reports[1](KafkaError(KafkaError._PURGE_QUEUE), _Msg())
    assert producer.transaction_failure is None
    assert producer.transactions_aborted == 1


def test_a_record_level_delivery_failure_is_not_a_transaction_failure() -> None:
    # e.g. a record the broker refuses as too large: retrying the transaction would
    # fail the same way, so it surfaces as a production error instead.
    producer, client = _transactional()
    seen: list[Any] = []
    producer.produce("out", b"k", b"v", on_delivery=lambda e, m: seen.append(e))
    client.reports[0](KafkaError(KafkaError.MSG_SIZE_TOO_LARGE), _Msg())
    assert producer.transaction_failure is None and seen and seen[0].code() == KafkaError.MSG_SIZE_TOO_LARGE


# -- on the broker ------------------------------------------------------------------------

def _on_broker(timeout: int = 150) -> Callable[[Any], Any]:
    def mark(test: Any) -> Any:
        for m in (pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(timeout)):
            test = m(test)
        return test
    return mark


@pytest.fixture
def app_id(unique_name: Callable[[str], str], redis_url: str) -> Iterator[str]:
    name = unique_name("eos")
    yield name
    RedisCheckpointStore(redis_url).delete_all(name)


def _config(bootstrap: str, app_id: str, redis_url: str, **extra: Any) -> dict[str, Any]:
    return {
        "application.id": app_id,
        "bootstrap.servers": bootstrap,
        "processing.guarantee": "exactly_once_v2",
        "riffle.metrics.interval.ms": 200,
        "riffle.redis.url": redis_url,
        **extra,
    }


def _live_producers() -> list[Producer]:
    return [o for o in gc.get_objects() if isinstance(o, Producer)]


def _committed(bootstrap: str, group: str, topic: str, partitions: int) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        result = consumer.committed([CkTopicPartition(topic, p) for p in range(partitions)], timeout=10)
    finally:
        consumer.close()
    return {p.partition: p.offset for p in result}


def _input_ends(bootstrap: str, topic: str, partitions: int) -> dict[int, int]:
    """The log end of each partition of the (non-transactional) input."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "riffle-test-ends"})
    try:
        marks = exact_watermarks(consumer, [(topic, p) for p in range(partitions)], timeout=10, wait_s=10).marks
    finally:
        consumer.close()
    return {p: marks[(topic, p)][1] for p in range(partitions)}


def _wait_for_committed_ends(bootstrap: str, group: str, topic: str, partitions: int, after: str) -> None:
    """Wait until the group's committed offsets are the ends of ``topic``'s records,
    saying what both were when they never met."""
    seen: dict[str, Any] = {}

    def met() -> bool:
        seen["ends"] = _input_ends(bootstrap, topic, partitions)
        seen["committed"] = _committed(bootstrap, group, topic, partitions)
        return seen["committed"] == seen["ends"]

    try:
        wait_until(met, 20, f"the input offsets committed by {after}", interval=0.5)
    except AssertionError as exc:
        raise AssertionError(f"{exc}: committed {seen.get('committed')}, record ends {seen.get('ends')}") from None


def _read_committed(bootstrap: str, topic: str, partitions: int) -> int:
    """How many records a read_committed consumer sees in ``topic`` (to its end)."""
    return len(_read_committed_records(bootstrap, topic, partitions))


def _assert_no_reprocessing(records: list[Any]) -> None:
    # A word's successive counts only grow (the cache may skip some): a record
    # processed twice would make a count repeat or go back.
    for word, seq in counts_per_key_in_order(records).items():
        assert all(b > a for a, b in zip(seq, seq[1:])), f"{word}: {seq}"


def _start(topology: Any, config: dict[str, Any]) -> StreamsApp:
    app = StreamsApp(topology, config)
    app.start()
    return app


@_on_broker()
def test_word_count_commits_output_and_offsets_in_transactions(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str
) -> None:
    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    lines = make_lines(300, seed=11)
    produce_lines(kafka_bootstrap, lines_topic, lines)
    expected = dict(word_counts(lines))

    app = _start(dsl_word_count(lines_topic, counts_topic), _config(kafka_bootstrap, app_id, redis_url))
    try:
        output = wait_for_output(kafka_bootstrap, counts_topic, expected)
        _wait_for_committed_ends(kafka_bootstrap, app_id, lines_topic, 2, "the transactions")
        [thread] = app._threads
        # KIP-447: "<application.id>-<process id>-<thread index>", one per stream thread.
        assert re.fullmatch(rf"{re.escape(app_id)}-[0-9a-f-]{{36}}-1", thread.transactional_id or "")
        assert thread._producer.transactional
        assert thread._producer.transactions_committed > 0
        assert app.state == "RUNNING", app.error
    finally:
        assert app.close(30)
    assert app.error is None

    output = read_topic(kafka_bootstrap, counts_topic)
    assert latest_per_key(output) == expected
    _assert_no_reprocessing(output)
    # Everything was committed, so a read_committed reader sees every record.
    assert _read_committed(kafka_bootstrap, counts_topic, 2) == len(output)
    # The changelog, restored read_committed, holds the same counts.
    assert latest_per_key(read_topic(kafka_bootstrap, f"{app_id}-counts-changelog")) == expected


@_on_broker()
def test_a_fenced_producer_closes_tasks_dirty_rejoins_and_continues(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str
) -> None:
    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    first, second = make_lines(150, seed=21), make_lines(150, seed=22)
    produce_lines(kafka_bootstrap, lines_topic, first)

    clients_before = len(_live_producers())
    app = _start(dsl_word_count(lines_topic, counts_topic), _config(kafka_bootstrap, app_id, redis_url))
    zombie_killer: Producer | None = None
    try:
        wait_for_output(kafka_bootstrap, counts_topic, dict(word_counts(first)))
        [thread] = app._threads
        wait_until(lambda: not thread._producer.in_transaction, 20, "the app's transaction to commit")
        # Another producer with the app's transactional.id initialises: the broker bumps
        # the epoch, and the app's producer is a zombie from now on.
        zombie_killer = Producer({"bootstrap.servers": kafka_bootstrap, "transactional.id": thread.transactional_id})
        zombie_killer.init_transactions(30)

        produce_lines(kafka_bootstrap, lines_topic, second)
        expected = dict(word_counts(first + second))
        wait_for_output(kafka_bootstrap, counts_topic, expected, timeout=60)
        snapshot = app.metrics()
        assert any(e.get("type") == "TransactionError" for e in snapshot["errors"]), snapshot["errors"]
        assert app.state == "RUNNING", app.error
        _wait_for_committed_ends(kafka_bootstrap, app_id, lines_topic, 2, "the recovery")
    finally:
        assert app.close(30)
    assert app.error is None
    # The fenced client is destroyed when it is replaced, not kept alive (threads,
    # sockets) by whoever holds the failure: here the log records of the test.
    del zombie_killer
    assert len(_live_producers()) == clients_before
    # The fenced transaction never got a record in (the fencing happened between
    # transactions), so the output has no replayed counts.
    output = read_topic(kafka_bootstrap, counts_topic)
    assert latest_per_key(output) == expected
    _assert_no_reprocessing(output)


@pytest.mark.apache_kafka
@_on_broker()
def test_fenced_mid_transaction_leaves_no_duplicates_for_read_committed_readers(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str
) -> None:
    """Fenced while a transaction holds output and changelog writes: the broker aborts
    it, the app restores from the committed changelog and reprocesses from the
    committed offsets, and a read_committed reader sees every count exactly once (the
    development broker does not hide aborted records, hence Apache Kafka only)."""
    lines_topic = create_topic("lines", partitions=1)
    counts_topic = create_topic("counts", partitions=1)
    first, second = make_lines(100, seed=31), make_lines(100, seed=32)
    produce_lines(kafka_bootstrap, lines_topic, first)
    # A long commit interval keeps the second batch's transaction open while we fence.
    app = _start(dsl_word_count(lines_topic, counts_topic),
                 _config(kafka_bootstrap, app_id, redis_url, **{"commit.interval.ms": 8000}))
    try:
        wait_for_output(kafka_bootstrap, counts_topic, dict(word_counts(first)))
        [thread] = app._threads
        wait_until(lambda: not thread._producer.in_transaction, 20, "the first transaction to commit")
        produce_lines(kafka_bootstrap, lines_topic, second)
        wait_until(lambda: thread._producer.in_transaction, 20, "an open transaction")
        zombie_killer = Producer({"bootstrap.servers": kafka_bootstrap, "transactional.id": thread.transactional_id})
        zombie_killer.init_transactions(30)
        expected = dict(word_counts(first + second))
        wait_until(lambda: _read_committed_latest(kafka_bootstrap, counts_topic) == expected, 90,
                   "the committed counts")
    finally:
        assert app.close(30)
    seq = _read_committed_sequences(kafka_bootstrap, counts_topic)
    for word, counts in seq.items():
        assert counts == list(range(1, len(counts) + 1)), f"{word}: {counts}"


class _FailFirstCommit(KafkaProducer):
    """A transactional producer whose first commit with offsets fails abortably."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self.injected = False

    def commit_transaction(self, offsets: Any, group_metadata: Any) -> None:
        if offsets and not self.injected:
            self.injected = True
            self.abandon_transaction("injected commit failure")
            assert self.transaction_failure is not None
            raise self.transaction_failure
        super().commit_transaction(offsets, group_metadata)


class _Clients(KafkaClientSupplier):
    def __init__(self) -> None:
        self.producers: list[_FailFirstCommit] = []

    def producer(self, config: Any) -> KafkaProducer:
        producer = _FailFirstCommit(config)
        self.producers.append(producer)
        return producer


@pytest.mark.apache_kafka
@_on_broker()
def test_an_aborted_transaction_is_reprocessed_once_for_read_committed_readers(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str
) -> None:
    """An abortable commit failure: the transaction is aborted, the tasks restored
    from the committed changelog and the records reprocessed; a read_committed
    reader sees each count once."""
    lines_topic = create_topic("lines", partitions=1)
    counts_topic = create_topic("counts", partitions=1)
    lines = make_lines(150, seed=61)
    produce_lines(kafka_bootstrap, lines_topic, lines)
    clients = _Clients()
    app = StreamsApp(dsl_word_count(lines_topic, counts_topic), _config(kafka_bootstrap, app_id, redis_url),
                     clients=clients)
    app.start()
    try:
        expected = dict(word_counts(lines))
        wait_until(lambda: _read_committed_latest(kafka_bootstrap, counts_topic) == expected, 60,
                   "the committed counts")
        [producer] = clients.producers
        assert producer.injected and producer.transactions_aborted == 1
    finally:
        assert app.close(30)
    for word, counts in _read_committed_sequences(kafka_bootstrap, counts_topic).items():
        assert all(b > a for a, b in zip(counts, counts[1:])), f"{word}: {counts}"


def _read_committed_records(bootstrap: str, topic: str, partitions: int = 1) -> list[tuple[str, int]]:
    """(key, count) of every record a read_committed consumer sees, to each end."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "eos-reader", "enable.auto.commit": False,
                         "enable.partition.eof": True, "isolation.level": "read_committed"})
    consumer.assign([CkTopicPartition(topic, p, 0) for p in range(partitions)])
    out: list[tuple[str, int]] = []
    done: set[int] = set()
    try:
        def read() -> bool:
            for m in consumer.consume(1000, 0.5):
                if m.error() is None:
                    out.append((m.key().decode(), int.from_bytes(m.value(), "big", signed=True)))
                elif m.error().code() == KafkaError._PARTITION_EOF:
                    done.add(m.partition())
            return len(done) == partitions
        wait_until(read, 20, f"read_committed end of {topic}", interval=0)
    finally:
        consumer.close()
    return out


def _read_committed_latest(bootstrap: str, topic: str) -> dict[str, int]:
    return {k: v[-1] for k, v in _read_committed_sequences(bootstrap, topic).items()}


def _read_committed_sequences(bootstrap: str, topic: str) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}
    for key, value in _read_committed_records(bootstrap, topic):
        seen.setdefault(key, []).append(value)
    return seen


@_on_broker()
def test_checkpoints_are_written_only_after_the_transaction_commits(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Kafka Streams writes a task's checkpoint only once its transaction is committed:
    # a checkpoint of uncommitted state would be applied after an abort.
    saves: list[tuple[bool, int]] = []
    original = RedisCheckpointStore.save_incremental

    def spy(self: RedisCheckpointStore, *args: Any, **kwargs: Any) -> Any:
        producer = threading.current_thread()._producer  # type: ignore[attr-defined]
        saves.append((producer.in_transaction, producer.transactions_committed))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(RedisCheckpointStore, "save_incremental", spy)
    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    lines = make_lines(200, seed=41)
    produce_lines(kafka_bootstrap, lines_topic, lines)
    app = _start(dsl_word_count(lines_topic, counts_topic), _config(kafka_bootstrap, app_id, redis_url))
    try:
        wait_for_output(kafka_bootstrap, counts_topic, dict(word_counts(lines)))
        wait_until(lambda: saves, 20, "a checkpoint")
    finally:
        assert app.close(30)
    assert saves and all(not open_ and committed > 0 for open_, committed in saves), saves


@_on_broker(200)
def test_a_second_instance_takes_over_partitions_without_reprocessing(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str
) -> None:
    # On revocation the open transaction (all of the thread's tasks) is committed
    # first, so the new owner resumes exactly where the old one's output ends.
    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    first, second = make_lines(150, seed=51), make_lines(150, seed=52)
    produce_lines(kafka_bootstrap, lines_topic, first)
    config = _config(kafka_bootstrap, app_id, redis_url)
    one = _start(dsl_word_count(lines_topic, counts_topic), config)
    two: StreamsApp | None = None
    try:
        wait_for_output(kafka_bootstrap, counts_topic, dict(word_counts(first)))
        two = _start(dsl_word_count(lines_topic, counts_topic), config)
        wait_until(lambda: one._threads[0]._tasks and two._threads and two._threads[0]._tasks, 60,
                   "both instances owning tasks")
        produce_lines(kafka_bootstrap, lines_topic, second)
        expected = dict(word_counts(first + second))
        wait_for_output(kafka_bootstrap, counts_topic, expected, timeout=60)
        assert one.error is None and two.error is None
    finally:
        if two is not None:
            assert two.close(30)
        assert one.close(30)
    output = read_topic(kafka_bootstrap, counts_topic)
    assert latest_per_key(output) == expected
    _assert_no_reprocessing(output)
