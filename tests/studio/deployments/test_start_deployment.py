from __future__ import annotations

from typing import Any

from django.test import Client

from studio.deployments.models import AuditEvent, Deployment


def test_it_starts_a_stopped_deployment_and_reconciles(
    api: Client, deployment: Deployment, celery_queues: Any, django_capture_on_commit_callbacks: Any
) -> None:
    deployment.stop(actor=None)
    deployment.transition(to="stopped")
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/deployments/{deployment.pk}/start/")
    assert response.status_code == 200
    body = response.json()
    assert (body["desired_state"], body["observed_state"]) == ("running", "starting")
    assert celery_queues.tasks("celery") == [("studio.deployments.tasks.reconcile", [])]
    assert AuditEvent.objects.filter(verb="deployment.start", actor__username="alice").count() == 1


def test_starting_a_failed_deployment_retries_it(api: Client, deployment: Deployment) -> None:
    deployment.transition(to="failed", error="node split: boom")
    response = api.post(f"/api/deployments/{deployment.pk}/start/")
    body = response.json()
    assert (body["desired_state"], body["observed_state"], body["last_error"]) == (
        "running", "starting", ""
    )


def test_starting_a_running_deployment_changes_nothing(api: Client, deployment: Deployment) -> None:
    response = api.post(f"/api/deployments/{deployment.pk}/start/")
    assert response.status_code == 200
    assert response.json()["desired_state"] == "running"
    assert not AuditEvent.objects.filter(verb="deployment.start").exists()


def test_an_unknown_deployment_is_404(api: Client) -> None:
    assert api.post("/api/deployments/4242/start/").status_code == 404


def test_anonymous_is_refused(anonymous: Client, deployment: Deployment) -> None:
    deployment.stop(actor=None)
    assert anonymous.post(f"/api/deployments/{deployment.pk}/start/").status_code == 401
    deployment.refresh_from_db()
    assert deployment.desired_state == "stopped"
