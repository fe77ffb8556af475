"""The pieces of the back-end integration tests: the output reader, and the Celery
worker and beat processes a test starts (each in a process group of its own, so that a
test can kill a worker with its pool).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import pytest
import redis
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from confluent_kafka import Consumer
from confluent_kafka.admin import AdminClient
from django.contrib.auth.models import User
from django.test import Client

from runtime import Serdes
from studio.deployments.models import Deployment, Replica
from studio.lib.devservices import group_alive, spawn
from studio.monitoring import keys
from studio.monitoring.routing import websocket_urlpatterns
# Lines of words, their truth and bounded waits live in Django-free modules, which the
# benchmarks import too; the suites take them from here with the rest.
from tests.studio.lines import make_lines, produce, truth  # noqa: F401
from tests.studio.waiting import wait_for

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
# Bounds of the waits, on a shared 2-core machine.
WORKER_READY_S = 60.0
STOP_S = 40.0


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

    def equals(self, expected: dict[str, int]) -> Callable[[], tuple[bool, Any]]:
        """A `wait_for` probe: whether every word's latest count equals `expected`."""
        def probe() -> tuple[bool, Any]:
            self.poll(0.5)
            wrong = {w: (self.latest.get(w), n) for w, n in expected.items() if self.latest.get(w) != n}
            return not wrong, {"wrong (seen, truth)": wrong, "records read": self.records}
        return probe

    def close(self) -> None:
        self.consumer.close()


# -- waiting ---------------------------------------------------------------------------



# -- a deployment's rows and heartbeats ------------------------------------------------


def deployment_running(deployment_id: int) -> Callable[[], tuple[bool, Any]]:
    """A `wait_for` probe: whether the deployment's row says it runs (read directly, so
    that it works while the API is the thing under test)."""
    def probe() -> tuple[bool, Any]:
        deployment = Deployment.objects.get(pk=deployment_id)
        rows = list(Replica.objects.filter(deployment_id=deployment_id).values_list("pk", "state"))
        return deployment.observed_state == "running", (deployment.observed_state, deployment.last_error, rows)
    return probe


def read_heartbeat(client: redis.Redis, replica_id: int) -> dict[str, Any] | None:
    raw = client.get(keys.heartbeat(replica_id))
    return json.loads(raw) if raw else None


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

    def start_worker(self, name: str, concurrency: int) -> CeleryProcess:
        """A worker with `concurrency` pool processes: one per replica it should run,
        and one for the reconcile task beside them."""
        return self._start(name, [
            sys.executable, "-m", "celery", "-A", "studio", "worker",
            "-Q", "replicas,celery", "-P", "prefork", "--concurrency", str(concurrency),
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



def stop_deployment(api: Client, deployment_id: int) -> None:
    """Stop through the API and give the replicas a moment to close (best effort: the
    fixture's SIGTERM ends whatever remains)."""
    api.post(f"/api/deployments/{deployment_id}/stop/", content_type="application/json")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if not Replica.objects.filter(deployment_id=deployment_id, state__in=Replica.ACTIVE).exists():
            return
        time.sleep(0.5)


def drop_app_state(bootstrap: str, client: redis.Redis, application_id: str) -> None:
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


def deploy(api: Client, workspace_id: int, document: dict[str, Any], *, name: str, bootstrap: str,
           application_id: str, replicas: int = 1, processing_guarantee: str = "at_least_once") -> int:
    """Create a connection to `bootstrap`, a topology of `document` and a deployment of
    it through the API; returns the deployment's id."""
    def created(path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = api.post(path, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 201, (path, response.json())
        return response.json()

    connection = created("/api/connections/", {"workspace": workspace_id, "name": f"{name}-broker",
                                               "bootstrap_servers": bootstrap})
    topology = created("/api/topologies/", {"workspace": workspace_id, "name": name, "document": document})
    deployment = created("/api/deployments/", {"version": topology["latest_version"]["id"],
                                               "connection": connection["id"], "application_id": application_id,
                                               "replicas": replicas, "processing_guarantee": processing_guarantee})
    return int(deployment["id"])
