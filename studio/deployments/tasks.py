"""Celery tasks: the long-running replica and the periodic reconciler."""

from __future__ import annotations

import logging
import os
import signal
import threading
from typing import Any

from billiard.process import current_process
from celery import shared_task
from celery.signals import worker_shutting_down

from studio.deployments import reconciler, reprocessing
from studio.deployments.runner import ReplicaRunner

logger = logging.getLogger(__name__)

# Set when this worker begins a warm shutdown; every replica running in it then closes
# its StreamsApp (committing, leaving the group) and returns, so the shutdown completes.
SHUTDOWN = threading.Event()


@worker_shutting_down.connect
def _on_worker_shutting_down(**_: Any) -> None:
    SHUTDOWN.set()
    stop_replicas_in_pool_children()


def stop_replicas_in_pool_children() -> None:
    """In a prefork worker's main process: pass the shutdown on to the pool children
    that run replicas, as SIGTERM.

    A signal sent to the main process alone (`docker stop`, `kill PID`, systemd's
    KillMode=mixed) never reaches the children, and the warm shutdown waits for their
    tasks, which a replica only ends when told to: the worker would hang until killed,
    its replicas with it, uncommitted. Children that run anything else are left alone.
    """
    from celery.worker import state

    me = os.getpid()
    for request in list(state.active_requests):
        pid = getattr(request, "worker_pid", None)
        if request.name != run_replica.name or not pid or pid == me:
            continue
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        else:
            logger.info("worker shutting down: asked replica task %s (pid %s) to stop", request.id, pid)


@shared_task(queue="replicas", ignore_result=True)
def run_replica(replica_id: int) -> str:
    """Run one replica until its deployment no longer wants it (or the worker stops).

    With a thread pool (`-P threads`) the worker's shutdown signal reaches the replicas
    in-process. In a prefork child (the default pool, as docker-compose and runstack
    start it) the task runs on the main thread and takes SIGTERM itself, whether sent to
    the whole process group or only to the worker, whose main process passes it on
    (stop_replicas_in_pool_children); and the replica's process limits apply (see
    studio.deployments.runner); replicas sharing a process run without them.
    """
    task_id = run_replica.request.id or ""
    with _sigterm_sets(SHUTDOWN):
        return ReplicaRunner(replica_id, task_id=task_id, stop=SHUTDOWN, own_process=own_process()).run()


def own_process() -> bool:
    """Whether this replica has its process to itself: a prefork pool child runs one
    task at a time, so process limits (memory, exiting on a stuck batch) hit only this
    replica. The worker's main process (solo or threads pool) is shared."""
    return current_process().name != "MainProcess"


@shared_task(ignore_result=True)
def reconcile() -> int:
    """Compare desired replicas with live heartbeats; start, bury and report."""
    return reconciler.reconcile_all()


@shared_task(ignore_result=True)
def run_operation(operation_id: int) -> str:
    """Carry out a reset or a discard: stop the deployment, wait (bounded) for its
    replicas and group to go, act through runtime's reset tool, and start it again
    after a reset. The outcome is on the ReprocessOperation row."""
    return reprocessing.run_operation(operation_id)


class _sigterm_sets:
    """On the main thread only: SIGTERM sets `event`.

    In the worker's main process (solo pool) Celery's own handler runs next, so the warm
    shutdown proceeds; in a prefork child, setting the event is all: the replica closes,
    the task returns, and the parent ends the child as its shutdown goes on.
    """

    def __init__(self, event: threading.Event) -> None:
        self.event = event
        self.previous: Any = None
        self.installed = False

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        self.previous = signal.getsignal(signal.SIGTERM)
        chain = current_process().name == "MainProcess" and callable(self.previous)

        def handler(signum: int, frame: Any) -> None:
            self.event.set()
            if chain:
                self.previous(signum, frame)

        signal.signal(signal.SIGTERM, handler)
        self.installed = True

    def __exit__(self, *exc: object) -> None:
        if self.installed:
            signal.signal(signal.SIGTERM, self.previous)
