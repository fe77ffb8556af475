"""The worker-kill drill of test_worker_kills.py: a deployment on three real Celery
workers, input arriving at a steady rate, and a worker chosen by a seeded generator
SIGKILLed (with its pool, so the replicas in it) every KILL_EVERY_S and replaced by a
new worker, as a process supervisor would; the reconciler replaces the replicas.

What a program's test checks afterwards is its own; the drill records, at each kill,
what the group had not committed (the most the killed tasks can have processed twice),
and checks the Redis checkpoints of the program's store against its changelog.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from django.test import Client

from runtime.state.checkpoint import RedisCheckpointStore
from studio.deployments.models import Replica
from tests.studio.integration.stack import CeleryProcess, CeleryStack, deploy, deployment_running, wait_for

RECORDS = int(os.environ.get("RIFFLE_KILL_RECORDS", "30000"))
KILLS = int(os.environ.get("RIFFLE_KILLS", "3"))
SEED = int(os.environ.get("RIFFLE_KILL_SEED", "20261205"))
KILL_EVERY_S = 10.0
PARTITIONS = 6
WORKERS = 3
REPLICAS = 3
# Room for two replicas and the reconcile task in one worker, as kills pile them up.
CONCURRENCY = 3
RUNNING_S = 120.0
# After the last kill: recovery, then the rest of the backlog at a few thousand records/s.
SETTLE_S = 240.0 + RECORDS / 1000
TIMEOUT_S = int(600 + SETTLE_S + KILLS * 60)

# key, value, timestamp (None: the producer's clock)
Record = tuple[bytes, bytes, int | None]


class SteadyProducer(threading.Thread):
    """Produces `records` evenly over `seconds`; records the highest offset delivered
    per partition."""

    def __init__(self, bootstrap: str, topic: str, records: Sequence[Record], seconds: float) -> None:
        super().__init__(name="steady-producer", daemon=True)
        self.topic, self.records, self.seconds = topic, records, seconds
        self.producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
        self.ends: dict[int, int] = {}
        self.delivered = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def _delivered(self, error: Any, message: Any) -> None:
        with self._lock:
            if error is not None:
                self.errors.append(str(error))
                return
            self.delivered += 1
            self.ends[message.partition()] = max(self.ends.get(message.partition(), 0), message.offset() + 1)

    def end_offsets(self) -> dict[int, int]:
        with self._lock:
            return dict(self.ends)

    def run(self) -> None:
        started = time.monotonic()
        step = 0.1
        per_step = max(1, round(len(self.records) * step / self.seconds))
        for first in range(0, len(self.records), per_step):
            for key, value, timestamp in self.records[first:first + per_step]:
                extra = {"timestamp": timestamp} if timestamp is not None else {}
                self.producer.produce(self.topic, key=key, value=value, on_delivery=self._delivered, **extra)
            self.producer.poll(0)
            pause = started + (first // per_step + 1) * step - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        remaining = self.producer.flush(60)
        if remaining:
            self.errors.append(f"{remaining} records not delivered within 60 s")


def changelog_state(bootstrap: str, topic: str, partition: int, end: int | None) -> dict[bytes, bytes]:
    """A store partition rebuilt from its changelog, as Kafka Streams' restore does:
    the latest value per key of the records before offset `end` (all of them when
    None), a tombstone removing its key; each value in the timestamped stores' layout
    (8-byte big-endian record timestamp, then the value)."""
    # read_committed: under exactly_once_v2 a restore skips aborted writes, and so
    # must the state a checkpoint is compared with
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "changelog-check",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "isolation.level": "read_committed"})
    consumer.assign([TopicPartition(topic, partition, OFFSET_BEGINNING)])
    state: dict[bytes, bytes] = {}
    deadline = time.monotonic() + 60
    try:
        while end is None or end > 0:
            assert time.monotonic() < deadline, f"reading {topic}-{partition} up to {end} took over 60 s"
            message = consumer.poll(0.5)
            if message is None:
                continue
            if message.error():
                if message.error().code() == KafkaError._PARTITION_EOF:
                    if end is None or message.offset() >= end:
                        break
                    continue   # the records up to `end` are still on their way
                raise AssertionError(f"reading {topic}-{partition}: {message.error()}")
            if end is not None and message.offset() >= end:
                break
            key, value = message.key(), message.value()
            if value is None:
                state.pop(key, None)
            else:
                state[key] = message.timestamp()[1].to_bytes(8, "big", signed=True) + value
            if end is not None and message.offset() + 1 >= end:
                break
    finally:
        consumer.close()
    return state


@dataclass
class Kill:
    at_s: float
    worker: str
    replicas: list[int]
    # Not committed by the group just after the kill: at most what the killed tasks had
    # processed and not committed (and what nobody had processed yet).
    uncommitted_input: int
    uncommitted_repartition: int


@dataclass
class KillDrill:
    stack: CeleryStack
    api: Client
    bootstrap: str
    workspace_id: int
    input_topic: str
    application_id: str
    store: str
    redis_url: str
    guarantee: str = "at_least_once"
    workers: list[CeleryProcess] = field(default_factory=list)
    beat: CeleryProcess | None = None
    deployment_id: int = 0
    kills: list[Kill] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=lambda: {"checkpoints": 0, "keys": 0})
    began: float = 0.0

    def alive(self) -> None:
        self.stack.check_alive(*self.workers, *([self.beat] if self.beat else []))

    def deploy(self, document: dict[str, Any], name: str) -> None:
        self.workers = [self.stack.start_worker(f"worker-{n}", CONCURRENCY) for n in range(WORKERS)]
        self.beat = self.stack.start_beat()
        for worker in self.workers:
            self.stack.wait_worker_ready(worker)
        self.deployment_id = deploy(self.api, self.workspace_id, document, name=name, bootstrap=self.bootstrap,
                                    application_id=self.application_id, replicas=REPLICAS,
                                    processing_guarantee=self.guarantee)
        wait_for("the deployment to run", deployment_running(self.deployment_id), RUNNING_S, check=self.alive)

    def lag(self) -> dict[str, Any]:
        answer = self.api.get(f"/api/deployments/{self.deployment_id}/lag/")
        assert answer.status_code == 200, answer.content
        return answer.json()

    def _uncommitted(self, producer: SteadyProducer) -> tuple[int, int]:
        """(input records, repartition records) not committed by the group; the input's
        end offsets from the producer's own deliveries, which a broker's watermark may lag."""
        delivered = producer.end_offsets()
        left_input = left_repartition = 0
        for row in self.lag()["partitions"]:
            base = row["committed"] if row["committed"] is not None else row["start_offset"]
            if row["topic"] == self.input_topic:
                left_input += max(delivered.get(row["partition"], 0), row["end_offset"]) - base
            else:
                left_repartition += max(row["end_offset"] - base, 0)
        return left_input, left_repartition

    def _replicas_in(self, worker: CeleryProcess) -> list[int]:
        rows = Replica.objects.filter(deployment_id=self.deployment_id, state__in=Replica.ACTIVE, pid__isnull=False)
        return sorted(pk for pk, pid in rows.values_list("pk", "pid") if worker.owns(pid))

    def run(self, records: Sequence[Record]) -> float:
        """Produce `records` over KILLS * KILL_EVERY_S while killing a worker every
        KILL_EVERY_S; returns the seconds taken to deliver them all."""
        schedule = random.Random(SEED + 1)
        producer = SteadyProducer(self.bootstrap, self.input_topic, records, seconds=KILLS * KILL_EVERY_S)
        self.began = time.monotonic()
        producer.start()
        print(f"\nkill drill ({self.store}, {self.guarantee}): {len(records)} records over {KILLS * KILL_EVERY_S:.0f} s into "
              f"{PARTITIONS} partitions, {REPLICAS} replicas on {WORKERS} workers, a kill every "
              f"{KILL_EVERY_S:.0f} s, seed {SEED}")
        for n in range(KILLS):
            pause = self.began + (n + 1) * KILL_EVERY_S - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            slot = schedule.randrange(len(self.workers))
            victim = self.workers[slot]
            hosted = self._replicas_in(victim)
            self.stack.kill(victim)
            at = time.monotonic() - self.began
            # Nothing of the victim's is committed after its death, so counting after
            # the kill bounds what it had processed and not committed.
            left_input, left_repartition = self._uncommitted(producer)
            self.kills.append(Kill(at, victim.name, hosted, left_input, left_repartition))
            self.workers[slot] = self.stack.start_worker(f"worker-{WORKERS + n}", CONCURRENCY)
            self.check_checkpoints()
            print(f"  kill {n + 1} at {at:5.1f} s: {victim.name} (pid {victim.pid}) running replicas {hosted}; "
                  f"uncommitted then: {left_input} input records, {left_repartition} repartition records",
                  flush=True)
        producer.join(timeout=120)
        assert not producer.is_alive(), "the producer did not finish"
        assert not producer.errors, producer.errors[:5]
        assert producer.delivered == len(records), (producer.delivered, len(records))
        return time.monotonic() - self.began

    def settle(self, complete: Callable[[], tuple[bool, Any]], what: str) -> float:
        """Wait for `complete`, then for every offset committed and every replica
        running; returns the seconds from the drill's start to `complete`."""
        wait_for(what, complete, SETTLE_S, interval=0, check=self.alive)
        done_in = time.monotonic() - self.began

        def all_committed() -> tuple[bool, Any]:
            # A partition that never had a record has no committed offset (nothing to
            # commit, as in Kafka Streams): a few tickers may leave a repartition
            # partition empty.
            rows = self.lag()["partitions"]
            return all(r["lag"] == 0 and (r["has_committed"] or r["end_offset"] == r["start_offset"])
                       for r in rows), rows

        wait_for("the group to commit every input offset (lag 0)", all_committed, RUNNING_S, interval=1.0,
                 check=self.alive)
        # A killed replica keeps a slot until its last heartbeat expires (HEARTBEAT_TTL_S
        # after its last beat, which a busy replica may have sent later than the others
        # of its worker); until then the deployment can read "running" with it counted.
        def all_buried() -> tuple[bool, Any]:
            states = self.replica_states()
            return self.killed_replicas() <= {pk for pk, state in states if state == "dead"}, states

        wait_for("every killed replica to be buried as dead", all_buried, RUNNING_S, interval=1.0,
                 check=self.alive)
        wait_for("the deployment to run with all its replicas", deployment_running(self.deployment_id),
                 RUNNING_S, check=self.alive)
        return done_in

    def changelog(self) -> str:
        return f"{self.application_id}-{self.store}-changelog"

    def check_checkpoints(self) -> None:
        """Every Redis checkpoint of the store holds exactly the changelog's state up to
        the offset it claims: nothing newer, nothing missing, for every key."""
        checkpoints = RedisCheckpointStore(self.redis_url)
        try:
            for partition in range(PARTITIONS):
                checkpoint = checkpoints.load(self.application_id, self.store, partition)
                if checkpoint is None:
                    continue
                held = dict(checkpoint.entries)
                rebuilt = changelog_state(self.bootstrap, self.changelog(), partition, checkpoint.offset)
                differing = {k: (held.get(k), rebuilt.get(k)) for k in held.keys() | rebuilt.keys()
                             if held.get(k) != rebuilt.get(k)}
                assert not differing, (
                    f"checkpoint of {self.store} partition {partition} at offset {checkpoint.offset} differs from "
                    f"its changelog up to that offset in {len(differing)} keys, e.g. {list(differing.items())[:3]}")
                self.checked["checkpoints"] += 1
                self.checked["keys"] += len(held)
        finally:
            checkpoints.close()

    def repartition_written(self) -> int:
        """Records written to the repartition topic(s) in all (their end offsets)."""
        return sum(row["end_offset"] for row in self.lag()["partitions"] if row["topic"] != self.input_topic)

    def killed_replicas(self) -> set[int]:
        return {pk for k in self.kills for pk in k.replicas}

    def replica_states(self) -> list[tuple[int, str]]:
        return list(Replica.objects.filter(deployment_id=self.deployment_id).values_list("pk", "state"))

    def check_replacements(self) -> str:
        """Every killed replica was buried as dead (its heartbeat lapsed) and replaced;
        returns a summary."""
        states = self.replica_states()
        killed = self.killed_replicas()
        dead = {pk for pk, state in states if state == "dead"}
        running = [pk for pk, state in states if state == "running"]
        assert len(running) == REPLICAS, states
        assert killed <= dead, (killed - dead, states)
        return f"{len(killed)} replicas killed, {len(dead)} buried as dead, {len(states)} replica rows in all"
