from __future__ import annotations

from django.test import Client

from studio.deployments.models import Deployment


def test_it_returns_the_deployment(api: Client, deployment: Deployment) -> None:
    response = api.get(f"/api/deployments/{deployment.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {
        "id", "workspace", "topology", "version", "version_number", "connection", "connection_name",
        "application_id", "processing_guarantee",
        "replicas", "on_error", "dead_letter_topic", "generation", "desired_state", "observed_state", "input_topics", "output_topics",
        "created_at", "updated_at", "last_error", "output_topic_map", "live", "candidate_of", "discarded_at",
    }
    # Writes the document's own topics; not live until a side-by-side run or a promotion.
    assert body["output_topic_map"] == {"word-counts": "word-counts"}
    assert (body["on_error"], body["dead_letter_topic"]) == ("fail", "")   # Kafka Streams' default
    assert (body["live"], body["candidate_of"], body["discarded_at"]) == (False, None, None)
    assert body["id"] == deployment.pk and body["application_id"] == deployment.application_id


def test_an_unknown_deployment_is_404(api: Client) -> None:
    response = api.get("/api/deployments/4242/")
    assert response.status_code == 404
    assert response.json() == {"message": "There is no deployment 4242.", "problems": []}


def test_anonymous_is_refused(anonymous: Client, deployment: Deployment) -> None:
    assert anonymous.get(f"/api/deployments/{deployment.pk}/").status_code == 401
