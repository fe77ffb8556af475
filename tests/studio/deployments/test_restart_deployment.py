"""POST /api/deployments/{id}/restart/: every replica is replaced, gracefully.

A restart bumps the deployment's generation; replicas of an older generation are no
longer wanted (their runner closes the app and exits), and the reconciler fills each
slot with a new replica once the old one has gone.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from studio.deployments import heartbeats, reconciler
from studio.deployments.models import AuditEvent, Deployment, Replica
from tests.studio.conftest import post_json


def restart(api: Client, deployment: Deployment, body: Any = None) -> Any:
    return post_json(api, f"/api/deployments/{deployment.pk}/restart/", body)


def reconcile(capture: Any) -> None:
    with capture(execute=True):
        reconciler.reconcile_all()


@pytest.mark.redis
def test_a_restart_replaces_each_replica_once_it_has_stopped(
    api: Client, deployment: Deployment, celery_queues: Any, django_capture_on_commit_callbacks: Any
) -> None:
    old = Replica.objects.create(deployment=deployment, index=0, state="running")
    heartbeats.beat(old.pk, task_id="t", state="RUNNING", ready=True, tasks=[])
    reconcile(django_capture_on_commit_callbacks)
    deployment.refresh_from_db()
    assert deployment.observed_state == "running"

    with django_capture_on_commit_callbacks(execute=True):
        response = restart(api, deployment)
    assert response.status_code == 200
    assert response.json()["generation"] == 1
    assert celery_queues.tasks("celery") == [("studio.deployments.tasks.reconcile", [])]
    old.refresh_from_db()
    assert not old.is_wanted()  # its runner stops it at its next check

    # While the old replica is still closing, its slot stays taken.
    reconcile(django_capture_on_commit_callbacks)
    assert list(deployment.replica_set.values_list("pk", flat=True)) == [old.pk]
    assert celery_queues.tasks("replicas") == []
    deployment.refresh_from_db()
    assert deployment.observed_state == "starting"  # the ready replica is on its way out

    # The old replica has closed (what ReplicaRunner does on its way out).
    heartbeats.clear(old.pk)
    old.end("stopped")
    reconcile(django_capture_on_commit_callbacks)
    new = deployment.replica_set.get(state="pending")
    assert (new.index, new.generation) == (0, 1)
    assert new.is_wanted()
    assert celery_queues.tasks("replicas") == [("studio.deployments.tasks.run_replica", [new.pk])]

    event = AuditEvent.objects.get(verb="deployment.restart")
    assert (event.actor.username, event.object_type, event.object_id) == ("alice", "deployment", str(deployment.pk))
    assert event.data == {"before": {"generation": 0}, "after": {"generation": 1}}


def test_each_restart_is_a_new_generation(api: Client, deployment: Deployment) -> None:
    assert restart(api, deployment).json()["generation"] == 1
    assert restart(api, deployment).json()["generation"] == 2
    assert AuditEvent.objects.filter(verb="deployment.restart").count() == 2


def test_a_retried_restart_with_its_generation_restarts_once(api: Client, deployment: Deployment) -> None:
    first = restart(api, deployment, {"generation": 0})
    again = restart(api, deployment, {"generation": 0})
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["generation"] == 1
    assert AuditEvent.objects.filter(verb="deployment.restart").count() == 1


@pytest.mark.parametrize("how", ["stopped", "failed"])
def test_a_deployment_that_does_not_run_is_not_restarted(
    api: Client, deployment: Deployment, how: str
) -> None:
    if how == "stopped":
        deployment.stop(actor=None)
    else:
        deployment.transition(to="failed", error="boom")
    response = restart(api, deployment)
    assert response.status_code == 409
    assert response.json()["message"] == (
        f"Deployment {deployment.application_id} is {how}; start it instead of restarting it."
    )
    deployment.refresh_from_db()
    assert deployment.generation == 0
    assert not AuditEvent.objects.filter(verb="deployment.restart").exists()


@pytest.mark.parametrize(("body", "message"), [
    ({"generation": -1}, "generation: Ensure this value is greater than or equal to 0."),
    ({"generation": "0"}, "generation: A whole number is required."),
    ({"generation": None}, "generation: This field may not be null."),
])
def test_bad_bodies_are_refused_with_a_message(
    api: Client, deployment: Deployment, body: Any, message: str
) -> None:
    response = restart(api, deployment, body)
    assert response.status_code == 400
    assert response.json()["message"] == message
    deployment.refresh_from_db()
    assert deployment.generation == 0


def test_an_unknown_deployment_is_404(api: Client, db: None) -> None:
    response = restart(api, Deployment(pk=4242))
    assert response.status_code == 404
    assert response.json()["message"] == "There is no deployment 4242."


def test_anonymous_is_refused(anonymous: Client, deployment: Deployment) -> None:
    assert restart(anonymous, deployment).status_code == 401
    deployment.refresh_from_db()
    assert deployment.generation == 0


def test_a_running_replica_sees_the_restart_at_its_next_check(deployment: Deployment) -> None:
    from studio.deployments.runner import ReplicaRunner

    replica = Replica.objects.select_related("deployment").get(
        pk=Replica.objects.create(deployment=deployment, index=0, state="running").pk
    )
    runner = ReplicaRunner(replica.pk)
    assert runner._still_wanted(replica)
    Deployment.objects.get(pk=deployment.pk).restart(actor=None)  # another process's request
    assert not runner._still_wanted(replica)


def test_no_body_at_all_is_a_plain_restart(api: Client, deployment: Deployment) -> None:
    # An empty body (as the SPA client sends it, without a body) reads as {}.
    response = api.post(f"/api/deployments/{deployment.pk}/restart/", content_type="application/json")
    assert response.status_code == 200
    assert response.json()["generation"] == 1
