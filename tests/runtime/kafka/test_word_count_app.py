"""StreamsApp runs Kafka Streams' word count against the development broker and Redis:
output and changelog equal a batch count, a restart resumes from the committed offsets
with its state restored (from the Redis checkpoint, or from the changelog alone)."""

from __future__ import annotations

import json
import time
import logging
import struct
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource

from runtime.app import StreamsApp
from runtime.state.checkpoint import RedisCheckpointStore
from tests.runtime.kafka.helpers import (
    counts_per_key_in_order,
    dsl_word_count,
    latest_per_key,
    make_lines,
    processor_word_count,
    produce_lines,
    read_topic,
    wait_for_output,
    wait_until,
    word_counts,
)

pytestmark = [pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(120)]


@pytest.fixture
def app_id(unique_name: Callable[[str], str], redis_url: str) -> Iterator[str]:
    name = unique_name("wc")
    yield name
    RedisCheckpointStore(redis_url).delete_all(name)


def _config(bootstrap: str, app_id: str, redis_url: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {
        "application.id": app_id,
        "bootstrap.servers": bootstrap,
        "commit.interval.ms": 200,
        "riffle.metrics.interval.ms": 200,
    }
    if redis_url is not None:
        config["riffle.redis.url"] = redis_url
    return config


def _run_until_output(topology: Any, config: dict[str, Any], bootstrap: str, counts_topic: str,
                      expected: dict[str, int], **kwargs: Any) -> StreamsApp:
    app = StreamsApp(topology, config, **kwargs)
    app.start()
    try:
        wait_for_output(bootstrap, counts_topic, expected)
        assert app.state == "RUNNING", app.error
    except BaseException:
        app.close(10)
        raise
    return app


def _assert_no_reprocessing(counts_topic_records: list[Any]) -> None:
    # Each update of a word's count is one more than the previous: a record processed
    # twice (an at-least-once replay) would repeat or skip back.
    for word, seq in counts_per_key_in_order(counts_topic_records).items():
        assert all(b > a for a, b in zip(seq, seq[1:])), f"{word}: {seq}"


def test_word_count_end_to_end(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str
) -> None:
    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    lines = make_lines(400, seed=4)
    produce_lines(kafka_bootstrap, lines_topic, lines)
    expected = dict(word_counts(lines))

    app = _run_until_output(dsl_word_count(lines_topic, counts_topic), _config(kafka_bootstrap, app_id, redis_url),
                            kafka_bootstrap, counts_topic, expected)
    assert app.close(30)
    assert app.state == "NOT_RUNNING"

    output = read_topic(kafka_bootstrap, counts_topic)
    assert latest_per_key(output) == expected
    _assert_no_reprocessing(output)

    # The internal topics: repartition and compacted changelog, one partition per task.
    admin = AdminClient({"bootstrap.servers": kafka_bootstrap})
    topics = admin.list_topics(timeout=10).topics
    changelog, repartition = f"{app_id}-counts-changelog", f"{app_id}-counts-repartition"
    assert len(topics[changelog].partitions) == 2
    assert len(topics[repartition].partitions) == 2
    [future] = admin.describe_configs([ConfigResource("topic", changelog)]).values()
    assert future.result()["cleanup.policy"].value == "compact"

    # The changelog holds the same counts (its value is the plain long).
    assert latest_per_key(read_topic(kafka_bootstrap, changelog)) == expected

    # The Redis checkpoints hold the store (values are Kafka's timestamped layout:
    # 8-byte timestamp, then the 8-byte count).
    store = RedisCheckpointStore(redis_url)
    restored: dict[str, int] = {}
    for partition in (0, 1):
        checkpoint = store.load(app_id, "counts", partition)
        assert checkpoint is not None and checkpoint.offset > 0
        for key, value in checkpoint.entries:
            restored[key.decode()] = struct.unpack(">q", value[-8:])[0]
    assert restored == expected


@pytest.mark.parametrize("with_redis", [True, False], ids=["from-redis-checkpoint", "from-changelog-only"])
def test_a_restart_resumes_from_committed_offsets_with_restored_state(
    kafka_bootstrap: str,
    create_topic: Callable[..., str],
    app_id: str,
    redis_url: str,
    caplog: pytest.LogCaptureFixture,
    with_redis: bool,
) -> None:
    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    first, second = make_lines(250, seed=5), make_lines(250, seed=6)
    config = _config(kafka_bootstrap, app_id, redis_url if with_redis else None)
    topology = dsl_word_count(lines_topic, counts_topic)

    produce_lines(kafka_bootstrap, lines_topic, first)
    app = _run_until_output(topology, config, kafka_bootstrap, counts_topic, dict(word_counts(first)))
    assert app.close(30)

    produce_lines(kafka_bootstrap, lines_topic, second)
    caplog.set_level(logging.INFO, logger="runtime.exec.restore")
    caplog.clear()
    app = _run_until_output(dsl_word_count(lines_topic, counts_topic), config, kafka_bootstrap, counts_topic,
                            dict(word_counts(first + second)))
    assert app.close(30)

    restores = [r.getMessage() for r in caplog.records if "restored store counts" in r.getMessage()]
    assert len(restores) == 2, restores
    if with_redis:
        # The checkpoint written at the clean shutdown covers the whole changelog.
        assert all("+ Redis checkpoint: 0 changelog records" in m for m in restores), restores
    else:
        assert not any("Redis checkpoint" in m for m in restores), restores
        replayed = sum(int(m.split(": ")[1].split(" ")[0]) for m in restores)
        assert replayed >= len(word_counts(first))  # at least one record per word

    output = read_topic(kafka_bootstrap, counts_topic)
    assert latest_per_key(output) == dict(word_counts(first + second))
    _assert_no_reprocessing(output)


def test_metrics_snapshots_report_lag_rates_samples_and_totals(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str
) -> None:
    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    lines = make_lines(300, seed=7)
    produce_lines(kafka_bootstrap, lines_topic, lines)
    snapshots: list[dict[str, Any]] = []

    words = sum(word_counts(lines).values())

    def settled(s: dict[str, Any]) -> bool:
        return (s["state"] == "RUNNING" and len(s["partitions"]) == 4
                and s["totals"]["records-in"] == len(lines) + words
                and all(p["lag"] == 0 and p["committed"] == p["end_offset"] for p in s["partitions"]))

    # Without a record cache every count update is written, so records-out is exact.
    config = {**_config(kafka_bootstrap, app_id, None), "statestore.cache.max.bytes": 0}
    app = _run_until_output(dsl_word_count(lines_topic, counts_topic), config,
                            kafka_bootstrap, counts_topic, dict(word_counts(lines)), on_metrics=snapshots.append)
    wait_until(lambda: any(settled(s) for s in snapshots), 15, "a snapshot with everything committed")
    assert app.close(30)

    for snapshot in snapshots:
        json.dumps(snapshot, allow_nan=False)  # JSON-safe, always
    assert snapshots[-1]["state"] == "NOT_RUNNING"
    running = [s for s in snapshots if s["state"] == "RUNNING" and s["partitions"]]
    last = [s for s in running if settled(s)][-1]
    assert last["application_id"] == app_id
    # state_since: when the app entered the state it reports (epoch ms), the same for
    # every snapshot of one stay in it, so a long REBALANCING shows
    assert all(s["state_since"] <= s["timestamp"] for s in snapshots)
    assert len({s["state_since"] for s in running}) == 1
    assert snapshots[-1]["state_since"] >= running[-1]["state_since"]
    assert last["tasks"] == ["0_0", "0_1", "1_0", "1_1"]

    source = "KSTREAM-SOURCE-0000000000"
    assert last["nodes"][source]["process-total"] == len(lines)
    assert last["nodes"]["KSTREAM-AGGREGATE-0000000004"]["process-total"] == words
    # Tasks without stores process while the counting tasks restore (the app is
    # REBALANCING until they all run), so the busy snapshot may precede RUNNING.
    processing = [s for s in snapshots if s["partitions"]]
    assert any(s["nodes"].get(source, {}).get("process-rate", 0) > 0 for s in processing)

    by_topic: dict[str, list[dict[str, Any]]] = {}
    for p in last["partitions"]:
        by_topic.setdefault(p["topic"], []).append(p)
    assert sorted(p["partition"] for p in by_topic[lines_topic]) == [0, 1]
    assert f"{app_id}-counts-repartition" in by_topic
    for p in by_topic[lines_topic]:
        assert p["end_offset"] > 0
    for s in snapshots:
        for p in s["partitions"]:
            if p["end_offset"] is not None and p["position"] is not None:
                assert p["lag"] == max(p["end_offset"] - p["position"], 0)

    # Out and samples: what the application writes to its own topics, not the
    # repartition plumbing (each word goes through both).
    assert last["totals"] == {"records-in": len(lines) + words, "records-out": words,
                              "commit-failed-total": 0, "task-closed-dirty-total": 0}
    assert 0 < len(last["samples"]) <= 20
    counts = word_counts(lines)
    for sample in last["samples"]:
        assert sample["topic"] == counts_topic
        assert isinstance(sample["key"], str) and 1 <= sample["value"] <= counts[sample["key"]]
    assert last["errors"] == []


def test_a_failing_metrics_callback_never_stops_the_app(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str
) -> None:
    lines_topic = create_topic("lines", partitions=1)
    counts_topic = create_topic("counts", partitions=1)
    lines = make_lines(50, seed=8)
    produce_lines(kafka_bootstrap, lines_topic, lines)
    calls = []

    def broken(snapshot: dict[str, Any]) -> None:
        calls.append(snapshot)
        raise RuntimeError("dashboard down")

    app = _run_until_output(dsl_word_count(lines_topic, counts_topic), _config(kafka_bootstrap, app_id, None),
                            kafka_bootstrap, counts_topic, dict(word_counts(lines)), on_metrics=broken)
    try:
        wait_until(lambda: len(calls) >= 3, 20, "three callbacks")
        assert app.state == "RUNNING", app.error
    finally:
        # closed whatever happened: an app left running would go on into the next tests
        assert app.close(30)


def test_redis_down_skips_checkpoints_and_keeps_processing(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, caplog: pytest.LogCaptureFixture
) -> None:
    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    lines = make_lines(200, seed=9)
    produce_lines(kafka_bootstrap, lines_topic, lines)
    config = _config(kafka_bootstrap, app_id, "redis://127.0.0.1:1/0")  # nothing listens there

    app = _run_until_output(dsl_word_count(lines_topic, counts_topic), config, kafka_bootstrap, counts_topic,
                            dict(word_counts(lines)))
    assert app.state == "RUNNING"
    assert app.close(30)
    assert any("Redis at redis://127.0.0.1:1/0 unavailable" in r.getMessage() for r in caplog.records)
    assert latest_per_key(read_topic(kafka_bootstrap, f"{app_id}-counts-changelog")) == dict(word_counts(lines))


def _closed_dirty(*apps: StreamsApp) -> int:
    return sum(app.metrics()["totals"]["task-closed-dirty-total"] for app in apps)


def _wait_for_counts(bootstrap: str, topic: str, expected: dict[str, int], apps: list[StreamsApp],
                     timeout: float = 40.0) -> dict[str, int]:
    """Wait until the output holds every input record's effect. Under at_least_once a
    count may exceed the truth only when a task was closed without committing what it
    had processed (its next owner processes those records again); the engine counts
    those closes, and without one the counts must be exact."""
    deadline = time.monotonic() + timeout
    while True:
        latest = latest_per_key(read_topic(bootstrap, topic))
        dirty = _closed_dirty(*apps)
        if latest == expected or (
            dirty and latest.keys() == expected.keys() and all(latest[k] >= v for k, v in expected.items())
        ):
            return latest
        if time.monotonic() > deadline:
            differing = {k: (latest.get(k), v) for k, v in expected.items() if latest.get(k) != v}
            raise AssertionError(f"{topic}: counts (got, truth) {differing}; tasks closed dirty: {dirty}")
        time.sleep(0.3)


def test_instances_and_threads_share_the_work_and_hand_over_state(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str
) -> None:
    # Instance A (two stream threads) starts alone; instance B joins mid-stream and
    # takes tasks over (cooperative rebalance: A commits and closes them, B restores
    # them), then B leaves and A takes its tasks back. No input is lost; none is counted
    # twice unless a commit was rejected because the group had moved on (a stream
    # thread that missed a generation), which closes tasks dirty and makes their next
    # owner reprocess since the last commit - at_least_once, as in Kafka Streams.
    # (B leaves, not A: when two members of a group leave at once, the development
    # broker keeps a departed member as group leader and the survivor never gets an
    # assignment - a broker bug, reproduced with plain confluent-kafka consumers.)
    lines_topic = create_topic("lines", partitions=4)
    counts_topic = create_topic("counts", partitions=4)
    config = _config(kafka_bootstrap, app_id, redis_url)
    sent: list[str] = []

    def send(n: int, seed: int) -> None:
        batch = make_lines(n, seed=seed)
        produce_lines(kafka_bootstrap, lines_topic, batch)
        sent.extend(batch)

    send(200, 10)
    a = StreamsApp(dsl_word_count(lines_topic, counts_topic), {**config, "num.stream.threads": 2})
    a.start()
    b: StreamsApp | None = None
    try:
        wait_for_output(kafka_bootstrap, counts_topic, dict(word_counts(sent)))
        assert len(a.metrics()["tasks"]) == 8
        b = StreamsApp(dsl_word_count(lines_topic, counts_topic), config)
        b.start()
        for i in range(6):
            send(40, 20 + i)
            time.sleep(0.5)
        wait_until(lambda: b.metrics()["tasks"], 20, "B owning tasks")
        _wait_for_counts(kafka_bootstrap, counts_topic, dict(word_counts(sent)), [a, b])
        # Cooperative rebalancing moves tasks in two rounds; in between one is unowned.
        wait_until(lambda: len(a.metrics()["tasks"]) + len(b.metrics()["tasks"]) == 8, 20, "all tasks owned")
        assert b.close(30)
        send(100, 40)
        _wait_for_counts(kafka_bootstrap, counts_topic, dict(word_counts(sent)), [a, b])
        wait_until(lambda: len(a.metrics()["tasks"]) == 8, 20, "A owning every task again")
        assert a.close(30)
    finally:
        a.close(10)
        if b is not None:
            b.close(10)
    assert a.state == "NOT_RUNNING" and b.state == "NOT_RUNNING", (a.error, b.error)
    output = read_topic(kafka_bootstrap, counts_topic)
    truth = dict(word_counts(sent))
    latest = latest_per_key(output)
    assert latest.keys() == truth.keys()
    assert all(latest[k] >= v for k, v in truth.items()), (latest, truth)  # nothing lost
    if _closed_dirty(a, b) == 0:
        assert latest == truth
        _assert_no_reprocessing(output)


def test_a_processor_api_topology_with_a_plain_store_restarts_exactly(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str
) -> None:
    # Hand-built topology: two sub-topologies joined by a user topic, and a plain
    # (not timestamped) key-value store restored from its changelog alone.
    lines_topic = create_topic("lines", partitions=2)
    words_topic = create_topic("words", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    first, second = make_lines(150, seed=11), make_lines(150, seed=12)
    config = _config(kafka_bootstrap, app_id, None)

    produce_lines(kafka_bootstrap, lines_topic, first)
    app = _run_until_output(processor_word_count(lines_topic, words_topic, counts_topic), config,
                            kafka_bootstrap, counts_topic, dict(word_counts(first)))
    assert app.close(30)
    produce_lines(kafka_bootstrap, lines_topic, second)
    app = _run_until_output(processor_word_count(lines_topic, words_topic, counts_topic), config,
                            kafka_bootstrap, counts_topic, dict(word_counts(first + second)))
    assert app.close(30)
    output = read_topic(kafka_bootstrap, counts_topic)
    _assert_no_reprocessing(output)
    assert latest_per_key(read_topic(kafka_bootstrap, f"{app_id}-Counts-changelog")) == dict(word_counts(first + second))
