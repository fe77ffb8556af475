"""Standby replicas (num.standby.replicas) on the development broker and Redis.

Kafka Streams' promise (StreamsConfig num.standby.replicas; "State restoration during
workload rebalance" in its architecture docs): an instance keeps warm copies of other
instances' stores from their changelogs, and when it takes over such a task it restores
only what the standby had not applied yet. The tests check that promise with Redis
checkpoints out of the way (none are written), so a small replay can only come from the
standby, and that the counts stay exact."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from runtime import QueryableStoreTypes, StateStoreMigratedError, StoreQueryParameters
from runtime.app import StreamsApp
from runtime.exec.standby import MEMBERS_PREFIX, MembershipRegistry
from tests.runtime.kafka.helpers import (
    dsl_word_count,
    latest_per_key,
    make_lines,
    produce_lines,
    read_topic,
    wait_for_output,
    wait_until,
    word_counts,
)
from tests.runtime.kafka.procs import Instance

pytestmark = [pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(180)]

# "task 1_0 restored store counts from TopicPartition(...) + standby at offset 812: 0 changelog records to offset 812"
_FROM_STANDBY = re.compile(r"task (\S+) restored store (\S+) from .*? \+ standby at offset (\d+): "
                           r"(\d+) changelog records to offset (\d+)")
_RESTORED = re.compile(r"task (\S+) restored store (\S+) from .*?: (\d+) changelog records to offset (\d+)")


@pytest.fixture
def app_id(unique_name: Callable[[str], str], redis_url: str) -> Iterator[str]:
    name = unique_name("standby")
    yield name
    redis.Redis.from_url(redis_url).delete(f"{MEMBERS_PREFIX}:{name}")


def test_membership_registry_lists_live_instances_and_forgets_the_dead(redis_url: str, app_id: str) -> None:
    a = MembershipRegistry(redis_url, app_id, "a", ttl_ms=1_000)
    b = MembershipRegistry(redis_url, app_id, "b", ttl_ms=1_000)
    try:
        assert a.publish({"0_0"}, 10_000) == {"a": {"0_0"}}
        assert b.publish({"0_1", "1_1"}, 10_000) == {"a": {"0_0"}, "b": {"0_1", "1_1"}}
        # a stops refreshing (killed): gone once its entry expires
        assert b.publish({"0_1"}, 11_500) == {"b": {"0_1"}}
        a.publish(set(), 12_000)
        a.leave()   # a clean close removes the entry at once
        assert b.publish({"0_1"}, 12_000) == {"b": {"0_1"}}
    finally:
        a.close()
        b.close()


def _config(bootstrap: str, app_id: str, redis_url: str) -> dict[str, Any]:
    return {
        "application.id": app_id,
        "bootstrap.servers": bootstrap,
        "commit.interval.ms": 200,
        "num.standby.replicas": 1,
        "riffle.redis.url": redis_url,
        "riffle.standby.refresh.ms": 300,
        "riffle.metrics.interval.ms": 200,
        "consumer.session.timeout.ms": 3000,
        "consumer.heartbeat.interval.ms": 500,
    }


def _standbys(app: StreamsApp) -> dict[str, Any]:
    return app.metrics().get("standby", {}).get("tasks", {})


def _stateful_active(app: StreamsApp) -> set[str]:
    # the word count's counts store lives in sub-topology 1
    return {t for t in app.metrics()["tasks"] if t.startswith("1_")}


def test_a_standby_follows_the_changelog_and_takes_over_with_little_to_replay(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str,
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch,
) -> None:
    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    config = _config(kafka_bootstrap, app_id, redis_url)
    # No Redis checkpoints: a small replay on takeover can only come from the standby.
    monkeypatch.setattr("runtime.state.checkpoint.RedisCheckpointStore.save_incremental",
                        lambda *a, **k: False)
    caplog.set_level(logging.INFO, logger="runtime.exec.restore")
    first = make_lines(300, seed=71)
    produce_lines(kafka_bootstrap, lines_topic, first)
    a = StreamsApp(dsl_word_count(lines_topic, counts_topic), {**config, "client.id": f"{app_id}-a"})
    b = StreamsApp(dsl_word_count(lines_topic, counts_topic), {**config, "client.id": f"{app_id}-b"})
    # Both join at once (one rebalance; the development broker is at its least
    # reliable with members arriving one by one while others leave).
    a.start()
    b.start()
    try:
        wait_for_output(kafka_bootstrap, counts_topic, word_counts(first))
        # Both running tasks, and on each instance a caught-up standby of every stateful
        # task the other runs (the assignor decides who runs what).
        def settled() -> bool:
            return (bool(a.metrics()["tasks"]) and bool(b.metrics()["tasks"])
                    and bool(_stateful_active(a) | _stateful_active(b))
                    and set(_standbys(b)) == _stateful_active(a)
                    and set(_standbys(a)) == _stateful_active(b)
                    and all(s["ready"] for s in [*_standbys(a).values(), *_standbys(b).values()]))
        wait_until(settled, 60, "a standby on each instance of the other's tasks", interval=0.3)
        second = make_lines(300, seed=72)
        produce_lines(kafka_bootstrap, lines_topic, second)
        wait_for_output(kafka_bootstrap, counts_topic, word_counts(first + second))
        leaving, survivor = (a, b) if _stateful_active(a) else (b, a)
        taken_over = _stateful_active(leaving)
        # The standbys applied the changelog records written after they started.
        wait_until(lambda: all(_standbys(survivor)[t]["records-applied"] > 0 for t in taken_over), 30,
                   "the survivor's standbys applying the changelog", interval=0.3)
        # Interactive queries with stale stores read the standbys too: the survivor
        # answers for every word; without them, only for its own active tasks.
        counts = StoreQueryParameters.from_name_and_type("counts", QueryableStoreTypes.key_value_store())
        expected = dict(word_counts(first + second))
        wait_until(lambda: dict(survivor.store(counts.enable_stale_stores()).all(limit=None)) == expected, 30,
                   "the survivor's stale stores answering every word", interval=0.3)
        if _stateful_active(survivor):
            own = dict(survivor.store(counts).all(limit=None))
            assert own and len(own) < len(expected) and all(expected[k] == v for k, v in own.items())
        else:
            with pytest.raises(StateStoreMigratedError):
                survivor.store(counts).all()
        caplog.clear()
        assert leaving.close(30)
        wait_until(lambda: _stateful_active(survivor) == {"1_0", "1_1"}, 60, "the survivor running every task",
                   interval=0.3)
        third = make_lines(200, seed=73)
        produce_lines(kafka_bootstrap, lines_topic, third)
        wait_for_output(kafka_bootstrap, counts_topic, word_counts(first + second + third))
        messages = [r.getMessage() for r in caplog.records]
        handed = [m for m in map(_FROM_STANDBY.search, messages) if m]
        assert {m[1] for m in handed} == taken_over, messages
        changelog_sizes = {m[1]: int(m[5]) for m in handed}
        for m in handed:
            # a closed cleanly, so the standby had (nearly) everything: the replay is a
            # small tail, never the whole changelog
            assert int(m[4]) < changelog_sizes[m[1]] / 4, m[0]
        assert survivor.metrics()["standby"]["handovers"] >= len(taken_over)
    finally:
        a.close(10)
        b.close(30)
    output = latest_per_key(read_topic(kafka_bootstrap, counts_topic))
    assert output == dict(word_counts(first + second + third))


def test_a_sigkilled_instance_s_tasks_resume_from_the_survivor_s_standbys(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str,
) -> None:
    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    config = {**_config(kafka_bootstrap, app_id, redis_url), "processing.guarantee": "at_least_once",
              "statestore.cache.max.bytes": 0}
    sent: list[str] = []
    a = Instance(config, lines_topic, counts_topic)
    b = Instance(config, lines_topic, counts_topic)
    try:
        a.start()
        wait_until(lambda: len(_RESTORED.findall(a.log())) == 2, 60, "a running both stateful tasks", interval=0.2)
        b.start()
        wait_until(lambda: "keeping a standby of task 1_" in b.log() and "keeping a standby of task 1_" in a.log(),
                   60, "standbys on both instances", interval=0.2)
        for seed in range(80, 86):
            chunk = make_lines(200, seed=seed)
            produce_lines(kafka_bootstrap, lines_topic, chunk)
            sent.extend(chunk)
            time.sleep(0.3)
        time.sleep(2)   # the standbys catch up
        a.kill()
        chunk = make_lines(200, seed=90)
        produce_lines(kafka_bootstrap, lines_topic, chunk)
        sent.extend(chunk)
        wait_until(lambda: len(_FROM_STANDBY.findall(b.log())) >= 1, 60,
                   "b taking over from its standby", interval=0.3)
        wait_until(lambda: latest_per_key(read_topic(kafka_bootstrap, counts_topic)).keys() == word_counts(sent).keys()
                   and all(latest_per_key(read_topic(kafka_bootstrap, counts_topic))[w] >= n
                           for w, n in word_counts(sent).items()), 60, "the counts to catch up", interval=1)
        assert b.stop() == 0, b.log()[-3000:]
        handed = _FROM_STANDBY.findall(b.log())
    finally:
        a.cleanup()
        b.cleanup()
    print("handovers:", handed)
    assert handed
    for task, _store, start, replayed, end in handed:
        # Without the standby, b would replay the whole changelog (end records).
        assert int(start) > 0 and int(replayed) < int(end), (task, start, replayed, end)
    truth = word_counts(sent)
    output = latest_per_key(read_topic(kafka_bootstrap, counts_topic))
    assert all(output[w] >= n for w, n in truth.items()), "a count lost its effects"
    assert latest_per_key(read_topic(kafka_bootstrap, f"{app_id}-counts-changelog")) == output
