from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.utils import timezone

from studio.deployments import heartbeats, reconciler
from studio.deployments.models import Deployment, Replica
from studio.monitoring import keys

pytestmark = pytest.mark.redis


@pytest.fixture(autouse=True)
def watched(studio_redis: redis.Redis) -> None:
    """The reconciler has watched the heartbeats for a minute: a missing one is trusted."""
    studio_redis.set(keys.reconcile_watch(), time.time() - 60)


@pytest.fixture
def reconcile(celery_queues: Any, django_capture_on_commit_callbacks: Any) -> Any:
    def run() -> None:
        with django_capture_on_commit_callbacks(execute=True):
            reconciler.reconcile_all()

    return run


def beat(replica: Replica, state: str = "RUNNING", ready: bool = True) -> None:
    heartbeats.beat(replica.pk, task_id=replica.celery_task_id, state=state, ready=ready, tasks=["0_0"])


def test_it_starts_a_replica_for_each_empty_slot(
    deployment: Deployment, reconcile: Any, celery_queues: Any
) -> None:
    Deployment.objects.filter(pk=deployment.pk).update(replicas=2)
    reconcile()
    replicas = list(deployment.replica_set.order_by("index"))
    assert [(r.index, r.state) for r in replicas] == [(0, "pending"), (1, "pending")]
    assert celery_queues.tasks("replicas") == [
        ("studio.deployments.tasks.run_replica", [replicas[0].pk]),
        ("studio.deployments.tasks.run_replica", [replicas[1].pk]),
    ]
    # A second pass within the start grace leaves the pending replicas alone.
    reconcile()
    assert deployment.replica_set.count() == 2
    assert len(celery_queues.tasks("replicas")) == 2


def test_it_replaces_a_replica_whose_heartbeat_expired(
    deployment: Deployment, reconcile: Any, celery_queues: Any
) -> None:
    gone = Replica.objects.create(deployment=deployment, index=0, state="running", celery_task_id="x")
    reconcile()
    gone.refresh_from_db()
    assert gone.state == "dead" and gone.ended_at is not None
    fresh = deployment.replica_set.get(state="pending")
    assert fresh.index == 0
    assert celery_queues.tasks("replicas") == [("studio.deployments.tasks.run_replica", [fresh.pk])]


def test_a_pending_replica_that_never_started_is_replaced_after_the_grace(
    deployment: Deployment, reconcile: Any
) -> None:
    stuck = Replica.objects.create(deployment=deployment, index=0, state="pending")
    Replica.objects.filter(pk=stuck.pk).update(
        created_at=timezone.now() - reconciler.START_GRACE - timedelta(seconds=1)
    )
    reconcile()
    stuck.refresh_from_db()
    assert stuck.state == "dead"
    assert deployment.replica_set.filter(state="pending").count() == 1


def test_ready_heartbeats_make_the_deployment_running(
    deployment: Deployment, reconcile: Any, celery_queues: Any, studio_redis: redis.Redis
) -> None:
    replica = Replica.objects.create(deployment=deployment, index=0, state="running", celery_task_id="t-1")
    beat(replica, state="REBALANCING", ready=False)
    reconcile()
    deployment.refresh_from_db()
    assert deployment.observed_state == "starting"
    beat(replica, state="RUNNING", ready=True)
    reconcile()
    deployment.refresh_from_db()
    assert deployment.observed_state == "running"
    replica.refresh_from_db()
    assert replica.last_heartbeat is not None and replica.pid is not None
    assert celery_queues.tasks("replicas") == []  # the slot is taken by a live replica


def test_a_stopping_deployment_becomes_stopped_when_no_replica_is_left(
    deployment: Deployment, reconcile: Any
) -> None:
    replica = Replica.objects.create(deployment=deployment, index=0, state="running")
    beat(replica)
    deployment.stop(actor=None)
    reconcile()
    deployment.refresh_from_db()
    assert deployment.observed_state == "stopping"
    heartbeats.clear(replica.pk)
    replica.end("stopped")
    reconcile()
    deployment.refresh_from_db()
    assert deployment.observed_state == "stopped"


def test_a_failed_deployment_is_not_restarted(
    deployment: Deployment, reconcile: Any, celery_queues: Any
) -> None:
    deployment.transition(to="failed", error="boom")
    reconcile()
    assert not deployment.replica_set.exists()
    assert celery_queues.tasks("replicas") == []
    deployment.refresh_from_db()
    assert (deployment.observed_state, deployment.last_error) == ("failed", "boom")


def test_only_one_reconciler_runs_at_a_time(
    deployment: Deployment, celery_queues: Any, studio_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    from studio.monitoring.connections import sync_redis

    monkeypatch.setattr(reconciler, "LOCK_WAIT_S", 0.2)
    held = sync_redis().lock(keys.reconcile_lock(), timeout=30)
    assert held.acquire(blocking=False)
    try:
        assert reconciler.reconcile_all() == 0
    finally:
        held.release()
    assert not deployment.replica_set.exists()


def test_after_a_gap_in_the_watch_missing_heartbeats_wait_a_ttl_before_burial(
    deployment: Deployment, reconcile: Any, celery_queues: Any, studio_redis: redis.Redis
) -> None:
    # Redis was unreachable (or restarted empty): the watch lapsed with the heartbeats.
    studio_redis.delete(keys.reconcile_watch())
    replica = Replica.objects.create(deployment=deployment, index=0, state="running", celery_task_id="t-1")
    reconcile()
    replica.refresh_from_db()
    assert replica.state == "running", "buried before its heartbeat could come back"
    assert celery_queues.tasks("replicas") == []  # its slot stays taken
    deployment.refresh_from_db()
    assert deployment.observed_state != "running"  # not ready: no heartbeat says so
    since = float(studio_redis.get(keys.reconcile_watch()))
    assert time.time() - 5 < since <= time.time()
    assert 0 < studio_redis.ttl(keys.reconcile_watch()) <= reconciler.WATCH_TTL_S

    # It beats again: nothing to bury, it runs on.
    beat(replica)
    reconcile()
    replica.refresh_from_db()
    assert replica.state == "running"

    # A heartbeat TTL into the watch, a replica still silent is dead.
    heartbeats.clear(replica.pk)
    studio_redis.set(keys.reconcile_watch(), time.time() - keys.HEARTBEAT_TTL_S - 1)
    reconcile()
    replica.refresh_from_db()
    assert replica.state == "dead"
    assert [t for t, _ in celery_queues.tasks("replicas")] == ["studio.deployments.tasks.run_replica"]


def test_each_run_keeps_the_watch_and_a_lapse_starts_a_new_one(
    deployment: Deployment, reconcile: Any, studio_redis: redis.Redis
) -> None:
    old = time.time() - 60
    studio_redis.set(keys.reconcile_watch(), old, ex=3)
    reconcile()
    assert float(studio_redis.get(keys.reconcile_watch())) == old
    assert studio_redis.ttl(keys.reconcile_watch()) > 3  # refreshed to WATCH_TTL_S
    studio_redis.delete(keys.reconcile_watch())
    reconcile()
    assert float(studio_redis.get(keys.reconcile_watch())) > old + 50


def test_an_outage_that_expires_a_heartbeat_also_lapses_the_watch(settings: Any) -> None:
    # A live replica beats every second: its heartbeat expires only after an outage of
    # HEARTBEAT_TTL_S - 1 s, which must also exceed WATCH_TTL_S; beat's runs, on time,
    # must keep the watch.
    period = settings.CELERY_BEAT_SCHEDULE["reconcile"]["schedule"]
    assert 2 * period < reconciler.WATCH_TTL_S < keys.HEARTBEAT_TTL_S - 1


# -- the lock between runs ---------------------------------------------------------------


def test_a_lock_left_by_a_killed_reconciler_holds_up_one_waiting_run_at_most(
    deployment: Deployment, studio_redis: redis.Redis
) -> None:
    # A run killed mid-way (its worker SIGKILLed) never releases its lock.
    dead = studio_redis.lock(keys.reconcile_lock(), timeout=reconciler.LOCK_TIMEOUT_S)
    assert dead.acquire(blocking=False)
    # The next run waits for it to expire and then reconciles, instead of skipping
    # (with a lock outliving the wait, replacing a killed worker's replicas took a minute).
    assert reconciler.reconcile_all(enqueue=lambda replica: None) == 1


def test_a_run_keeps_its_lock_through_slow_deployments(
    deployment: Deployment, wordcount_v1: Any, alice: Any, offline_connection: Any, studio_redis: redis.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(2):
        Deployment.create_running(wordcount_v1, connection=offline_connection, actor=alice, application_id=f"slow-{n}")
    monkeypatch.setattr(reconciler, "LOCK_TIMEOUT_S", 1)
    original = reconciler.reconcile_deployment
    held: list[bool] = []

    def slow(deployment_id: int, **kwargs: Any) -> None:
        time.sleep(0.7)     # three of these outlast the lock's 1 s unless the run renews it
        held.append(bool(studio_redis.exists(keys.reconcile_lock())))
        original(deployment_id, **kwargs)

    monkeypatch.setattr(reconciler, "reconcile_deployment", slow)
    assert reconciler.reconcile_all(enqueue=lambda replica: None) == 3
    assert held == [True, True, True]
    assert not studio_redis.exists(keys.reconcile_lock())   # released at the end


def test_a_run_that_waits_for_the_lock_in_vain_still_keeps_the_heartbeat_watch(
    studio_redis: redis.Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reconciler, "LOCK_WAIT_S", 0.1)
    holder = studio_redis.lock(keys.reconcile_lock(), timeout=30)
    assert holder.acquire(blocking=False)
    try:
        studio_redis.expire(keys.reconcile_watch(), 1)   # about to lapse
        assert reconciler.reconcile_all() == 0
        # Redis was up and seen: the watch goes on, so a missing heartbeat stays trusted.
        assert studio_redis.ttl(keys.reconcile_watch()) > 1
        assert reconciler._heartbeats_trusted()
    finally:
        holder.release()
