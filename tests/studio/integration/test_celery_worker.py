"""Word count through the whole back end: the API, a real Celery worker and beat, the
development broker, Redis and the test's own database.

The test deploys word count with two replicas through the API, produces lines with a
known word distribution, waits for the output's latest count per word to equal the
truth computed here, and watches the deployment's websocket receive metrics from the
real replicas. Then it SIGKILLs the worker's whole process group twice, each time
starting a new worker and waiting for the reconciler (Celery beat's schedule) to bury
the killed replicas and start others in the new worker:

1. at a committed point (the group's lag is 0), then more lines: the latest counts must
   equal the truth of all lines, exactly;
2. in the middle of a big batch (some of its counts are out, its offsets are not all
   committed): under at_least_once no count may end below the truth. It may end above:
   a replica killed between writing its changelog and committing its input offsets has
   those records processed again after the restore, as in Kafka Streams. The kill comes
   as soon as new counts appear, i.e. just after a cache flush and so often inside that
   window: most runs come out exact, some count up to a commit interval's records twice
   (the test prints the excess); only exactly_once_v2 would make them exact, which the
   development broker cannot show (DESIGN.md, "Known limits").

Last, a warm shutdown signalled to the worker's main process only (as `docker stop`
does): the replicas must stop (not die) and the worker exit within a bound.

Sharing the database with the worker processes (they are separate processes, so they
must open the same database as the test):

- PostgreSQL: pytest-django's `test_<name>` database is an ordinary database on the
  server; the test is transactional (`transaction=True`), so what it writes is
  committed and the worker sees it, and what the worker writes the test sees.
- SQLite: pytest-django's test database is in memory (shared cache, one process only).
  `shared_database` copies it, with what the fixtures created, into a file with
  SQLite's backup API and points the test's connection at that file for the test;
  afterwards the connection returns to the in-memory database (kept open meanwhile),
  whose tables pytest-django then flushes as for any transactional test. The file is
  in WAL mode (settings.py), like a development database shared by web, worker and beat.

Redis: the processes use the session's test Redis (database 15) with the test's key
prefix for everything, the Celery queues and the channel layer included
(riffle_it_settings.py), as the in-process `studio_redis` and `celery_queues` fixtures
do, so that runs sharing a Redis never meet.
"""

from __future__ import annotations

import asyncio
import collections
import copy
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient
from django.contrib.auth.models import User
from django.db import connections
from django.test import Client

from runtime import Serdes
from studio.deployments.models import Replica
from studio.lib.devservices import group_alive, spawn
from studio.monitoring.routing import websocket_urlpatterns
from studio.workspaces.models import Workspace

# Every wait below has a bound of its own and fails saying what it waited for; the
# test's timeout only catches what none of them covers (their sum exceeds pyproject's
# 300 s, a run takes about 50 s).
pytestmark = [pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow,
              pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
REPLICAS = 2
# Two replicas, and a process for the reconcile task beside them.
CONCURRENCY = REPLICAS + 1
WORDS = ("kafka", "streams", "riffle", "celery", "redis", "django", "table", "stream",
         "window", "join", "count", "word", "topic", "offset", "commit", "replica")
LINES_PER_BATCH = 1500
# The second kill comes mid-batch: a third batch big enough to be still in progress
# when the first of its counts reach the output.
MID_BATCH_LINES = 40000

# Bounds of the waits, on a shared 2-core machine.
WORKER_READY_S = 60.0
RUNNING_S = 90.0
COUNTS_S = 60.0
COMMITTED_S = 30.0
REPLACED_S = 60.0
STOP_S = 40.0
METRICS_S = 20.0


# -- lines and their truth -----------------------------------------------------------


def make_lines(rng: random.Random, count: int) -> list[str]:
    """`count` lines of 1 to 8 words; the words' frequencies differ (Zipf-like)."""
    weights = [1.0 / (rank + 1) for rank in range(len(WORDS))]
    return [" ".join(rng.choices(WORDS, weights, k=rng.randint(1, 8))) for _ in range(count)]


def truth(lines: list[str]) -> dict[str, int]:
    return dict(collections.Counter(word for line in lines for word in line.split()))


def produce(bootstrap: str, topic: str, lines: list[str], first_key: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for i, line in enumerate(lines, start=first_key):
        producer.produce(topic, key=str(i).encode(), value=line.encode())
    remaining = producer.flush(30)
    assert remaining == 0, f"{remaining} lines were not delivered to {topic} within 30 s"


def with_topics(document: dict[str, Any], source: str, sink: str) -> dict[str, Any]:
    document = copy.deepcopy(document)
    for node in document["nodes"]:
        if node["type"].startswith("source."):
            node["params"]["topics"] = [source]
        elif node["type"].startswith("sink."):
            node["params"]["topic"] = sink
    return document


class CountsReader:
    """Reads the output topic from the start, keeping the latest count per word."""

    def __init__(self, bootstrap: str, topic: str, group: str) -> None:
        self.topic = topic
        self.key_serde, self.value_serde = Serdes.string(), Serdes.long()
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                                  "auto.offset.reset": "earliest", "enable.auto.commit": False,
                                  "session.timeout.ms": 6000})
        self.consumer.subscribe([topic])
        self.latest: dict[str, int] = {}
        self.records = 0

    def poll(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            message = self.consumer.poll(0.2)
            if message is None or message.error():
                continue
            self.records += 1
            word = self.key_serde.deserialize(message.key(), self.topic)
            self.latest[word] = self.value_serde.deserialize(message.value(), self.topic)

    def close(self) -> None:
        self.consumer.close()


# -- waiting ---------------------------------------------------------------------------


def wait_for(what: str, probe: Callable[[], tuple[bool, Any]], timeout: float, *,
             interval: float = 0.5, check: Callable[[], None] | None = None) -> tuple[float, Any]:
    """Call `probe` until it answers (True, state); returns (seconds taken, state).

    Fails naming `what` and the last state observed. `check` runs before each probe
    (e.g. that the worker is still alive) and may fail the test itself.
    """
    start = time.monotonic()
    deadline = start + timeout
    while True:
        if check is not None:
            check()
        ok, state = probe()
        if ok:
            return time.monotonic() - start, state
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}; last observed: {state!r}",
                        pytrace=False)
        time.sleep(interval)


# -- the worker's database -------------------------------------------------------------


@pytest.fixture
def shared_database(api: Client, tmp_path: Path) -> Iterator[str]:
    """DATABASE_URL naming the database this test uses (see the module's docstring).

    Requests `api`, so the people and the session exist before a SQLite copy is made.
    """
    connection = connections["default"]
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        user = quote(settings_dict.get("USER") or "", safe="")
        password = quote(settings_dict.get("PASSWORD") or "", safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = settings_dict.get("HOST") or "localhost"
        port = f":{settings_dict['PORT']}" if settings_dict.get("PORT") else ""
        yield f"postgresql://{credentials}{host}{port}/{settings_dict['NAME']}"
        return
    assert connection.vendor == "sqlite", f"no way to share a {connection.vendor} test database"
    if not connection.is_in_memory_db():
        yield f"sqlite:///{settings_dict['NAME']}"
        return
    path = tmp_path / "riffle-test.sqlite3"
    connection.ensure_connection()
    memory = connection.connection
    with closing(sqlite3.connect(path)) as target:
        memory.backup(target)
    original = settings_dict["NAME"]
    # Django never closes an in-memory database (it would vanish); detach it instead,
    # holding it open, so that the next query opens the file.
    connection.connection = None
    settings_dict["NAME"] = str(path)
    try:
        yield f"sqlite:///{path}"
    finally:
        connection.close()
        settings_dict["NAME"] = original
        connection.connection = memory


# -- Celery processes ------------------------------------------------------------------


@dataclass
class CeleryProcess:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    log: IO[bytes]

    @property
    def pid(self) -> int:
        return self.process.pid

    def owns(self, pid: int) -> bool:
        """Whether `pid` is a live process of this process's group (a pool child)."""
        try:
            return os.getpgid(pid) == self.pid
        except ProcessLookupError:
            return False

    def tail(self, lines: int = 40) -> str:
        self.log.flush()
        text = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])


@dataclass
class CeleryStack:
    """Celery worker and beat processes of one test, each in a process group of its own."""

    env: dict[str, str]
    workdir: Path
    started: list[CeleryProcess] = field(default_factory=list)
    # Run once every process has stopped (e.g. deleting keys a replica could rewrite).
    after_stop: list[Callable[[], None]] = field(default_factory=list)

    def _start(self, name: str, argv: list[str]) -> CeleryProcess:
        log_path = self.workdir / f"{name}.log"
        log = open(log_path, "ab")  # noqa: SIM115 - closed in stop_all
        # A session (and process group) of its own: killing the group reaches the
        # prefork children; die_with_parent: a crashed pytest leaves no worker behind.
        process = spawn(argv, output=log, env=self.env, cwd=str(ROOT), die_with_parent=True)
        started = CeleryProcess(name, process, log_path, log)
        self.started.append(started)
        return started

    def start_worker(self, name: str) -> CeleryProcess:
        return self._start(name, [
            sys.executable, "-m", "celery", "-A", "studio", "worker",
            "-Q", "replicas,celery", "-P", "prefork", "--concurrency", str(CONCURRENCY),
            "-n", f"{name}-{os.getpid()}@%h",
            "--without-gossip", "--without-mingle", "--loglevel", "INFO",
        ])

    def start_beat(self) -> CeleryProcess:
        return self._start("beat", [
            sys.executable, "-m", "celery", "-A", "studio", "beat",
            "--schedule", str(self.workdir / "celerybeat-schedule"), "--loglevel", "INFO",
        ])

    def check_alive(self, *processes: CeleryProcess) -> None:
        for proc in processes:
            code = proc.process.poll()
            if code is not None:
                pytest.fail(f"celery {proc.name} (pid {proc.pid}) exited with code {code}; "
                            f"its last output:\n{proc.tail()}", pytrace=False)

    def wait_worker_ready(self, worker: CeleryProcess) -> float:
        def ready() -> tuple[bool, str]:
            text = worker.log_path.read_text(errors="replace")
            return " ready." in text, text.splitlines()[-1] if text else "no output yet"

        took, _ = wait_for(f"celery {worker.name} (pid {worker.pid}) to log 'ready'", ready,
                           WORKER_READY_S, check=lambda: self.check_alive(worker))
        return took

    def kill(self, proc: CeleryProcess) -> None:
        """SIGKILL the process group: the worker and its prefork children, no shutdown."""
        os.killpg(proc.pid, signal.SIGKILL)
        proc.process.wait(timeout=10)
        wait_for(f"every process of the killed {proc.name}'s group {proc.pid} to be gone",
                 lambda: (not group_alive(proc.pid), proc.pid), 10, interval=0.1)

    def terminate(self, proc: CeleryProcess, timeout: float = STOP_S) -> None:
        """SIGTERM the group and wait for its leader to exit."""
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"celery {proc.name} did not exit within {timeout:.0f} s of SIGTERM:\n{proc.tail()}",
                        pytrace=False)

    def stop_all(self, timeout: float = STOP_S) -> list[str]:
        """SIGTERM every group (warm shutdown), SIGKILL what remains after `timeout`;
        returns the groups that were still alive then (leaks)."""
        for proc in self.started:
            if group_alive(proc.pid):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(group_alive(p.pid) for p in self.started):
            for proc in self.started:
                proc.process.poll()  # reap the leader, or its zombie keeps the group alive
            time.sleep(0.2)
        stubborn = []
        for proc in self.started:
            proc.process.poll()
            if group_alive(proc.pid):
                stubborn.append(f"{proc.name} (group {proc.pid}) ignored SIGTERM for {timeout:.0f} s")
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in self.started:
            try:
                proc.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                stubborn.append(f"{proc.name} (pid {proc.pid}) survived SIGKILL")
            proc.log.close()
        for proc in self.started:
            if group_alive(proc.pid):
                stubborn.append(f"{proc.name}: group {proc.pid} still has processes after SIGKILL")
        return stubborn


@pytest.fixture
def celery_stack(shared_database: str, kafka_bootstrap: str, redis_url: str, key_prefix: str,
                 studio_redis: redis.Redis, celery_queues: Any, settings: Any,
                 tmp_path: Path) -> Iterator[CeleryStack]:
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "REDIS_URL", "KAFKA_BOOTSTRAP_SERVERS", "RIFFLE_KEY_PREFIX")}
    env.update(
        DJANGO_SETTINGS_MODULE="riffle_it_settings",
        PYTHONPATH=os.pathsep.join([str(HERE), str(ROOT)]),
        PYTHONUNBUFFERED="1",
        DATABASE_URL=shared_database,
        REDIS_URL=redis_url,
        KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap,
        RIFFLE_KEY_PREFIX=settings.RIFFLE_KEY_PREFIX,
        RIFFLE_TEST_KEY_PREFIX=key_prefix,
    )
    stack = CeleryStack(env, tmp_path)
    try:
        yield stack
    finally:
        leaks = stack.stop_all()
        for cleanup in stack.after_stop:
            cleanup()
        if leaks:
            logs = "\n".join(f"--- {p.name}\n{p.tail()}" for p in stack.started)
            pytest.fail("Celery processes did not stop: " + "; ".join(leaks) + "\n" + logs, pytrace=False)


# -- the websocket ---------------------------------------------------------------------


async def watch_deployment_socket(deployment_id: int, user: User, replica_ids: set[str],
                                  timeout: float) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The snapshot, then the first metrics frame of every replica in `replica_ids`."""
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/deployments/{deployment_id}/")
    communicator.scope["user"] = user
    connected, _ = await communicator.connect(timeout=10)
    assert connected, "the deployment websocket refused alice"
    try:
        snapshot = await communicator.receive_json_from(timeout=10)
        frames: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + timeout
        while set(frames) < replica_ids:
            left = deadline - time.monotonic()
            if left <= 0:
                pytest.fail(f"no metrics frame within {timeout:.0f} s from replicas "
                            f"{sorted(replica_ids - set(frames))}; got frames from {sorted(frames)}",
                            pytrace=False)
            try:
                frame = await communicator.receive_json_from(timeout=left)
            except asyncio.TimeoutError:
                continue
            if frame.get("type") == "metrics" and frame.get("replica") in replica_ids:
                frames.setdefault(frame["replica"], frame)
        return snapshot, frames
    finally:
        await communicator.disconnect()


# -- the test --------------------------------------------------------------------------


def test_word_count_on_a_real_worker_survives_killed_workers(
    api: Client, alice: User, team: Workspace, celery_stack: CeleryStack, kafka_bootstrap: str,
    create_topic: Callable[..., str], unique_name: Callable[[str], str], studio_redis: redis.Redis,
    wordcount_document: dict[str, Any], settings: Any,
) -> None:
    began = time.monotonic()
    timings: dict[str, float] = {}
    stack = celery_stack
    lines_topic, counts_topic = create_topic("lines", partitions=2), create_topic("counts", partitions=2)
    application_id = unique_name("wc-celery")
    stack.after_stop.append(lambda: _drop_app_state(kafka_bootstrap, studio_redis, application_id))
    rng = random.Random(20261203)
    first, second, third = (make_lines(rng, LINES_PER_BATCH), make_lines(rng, LINES_PER_BATCH),
                            make_lines(rng, MID_BATCH_LINES))

    worker = stack.start_worker("worker-1")
    beat = stack.start_beat()
    timings["worker ready"] = stack.wait_worker_ready(worker)

    # -- deploy through the API, on a connection to the test's broker --
    response = api.post("/api/connections/", data=json.dumps(
        {"workspace": team.pk, "name": unique_name("broker"), "bootstrap_servers": kafka_bootstrap}),
        content_type="application/json")
    assert response.status_code == 201, response.json()
    connection_id = response.json()["id"]
    document = with_topics(wordcount_document, lines_topic, counts_topic)
    response = api.post("/api/topologies/", data=json.dumps(
        {"workspace": team.pk, "name": unique_name("wc"), "document": document}), content_type="application/json")
    assert response.status_code == 201, response.json()
    version_id = response.json()["latest_version"]["id"]
    response = api.post("/api/deployments/", data=json.dumps(
        {"version": version_id, "connection": connection_id, "application_id": application_id,
         "replicas": REPLICAS}),
        content_type="application/json")
    assert response.status_code == 201, response.json()
    deployment_id = response.json()["id"]
    produce(kafka_bootstrap, lines_topic, first, 0)

    def deployment() -> dict[str, Any]:
        answer = api.get(f"/api/deployments/{deployment_id}/")
        assert answer.status_code == 200, answer.content
        return answer.json()

    def replicas() -> list[tuple[int, int, str]]:
        return list(Replica.objects.filter(deployment_id=deployment_id).order_by("pk")
                    .values_list("pk", "index", "state"))

    def replica_pids(pks: set[int]) -> set[int]:
        return set(Replica.objects.filter(pk__in=pks).values_list("pid", flat=True))

    def running() -> tuple[bool, Any]:
        body = deployment()
        return body["observed_state"] == "running", (body["observed_state"], body["last_error"], replicas())

    def lag() -> dict[str, Any]:
        answer = api.get(f"/api/deployments/{deployment_id}/lag/")
        assert answer.status_code == 200, answer.json()
        return answer.json()

    def committed() -> tuple[bool, Any]:
        body = lag()
        return body["total_lag"] == 0 and body["partitions_without_commit"] == 0, body["partitions"]

    # Late binding on purpose: always the current worker.
    alive = lambda: stack.check_alive(worker, beat)  # noqa: E731
    timings["deployed to running"], _ = wait_for("the deployment to run", running, RUNNING_S, check=alive)
    live = {pk for pk, _, state in replicas() if state == "running"}
    assert len(live) == REPLICAS, replicas()
    # Each replica runs in a prefork child of the worker: a process of its own.
    pids = replica_pids(live)
    assert len(pids) == REPLICAS and all(worker.owns(pid) for pid in pids), (pids, worker.pid)

    def replace(killed: set[int], killed_pids: set[int], killed_at: float, label: str) -> set[int]:
        """After a kill: the processes are gone, the reconciler buries the killed replicas
        and starts others, which run in the new worker; returns their ids."""
        assert not any(_alive(pid) for pid in killed_pids), f"replica processes {killed_pids} outlived the kill"

        def new_rows() -> tuple[bool, Any]:
            rows = replicas()
            fresh = [pk for pk, _, state in rows if state in Replica.ACTIVE and pk not in killed]
            return len(fresh) == REPLICAS, rows

        wait_for("the reconciler to start new replicas in place of the killed ones", new_rows, REPLACED_S, check=alive)
        timings[f"{label}: kill to new replica rows"] = time.monotonic() - killed_at

        def new_running() -> tuple[bool, Any]:
            rows = replicas()
            fresh = [(pk, index) for pk, index, state in rows if state == "running" and pk not in killed]
            beats = studio_redis.mget([f"{settings.RIFFLE_KEY_PREFIX}:replica:{pk}:hb" for pk, _ in fresh])
            ready = [pk for (pk, _), beat in zip(fresh, beats) if beat and json.loads(beat)["state"] == "RUNNING"]
            return len({index for _, index in fresh}) == REPLICAS and len(ready) == REPLICAS, rows

        _, rows = wait_for("the new replicas to run (their heartbeats say RUNNING)", new_running, REPLACED_S,
                           check=alive)
        timings[f"{label}: kill to new replicas RUNNING"] = time.monotonic() - killed_at
        buried = {pk: state for pk, _, state in rows if pk in killed}
        assert set(buried.values()) == {"dead"}, f"the killed replicas should be buried as dead: {rows}"
        fresh = {pk for pk, _, state in rows if state == "running"}
        fresh_pids = replica_pids(fresh)
        assert all(worker.owns(pid) for pid in fresh_pids), (fresh_pids, worker.pid)
        wait_for("the deployment to run again", running, RUNNING_S, check=alive)
        timings[f"{label}: kill to deployment running"] = time.monotonic() - killed_at
        return fresh

    reader = CountsReader(kafka_bootstrap, counts_topic, unique_name("counts-reader"))
    try:
        def counts_are(expected: dict[str, int]) -> Callable[[], tuple[bool, Any]]:
            def probe() -> tuple[bool, Any]:
                reader.poll(1.0)
                wrong = {w: (reader.latest.get(w), n) for w, n in expected.items() if reader.latest.get(w) != n}
                extra = set(reader.latest) - set(expected)
                return not wrong and not extra, {"wrong (seen, truth)": wrong, "unexpected words": extra,
                                                 "records read": reader.records}
            return probe

        timings["first counts right"], _ = wait_for(
            f"the latest counts of {len(first)} lines to equal the truth", counts_are(truth(first)), COUNTS_S,
            interval=0, check=alive)

        # -- metrics from the real replicas reach the websocket --
        # async_to_sync, not asyncio.run: the consumer's database calls then run in this
        # thread, whose connection opens the shared file. With asyncio.run they go to
        # asgiref's long-lived executor thread, which may still hold a connection to the
        # in-memory test database from an earlier test (the full suite failed so).
        snapshot, frames = async_to_sync(watch_deployment_socket)(
            deployment_id, alice, {str(pk) for pk in live}, METRICS_S)
        assert snapshot["type"] == "snapshot"
        assert snapshot["deployment"]["id"] == deployment_id
        assert snapshot["deployment"]["observed_state"] == "running"
        assert set(snapshot["metrics"]) <= {str(pk) for pk in live}
        for frame in frames.values():
            metrics = frame["metrics"]
            assert metrics["application_id"] == application_id, frame
            assert metrics["state"] in ("RUNNING", "REBALANCING"), frame
        # Between them, the replicas read every line of the first batch.
        records_in = sum(f["metrics"]["totals"]["records-in"] for f in frames.values())
        assert records_in >= len(first), frames

        # -- kill 1, at a committed point: the counts come out exact --
        wait_for("the group to commit every input offset (lag 0)", committed, COMMITTED_S, interval=1.0, check=alive)
        stack.kill(worker)
        killed_at = time.monotonic()
        produce(kafka_bootstrap, lines_topic, second, len(first))
        worker = stack.start_worker("worker-2")
        timings["worker-2 ready"] = stack.wait_worker_ready(worker)
        live = replace(live, pids, killed_at, "kill 1")
        pids = replica_pids(live)
        wait_for(f"the latest counts of {len(first) + len(second)} lines to equal the truth",
                 counts_are(truth(first + second)), COUNTS_S, interval=0, check=alive)
        timings["kill 1: kill to counts exact"] = time.monotonic() - killed_at

        # -- kill 2, mid-batch: under at_least_once no count may fall short --
        wait_for("the group to commit every input offset (lag 0)", committed, COMMITTED_S, interval=1.0, check=alive)
        produce(kafka_bootstrap, lines_topic, third, len(first) + len(second))
        before = dict(reader.latest)

        def progress() -> tuple[bool, Any]:
            reader.poll(0.2)
            return reader.latest != before, reader.records

        wait_for("the first counts of the third batch", progress, COUNTS_S, interval=0, check=alive)
        stack.kill(worker)
        killed_at = time.monotonic()
        uncommitted = lag()["total_lag"]
        assert uncommitted > 0, "the kill came after the third batch was committed: not a mid-batch kill"
        worker = stack.start_worker("worker-3")
        timings["worker-3 ready"] = stack.wait_worker_ready(worker)
        live = replace(live, pids, killed_at, "kill 2")
        want = truth(first + second + third)

        def at_least() -> tuple[bool, Any]:
            reader.poll(1.0)
            short = {w: (reader.latest.get(w, 0), n) for w, n in want.items() if reader.latest.get(w, 0) < n}
            return not short, {"below the truth (seen, truth)": short, "records read": reader.records}

        wait_for(f"every count to reach the truth of all {len(first) + len(second) + len(third)} lines", at_least,
                 COUNTS_S, interval=0, check=alive)
        wait_for("the group to commit every input offset (lag 0)", committed, COUNTS_S, interval=1.0, check=alive)
        reader.poll(3.0)
        timings["kill 2: kill to counts complete"] = time.monotonic() - killed_at
        # Above the truth only where records between the last changelog write and the
        # offset commit were processed twice (at-least-once); never below it.
        over = {w: reader.latest[w] - n for w, n in want.items() if reader.latest[w] != n}
        assert all(v > 0 for v in over.values()), f"counts below the truth after the kill: {over}"
        output_records = reader.records

        # -- a warm shutdown signalled to the worker's main process only (docker stop):
        # the replicas in its pool children close (committed, out of the group) and it
        # exits. Beat first, so that no reconcile starts replicas meanwhile. --
        stack.terminate(beat)
        shutdown_at = time.monotonic()
        os.kill(worker.pid, signal.SIGTERM)
        try:
            worker.process.wait(timeout=STOP_S)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the worker did not finish its warm shutdown within {STOP_S:.0f} s of a SIGTERM to its "
                        f"main process; replicas {replicas()}; its last output:\n{worker.tail()}", pytrace=False)
        timings["warm shutdown (SIGTERM to the main process)"] = time.monotonic() - shutdown_at
        wait_for(f"every process of the worker's group {worker.pid} to be gone",
                 lambda: (not group_alive(worker.pid), worker.pid), 10, interval=0.1)
        ended = dict(Replica.objects.filter(pk__in=live).values_list("pk", "state"))
        assert set(ended.values()) == {"stopped"}, f"replicas should stop, not die, in a warm shutdown: {ended}"
        beats = studio_redis.mget([f"{settings.RIFFLE_KEY_PREFIX}:replica:{pk}:hb" for pk in live])
        assert beats == [None] * len(live), "stopped replicas should have cleared their heartbeats"
    finally:
        reader.close()
        _stop_deployment(api, deployment_id)

    timings["total (test body)"] = time.monotonic() - began
    print("\ntimings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items())
          + f"; kill 2 left {uncommitted} records uncommitted; counts above the truth after it: {over or 'none'}"
          + f"; output records read {output_records}; keys {settings.RIFFLE_KEY_PREFIX}, app {application_id}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _stop_deployment(api: Client, deployment_id: int) -> None:
    """Stop through the API and give the replicas a moment to close (best effort: the
    fixture's SIGTERM ends whatever remains)."""
    api.post(f"/api/deployments/{deployment_id}/stop/", content_type="application/json")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not Replica.objects.filter(deployment_id=deployment_id, state__in=Replica.ACTIVE).exists():
            return
        time.sleep(0.5)


def _drop_app_state(bootstrap: str, client: redis.Redis, application_id: str) -> None:
    """The engine's keys (docs/internals.md, "Redis keys") and internal topics."""
    stale = [key for pattern in (f"riffle:ckpt:{application_id}:*", f"riffle:members:{application_id}")
             for key in client.scan_iter(match=pattern)]
    if stale:
        client.delete(*stale)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    internal = [t for t in admin.list_topics(timeout=10).topics if t.startswith(f"{application_id}-")]
    if internal:
        for future in admin.delete_topics(internal, operation_timeout=10).values():
            try:
                future.result(timeout=15)
            except Exception:  # noqa: BLE001 - best effort
                pass
