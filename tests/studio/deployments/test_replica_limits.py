"""A replica's process limits: which config the runner gives the engine, where the
limits apply (a prefork child only), and what the runner records when the engine's
watchdog is about to end the process."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from studio.deployments import tasks
from studio.deployments.models import Deployment, Replica
from studio.deployments.runner import ReplicaRunner, streams_config
from studio.monitoring import keys
from studio.topologies.models import Topology
from studio.workspaces.models import Workspace

pytestmark = [pytest.mark.django_db(transaction=True)]


def test_the_watchdog_ends_the_process_only_where_the_replica_has_one(deployment: Deployment, settings: Any) -> None:
    settings.RIFFLE_BATCH_CPU_LIMIT_MS = 45_000
    settings.RIFFLE_STREAMS_CONFIG = {}
    own = streams_config(deployment, own_process=True)
    shared = streams_config(deployment)
    assert (own["riffle.batch.cpu.limit.ms"], own["riffle.batch.cpu.limit.action"]) == (45_000, "exit")
    assert (shared["riffle.batch.cpu.limit.ms"], shared["riffle.batch.cpu.limit.action"]) == (45_000, "log")
    settings.RIFFLE_STREAMS_CONFIG = {"riffle.batch.cpu.limit.action": "log"}   # the operator's word wins
    assert streams_config(deployment, own_process=True)["riffle.batch.cpu.limit.action"] == "log"


def test_only_a_pool_child_counts_as_the_replica_s_own_process(monkeypatch: pytest.MonkeyPatch) -> None:
    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

    assert tasks.own_process() is False   # pytest's process, like a solo or threads pool worker
    monkeypatch.setattr(tasks, "current_process", lambda: Named("ForkPoolWorker-3"))
    assert tasks.own_process() is True


@pytest.mark.redis
def test_a_memory_limit_the_process_already_exceeds_fails_the_start_with_the_reason(
    team: Workspace, studio_redis: redis.Redis, settings: Any, alice: Any, wordcount_document: dict[str, Any],
    unique_name: Callable[[str], str], offline_connection: Any,
) -> None:
    # 1 MiB is below what any Python process uses: refused before anything is limited,
    # so this (pytest's) process stays as it was.
    settings.RIFFLE_REPLICA_MEMORY_LIMIT_MB = 1
    version = Topology.objects.create(workspace=team, name=unique_name("wc")).add_version(wordcount_document)
    deployment = Deployment.create_running(version, connection=offline_connection, actor=alice, application_id=unique_name("wc"))
    replica = Replica.objects.create(deployment=deployment, index=0)
    assert ReplicaRunner(replica.pk, own_process=True).run() == "failed"
    deployment.refresh_from_db()
    assert deployment.observed_state == "failed"
    assert "memory limit 1 MiB is below what this process already uses" in deployment.last_error


@pytest.mark.redis
def test_a_tripped_watchdog_is_recorded_before_the_process_ends(
    team: Workspace, studio_redis: redis.Redis, alice: Any, wordcount_document: dict[str, Any], unique_name: Callable[[str], str],
    offline_connection: Any,
) -> None:
    version = Topology.objects.create(workspace=team, name=unique_name("wc")).add_version(wordcount_document)
    deployment = Deployment.create_running(version, connection=offline_connection, actor=alice, application_id=unique_name("wc"))
    replica = Replica.objects.create(deployment=deployment, index=0, state="running")
    studio_redis.set(keys.heartbeat(replica.pk), "{}")
    published: list[dict[str, Any]] = []
    message = "wc: stream thread wc-StreamThread-1 used 60012 ms of CPU on one batch, at task 0_0, lines-0 offset 7"
    snapshot = {"state": "ERROR", "errors": [{"type": "BatchCpuLimitExceeded", "message": message, "offset": 7}]}

    runner = ReplicaRunner(replica.pk, own_process=True)
    runner._on_metrics(published.append, replica, {"state": "RUNNING", "errors": []})
    deployment.refresh_from_db()
    assert deployment.observed_state != "failed"
    runner._on_metrics(published.append, replica, snapshot)
    deployment.refresh_from_db()
    replica.refresh_from_db()
    assert (deployment.observed_state, replica.state) == ("failed", "failed")
    assert deployment.last_error == message
    assert studio_redis.get(keys.heartbeat(replica.pk)) is None
    assert published[-1] is snapshot   # the dashboard gets the snapshot with the error too


@pytest.mark.redis
def test_in_a_shared_process_the_runner_leaves_an_error_to_its_loop(
    team: Workspace, studio_redis: redis.Redis, alice: Any, wordcount_document: dict[str, Any], unique_name: Callable[[str], str],
    offline_connection: Any,
) -> None:
    version = Topology.objects.create(workspace=team, name=unique_name("wc")).add_version(wordcount_document)
    deployment = Deployment.create_running(version, connection=offline_connection, actor=alice, application_id=unique_name("wc"))
    replica = Replica.objects.create(deployment=deployment, index=0, state="running")
    snapshot = {"state": "ERROR", "errors": [{"type": "BatchCpuLimitExceeded", "message": "stuck"}]}
    ReplicaRunner(replica.pk)._on_metrics(lambda s: None, replica, snapshot)
    deployment.refresh_from_db()
    assert deployment.observed_state != "failed"
