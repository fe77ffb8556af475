from __future__ import annotations

from typing import Any

from django.test import Client

from studio.deployments.models import AuditEvent, Deployment


def test_it_asks_the_deployment_to_stop_and_reconciles(
    api: Client, deployment: Deployment, celery_queues: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/deployments/{deployment.pk}/stop/")
    assert response.status_code == 200
    body = response.json()
    assert (body["desired_state"], body["observed_state"]) == ("stopped", "stopping")
    assert celery_queues.tasks("celery") == [("studio.deployments.tasks.reconcile", [])]
    event = AuditEvent.objects.get(verb="deployment.stop")
    assert event.data == {"before": {"desired_state": "running", "observed_state": "starting"}}


def test_stopping_twice_changes_nothing_more(api: Client, deployment: Deployment) -> None:
    api.post(f"/api/deployments/{deployment.pk}/stop/")
    response = api.post(f"/api/deployments/{deployment.pk}/stop/")
    assert response.status_code == 200
    assert response.json()["desired_state"] == "stopped"
    assert AuditEvent.objects.filter(verb="deployment.stop").count() == 1


def test_an_unknown_deployment_is_404(api: Client) -> None:
    assert api.post("/api/deployments/4242/stop/").status_code == 404


def test_get_is_not_allowed(api: Client, deployment: Deployment) -> None:
    assert api.get(f"/api/deployments/{deployment.pk}/stop/").status_code == 405


def test_anonymous_is_refused(anonymous: Client, deployment: Deployment) -> None:
    assert anonymous.post(f"/api/deployments/{deployment.pk}/stop/").status_code == 401
    deployment.refresh_from_db()
    assert deployment.desired_state == "running"
