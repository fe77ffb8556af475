"""Crash recovery: the DSL word count runs in its own process (``python -m runtime run``)
and is SIGKILLed at random moments, five times, while its input arrives in chunks; each
time it is restarted and restores its store (from the Redis checkpoint plus the changelog
after it, or from the changelog alone). A last instance drains the input and stops
cleanly. Under at_least_once nothing may be lost, and every over-count must be explained
by records the killed instances had processed but not committed.

The check (sound without knowing exactly where each instance stood when it died): for
kill k, C_k is the group's committed offset (read after the kill, so exact) and E_k the
end of the topic right after the kill (nothing can have been processed past it). A
SIGKILL can make the next owner process again, and count again, only
- the lines in [C_k, E_k) of each input partition (their words go to the repartition
  topic a second time), and
- the repartition records in [C_k, E_k) of each repartition partition (the store may be
  restored with their effect from the changelog, then they are counted again).
So for every word: truth <= final count <= truth + (occurrences of the word in those
windows, summed over the kills). The final count is read from both the output topic and
the changelog, which must agree after the clean final run."""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from runtime.state.checkpoint import RedisCheckpointStore
from tests.runtime.kafka.helpers import (
    latest_per_key,
    make_lines,
    produce_lines,
    read_topic,
    wait_until,
    word_counts,
)
from tests.runtime.kafka.procs import Instance, Restore, committed_offsets, committed_through, topic_ends

pytestmark = [pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(240)]

KILLS = 5
CHUNK_LINES = 300
TRICKLE_S = 0.05


@pytest.fixture
def app_id(unique_name: Callable[[str], str], redis_url: str) -> Iterator[str]:
    name = unique_name("crash")
    yield name
    RedisCheckpointStore(redis_url).delete_all(name)


@pytest.fixture
def private_redis() -> Iterator[Any]:
    from studio.lib.devservices import start_redis

    handle = start_redis()
    try:
        yield handle
    finally:
        handle.stop()


def _window_counts(records: list[Any], start: dict[int, int], end: dict[int, int], *, lines: bool) -> Counter[str]:
    out: Counter[str] = Counter()
    for r in records:
        if start.get(r.partition, 0) <= r.offset < end.get(r.partition, 0):
            if lines:
                out.update(word_counts([r.value.decode()]))
            else:
                out[r.key.decode()] += 1
    return out


def _checkpointed(redis: str, app_id: str) -> bool:
    checkpoints = RedisCheckpointStore(redis)
    try:
        found = [checkpoints.load(app_id, "counts", p) for p in range(2)]
    finally:
        checkpoints.close()
    return any(c is not None and c.offset > 0 for c in found)


def _config(bootstrap: str, app_id: str, redis: str) -> dict[str, Any]:
    return {
        "application.id": app_id,
        "bootstrap.servers": bootstrap,
        "processing.guarantee": "at_least_once",
        "commit.interval.ms": 200,
        # No record cache: every update reaches the changelog and the output at once, so
        # a kill between two commits leaves effects of uncommitted records behind.
        "statestore.cache.max.bytes": 0,
        "riffle.redis.url": redis,
        # A killed member stays in the group until its session times out; keep that short.
        "consumer.session.timeout.ms": 3000,
        "consumer.heartbeat.interval.ms": 500,
    }


def _crash_and_recover(bootstrap: str, create_topic: Callable[..., str], app_id: str, redis: str,
                       seed: int, on_kill: Callable[[int], None] = lambda k: None) -> list[list[Restore]]:
    rng = random.Random(seed)
    lines_topic = create_topic("lines", partitions=2)
    counts_topic = create_topic("counts", partitions=2)
    repartition, changelog = f"{app_id}-counts-repartition", f"{app_id}-counts-changelog"
    config = _config(bootstrap, app_id, redis)
    sent: list[str] = []
    windows: list[tuple[dict[int, int], dict[int, int], dict[int, int], dict[int, int]]] = []
    restores: list[list[Restore]] = []
    instances: list[Instance] = []
    try:
        for k in range(KILLS):
            instance = Instance(config, lines_topic, counts_topic).start()
            instances.append(instance)
            # The chunk is sent once the instance owns its tasks (restored both stores).
            wait_until(lambda: len(instance.restores()) == 2 or not instance.running(), 30,
                       f"instance {k} restoring its tasks", interval=0.05)
            chunk = make_lines(CHUNK_LINES, seed=seed * 100 + k)
            sent.extend(chunk)
            head, tail = chunk[:CHUNK_LINES // 2], chunk[CHUNK_LINES // 2:]
            produce_lines(bootstrap, lines_topic, head)
            if k == 0:
                # The first kill waits for a commit with state, so that a restart after
                # it has a checkpoint to restore from however slowly the machine runs
                # (on a loaded one, five random moments all fell before any).
                wait_until(lambda: _checkpointed(redis, app_id), 60, "a Redis checkpoint of the store",
                           interval=0.05)
            # The rest trickles in over a random 0.2-1.5 s and the kill follows its last
            # batch at once, so that it lands mid-processing (records processed, not yet
            # committed) however fast the machine: a chunk sent whole can be done and
            # committed before any moment a fixed sleep picks.
            batches = max(2, round(rng.uniform(0.2, 1.5) / TRICKLE_S))
            for n in range(batches):
                if n:
                    time.sleep(TRICKLE_S)
                produce_lines(bootstrap, lines_topic, tail[n * len(tail) // batches:(n + 1) * len(tail) // batches])
            assert instance.running(), f"instance {k} stopped by itself:\n{instance.log()[-3000:]}"
            instance.kill()
            restores.append(instance.restores())
            lines_committed = committed_offsets(bootstrap, app_id, lines_topic)
            windows.append((lines_committed, topic_ends(bootstrap, lines_topic),
                            committed_offsets(bootstrap, app_id, repartition), topic_ends(bootstrap, repartition)))
            print(f"kill {k}: changelog ends {topic_ends(bootstrap, changelog)}")
            on_kill(k)

        # A clean final run drains the input.
        final = Instance(config, lines_topic, counts_topic).start()
        instances.append(final)
        chunk = make_lines(CHUNK_LINES, seed=seed * 100 + KILLS)
        produce_lines(bootstrap, lines_topic, chunk)
        sent.extend(chunk)
        lines_end = topic_ends(bootstrap, lines_topic)
        wait_until(lambda: committed_through(bootstrap, app_id, lines_topic, lines_end), 60,
                   "the input committed to its end", interval=0.5)
        rep_end = topic_ends(bootstrap, repartition)
        wait_until(lambda: committed_through(bootstrap, app_id, repartition, rep_end), 60,
                   "the repartition topic committed to its end", interval=0.5)
        assert final.stop() == 0, final.log()[-3000:]
        restores.append(final.restores())
    finally:
        for instance in instances:
            instance.cleanup()

    for k, found in enumerate(restores):
        print(f"run {k}: " + ", ".join(f"task {r.task}: {'Redis checkpoint + ' if r.from_checkpoint else ''}"
                                       f"{r.replayed} changelog records to {r.end_offset}" for r in found))

    truth = word_counts(sent)
    lines_records, rep_records = read_topic(bootstrap, lines_topic), read_topic(bootstrap, repartition)
    assert sorted(r.value.decode() for r in lines_records) == sorted(sent)
    allowance: Counter[str] = Counter()
    for lines_start, lines_stop, rep_start, rep_stop in windows:
        allowance += _window_counts(lines_records, lines_start, lines_stop, lines=True)
        allowance += _window_counts(rep_records, rep_start, rep_stop, lines=False)

    # The kills are meant to land mid-processing, with input not yet committed.
    assert sum(allowance.values()) > 0, windows

    output = latest_per_key(read_topic(bootstrap, counts_topic))
    stored = latest_per_key(read_topic(bootstrap, changelog))
    assert output == stored
    assert output.keys() == truth.keys()
    lost = {w: (output[w], n) for w, n in truth.items() if output[w] < n}
    assert not lost, f"counts below the truth (got, truth): {lost}"
    unexplained = {w: (output[w], n, allowance[w]) for w, n in truth.items() if output[w] > n + allowance[w]}
    assert not unexplained, f"over-counts beyond the replay windows (got, truth, allowance): {unexplained}"
    print(f"over-counted {sum(output.values()) - sum(truth.values())} of {sum(truth.values())} words "
          f"(allowance {sum(allowance.values())})")
    return restores


def test_sigkilled_instances_lose_nothing_and_restore_from_redis_checkpoints(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str
) -> None:
    restores = _crash_and_recover(kafka_bootstrap, create_topic, app_id, redis_url, seed=31)
    after_a_crash = [r for run in restores[1:] for r in run]
    assert after_a_crash, "no restart restored a store"
    assert {r.store for r in after_a_crash} == {"counts"}
    # Checkpoints are written at each commit; a restart after one uses it.
    assert any(r.from_checkpoint for r in after_a_crash), restores


def test_redis_stopped_mid_run_loses_nothing_and_stops_nothing(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, private_redis: Any
) -> None:
    def stop_redis(k: int) -> None:
        if k == 1:
            private_redis.stop()

    restores = _crash_and_recover(kafka_bootstrap, create_topic, app_id, private_redis.url, seed=32,
                                  on_kill=stop_redis)
    # Without Redis the restarts restore from the changelog alone.
    assert all(not r.from_checkpoint for run in restores[2:] for r in run), restores
