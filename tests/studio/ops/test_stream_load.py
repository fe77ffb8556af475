"""Sustained stream load (issue 8): a deployed word count, run by the studio's Celery
workers (`manage.py runstack`), fed at 80% of the throughput it was just measured to
reach, for a bounded time.

1. Maximum: a backlog of RIFFLE_STREAM_BACKLOG lines waits in the input topic before
   the deployment starts; the drain rate is the lines committed between the first
   commit and the moment nothing is left on the application's input and repartition
   topics, over that time. Committed offsets are read from the broker (the consumer
   group is the application id), not from the engine's own metrics.
2. Sustained: lines at 80% of that rate for RIFFLE_STREAM_LOAD_S seconds, each stamped
   with the wall clock when produced. The lag (log-end minus committed offset, input
   and repartition topics together) is sampled every 2 s. End-to-end latency is the
   time an output record is read minus its timestamp: an aggregation's result carries
   the timestamp of the line that updated it, so this is produce → worker → changelog
   and cache flush (commit interval 1 s) → output topic → reader.
3. Afterwards the lag drains to 0 and every word's last count equals a batch count of
   all lines produced: nothing lost under load.

The short form (30 s) runs in `make test`; `make test-reliability` runs 10 minutes,
where the lag must stay under LAG_BOUND_S seconds' worth of input after warm-up: a
worker slower than the feed by a few percent fails it, since its lag would only grow.
"""

from __future__ import annotations

import collections
import json
import os
import random
import resource
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from confluent_kafka import Consumer, Producer

from runtime import Serdes
from studio.lib.devservices import free_port
from studio.topologies.examples import example_document
from tests.studio.helpers import with_topics
from tests.studio.integration.stack import make_lines, produce, truth, wait_for
from tests.studio.ops.grouplag import GroupLag, measure_drain
from tests.studio.ops.procscan import all_processes, cmdline, cpu_seconds, descendants, percentile
from tests.studio.ops.runstack_process import CREATE, STATE, Stack, manage_shell, wordcount_stack

pytestmark = [pytest.mark.reliability, pytest.mark.slow, pytest.mark.kafka, pytest.mark.redis,
              pytest.mark.timeout(1800)]

DURATION_S = float(os.environ.get("RIFFLE_STREAM_LOAD_S", "30"))
BACKLOG = int(os.environ.get("RIFFLE_STREAM_BACKLOG", "100000"))
FULL = DURATION_S >= 600
WARMUP_S = min(60.0, DURATION_S / 4)
SHARE = 0.8
LAG_BOUND_S = 10.0
TICK_S = 0.1


class Background:
    """A loop on a thread of its own (`_run`), stopped by `stop` and joined by `halt`,
    so that its Kafka client is closed by that thread before the next test."""

    thread_name = "background"
    stop: threading.Event
    thread: threading.Thread | None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._run, name=self.thread_name, daemon=True)
        self.thread.start()

    def halt(self) -> None:
        self.stop.set()
        if self.thread is not None:
            self.thread.join(60)
            assert not self.thread.is_alive(), f"{self.thread.name} did not stop within 60 s"

    def _run(self) -> None:
        raise NotImplementedError


@dataclass
class OutputReader(Background):
    """Reads the counts topic from the start in its own thread: the last count per
    word, and the latency of records stamped at or after `measure_from_ms`."""

    thread_name = "output-reader"

    bootstrap: str
    topic: str
    measure_from_ms: float = float("inf")
    latest: dict[str, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None

    def _run(self) -> None:
        key_serde, value_serde = Serdes.string(), Serdes.long()
        consumer = Consumer({"bootstrap.servers": self.bootstrap, "group.id": f"{self.topic}-reader",
                             "auto.offset.reset": "earliest", "enable.auto.commit": False})
        consumer.subscribe([self.topic])
        try:
            while not self.stop.is_set():
                for message in consumer.consume(500, timeout=0.2):
                    if message.error():
                        continue
                    now_ms = time.time() * 1000
                    _, stamped = message.timestamp()
                    if stamped >= self.measure_from_ms:
                        self.latencies.append(now_ms - stamped)
                    self.latest[key_serde.deserialize(message.key(), self.topic)] = \
                        value_serde.deserialize(message.value(), self.topic)
        finally:
            consumer.close()


class Feed(Background):
    """Lines at a steady rate, in batches every TICK_S, stamped when produced; keeps the
    batch count of every word sent."""

    thread_name = "feed"

    def __init__(self, bootstrap: str, topic: str, rate: float, first_key: int) -> None:
        self.topic, self.rate, self.key = topic, rate, first_key
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        self.counts: collections.Counter[str] = collections.Counter()
        self.sent = 0
        self.behind_s = 0.0     # how far the feed itself fell behind its schedule, at worst
        self.error: BaseException | None = None
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def _run(self) -> None:
        try:
            self._feed()
        except BaseException as exc:   # noqa: BLE001 - the test reads it; a thread's exception is lost
            self.error = exc

    def _feed(self) -> None:
        rng = random.Random(20261206)
        began = time.monotonic()
        while not self.stop.is_set():
            elapsed = time.monotonic() - began
            due = int(self.rate * elapsed) - self.sent
            self.behind_s = max(self.behind_s, due / self.rate - TICK_S)
            for line in make_lines(rng, due):
                self.producer.produce(self.topic, key=str(self.key).encode(), value=line.encode())
                self.counts.update(line.split())
                self.key += 1
            self.sent += due
            self.producer.poll(0)
            self.stop.wait(max(0.0, began + elapsed + TICK_S - time.monotonic()))
        remaining = self.producer.flush(30)
        assert remaining == 0, f"{remaining} lines were not delivered within 30 s"


def broker_pid(bootstrap: str) -> int | None:
    """The development broker's process, when the session started one."""
    port = bootstrap.rsplit(":", 1)[-1]
    for info in all_processes():
        args = cmdline(info.pid)
        if "--listener-url" in args and any(arg.endswith(f":{port}") for arg in args):
            return info.pid
    return None


def celery_pids(stack: Stack) -> list[int]:
    return [info.pid for info in descendants(stack.process.pid)
            if any("celery" in arg for arg in cmdline(info.pid))]


def test_word_count_keeps_up_at_80_percent_of_its_maximum(
    tmp_path: Path, kafka_bootstrap: str, redis_server_url: str, create_topic: Callable[..., str],
    unique_name: Callable[[str], str],
) -> None:
    env, lines_topic, counts_topic = wordcount_stack(tmp_path, kafka_bootstrap, redis_server_url, create_topic)
    backlog = make_lines(random.Random(11), BACKLOG)
    for first in range(0, BACKLOG, 50_000):     # the producer's queue holds 100,000 messages
        produce(kafka_bootstrap, lines_topic, backlog[first:first + 50_000], first)
    application_id = unique_name("wc-stream-load")
    port = free_port()
    stack = Stack(["--port", str(port), "--no-generator", "--state-dir", str(tmp_path)], env)
    lag = GroupLag(kafka_bootstrap, application_id, lines_topic)
    output = OutputReader(kafka_bootstrap, counts_topic)
    feed: Feed | None = None
    try:
        stack.wait_ready(240)
        output.start()
        created = manage_shell(env, CREATE, DRILL_APP=application_id, DRILL_REPLICAS="1",
                               DRILL_DOCUMENT=json.dumps(with_topics(example_document("wordcount"),
                                                                     lines_topic, counts_topic)))
        deployment = str(created["id"])

        # 1. The maximum: how fast the backlog drains once the first commit lands.
        drain = measure_drain(lag, BACKLOG)
        maximum = drain.rate
        wait_for("the deployment to read running", lambda: (
            (now := manage_shell(env, STATE, DRILL_DEPLOYMENT=deployment))["observed"] == "running", now),
            120, interval=2.0)

        # 2. Sustained input at 80% of it.
        rate = SHARE * maximum
        workers, broker = celery_pids(stack), broker_pid(kafka_bootstrap)
        cpu_before = {pid: cpu_seconds(pid) for pid in [*workers, *([broker] if broker else [])]}
        self_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        output.measure_from_ms = time.time() * 1000 + WARMUP_S * 1000
        feed = Feed(kafka_bootstrap, lines_topic, rate, BACKLOG)
        feed.start()
        samples: list[tuple[float, int]] = []
        while (at := time.monotonic() - started) < DURATION_S:
            samples.append((at, lag.sample()[1]))
            time.sleep(2.0)
        feed.halt()
        stopped_at = time.monotonic()   # the last line is delivered: flushed in halt()
        assert feed.error is None, f"the feed failed: {feed.error!r}"
        elapsed = time.monotonic() - started
        cpu = {pid: cpu_seconds(pid) - before for pid, before in cpu_before.items()}
        used = resource.getrusage(resource.RUSAGE_SELF)
        cpu_self = (used.ru_utime - self_before.ru_utime) + (used.ru_stime - self_before.ru_stime)

        # 3. Everything drains, and the counts are right.
        state = manage_shell(env, STATE, DRILL_DEPLOYMENT=deployment)
        assert state["observed"] == "running", f"the deployment did not stay running under load: {state}"
        wait_for("the lag to drain after the input stopped", lambda: ((now := lag.sample())[1] == 0, now),
                 300, interval=0.5)
        drain_s = time.monotonic() - stopped_at
        expected = collections.Counter(truth(backlog)) + feed.counts
        wait_for("every word's last count to equal the batch count", lambda: (
            not (wrong := {w: (output.latest.get(w), n) for w, n in expected.items() if output.latest.get(w) != n}),
            wrong), 60, interval=1.0)
    finally:
        # Each Kafka client is closed by the thread that used it, before the next test
        # starts, rather than left to a garbage collection in whatever thread runs it.
        if feed is not None:
            feed.halt()
        output.halt()
        stack.kill()
        lag.close()

    warm = [lag_records for at, lag_records in samples if at >= WARMUP_S]
    words_per_line = sum(feed.counts.values()) / max(feed.sent, 1)
    # every line is one record on the input topic and one per word on the repartition topic
    bound = rate * (1 + words_per_line) * LAG_BOUND_S
    worker_cpu = sum(cpu[pid] for pid in workers)
    print(
        f"\nstream load: word count, 1 replica, 2 partitions, at_least_once, commit interval 1 s\n"
        f"  maximum: {maximum:,.0f} lines/s (backlog of {BACKLOG:,} lines drained in {drain.seconds:.1f} s "
        f"after the first commit)\n"
        f"  sustained: {rate:,.0f} lines/s ({SHARE:.0%}) for {elapsed:.0f} s, {feed.sent:,} lines "
        f"(feed at worst {max(feed.behind_s, 0) * 1000:.0f} ms behind its schedule); warm-up {WARMUP_S:.0f} s\n"
        f"  lag after warm-up (records, input + repartition): max {max(warm, default=0):,}, "
        f"median {percentile(warm, 0.5):,.0f}, last {warm[-1] if warm else 0:,}; bound {bound:,.0f} "
        f"({LAG_BOUND_S:.0f} s of input); drained {drain_s:.1f} s after the last line was delivered\n"
        f"  end-to-end latency (line produced -> count read), {len(output.latencies):,} output records: "
        f"p50 {percentile(output.latencies, 0.5):.0f} ms, p99 {percentile(output.latencies, 0.99):.0f} ms, "
        f"max {max(output.latencies, default=float('nan')):.0f} ms\n"
        f"  CPU seconds: Celery processes {worker_cpu:.1f} ({worker_cpu / elapsed:.0%} of a core), "
        f"broker {cpu[broker] if broker else float('nan'):.1f} "
        f"({(cpu[broker] / elapsed) if broker else float('nan'):.0%}), "
        f"this test (feed and readers) {cpu_self:.1f} ({cpu_self / elapsed:.0%})",
        flush=True,
    )
    assert output.latencies, "no output record was stamped after warm-up: the word count produced nothing"
    if FULL:
        assert max(warm) <= bound, f"lag grew past {LAG_BOUND_S:.0f} s of input: {samples}"
