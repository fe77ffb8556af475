"""A prefork worker's warm shutdown reaches the replicas running in its pool children
(tests/studio/integration/test_celery_worker.py shows it with a real worker)."""

from __future__ import annotations

import os
import signal
from dataclasses import dataclass

import pytest
from celery.worker import state

from studio.deployments import tasks


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    calls: list[tuple[int, int]] = []

    def kill(pid: int, signum: int) -> None:
        calls.append((pid, signum))
        if pid == 404:
            raise ProcessLookupError(pid)

    monkeypatch.setattr(tasks.os, "kill", kill)
    return calls


@dataclass(frozen=True)
class Running:
    """What the worker's state holds of a task that runs (celery.worker.request.Request)."""

    name: str
    worker_pid: int | None

    @property
    def id(self) -> str:
        return f"{self.name}-{self.worker_pid}"


def running(name: str, pid: int | None) -> Running:
    return Running(name, pid)


def test_it_sends_sigterm_to_the_children_that_run_replicas_only(
    monkeypatch: pytest.MonkeyPatch, sent: list[tuple[int, int]],
) -> None:
    monkeypatch.setattr(state, "active_requests", {
        running(tasks.run_replica.name, 101),
        running(tasks.run_replica.name, 102),
        running(tasks.run_replica.name, 404),      # gone meanwhile: ignored
        running(tasks.reconcile.name, 103),        # a short task: left to finish
        running(tasks.run_replica.name, None),     # not started in a child yet
        running(tasks.run_replica.name, os.getpid()),  # solo/threads: SHUTDOWN does it
    })
    tasks.stop_replicas_in_pool_children()
    assert sorted(sent) == [(101, signal.SIGTERM), (102, signal.SIGTERM), (404, signal.SIGTERM)]


def test_with_nothing_running_it_sends_nothing(monkeypatch: pytest.MonkeyPatch, sent: list[tuple[int, int]]) -> None:
    monkeypatch.setattr(state, "active_requests", set())
    tasks.stop_replicas_in_pool_children()
    assert sent == []
