from __future__ import annotations

from typing import Any

import pytest

from studio.deployments.models import Deployment, InvalidTransitionError, Replica
from studio.topologies.models import Topology, TopologyVersion
from studio.workspaces.models import Workspace


def test_default_application_ids_are_slugs_of_name_and_version(
    team: Workspace, wordcount_v1: TopologyVersion, wordcount_document: dict[str, Any], offline_connection: Any
) -> None:
    odd = Topology.objects.create(workspace=team, name="Clicks & Views (EU)")
    version = odd.add_version(wordcount_document)
    assert Deployment.default_application_id(version) == "riffle-clicks-views-eu-v1"
    Deployment.create_running(version, connection=offline_connection, actor=None)
    assert Deployment.default_application_id(version) == "riffle-clicks-views-eu-v1-2"


def test_the_observed_state_follows_the_life_cycle(deployment: Deployment) -> None:
    assert deployment.observed_state == "starting"
    assert deployment.transition(to="running") is True
    assert deployment.transition(to="running") is False
    assert deployment.transition(to="stopping") is True
    with pytest.raises(InvalidTransitionError, match="stopping -> running is not allowed"):
        deployment.transition(to="running")
    assert deployment.transition(to="stopped") is True
    with pytest.raises(InvalidTransitionError):
        deployment.transition(to="failed")
    deployment.refresh_from_db()
    assert deployment.observed_state == "stopped"


def test_a_failure_records_the_error_and_parks_the_replicas(deployment: Deployment) -> None:
    replica = Replica.objects.create(deployment=deployment, index=0, state="running")
    assert replica.is_wanted()
    deployment.transition(to="failed", error="node split: cannot decode offset 7")
    replica.deployment.refresh_from_db()
    assert deployment.last_error == "node split: cannot decode offset 7"
    assert not replica.is_wanted()


def test_start_and_stop_are_idempotent(deployment: Deployment) -> None:
    assert deployment.stop(actor=None) is True
    assert deployment.stop(actor=None) is False
    assert (deployment.desired_state, deployment.observed_state) == ("stopped", "stopping")
    assert deployment.start(actor=None) is True
    assert deployment.start(actor=None) is False
    assert (deployment.desired_state, deployment.observed_state) == ("running", "starting")


def test_replicas_beyond_the_count_are_not_wanted(deployment: Deployment) -> None:
    first = Replica.objects.create(deployment=deployment, index=0)
    extra = Replica.objects.create(deployment=deployment, index=1)
    assert first.is_wanted() and not extra.is_wanted()


def test_a_slot_holds_one_active_replica(deployment: Deployment) -> None:
    from django.db import IntegrityError, transaction

    Replica.objects.create(deployment=deployment, index=0, state="dead")
    Replica.objects.create(deployment=deployment, index=0, state="running")
    with pytest.raises(IntegrityError), transaction.atomic():
        Replica.objects.create(deployment=deployment, index=0, state="pending")


def test_replicas_end_once(deployment: Deployment) -> None:
    replica = Replica.objects.create(deployment=deployment, index=0, state="running")
    assert replica.end("dead") is True
    assert replica.end("stopped") is False
    replica.refresh_from_db()
    assert replica.state == "dead" and replica.ended_at is not None
