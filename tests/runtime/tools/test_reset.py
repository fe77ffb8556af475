"""``python -m runtime reset``: Kafka Streams' Application Reset Tool semantics
(docs: streams/developer-guide/app-reset-tool; StreamsResetterTest;
AbstractResetIntegrationTest.testReprocessingFromScratchAfterResetWithoutIntermediateUserTopic)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from confluent_kafka import ConsumerGroupState
from confluent_kafka.admin import AdminClient

from runtime.app import StreamsApp
from runtime.state.checkpoint import RedisCheckpointStore
from runtime.tools.reset import is_internal_topic, parse_datetime, parse_duration
from tests.runtime.kafka.helpers import (
    counts_per_key_in_order,
    latest_per_key,
    make_lines,
    produce_lines,
    read_topic,
    wait_for_output,
    wait_until,
    word_counts,
)
from tests.runtime.tools.helpers import committed, next_offsets

REPO = Path(__file__).resolve().parents[3]


# -- parsing and naming (no broker) ----------------------------------------------------


def test_internal_topics_are_recognised_by_name() -> None:
    # StreamsResetterTest.shouldDetermineInternalTopicBasedOnTopicName1, with the
    # application-id prefix that isInternalTopic adds.
    for name in ("appId-named-subscription-response-topic", "appId-named-subscription-registration-topic",
                 "appId-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-12323232-topic",
                 "appId-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-12323232-topic",
                 "appId-counts-changelog", "appId-KSTREAM-AGGREGATE-STATE-STORE-0000000003-repartition"):
        assert is_internal_topic(name, "appId"), name
    for name in ("appId-output", "other-counts-changelog", "appIdX-counts-changelog", "appId-changelog-x"):
        assert not is_internal_topic(name, "appId"), name


def test_durations_parse_as_java_duration() -> None:
    assert parse_duration("PT1H") == timedelta(hours=1)
    assert parse_duration("P1DT2H3M4.5S") == timedelta(days=1, hours=2, minutes=3, seconds=4.5)
    assert parse_duration("PT-30M") == timedelta(minutes=-30)
    assert parse_duration("-PT15S") == timedelta(seconds=-15)
    for bad in ("P", "PT", "1H", "P1H", ""):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_datetimes_parse_with_and_without_zone() -> None:
    assert parse_datetime("2026-01-01T00:00:00Z") == 1767225600000
    assert parse_datetime("2026-01-01T01:00:00.250+01:00") == 1767225600250
    naive = datetime(2026, 1, 1, 0, 0, 0).astimezone()   # local time, as Kafka's tool
    assert parse_datetime("2026-01-01T00:00:00") == int(naive.timestamp() * 1000)
    with pytest.raises(ValueError):
        parse_datetime("yesterday")


# -- on Kafka --------------------------------------------------------------------------


def reset_cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "runtime", "reset", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=90)


def group_state(bootstrap: str, group: str) -> ConsumerGroupState:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    return admin.describe_consumer_groups([group])[group].result(10).state


def app_topics(bootstrap: str, app_id: str) -> set[str]:
    topics = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10).topics
    return {t for t in topics if t.startswith(app_id + "-")}


@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.timeout(240)
def test_reset_to_earliest_reprocesses_from_scratch(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str], redis_url: str,
) -> None:
    from tests.runtime.kafka.helpers import dsl_word_count

    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    rerun_topic = create_topic("counts-rerun", partitions=2)
    app_id = unique_name("reset")
    config = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap, "commit.interval.ms": 200,
              "riffle.redis.url": redis_url}
    lines = make_lines(300, seed=77)
    expected = dict(word_counts(lines))
    produce_lines(kafka_bootstrap, lines_topic, lines)
    base = ["--application-id", app_id, "--bootstrap-servers", kafka_bootstrap,
            "--input-topics", lines_topic, "--redis-url", redis_url]
    checkpoints = RedisCheckpointStore(redis_url)
    try:
        app = StreamsApp(dsl_word_count(lines_topic, counts_topic), config)
        app.start()
        try:
            wait_for_output(kafka_bootstrap, counts_topic, expected, timeout=60)
            internal = app_topics(kafka_bootstrap, app_id)
            assert internal == {f"{app_id}-counts-changelog", f"{app_id}-counts-repartition"}

            # While the app runs, the group is active and the reset refuses.
            refused = reset_cli(*base)
            assert refused.returncode == 2, refused.stdout + refused.stderr
            assert "still active" in refused.stderr
        finally:
            assert app.close(30)
        assert app_topics(kafka_bootstrap, app_id) == internal
        # As AbstractResetIntegrationTest: wait for the group to empty after close.
        wait_until(lambda: group_state(kafka_bootstrap, app_id) == ConsumerGroupState.EMPTY, 30, "an empty group")

        ends = next_offsets(read_topic(kafka_bootstrap, lines_topic), 2)
        assert committed(kafka_bootstrap, app_id, lines_topic, 2) == ends
        assert checkpoints.load(app_id, "counts", 0) is not None

        # A dry run reports the plan and changes nothing.
        dry = reset_cli(*base, "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert f"Topic: {lines_topic} Partition: 0 Offset: 0" in dry.stdout
        assert f"Topic: {lines_topic} Partition: 1 Offset: 0" in dry.stdout
        assert f"Would delete internal topics: [{', '.join(sorted(internal))}]" in dry.stdout
        assert "Would delete Redis checkpoints: 2 key(s)" in dry.stdout
        assert committed(kafka_bootstrap, app_id, lines_topic, 2) == ends
        assert app_topics(kafka_bootstrap, app_id) == internal
        assert checkpoints.load(app_id, "counts", 0) is not None

        done = reset_cli(*base, "--to-earliest")
        assert done.returncode == 0, done.stderr
        assert committed(kafka_bootstrap, app_id, lines_topic, 2) == {0: 0, 1: 0}
        assert app_topics(kafka_bootstrap, app_id) == set()
        assert checkpoints.load(app_id, "counts", 0) is None and checkpoints.load(app_id, "counts", 1) is None

        # The rerun counts from scratch: equal to the batch computation, not doubled,
        # and each word's count climbs from 1 again.
        app = StreamsApp(dsl_word_count(lines_topic, rerun_topic), config)
        app.start()
        try:
            records = wait_for_output(kafka_bootstrap, rerun_topic, expected, timeout=60)
        finally:
            assert app.close(30)
        assert latest_per_key(records) == expected
        for word, seq in counts_per_key_in_order(read_topic(kafka_bootstrap, rerun_topic)).items():
            assert seq[0] >= 1 and seq[-1] == expected[word] and seq == sorted(set(seq)), (word, seq)
    finally:
        checkpoints.delete_all(app_id)
        leftovers = list(app_topics(kafka_bootstrap, app_id))
        if leftovers:
            AdminClient({"bootstrap.servers": kafka_bootstrap}).delete_topics(leftovers)


@pytest.mark.kafka
@pytest.mark.timeout(60)
def test_reset_to_latest_and_to_a_time_move_the_offsets(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
) -> None:
    from tests.runtime.kafka.helpers import produce

    topic = create_topic("input", partitions=1)
    app_id = unique_name("reset")
    produce(kafka_bootstrap, topic, [(b"k", b"v%d" % i) for i in range(5)])
    ends = next_offsets(read_topic(kafka_bootstrap, topic), 1)
    base = ["--application-id", app_id, "--bootstrap-servers", kafka_bootstrap, "--input-topics", topic]

    latest = reset_cli(*base, "--to-latest")
    assert latest.returncode == 0, latest.stderr
    after_latest = committed(kafka_bootstrap, app_id, topic, 1)

    # A time after every record: no offset for it, so the end (StreamsResetter
    # resetToDatetime: a partition without a later record goes to its end).
    future = reset_cli(*base, "--to-datetime", "2100-01-01T00:00:00Z")
    assert future.returncode == 0, future.stderr
    after_future = committed(kafka_bootstrap, app_id, topic, 1)

    # A time before every record: the first offset.
    past = reset_cli(*base, "--by-duration", "P3650D")
    assert past.returncode == 0, past.stderr
    assert committed(kafka_bootstrap, app_id, topic, 1) == {0: 0}
    assert "Topic: %s Partition: 0 Offset: 0" % topic in past.stdout

    # The time is checked against the records themselves, so that is exact on any
    # broker (the development broker answers ListOffsets(timestamp) with an earlier offset).
    assert after_future == ends

    unknown = reset_cli(*base[:-1], topic + "-nope")
    assert unknown.returncode == 2 and "not found" in unknown.stderr
    # The log-end offset, 5, on any broker: the development broker's ListOffsets(latest)
    # under-reports it for batched records, and the tool checks it with a fetch.
    assert after_latest == ends


@pytest.mark.kafka
@pytest.mark.timeout(60)
def test_a_plan_reports_the_committed_offsets_it_replaces(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
) -> None:
    from confluent_kafka import Consumer, TopicPartition

    from runtime.tools.reset import ResetTarget, reset_application
    from tests.runtime.kafka.helpers import produce

    topic = create_topic("input", partitions=2)
    app_id = unique_name("reset")
    produce(kafka_bootstrap, topic, [(b"k", b"v%d" % i) for i in range(4)])
    consumer = Consumer({"bootstrap.servers": kafka_bootstrap, "group.id": app_id, "enable.auto.commit": False})
    consumer.commit(offsets=[TopicPartition(topic, 0, 1)], asynchronous=False)  # partition 1: none
    consumer.close()

    plan = reset_application(app_id, kafka_bootstrap, input_topics=[topic], target=ResetTarget.earliest(),
                             dry_run=True, require_inactive=False)
    # Records at 1 s, 2 s and 3 s after the epoch: to 1.5 s is the second, and so on.
    timed = create_topic("timed", partitions=1)
    at = produce_timed(kafka_bootstrap, timed, 0, [1000, 2000, 3000])
    for ms, expected in ((0, at[0]), (1500, at[1]), (2000, at[1]), (2001, at[2]), (4000, at[2] + 1)):
        moved = reset_application(app_id, kafka_bootstrap, input_topics=[timed], target=ResetTarget.at(ms),
                                  dry_run=True)
        assert moved.input_offsets[(timed, 0)] == expected, ms
    assert plan.committed_offsets == {(topic, 0): 1, (topic, 1): None}
    assert plan.input_offsets == {(topic, 0): 0, (topic, 1): 0}
    assert committed(kafka_bootstrap, app_id, topic, 2) == {0: 1, 1: -1001}   # dry runs change nothing
    # Only a dry run may skip the check that the group is inactive.
    with pytest.raises(ValueError, match="only a dry run"):
        reset_application(app_id, kafka_bootstrap, input_topics=[topic], require_inactive=False)


def produce_timed(bootstrap: str, topic: str, partition: int, timestamps: list[int]) -> list[int]:
    """One record per timestamp, each its own batch; the offsets Kafka gave them."""
    from confluent_kafka import Producer

    offsets: list[int] = []
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})
    for ts in timestamps:
        producer.produce(topic, value=b"v", partition=partition, timestamp=ts,
                         on_delivery=lambda err, msg: offsets.append(msg.offset()))
        assert producer.flush(10) == 0
    return offsets
