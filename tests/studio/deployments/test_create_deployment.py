from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from studio.connections.models import Connection
from studio.deployments.models import AuditEvent, Deployment
from studio.deployments.runner import streams_config
from studio.topologies.models import TopologyVersion


@pytest.fixture(autouse=True)
def _one_connection(offline_connection: Connection) -> None:
    """One connection exists: a deploy that names none runs on it."""


def deploy(client: Client, body: Any) -> Any:
    return client.post("/api/deployments/", data=json.dumps(body), content_type="application/json")


def test_it_deploys_a_version_to_run(
    api: Client, wordcount_v1: TopologyVersion, celery_queues: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = deploy(api, {"version": wordcount_v1.pk})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["application_id"] == "riffle-word-count-v1"
    assert body["topology"] == wordcount_v1.topology_id
    assert (body["version"], body["version_number"]) == (wordcount_v1.pk, 1)
    assert (body["desired_state"], body["observed_state"]) == ("running", "starting")
    assert (body["processing_guarantee"], body["replicas"], body["last_error"]) == ("at_least_once", 1, "")
    assert body["input_topics"] == wordcount_v1.input_topics()
    assert body["output_topics"] == wordcount_v1.output_topics()
    # Enqueued after commit: a reconcile on the default queue, which starts the replica.
    assert celery_queues.tasks("celery") == [("studio.deployments.tasks.reconcile", [])]
    event = AuditEvent.objects.get(verb="deployment.create")
    assert (event.actor.username, event.object_id) == ("alice", str(body["id"]))


def test_application_ids_stay_unique(api: Client, wordcount_v1: TopologyVersion) -> None:
    first = deploy(api, {"version": wordcount_v1.pk}).json()
    second = deploy(api, {"version": wordcount_v1.pk}).json()
    assert (first["application_id"], second["application_id"]) == (
        "riffle-word-count-v1", "riffle-word-count-v1-2"
    )


def test_it_takes_options(api: Client, wordcount_v1: TopologyVersion) -> None:
    response = deploy(api, {"version": wordcount_v1.pk, "application_id": "wc.test_1",
                            "processing_guarantee": "exactly_once_v2", "replicas": 3})
    assert response.status_code == 201
    body = response.json()
    assert (body["application_id"], body["processing_guarantee"], body["replicas"]) == (
        "wc.test_1", "exactly_once_v2", 3
    )


def test_bad_input_is_refused_field_by_field(
    api: Client, wordcount_v1: TopologyVersion, offline_connection: Connection
) -> None:
    Deployment.create_running(wordcount_v1, connection=offline_connection, actor=None, application_id="taken")
    response = deploy(api, {"version": 9999, "application_id": "taken",
                            "processing_guarantee": "sometimes", "replicas": 0})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "The request has 4 problems."
    by_path = {p["path"]: p["message"] for p in body["problems"]}
    assert by_path == {
        "version": "There is no topology version 9999.",
        "application_id": "application.id 'taken' is taken by another deployment.",
        "processing_guarantee": '"sometimes" is not a valid choice.',
        "replicas": "Ensure this value is greater than or equal to 1.",
    }


def test_an_application_id_must_be_a_topic_prefix(api: Client, wordcount_v1: TopologyVersion) -> None:
    response = deploy(api, {"version": wordcount_v1.pk, "application_id": "word count!"})
    assert response.status_code == 400
    assert response.json()["problems"][0]["path"] == "application_id"
    assert Deployment.objects.count() == 0


def test_a_version_the_engine_cannot_run_is_refused_with_its_problems(
    api: Client, wordcount_v1: TopologyVersion, wordcount_document: dict[str, Any]
) -> None:
    broken = dict(wordcount_document, nodes=[
        dict(n, type="stream.no_such_step") if n["id"] == "drop-empty" else n
        for n in wordcount_document["nodes"]
    ])
    version = wordcount_v1.topology.add_version(broken, allow_errors=True)
    response = deploy(api, {"version": version.pk})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Version 2 of 'word count' cannot run: its document has errors."
    assert any(p["node_id"] == "drop-empty" and p["severity"] == "error" for p in body["problems"])
    assert Deployment.objects.count() == 0


def test_anonymous_is_refused(anonymous: Client, wordcount_v1: TopologyVersion) -> None:
    assert deploy(anonymous, {"version": wordcount_v1.pk}).status_code == 401
    assert Deployment.objects.count() == 0


def test_bad_records_stop_the_replica_unless_the_deploy_says_otherwise(
    api: Client, wordcount_v1: TopologyVersion, settings: Any
) -> None:
    # an operator's default for every deployment does not decide: the deployment's choice does
    settings.RIFFLE_STREAMS_CONFIG = {"deserialization.exception.handler": "log-and-continue"}
    plain = deploy(api, {"version": wordcount_v1.pk}).json()
    assert (plain["on_error"], plain["dead_letter_topic"]) == ("fail", "")
    skip = deploy(api, {"version": wordcount_v1.pk, "on_error": "continue"}).json()
    dlq = deploy(api, {"version": wordcount_v1.pk, "application_id": "wc-dlq", "on_error": "dead_letter"}).json()
    assert (dlq["on_error"], dlq["dead_letter_topic"]) == ("dead_letter", "wc-dlq-dlq")
    named = deploy(api, {"version": wordcount_v1.pk, "on_error": "dead_letter", "dead_letter_topic": "bad.words"}).json()
    assert named["dead_letter_topic"] == "bad.words"

    def handlers(body: dict[str, Any]) -> tuple[Any, ...]:
        config = streams_config(Deployment.objects.get(pk=body["id"]))
        return (config.get("deserialization.exception.handler"), config.get("processing.exception.handler"),
                config.get("errors.dead.letter.queue.topic.name"))

    # Kafka Streams' own names for the built-in handlers, and KIP-1034's dead-letter key
    assert handlers(plain) == ("log-and-fail", "log-and-fail", None)
    assert handlers(skip) == ("log-and-continue", "log-and-continue", None)
    assert handlers(dlq) == ("log-and-continue", "log-and-continue", "wc-dlq-dlq")
    assert handlers(named)[2] == "bad.words"
    event = AuditEvent.objects.filter(verb="deployment.create", object_id=str(dlq["id"])).get()
    assert (event.data["on_error"], event.data["dead_letter_topic"]) == ("dead_letter", "wc-dlq-dlq")


def test_a_dead_letter_topic_needs_the_dead_letter_choice_and_a_topic_name(
    api: Client, wordcount_v1: TopologyVersion
) -> None:
    response = deploy(api, {"version": wordcount_v1.pk, "dead_letter_topic": "bad"})
    assert response.status_code == 400
    assert "on_error 'dead_letter'" in json.dumps(response.json())
    response = deploy(api, {"version": wordcount_v1.pk, "on_error": "dead_letter", "dead_letter_topic": "no spaces"})
    assert response.status_code == 400
    assert [p["path"] for p in response.json()["problems"]] == ["dead_letter_topic"]
    assert deploy(api, {"version": wordcount_v1.pk, "on_error": "skip"}).status_code == 400
    # its own input: each failing record would be read back and fail again
    response = deploy(api, {"version": wordcount_v1.pk, "on_error": "dead_letter",
                            "dead_letter_topic": wordcount_v1.input_topics()[0]})
    assert response.status_code == 400
    assert "input topic" in response.json()["problems"][0]["message"]
    assert not Deployment.objects.exists()
