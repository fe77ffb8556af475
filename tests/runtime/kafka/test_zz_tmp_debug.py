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


def test_dbg_instances_and_threads_share_the_work_and_hand_over_state(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str
) -> None:
    # Instance A (two stream threads) starts alone; instance B joins mid-stream and
    # takes tasks over (cooperative rebalance: A commits and closes them, B restores
    # them), then B leaves and A takes its tasks back. No input is lost or counted twice.
    # (B leaves, not A: when two members of a group leave at once, the development
    # broker keeps a departed member as group leader and the survivor never gets an
    # assignment - a broker bug, reproduced with plain confluent-kafka consumers.)
    lines_topic = create_topic("lines", partitions=4)
    counts_topic = create_topic("counts", partitions=4)
    config = {**_config(kafka_bootstrap, app_id, redis_url), "main.consumer.debug": "cgrp,consumer"}
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
        wait_for_output(kafka_bootstrap, counts_topic, dict(word_counts(sent)))
        # Cooperative rebalancing moves tasks in two rounds; in between one is unowned.
        wait_until(lambda: len(a.metrics()["tasks"]) + len(b.metrics()["tasks"]) == 8, 20, "all tasks owned")
        assert b.close(30)
        send(100, 40)
        wait_for_output(kafka_bootstrap, counts_topic, dict(word_counts(sent)))
        wait_until(lambda: len(a.metrics()["tasks"]) == 8, 20, "A owning every task again")
        assert a.close(30)
    finally:
        a.close(10)
        if b is not None:
            b.close(10)
    _assert_no_reprocessing(read_topic(kafka_bootstrap, counts_topic))


