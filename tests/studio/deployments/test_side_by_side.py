"""Side by side: POST /api/deployments/{id}/side-by-side/, GET .../comparison/,
POST .../promote/ and .../discard/, GET /api/topologies/{id}/live/.

The comparison is checked against output topics this test fills with known records
(no application runs), with the expected counts worked out by hand below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.test import Client

from runtime import Serdes
from runtime.state.checkpoint import RedisCheckpointStore
from studio.connections.models import Connection
from studio.deployments import tasks
from studio.deployments.models import AuditEvent, Deployment, ReprocessOperation
from studio.topologies.models import Topology
from studio.workspaces.models import Workspace
from tests.studio.conftest import post_json
from tests.studio.deployments.reprocess_helpers import (
    REPARTITION,
    commit,
    committed,
    delete_topics,
    make_topic,
    produce,
    topics,
)
from tests.studio.helpers import with_topics

pytestmark = [pytest.mark.kafka, pytest.mark.redis]


class WordCount:
    def __init__(self, original: Deployment, lines: str, counts: str) -> None:
        self.original, self.lines, self.counts = original, lines, counts
        self.topology = original.topology
        # A second version: the same document (a re-run of the same logic).
        self.v2 = self.topology.add_version(original.version.document, message="v2")


@pytest.fixture
def wc(
    broker_connection: Connection,
    team: Workspace,
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
    settings: Any, alice: Any, wordcount_document: dict[str, Any], studio_redis: redis.Redis, celery_queues: Any,
) -> Iterator[WordCount]:
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    lines, counts = create_topic("lines", partitions=2), create_topic("counts", partitions=2)
    version = Topology.objects.create(workspace=team, name=unique_name("wc")).add_version(
        with_topics(wordcount_document, lines, counts))
    original = Deployment.create_running(version, connection=broker_connection, actor=alice, application_id=unique_name("sbs"))
    try:
        yield WordCount(original, lines, counts)
    finally:
        made = [t for t in topics(kafka_bootstrap) if t.startswith(original.application_id)
                or t.startswith(counts + ".")]
        delete_topics(kafka_bootstrap, made)
        RedisCheckpointStore(settings.REDIS_URL).delete_all(original.application_id + "-candidate")


def side_by_side(api: Client, deployment: Deployment, body: Any) -> Any:
    return post_json(api, f"/api/deployments/{deployment.pk}/side-by-side/", body)


def long(value: int) -> bytes:
    return Serdes.long().serialize(value, "t")


# -- refusals that need no cluster --------------------------------------------------------


@pytest.mark.parametrize("body, path, message", [
    ({}, "version", "required"),
    ({"version": 4242}, "version", "There is no topology version 4242."),
    ({"version": "VERSION", "from": "latest"}, "version", "integer"),
    ({"version": "V1", "from": {"datetime": "2026-01-01T00:00:00"}}, "from", "zone"),
    ({"version": "V1", "from": "latest"}, "from", '"earliest"'),
    ({"version": "V1", "application_id": "no spaces"}, "application_id", "Use only letters"),
])
def test_bad_input_is_refused_naming_the_field(
    api: Client, deployment: Deployment, body: dict[str, Any], path: str, message: str
) -> None:
    body = {k: (deployment.version_id if v == "V1" else v) for k, v in body.items()}
    response = side_by_side(api, deployment, body)
    assert response.status_code == 400, response.json()
    problem = response.json()["problems"][0]
    assert problem["path"] == path and message in problem["message"], problem
    assert Deployment.objects.count() == 1


def test_a_version_of_another_topology_is_refused(
    team: Workspace,
    api: Client, deployment: Deployment, wordcount_document: dict[str, Any]
) -> None:
    other = Topology.objects.create(workspace=team, name="other").add_version(wordcount_document)
    response = side_by_side(api, deployment, {"version": other.pk})
    assert response.status_code == 400
    assert response.json()["problems"][0]["path"] == "version"
    assert "is not a version of 'word count'" in response.json()["message"]


def test_unknown_ids_are_404_and_plain_deployments_have_nothing_to_compare(api: Client, deployment: Deployment) -> None:
    for path in ("side-by-side", "promote", "discard"):
        assert post_json(api, f"/api/deployments/4242/{path}/", {}).status_code == 404
    assert api.get("/api/deployments/4242/comparison/").status_code == 404
    assert api.get("/api/topologies/4242/live/").status_code == 404
    response = api.get(f"/api/deployments/{deployment.pk}/comparison/")
    assert response.status_code == 409
    assert response.json()["message"] == f"Deployment {deployment.application_id} has no side-by-side candidate."
    for path in ("promote", "discard"):
        assert post_json(api, f"/api/deployments/{deployment.pk}/{path}/", {}).status_code == 409
    assert api.get(f"/api/topologies/{deployment.topology_id}/live/").json() == {
        "topology": deployment.topology_id, "deployment": None, "application_id": None, "output_topics": {}}


# -- on the cluster -----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_candidate_gets_its_own_group_output_topics_and_starting_offsets(
    api: Client, wc: WordCount, kafka_bootstrap: str,
) -> None:
    # Partition 0: records at 1 s and 2 s after the epoch; partition 1: one at 3 s.
    offsets = produce(kafka_bootstrap, wc.lines, [(0, b"a", b"x y", 1000), (0, b"b", b"y", 2000),
                                                  (1, b"c", b"z", 3000)])
    response = side_by_side(api, wc.original, {"version": wc.v2.pk, "from": {"datetime": "1970-01-01T00:00:01.500Z"}})
    assert response.status_code == 201, response.json()
    body = response.json()
    app = f"{wc.original.application_id}-candidate"
    renamed = f"{wc.counts}.{app}"
    assert (body["application_id"], body["candidate_of"], body["version"]) == (app, wc.original.pk, wc.v2.pk)
    assert (body["desired_state"], body["live"]) == ("running", False)
    assert body["output_topic_map"] == {wc.counts: renamed}
    assert topics(kafka_bootstrap)[renamed] == 2            # as many partitions as the live output
    assert committed(kafka_bootstrap, app, wc.lines, 2) == {0: offsets[1], 1: offsets[2]}
    assert committed(kafka_bootstrap, wc.original.application_id, wc.lines, 2) == {0: None, 1: None}
    # The deployment it runs beside became the live one; downstream readers see its topics.
    wc.original.refresh_from_db()
    assert wc.original.live
    assert api.get(f"/api/topologies/{wc.topology.pk}/live/").json() == {
        "topology": wc.topology.pk, "deployment": wc.original.pk, "application_id": wc.original.application_id,
        "output_topics": {wc.counts: wc.counts}}
    event = AuditEvent.objects.get(verb="deployment.side_by_side")
    assert (event.object_id, event.data["original"], event.data["output_topic_map"]) == (
        str(body["id"]), wc.original.pk, {wc.counts: renamed})

    # One candidate at a time, and none of a candidate.
    again = side_by_side(api, wc.original, {"version": wc.v2.pk})
    assert again.status_code == 409 and "already has a candidate" in again.json()["message"]
    candidate = Deployment.objects.get(pk=body["id"])
    assert side_by_side(api, candidate, {"version": wc.v2.pk}).status_code == 409


@pytest.mark.django_db(transaction=True)
def test_a_candidate_handles_bad_records_as_the_original_does_into_its_own_dead_letter_topic(
    api: Client, wc: WordCount,
) -> None:
    Deployment.objects.filter(pk=wc.original.pk).update(on_error="dead_letter", dead_letter_topic="live-dlq")
    response = side_by_side(api, wc.original, {"version": wc.v2.pk})
    assert response.status_code == 201, response.json()
    body = response.json()
    # its dead letters must not mix with the live deployment's, as its outputs do not
    assert (body["on_error"], body["dead_letter_topic"]) == ("dead_letter", f"{body['application_id']}-dlq")


def test_the_comparison_counts_equal_differing_and_one_sided_keys(
    api: Client, wc: WordCount, kafka_bootstrap: str,
) -> None:
    ends = produce(kafka_bootstrap, wc.lines, [(0, b"1", b"a", None), (0, b"2", b"b", None), (0, b"3", b"c", None),
                                               (1, b"4", b"d", None)])
    candidate_id = side_by_side(api, wc.original, {"version": wc.v2.pk}).json()["id"]
    candidate = Deployment.objects.get(pk=candidate_id)
    renamed = candidate.physical_output_topics()[wc.counts]
    # Live reads everything; the candidate has read one record of partition 0 (and none of 1).
    commit(kafka_bootstrap, wc.original.application_id, {(wc.lines, 0): ends[2] + 1, (wc.lines, 1): ends[3] + 1})
    commit(kafka_bootstrap, candidate.application_id, {(wc.lines, 0): ends[0] + 1})
    # Live: a=1, b=2, c=3, then b=5, d=7.   Candidate: a=1, b=5, c=4, e=9.
    # Latest per key: a equal (1, 1), b equal (5, 5), c differs (3, 4), d only live, e only
    # in the candidate: 2 equal, 1 differing, 1 only live, 1 only candidate.
    produce(kafka_bootstrap, wc.counts, [(0, b"a", long(1), None), (0, b"b", long(2), None), (1, b"c", long(3), None),
                                         (0, b"b", long(5), None), (1, b"d", long(7), None)])
    produce(kafka_bootstrap, renamed, [(0, b"a", long(1), None), (0, b"b", long(5), None), (1, b"c", long(4), None),
                                       (1, b"e", long(9), None)])

    for asked in (candidate, wc.original):   # from either side
        response = api.get(f"/api/deployments/{asked.pk}/comparison/")
        assert response.status_code == 200, response.json()
        body = response.json()
        assert body["limit"] == 10_000 and body["unpaired"] == []
        (topic,) = body["topics"]
        assert (topic["sink_topic"], topic["live_topic"], topic["candidate_topic"]) == (wc.counts, wc.counts, renamed)
        assert (topic["live_records"], topic["candidate_records"]) == (5, 4)
        assert (topic["equal"], topic["differing"], topic["only_live"], topic["only_candidate"]) == (2, 1, 1, 1)
        assert topic["examples"] == {
            "equal": [{"key": "a", "live": 1, "candidate": 1}, {"key": "b", "live": 5, "candidate": 5}],
            "differing": [{"key": "c", "live": 3, "candidate": 4}],
            "only_live": [{"key": "d", "live": 7, "candidate": None}],
            "only_candidate": [{"key": "e", "live": None, "candidate": 9}],
        }
        live, cand = body["live"], body["candidate"]
        assert (live["deployment"]["id"], cand["deployment"]["id"]) == (wc.original.pk, candidate.pk)
        assert live["progress"] == {"partitions": 2, "partitions_without_commit": 0, "committed_total": 4,
                                    "end_total": 4, "lag": 0, "caught_up": True}
        # Created from earliest (offsets 0), then one record of partition 0 read: 1 of 4.
        assert cand["progress"] == {"partitions": 2, "partitions_without_commit": 0, "committed_total": 1,
                                    "end_total": 4, "lag": 3, "caught_up": False}

    # Bounded: the 2 most recent records of a topic, one per partition (b=5 / d=7 live,
    # b=5 / e=9 candidate): b equal, d only live, e only in the candidate.
    (topic,) = api.get(f"/api/deployments/{candidate.pk}/comparison/?limit=2").json()["topics"]
    assert (topic["live_records"], topic["candidate_records"]) == (2, 2)
    assert (topic["equal"], topic["differing"], topic["only_live"], topic["only_candidate"]) == (1, 0, 1, 1)
    bad = api.get(f"/api/deployments/{candidate.pk}/comparison/?limit=0")
    assert bad.status_code == 400 and bad.json()["problems"][0]["path"] == "limit"


@pytest.mark.django_db(transaction=True)
def test_promote_makes_the_candidate_live_and_stops_the_old_deployment(
    api: Client, wc: WordCount,
) -> None:
    candidate_id = side_by_side(api, wc.original, {"version": wc.v2.pk}).json()["id"]
    response = post_json(api, f"/api/deployments/{candidate_id}/promote/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["live"], body["desired_state"]) == (True, "running")
    wc.original.refresh_from_db()
    assert (wc.original.live, wc.original.desired_state) == (False, "stopped")
    renamed = body["output_topic_map"][wc.counts]
    assert api.get(f"/api/topologies/{wc.topology.pk}/live/").json()["output_topics"] == {wc.counts: renamed}
    event = AuditEvent.objects.get(verb="deployment.promote")
    assert (event.object_id, event.data["replaces"], event.data["previous_live"]) == (
        str(candidate_id), wc.original.pk, wc.original.pk)
    # Done: no second promotion, nothing left to compare or discard.
    assert post_json(api, f"/api/deployments/{candidate_id}/promote/").status_code == 409
    assert post_json(api, f"/api/deployments/{candidate_id}/discard/").status_code == 409
    assert api.get(f"/api/deployments/{candidate_id}/comparison/").status_code == 409
    # Candidates run beside the live deployment: the promoted one, not the old one.
    old = side_by_side(api, wc.original, {"version": wc.v2.pk})
    assert old.status_code == 409
    assert old.json()["message"].startswith(f"Deployment {wc.original.application_id} is not the live deployment")
    assert side_by_side(api, Deployment.objects.get(pk=candidate_id), {"version": wc.v2.pk}).status_code == 201


@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(90)
def test_discard_stops_the_candidate_and_deletes_its_topics_and_state(
    api: Client, wc: WordCount, kafka_bootstrap: str, settings: Any, django_capture_on_commit_callbacks: Any,
    celery_queues: Any,
) -> None:
    candidate_id = side_by_side(api, wc.original, {"version": wc.v2.pk}).json()["id"]
    candidate = Deployment.objects.get(pk=candidate_id)
    app = candidate.application_id
    renamed = candidate.physical_output_topics()[wc.counts]
    internal = f"{app}-{REPARTITION}"
    make_topic(kafka_bootstrap, internal, 2)                 # as if it had run
    checkpoints = RedisCheckpointStore(settings.REDIS_URL)
    assert checkpoints.save(app, "counts-store", 0, 4, [])

    response = post_json(api, f"/api/deployments/{candidate_id}/discard/", {"delete_output_topics": True})
    assert response.status_code == 202, response.json()
    operation_id = response.json()["id"]
    assert ("studio.deployments.tasks.run_operation", [operation_id]) in celery_queues.tasks("celery")
    assert post_json(api, f"/api/deployments/{candidate_id}/discard/", {}).status_code == 409   # busy
    assert tasks.run_operation(operation_id) == "done", ReprocessOperation.objects.get(pk=operation_id).message

    on_cluster = topics(kafka_bootstrap)
    assert internal not in on_cluster and renamed not in on_cluster
    assert wc.counts in on_cluster and wc.lines in on_cluster       # the live side's are kept
    assert checkpoints.count_all(app) == 0
    assert committed(kafka_bootstrap, app, wc.lines, 2) == {0: None, 1: None}      # its group is deleted
    candidate.refresh_from_db()
    assert candidate.desired_state == "stopped" and candidate.discarded_at is not None
    operation = ReprocessOperation.objects.get(pk=operation_id)
    assert operation.result == {"internal_topics": [internal], "checkpoint_keys": 1, "deleted_output_topics": [renamed]}
    assert [e.verb for e in AuditEvent.objects.filter(object_id=str(candidate_id)).order_by("id")][-3:] == [
        "deployment.discard", "deployment.stop", "deployment.discard.done"]
    # Discarded: not a candidate any more; the original may have a new one.
    assert post_json(api, f"/api/deployments/{candidate_id}/discard/").status_code == 409
    assert api.get(f"/api/deployments/{wc.original.pk}/comparison/").status_code == 409
    assert side_by_side(api, wc.original, {"version": wc.v2.pk}).status_code == 201


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(300)
def test_a_running_candidate_catches_up_matches_the_live_output_and_is_promoted(
    api: Client, wc: WordCount, kafka_bootstrap: str, settings: Any,
) -> None:
    from tests.studio.deployments.reprocess_helpers import (
        EXPECTED, LINES, RunningReplica, read_latest, wait_until,
    )

    produce(kafka_bootstrap, wc.lines, [(i % 2, str(i).encode(), line.encode(), None) for i, line in enumerate(LINES)])
    live = RunningReplica(wc.original)
    candidate_replica = None
    try:
        assert read_latest(kafka_bootstrap, wc.counts, EXPECTED, timeout=90) == EXPECTED
        response = side_by_side(api, wc.original, {"version": wc.v2.pk, "from": "earliest"})
        assert response.status_code == 201, response.json()
        body = response.json()
        candidate = Deployment.objects.get(pk=body["id"])
        renamed = body["output_topic_map"][wc.counts]
        candidate_replica = RunningReplica(candidate)
        # The same version from earliest into its own topic: the same counts.
        assert read_latest(kafka_bootstrap, renamed, EXPECTED, timeout=90) == EXPECTED

        def caught_up() -> bool:
            report = api.get(f"/api/deployments/{candidate.pk}/comparison/").json()
            return bool(report["live"]["progress"]["caught_up"] and report["candidate"]["progress"]["caught_up"])
        wait_until(caught_up, 30, "both sides caught up")
        (topic,) = api.get(f"/api/deployments/{candidate.pk}/comparison/").json()["topics"]
        assert (topic["equal"], topic["differing"], topic["only_live"], topic["only_candidate"]) == (len(EXPECTED), 0, 0, 0)

        promoted = post_json(api, f"/api/deployments/{candidate.pk}/promote/")
        assert promoted.status_code == 200, promoted.json()
        live.join(45)                       # the old deployment's replica stops itself
        assert live.outcome == ["stopped"]
    finally:
        Deployment.objects.get(pk=wc.original.pk).stop(actor=None)
        live.join()
        if candidate_replica is not None:
            Deployment.objects.get(pk=candidate_replica.replica.deployment_id).stop(actor=None)
            candidate_replica.join()
            RedisCheckpointStore(settings.REDIS_URL).delete_all(candidate_replica.replica.deployment.application_id)
        RedisCheckpointStore(settings.REDIS_URL).delete_all(wc.original.application_id)
