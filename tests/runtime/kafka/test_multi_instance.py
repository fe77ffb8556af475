"""Several instances of the DSL word count, each in its own process (``python -m runtime
run``), share four input partitions: A and B start together, C joins mid-stream, B leaves
mid-stream with a clean close (SIGTERM: final commit, LeaveGroup), then C and A stop, one
at a time (the development broker can keep a departed member as leader when two leave at
once). Input keeps arriving throughout. Every leave is clean, so under at_least_once the
counts must be exact - unless a member's commit was rejected because the group had moved
on, which closes its tasks dirty (logged as "without committing"/"without it"); then the
next owner reprocesses since the last commit and only over-counts are allowed."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from typing import Any

import pytest

from tests.runtime.kafka.helpers import (
    counts_per_key_in_order,
    latest_per_key,
    make_lines,
    produce_lines,
    read_topic,
    wait_until,
    word_counts,
)
from tests.runtime.kafka.procs import Instance, committed_offsets, committed_through, topic_ends

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(180)]

DIRTY = ("without committing", "without it", "closing tasks dirty")


def _owns_tasks(instance: Instance) -> bool:
    # The last "running tasks" line of its log names at least one task.
    lines = [line for line in instance.log().splitlines() if " running tasks " in line]
    return bool(lines) and not lines[-1].endswith("(none)")


def test_instances_join_and_leave_mid_stream_and_the_counts_stay_exact(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    app_id = unique_name("multi")
    lines_topic = create_topic("lines", partitions=4)
    counts_topic = create_topic("counts", partitions=4)
    config: dict[str, Any] = {
        "application.id": app_id,
        "bootstrap.servers": kafka_bootstrap,
        "processing.guarantee": "at_least_once",
        "commit.interval.ms": 200,
    }
    sent: list[str] = []
    seed = iter(range(500, 600))

    def send(n: int = 60) -> None:
        batch = make_lines(n, seed=next(seed))
        produce_lines(kafka_bootstrap, lines_topic, batch)
        sent.extend(batch)

    def send_until(predicate: Callable[[], bool], what: str, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            send()
            time.sleep(0.3)

    a = Instance(config, lines_topic, counts_topic)
    b = Instance(config, lines_topic, counts_topic)
    c = Instance(config, lines_topic, counts_topic)
    instances = [a, b, c]
    try:
        a.start(), b.start()
        send_until(lambda: _owns_tasks(a) and _owns_tasks(b), "A and B owning tasks")
        c.start()  # joins mid-stream
        send_until(lambda: _owns_tasks(c), "C owning tasks")
        for _ in range(3):
            send()
            time.sleep(0.3)
        # B leaves mid-stream: SIGTERM while input keeps arriving.
        b.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        send_until(lambda: not b.running(), "B to stop")
        assert b.stop() == 0, b.log()[-3000:]
        send_until(lambda: _owns_tasks(a) and _owns_tasks(c) and len(_running(a) | _running(c)) == 8,
                   "A and C owning every task")
        for _ in range(3):
            send()
            time.sleep(0.3)

        # Drain: the input, then the repartition topic, committed to their ends.
        _wait_committed_to_end(kafka_bootstrap, app_id, lines_topic, instances)
        _wait_committed_to_end(kafka_bootstrap, app_id, f"{app_id}-counts-repartition", instances)
        assert c.stop() == 0, c.log()[-3000:]
        assert a.stop() == 0, a.log()[-3000:]
        dirty = [line for i in instances for line in i.log().splitlines() if any(d in line for d in DIRTY)]
    finally:
        for instance in instances:
            instance.cleanup()

    truth = dict(word_counts(sent))
    output = read_topic(kafka_bootstrap, counts_topic)
    latest = latest_per_key(output)
    assert latest.keys() == truth.keys()
    assert all(latest[w] >= n for w, n in truth.items()), {w: (latest[w], n) for w, n in truth.items()}
    if not dirty:
        assert latest == truth, {w: (latest[w], n) for w, n in truth.items() if latest[w] != n}
        # Nothing processed twice: each word's count only goes up (the record cache may
        # skip intermediate values; a replay would repeat or go back).
        for word, seq in counts_per_key_in_order(output).items():
            assert all(y > x for x, y in zip(seq, seq[1:])), (word, seq)
    else:
        print(f"over-counted {sum(latest.values()) - sum(truth.values())} of {sum(truth.values())} words; "
              "tasks closed dirty:\n" + "\n".join(dirty))
    assert latest_per_key(read_topic(kafka_bootstrap, f"{app_id}-counts-changelog")) == latest


def _wait_committed_to_end(bootstrap: str, group: str, topic: str, instances: list[Instance]) -> None:
    """Until `group` has committed `topic` to its end; a timeout says where each
    partition stands and what the instances logged last (a rare stall on CI left
    nothing else to go on)."""
    ends = topic_ends(bootstrap, topic)
    try:
        wait_until(lambda: committed_through(bootstrap, group, topic, ends), 40,
                   f"{topic} committed to its end", interval=0.5)
    except AssertionError as exc:
        committed = committed_offsets(bootstrap, group, topic)
        logs = "\n".join(f"--- instance {i} (running: {instance.running()}):\n" + "\n".join(instance.log().splitlines()[-25:])
                         for i, instance in enumerate(instances))
        raise AssertionError(f"{exc}: ends {ends}, committed {committed}\n{logs}") from None


def _running(instance: Instance) -> set[str]:
    lines = [line for line in instance.log().splitlines() if " running tasks " in line]
    return set(lines[-1].split(" running tasks ")[1].split(", ")) - {"(none)"} if lines else set()
