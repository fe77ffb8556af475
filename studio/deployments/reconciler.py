"""Make the running replicas match what each deployment asks for.

Facts come from two places: Replica rows (what was started) and Redis heartbeats (what
is alive). The reconciler marks replicas whose heartbeat expired as dead, starts a
replica for every empty slot of a deployment that should run, and derives the observed
state. Replicas stop themselves when they see they are no longer wanted.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Callable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from redis.exceptions import LockError

from studio.deployments import heartbeats
from studio.deployments.heartbeats import HeartbeatDict
from studio.deployments.models import Deployment, ObservedState, Replica
from studio.monitoring import keys
from studio.monitoring.connections import sync_redis

logger = logging.getLogger(__name__)

# A replica task waits in the queue until a worker has a free slot; give it this long
# to send its first heartbeat before the slot is handed to a new replica.
START_GRACE = timedelta(seconds=30)
# The lock's lifetime, renewed after each deployment. Short, because a reconciler killed
# while holding it (its worker SIGKILLed, say) stops every other run until it expires:
# at 60 s, replacing the replicas of a killed worker took over a minute. Under
# LOCK_WAIT_S, so that a run waiting on a dead holder's lock gets it.
LOCK_TIMEOUT_S = 8
# Beat and the endpoints both trigger runs; a second run waits this long for the first.
LOCK_WAIT_S = 10.0

# A missing heartbeat proves a replica dead only if Redis was up, and watched, for a whole
# heartbeat TTL before: after Redis was unreachable (no replica could beat) or restarted
# empty, every heartbeat is missing at once, and burying them would restart every
# replica of every deployment. The watch is a key that each run refreshes; a gap longer
# than WATCH_TTL_S lets it lapse, and the next run starts a new one, burying nothing
# until it is a heartbeat TTL old. WATCH_TTL_S is under the heartbeats' TTL less their
# 1 s period, so that any outage long enough to expire a heartbeat also lapses the
# watch; and over two of beat's 5 s rounds, so that runs on time keep it.
WATCH_TTL_S = 12

Enqueue = Callable[[Replica], None]


@dataclass(frozen=True)
class LiveReplica:
    replica: Replica
    beat: HeartbeatDict | None      # None: started, no heartbeat yet (within START_GRACE)

    @property
    def ready(self) -> bool:
        return self.beat is not None and self.beat["ready"] and self.beat["state"] in (
            "RUNNING", "REBALANCING"
        )


def reconcile_all(enqueue: Enqueue | None = None) -> int:
    """Reconcile every deployment that is, or should be, doing something.

    One reconciler at a time (a Redis lock): beat and the start/stop endpoints both
    trigger it, and two at once could start the same slot twice. Returns the number of
    deployments looked at (0 when another reconciler held the lock throughout).
    """
    # A run that only waits for the lock still saw Redis up: it keeps the watch, so that
    # a holder that died does not also cost a new watch's heartbeat TTL.
    _watch_heartbeats()
    lock = sync_redis().lock(keys.reconcile_lock(), timeout=LOCK_TIMEOUT_S, blocking_timeout=LOCK_WAIT_S)
    if not lock.acquire():
        logger.info("another reconciler is running; skipping")
        return 0
    try:
        trusted = _watch_heartbeats()
        pending = Deployment.objects.filter(
            Q(desired_state="running") | ~Q(observed_state="stopped")
            | Q(replica_set__state__in=Replica.ACTIVE)
        ).distinct().values_list("pk", flat=True)
        ids = list(pending)
        for deployment_id in ids:
            try:
                reconcile_deployment(deployment_id, enqueue=enqueue, bury=trusted)
            except Exception:
                # One broken deployment must not stop the others from being reconciled.
                logger.exception("reconciling deployment %s failed", deployment_id)
            try:
                lock.reacquire()
            except LockError:
                # Expired during a slow deployment: another run may hold it by now,
                # and two runs at once could start the same slot twice.
                logger.warning("the reconcile lock expired after deployment %s; leaving the rest to the next run",
                               deployment_id)
                return len(ids)
        return len(ids)
    finally:
        try:
            lock.release()
        except Exception:  # expired meanwhile: nothing left to release
            logger.warning("reconcile lock expired before release")


def reconcile_deployment(deployment_id: int, *, enqueue: Enqueue | None = None,
                         bury: bool | None = None) -> None:
    """`bury`: whether replicas without a heartbeat may be buried (default: when the
    heartbeats have been watched for a TTL, see WATCH_TTL_S)."""
    enqueue = enqueue or enqueue_replica
    bury = _heartbeats_trusted() if bury is None else bury
    with transaction.atomic():
        deployment = (
            Deployment.objects.select_for_update().select_related("version")
            .filter(pk=deployment_id).first()
        )
        if deployment is None:
            return
        live = _live_replicas(deployment, bury=bury)
        if deployment.wants_replicas():
            # A slot whose replica is still stopping (retired by a restart) stays taken
            # until it has closed, so that old and new never run in one slot together.
            occupied = {r.replica.index for r in live}
            for index in range(deployment.replicas):
                if index not in occupied:
                    replica = _new_replica(deployment, index)
                    if replica is not None:
                        enqueue(replica)
                        live.append(LiveReplica(replica, None))
        _update_observed(deployment, live)


def refresh_observed(deployment_id: int) -> None:
    """Re-derive the observed state only (used by a replica as it exits)."""
    with transaction.atomic():
        deployment = Deployment.objects.select_for_update().filter(pk=deployment_id).first()
        if deployment is not None:
            _update_observed(deployment, _live_replicas(deployment, bury=_heartbeats_trusted()))


def enqueue_replica(replica: Replica) -> None:
    # Imported here: tasks import this module.
    from studio.deployments.tasks import run_replica

    run_replica.apply_async_on_commit(
        args=[replica.pk], task_id=replica.celery_task_id, queue="replicas"
    )


def _watch_heartbeats() -> bool:
    """Refresh the watch (starting one after a gap); whether it is a heartbeat TTL old."""
    client = sync_redis()
    key = keys.reconcile_watch()
    client.set(key, time.time(), ex=WATCH_TTL_S, nx=True)
    since = client.getex(key, ex=WATCH_TTL_S)
    return since is not None and time.time() - float(since) >= keys.HEARTBEAT_TTL_S


def _heartbeats_trusted() -> bool:
    """Whether a missing heartbeat means a dead replica (the watch is a TTL old); read only."""
    since = sync_redis().get(keys.reconcile_watch())
    return since is not None and time.time() - float(since) >= keys.HEARTBEAT_TTL_S


def _live_replicas(deployment: Deployment, *, bury: bool) -> list[LiveReplica]:
    """The deployment's active replicas, after burying those whose heartbeat expired
    (when `bury`; else they are kept, as not ready, until the heartbeats can be trusted)."""
    active = list(deployment.replica_set.filter(state__in=Replica.ACTIVE))
    beats = heartbeats.read(r.pk for r in active)
    now = timezone.now()
    live: list[LiveReplica] = []
    for replica in active:
        beat = beats.get(replica.pk)
        if beat is not None:
            seen = datetime.fromtimestamp(beat["ts"] / 1000, tz=dt_timezone.utc)
            Replica.objects.filter(pk=replica.pk).update(
                last_heartbeat=seen, host=beat["host"], pid=beat["pid"]
            )
            live.append(LiveReplica(replica, beat))
        elif replica.state == "pending" and now - replica.created_at < START_GRACE:
            live.append(LiveReplica(replica, None))
        elif not bury:
            logger.info("deployment %s: replica %s (slot %s) has no heartbeat, but Redis has not been "
                        "watched for a heartbeat TTL yet; not replacing it before then",
                        deployment.application_id, replica.pk, replica.index)
            live.append(LiveReplica(replica, None))
        elif replica.end("dead"):
            logger.warning(
                "deployment %s: replica %s (slot %s) lost its heartbeat; replacing it",
                deployment.application_id, replica.pk, replica.index,
            )
    return live


def _new_replica(deployment: Deployment, index: int) -> Replica | None:
    try:
        with transaction.atomic():
            replica = Replica.objects.create(
                deployment=deployment, index=index, state="pending",
                generation=deployment.generation, celery_task_id=str(uuid.uuid4()),
            )
    except IntegrityError:  # the slot was filled meanwhile
        return None
    logger.info("deployment %s: starting replica %s in slot %s",
                deployment.application_id, replica.pk, index)
    return replica


def _update_observed(deployment: Deployment, live: list[LiveReplica]) -> None:
    target = _observed_from(deployment, live)
    if target is not None:
        deployment.transition(to=target)


def _observed_from(deployment: Deployment, live: list[LiveReplica]) -> ObservedState | None:
    if deployment.observed_state == "failed":
        # A failure parks the deployment until the user starts it again.
        if deployment.desired_state == "stopped" and not live:
            return "stopped"
        return None
    if deployment.desired_state == "stopped":
        return "stopping" if live else "stopped"
    # A replica of an older generation is on its way out after a restart: it does not
    # count towards "running" even while it still processes.
    ready_slots = {
        r.replica.index for r in live
        if r.ready and r.replica.index < deployment.replicas
        and r.replica.generation == deployment.generation
    }
    return "running" if len(ready_slots) >= deployment.replicas else "starting"
