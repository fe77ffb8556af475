"""POST /api/deployments/{id}/reset/ and its operations, against the development broker
and the test Redis.

Offsets to expect come from the producer's delivery reports and from the offsets the
tests commit themselves; never from the endpoint under test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.test import Client

from runtime.state.checkpoint import RedisCheckpointStore
from studio.connections.models import Connection
from studio.deployments import heartbeats, tasks
from studio.deployments.models import AuditEvent, Deployment, Replica, ReprocessOperation
from studio.topologies.models import Topology
from studio.workspaces.models import Workspace
from tests.studio.conftest import post_json
from tests.studio.deployments.reprocess_helpers import (
    CHANGELOG,
    EXPECTED,
    LINES,
    REPARTITION,
    RunningReplica,
    commit,
    committed,
    delete_topics,
    make_topic,
    produce,
    read_latest,
    topics,
)
from tests.studio.helpers import with_topics


def reset(api: Client, deployment: Deployment, body: Any) -> Any:
    return post_json(api, f"/api/deployments/{deployment.pk}/reset/", body)


@pytest.fixture
def wc(
    broker_connection: Connection,
    team: Workspace,
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
    settings: Any, alice: Any, wordcount_document: dict[str, Any], studio_redis: redis.Redis, celery_queues: Any,
) -> Iterator[tuple[Deployment, str, str]]:
    """A word-count deployment (never started) on a new 2-partition input and output."""
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    lines, counts = create_topic("lines", partitions=2), create_topic("counts", partitions=2)
    version = Topology.objects.create(workspace=team, name=unique_name("wc")).add_version(
        with_topics(wordcount_document, lines, counts))
    deployment = Deployment.create_running(version, connection=broker_connection, actor=alice, application_id=unique_name("reset-app"))
    app = deployment.application_id
    try:
        yield deployment, lines, counts
    finally:
        delete_topics(kafka_bootstrap, [f"{app}-{REPARTITION}", f"{app}-{CHANGELOG}"])
        RedisCheckpointStore(settings.REDIS_URL).delete_all(app)


# -- refusals -----------------------------------------------------------------------------


@pytest.mark.parametrize("to, message", [
    ("latest", '"earliest"'),
    ({"datetime": "2026-12-03T10:00:00"}, "zone"),
    ({"datetime": "yesterday"}, "not an ISO-8601 date-time"),
    ({"duration": -5}, "positive"),
    ({"duration": "1 hour"}, "ISO-8601 duration"),
    ({"duration": True}, "number of seconds"),
    ({"datetime": "2026-12-03T10:00:00Z", "duration": 5}, '"earliest"'),
])
def test_a_bad_target_is_refused_naming_the_field(api: Client, deployment: Deployment, to: Any, message: str) -> None:
    response = reset(api, deployment, {"dry_run": True, "to": to})
    assert response.status_code == 400, response.json()
    problem = response.json()["problems"][0]
    assert problem["path"] == "to" and message in problem["message"]
    assert not ReprocessOperation.objects.exists()


@pytest.mark.parametrize("redirect, message", [
    ({"nope": "x"}, "is not an output topic"),
    ({"word-counts": "bad topic!"}, "not a legal topic name"),
    ({"word-counts": "text-lines"}, "cannot be the new output"),
    ({"word-counts": "word-counts"}, "cannot be the new output"),
])
def test_a_bad_output_redirect_is_refused(api: Client, deployment: Deployment, redirect: Any, message: str) -> None:
    response = reset(api, deployment, {"output_topic": redirect})
    assert response.status_code == 400, response.json()
    problem = response.json()["problems"][0]
    assert problem["path"] == "output_topic" and message in problem["message"]
    assert not ReprocessOperation.objects.exists()


def test_a_second_operation_is_refused_while_one_is_unfinished(
    api: Client, deployment: Deployment, alice: Any
) -> None:
    first = ReprocessOperation.begin(deployment, "reset", actor=alice, request={"target": {"kind": "earliest"}})
    response = reset(api, deployment, {"to": "earliest"})
    assert response.status_code == 409
    assert response.json()["message"] == (
        f"Deployment {deployment.pk} is busy: reset operation {first.pk} is pending.")
    assert ReprocessOperation.objects.count() == 1
    first.finish("done")
    assert reset(api, deployment, {"to": "earliest"}).status_code == 202


def test_unknown_deployment_and_operation_are_404(api: Client, deployment: Deployment) -> None:
    assert post_json(api, "/api/deployments/4242/reset/", {}).status_code == 404
    response = api.get(f"/api/deployments/{deployment.pk}/operations/99/")
    assert response.status_code == 404
    assert response.json()["message"] == f"Deployment {deployment.pk} has no operation 99."


def test_anonymous_is_refused(anonymous: Client, deployment: Deployment) -> None:
    assert post_json(anonymous, f"/api/deployments/{deployment.pk}/reset/", {}).status_code == 401
    assert not ReprocessOperation.objects.exists()


# -- accepted -----------------------------------------------------------------------------


@pytest.mark.redis
def test_a_reset_is_an_operation_run_by_a_task_and_audited(
    api: Client, deployment: Deployment, celery_queues: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = reset(api, deployment, {"to": {"duration": "PT1H"}, "output_topic": {"word-counts": "wc2"}})
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["kind"], body["state"], body["deployment"], body["created_by"]) == (
        "reset", "pending", deployment.pk, "alice")
    assert body["request"]["target"]["kind"] == "timestamp" and body["request"]["target"]["duration_s"] == 3600
    assert body["request"]["output_topic"] == {"word-counts": "wc2"}
    assert ("studio.deployments.tasks.run_operation", [body["id"]]) in celery_queues.tasks("celery")
    event = AuditEvent.objects.get(verb="deployment.reset")
    assert (event.object_id, event.actor.username, event.data["operation"]) == (str(deployment.pk), "alice", body["id"])
    listed = api.get(f"/api/deployments/{deployment.pk}/operations/").json()
    assert [o["id"] for o in listed["results"]] == [body["id"]]
    assert api.get(f"/api/deployments/{deployment.pk}/operations/{body['id']}/").json()["state"] == "pending"


# -- on the broker ------------------------------------------------------------------------


@pytest.mark.kafka
@pytest.mark.redis
def test_a_dry_run_plans_against_the_cluster_and_changes_nothing(
    api: Client, wc: Any, kafka_bootstrap: str, settings: Any
) -> None:
    deployment, lines, counts = wc
    app = deployment.application_id
    # Records at 1 s, 2 s, 3 s after the epoch on partition 0; one (now) on partition 1.
    offsets = produce(kafka_bootstrap, lines, [(0, b"a", b"x", 1000), (0, b"b", b"y", 2000),
                                               (0, b"c", b"z", 3000), (1, b"d", b"w", None)])
    commit(kafka_bootstrap, app, {(lines, 0): offsets[2] + 1})      # partition 1: no commit
    repartition = f"{app}-{REPARTITION}"
    make_topic(kafka_bootstrap, repartition, 2)
    store = RedisCheckpointStore(settings.REDIS_URL)
    assert store.save(app, "counts-store", 0, 7, [(b"kafka", b"\x00")])
    assert store.save(app, "counts-store", 1, 3, [])

    response = reset(api, deployment, {"dry_run": True, "to": "earliest", "output_topic": {counts: counts + ".rerun"}})
    assert response.status_code == 200, response.json()
    plan = response.json()
    assert (plan["application_id"], plan["group"], plan["dry_run"]) == (app, app, True)
    assert plan["input_partitions"] == [
        {"topic": lines, "partition": 0, "committed": offsets[2] + 1, "target": offsets[0]},
        {"topic": lines, "partition": 1, "committed": None, "target": offsets[3]},
    ]
    assert plan["internal_topics"] == [repartition]          # the changelog does not exist yet
    assert plan["stores"] == ["counts-store"]
    assert (plan["checkpoint_key_pattern"], plan["checkpoint_keys"]) == (f"riffle:ckpt:{app}:*", 2)
    assert plan["output_redirects"] == [
        {"sink_topic": counts, "current": counts, "new": counts + ".rerun", "exists": False}]

    # To a time: the first record at or after it; a time after every record: the end.
    plan = reset(api, deployment, {"dry_run": True, "to": {"datetime": "1970-01-01T00:00:02Z"}}).json()
    assert plan["target"] == {"kind": "timestamp", "timestamp_ms": 2000, "datetime": "1970-01-01T00:00:02+00:00"}
    by_partition = {r["partition"]: r["target"] for r in plan["input_partitions"]}
    assert by_partition[0] == offsets[1]
    assert by_partition[1] == offsets[3]      # the record of partition 1 is from now: after 2 s

    # Nothing changed.
    assert committed(kafka_bootstrap, app, lines, 2) == {0: offsets[2] + 1, 1: None}
    assert repartition in topics(kafka_bootstrap) and counts + ".rerun" not in topics(kafka_bootstrap)
    assert store.count_all(app) == 2
    assert not ReprocessOperation.objects.exists()


@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(120)
def test_a_reset_moves_the_offsets_to_earliest_to_a_time_and_by_a_duration(
    api: Client, wc: Any, kafka_bootstrap: str, settings: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    deployment, lines, _ = wc
    app = deployment.application_id
    # Partition 0: records at 1 s and 2 s after the epoch; partition 1: at 1.5 s and now.
    offsets = produce(kafka_bootstrap, lines, [(0, b"a", b"x", 1000), (0, b"b", b"y", 2000),
                                               (1, b"c", b"z", 1500), (1, b"d", b"w", None)])
    ends = {(lines, 0): offsets[1] + 1, (lines, 1): offsets[3] + 1}
    commit(kafka_bootstrap, app, ends)
    RedisCheckpointStore(settings.REDIS_URL).save(app, "counts-store", 0, 1, [])

    response = reset(api, deployment, {"to": "earliest"})
    assert response.status_code == 202
    assert committed(kafka_bootstrap, app, lines, 2) == {0: ends[(lines, 0)], 1: ends[(lines, 1)]}
    operation_id = response.json()["id"]
    assert tasks.run_operation(operation_id) == "done"
    assert committed(kafka_bootstrap, app, lines, 2) == {0: offsets[0], 1: offsets[2]}
    assert RedisCheckpointStore(settings.REDIS_URL).count_all(app) == 0

    # A second one, to a time between the records of each partition.
    operation_id = reset(api, deployment, {"to": {"datetime": "1970-01-01T00:00:01.600Z"}}).json()["id"]
    assert tasks.run_operation(operation_id) == "done"
    assert committed(kafka_bootstrap, app, lines, 2) == {0: offsets[1], 1: offsets[3]}
    body = api.get(f"/api/deployments/{deployment.pk}/operations/{operation_id}/").json()
    assert (body["state"], body["message"]) == ("done", "")
    assert [(r["partition"], r["committed"], r["target"]) for r in body["result"]["input_partitions"]] == [
        (0, offsets[0], offsets[1]), (1, offsets[2], offsets[3])]

    # An hour back: partition 1's record of now; partition 0 has none that late (its end).
    operation_id = reset(api, deployment, {"to": {"duration": "PT1H"}}).json()["id"]
    assert tasks.run_operation(operation_id) == "done"
    assert committed(kafka_bootstrap, app, lines, 2)[1] == offsets[3]
    deployment.refresh_from_db()
    assert deployment.desired_state == "running"        # started again
    assert AuditEvent.objects.filter(verb="deployment.reset.done", object_id=str(deployment.pk)).count() == 3


@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(60)
def test_a_reset_whose_replicas_do_not_stop_fails_and_changes_nothing(
    api: Client, wc: Any, kafka_bootstrap: str, settings: Any,
) -> None:
    deployment, lines, _ = wc
    settings.RIFFLE_REPROCESS_STOP_TIMEOUT_S = 1
    commit(kafka_bootstrap, deployment.application_id, {(lines, 0): 0})
    stuck = Replica.objects.create(deployment=deployment, index=0, state="running")
    heartbeats.beat(stuck.pk, task_id="t", state="RUNNING", ready=True, tasks=[])   # never goes away
    try:
        operation_id = reset(api, deployment, {"to": "earliest"}).json()["id"]
        assert tasks.run_operation(operation_id) == "failed"
    finally:
        heartbeats.clear(stuck.pk)
    assert AuditEvent.objects.get(verb="deployment.reset.failed").data["operation"] == operation_id
    operation = ReprocessOperation.objects.get(pk=operation_id)
    assert operation.message == (f"1 replica(s) of {deployment.application_id} still run 1 s after the stop "
                                 f"(replicas {stuck.pk}); nothing was changed.")
    assert operation.finished_at is not None
    deployment.refresh_from_db()
    assert deployment.desired_state == "running"          # as it was
    # A finished operation frees the deployment for the next one.
    assert reset(api, deployment, {"dry_run": False}).status_code == 202


@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(240)
def test_a_reset_replays_a_running_word_count_into_a_new_topic_from_scratch(
    api: Client, wc: Any, kafka_bootstrap: str, settings: Any, studio_redis: redis.Redis,
) -> None:
    deployment, lines, counts = wc
    app = deployment.application_id
    produce(kafka_bootstrap, lines, [(i % 2, str(i).encode(), line.encode(), None) for i, line in enumerate(LINES)])
    first = RunningReplica(deployment)
    try:
        assert read_latest(kafka_bootstrap, counts, EXPECTED, timeout=90) == EXPECTED
        internal = {f"{app}-{REPARTITION}", f"{app}-{CHANGELOG}"}
        assert internal <= set(topics(kafka_bootstrap))
        checkpoints = RedisCheckpointStore(settings.REDIS_URL)
        assert checkpoints.count_all(app) > 0

        # The plan of the running deployment.
        plan = reset(api, deployment, {"dry_run": True}).json()
        assert set(plan["internal_topics"]) == internal

        rerun = counts + ".rerun"
        operation_id = reset(api, deployment, {"to": "earliest", "output_topic": {counts: rerun}}).json()["id"]
        # The task, in this thread: it stops the deployment, the replica sees it and closes.
        assert tasks.run_operation(operation_id) == "done", ReprocessOperation.objects.get(pk=operation_id).message
    finally:
        Deployment.objects.get(pk=deployment.pk).stop(actor=None)
        first.join()
    assert first.outcome == ["stopped"]
    assert committed(kafka_bootstrap, app, lines, 2) == {0: 0, 1: 0}
    assert not internal & set(topics(kafka_bootstrap))
    assert checkpoints.count_all(app) == 0
    assert topics(kafka_bootstrap)[rerun] == 2             # created like the output it replaces
    deployment.refresh_from_db()
    assert deployment.to_dict()["output_topic_map"] == {counts: rerun}

    # Started again (the reconciler's job; here one replica in-process): the new topic
    # gets every count from scratch, not doubled.
    deployment.start(actor=None)
    second = RunningReplica(deployment)
    try:
        assert read_latest(kafka_bootstrap, rerun, EXPECTED, timeout=90) == EXPECTED
    finally:
        deployment.stop(actor=None)
        second.join()
        delete_topics(kafka_bootstrap, [rerun])


def test_a_deployment_cannot_be_started_while_an_operation_keeps_it_stopped(
    api: Client, deployment: Deployment, alice: Any
) -> None:
    deployment.stop(actor=alice)
    operation = ReprocessOperation.begin(deployment, "reset", actor=alice, request={"target": {"kind": "earliest"}})
    response = post_json(api, f"/api/deployments/{deployment.pk}/start/")
    assert response.status_code == 409
    assert response.json()["message"] == f"Deployment {deployment.pk} is busy: reset operation {operation.pk} is pending."
    deployment.refresh_from_db()
    assert deployment.desired_state == "stopped"
    # The operation itself starts it again when it is done.
    assert deployment.start(actor=alice, operation=operation.pk)


def test_an_abandoned_operation_stops_blocking_the_deployment(
    api: Client, deployment: Deployment, alice: Any, settings: Any
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    settings.RIFFLE_REPROCESS_STOP_TIMEOUT_S = 60     # abandoned after 2 × 60 s + 10 min = 720 s
    old = ReprocessOperation.begin(deployment, "reset", actor=alice, request={"target": {"kind": "earliest"}})
    ReprocessOperation.objects.filter(pk=old.pk).update(state="running",
                                                        updated_at=timezone.now() - timedelta(seconds=700))
    assert reset(api, deployment, {}).status_code == 409          # 700 s: it may still be running
    ReprocessOperation.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(seconds=730))
    assert reset(api, deployment, {}).status_code == 202
    old.refresh_from_db()
    assert old.state == "failed" and old.message.startswith("Abandoned: not finished within 720 s")


@pytest.mark.kafka
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_missing_input_topic_is_a_409_and_a_failed_operation_that_changed_nothing(
    broker_connection: Connection,
    team: Workspace,
    api: Client, kafka_bootstrap: str, settings: Any, alice: Any, wordcount_document: dict[str, Any],
    unique_name: Callable[[str], str], studio_redis: redis.Redis, celery_queues: Any,
) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    missing, out = unique_name("no-such-topic"), unique_name("out")
    version = Topology.objects.create(workspace=team, name=unique_name("wc")).add_version(with_topics(wordcount_document, missing, out))
    deployment = Deployment.create_running(version, connection=broker_connection, actor=alice, application_id=unique_name("missing"))
    dry = reset(api, deployment, {"dry_run": True, "output_topic": {out: out + ".new"}})
    assert dry.status_code == 409
    assert dry.json()["message"] == f"Cannot reset {deployment.application_id}: topic(s) not found: {missing}"

    operation_id = reset(api, deployment, {"output_topic": {out: out + ".new"}}).json()["id"]
    assert tasks.run_operation(operation_id) == "failed"
    operation = ReprocessOperation.objects.get(pk=operation_id)
    assert operation.message == dry.json()["message"]
    deployment.refresh_from_db()
    assert deployment.desired_state == "running" and deployment.output_topic_map == {}   # as it was
    assert out + ".new" not in topics(kafka_bootstrap)


@pytest.mark.timeout(60)
def test_an_unreachable_broker_is_a_json_502_not_a_hang(api: Client, deployment: Deployment) -> None:
    import time

    # The deployment's connection points at port 1, where nothing listens.
    started = time.monotonic()
    response = reset(api, deployment, {"dry_run": True})
    assert time.monotonic() - started < 40
    assert response.status_code == 502
    assert response.json()["message"].startswith(f"Kafka at {deployment.connection.bootstrap_servers}: ")
