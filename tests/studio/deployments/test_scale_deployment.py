"""POST /api/deployments/{id}/scale/: the desired replica count, which the reconciler obeys."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from studio.deployments import heartbeats, reconciler
from studio.deployments.models import MAX_REPLICAS, AuditEvent, Deployment, Replica
from tests.studio.conftest import post_json


def scale(api: Client, deployment: Deployment, body: Any) -> Any:
    return post_json(api, f"/api/deployments/{deployment.pk}/scale/", body)


def reconcile(capture: Any) -> None:
    with capture(execute=True):
        reconciler.reconcile_all()


@pytest.mark.redis
def test_scaling_out_has_the_reconciler_start_the_new_slots(
    api: Client, deployment: Deployment, celery_queues: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = scale(api, deployment, {"replicas": 3})
    assert response.status_code == 200
    assert response.json()["replicas"] == 3
    # The change is reconciled right away, once the transaction has committed.
    assert celery_queues.tasks("celery") == [("studio.deployments.tasks.reconcile", [])]
    reconcile(django_capture_on_commit_callbacks)
    started = list(deployment.replica_set.order_by("index"))
    assert [(r.index, r.state) for r in started] == [(0, "pending"), (1, "pending"), (2, "pending")]
    assert celery_queues.tasks("replicas") == [
        ("studio.deployments.tasks.run_replica", [r.pk]) for r in started
    ]
    event = AuditEvent.objects.get(verb="deployment.scale")
    assert (event.actor.username, event.object_type, event.object_id) == ("alice", "deployment", str(deployment.pk))
    assert event.data == {"before": {"replicas": 1}, "after": {"replicas": 3}}


@pytest.mark.redis
def test_scaling_in_retires_the_replicas_past_the_new_count(
    api: Client, deployment: Deployment, celery_queues: Any, django_capture_on_commit_callbacks: Any
) -> None:
    Deployment.objects.filter(pk=deployment.pk).update(replicas=3)
    running = [Replica.objects.create(deployment=deployment, index=i, state="running") for i in range(3)]
    for replica in running:
        heartbeats.beat(replica.pk, task_id="t", state="RUNNING", ready=True, tasks=[])
    assert scale(api, deployment, {"replicas": 1}).status_code == 200
    reconcile(django_capture_on_commit_callbacks)
    for replica in running:
        replica.refresh_from_db()
    # What each replica's runner asks every second: slots 1 and 2 must stop themselves.
    assert [r.is_wanted() for r in running] == [True, False, False]
    assert celery_queues.tasks("replicas") == []  # nothing new is started
    deployment.refresh_from_db()
    assert deployment.observed_state == "running"  # slot 0 is ready, and 1 is asked for
    assert AuditEvent.objects.get(verb="deployment.scale").data == {
        "before": {"replicas": 3}, "after": {"replicas": 1}
    }


def test_the_same_count_again_changes_nothing(api: Client, deployment: Deployment) -> None:
    assert scale(api, deployment, {"replicas": 2}).status_code == 200
    response = scale(api, deployment, {"replicas": 2})
    assert response.status_code == 200
    assert response.json()["replicas"] == 2
    assert AuditEvent.objects.filter(verb="deployment.scale").count() == 1


def test_a_stopped_deployment_keeps_the_count_for_its_next_start(api: Client, deployment: Deployment) -> None:
    deployment.stop(actor=None)
    response = scale(api, deployment, {"replicas": 4})
    assert response.status_code == 200
    assert (response.json()["replicas"], response.json()["desired_state"]) == (4, "stopped")


def test_the_maximum_is_accepted(api: Client, deployment: Deployment) -> None:
    assert scale(api, deployment, {"replicas": 32}).json()["replicas"] == 32


@pytest.mark.parametrize(("body", "message"), [
    ({"replicas": 0}, "replicas: Ensure this value is greater than or equal to 1."),
    ({"replicas": -2}, "replicas: Ensure this value is greater than or equal to 1."),
    ({"replicas": 33}, "replicas: Ensure this value is less than or equal to 32."),
    ({"replicas": "3"}, "replicas: A whole number is required."),
    ({"replicas": "many"}, "replicas: A whole number is required."),
    ({"replicas": 1.5}, "replicas: A whole number is required."),
    ({"replicas": True}, "replicas: A whole number is required."),
    ({"replicas": None}, "replicas: This field may not be null."),
    ({}, "replicas: This field is required."),
    ({"count": 2}, "replicas: This field is required."),
])
def test_bad_bodies_are_refused_with_a_message(
    api: Client, deployment: Deployment, body: Any, message: str
) -> None:
    response = scale(api, deployment, body)
    assert response.status_code == 400
    answer = response.json()
    assert answer["message"] == message
    assert [p["path"] for p in answer["problems"]] == ["replicas"]
    deployment.refresh_from_db()
    assert deployment.replicas == 1
    assert not AuditEvent.objects.filter(verb="deployment.scale").exists()


def test_the_maximum_is_the_models(deployment: Deployment) -> None:
    assert MAX_REPLICAS == 32  # the messages above name it


def test_a_body_that_is_not_an_object_is_refused(api: Client, deployment: Deployment) -> None:
    response = api.post(f"/api/deployments/{deployment.pk}/scale/", data=json.dumps([3]),
                        content_type="application/json")
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid data. Expected a dictionary, but got list."


def test_an_unknown_deployment_is_404(api: Client, db: None) -> None:
    response = post_json(api, "/api/deployments/4242/scale/", {"replicas": 2})
    assert response.status_code == 404
    assert response.json()["message"] == "There is no deployment 4242."


def test_get_is_not_allowed(api: Client, deployment: Deployment) -> None:
    assert api.get(f"/api/deployments/{deployment.pk}/scale/").status_code == 405


def test_anonymous_is_refused(anonymous: Client, deployment: Deployment) -> None:
    assert post_json(anonymous, f"/api/deployments/{deployment.pk}/scale/", {"replicas": 3}).status_code == 401
    deployment.refresh_from_db()
    assert deployment.replicas == 1


@pytest.mark.parametrize("replicas", [0, 33])
def test_the_model_refuses_counts_out_of_range_too(deployment: Deployment, replicas: int) -> None:
    with pytest.raises(ValueError, match="replicas must be between 1 and 32"):
        deployment.scale(replicas, actor=None)
    deployment.refresh_from_db()
    assert deployment.replicas == 1
