"""Side by side: a candidate deployment beside the live one, promote, discard."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import confluent_kafka
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from runtime.tools.reset import GroupActiveError, ResetError, ResetTarget, reset_application
from studio.deployments.models import (
    ApplicationIdTakenError,
    AuditEvent,
    Deployment,
    ReprocessOperation,
)
from studio.deployments.reprocessing.common import (
    TIMEOUT_S,
    LiveOutputDict,
    ReprocessError,
    admin_client,
    client_config,
    create_topics,
    delete_topics,
    input_topics,
    servers_of,
    topic_partitions,
)
from studio.topologies.models import InvalidDocumentError

logger = logging.getLogger(__name__)

# -- side by side -------------------------------------------------------------------------


def active_candidate(deployment: Deployment) -> Deployment | None:
    return deployment.candidates.filter(discarded_at__isnull=True, live=False).first()


def is_pending_candidate(deployment: Deployment) -> bool:
    return deployment.candidate_of_id is not None and not deployment.live and deployment.discarded_at is None


def candidate_application_id(original: Deployment) -> str:
    base = f"{original.application_id}-candidate"[:110]
    candidate, n = base, 1
    while Deployment.objects.filter(application_id=candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def create_side_by_side(original: Deployment, version: Any, target: ResetTarget, target_json: dict[str, Any], *,
                        actor: Any, application_id: str | None) -> Deployment:
    """Create, prepare (output topics, starting offsets) and start a candidate."""
    if original.discarded_at is not None or is_pending_candidate(original):
        raise ReprocessError(f"Deployment {original.application_id} is a candidate or discarded; "
                             "compare against the live deployment.")
    live = Deployment.objects.filter(topology=original.topology, live=True).first()
    if live is not None and live.pk != original.pk:
        raise ReprocessError(f"Deployment {original.application_id} is not the live deployment of "
                             f"{original.topology.name!r}; run the candidate beside {live.application_id} "
                             f"(id {live.pk}).")
    existing = active_candidate(original)
    if existing is not None:
        raise ReprocessError(f"Deployment {original.application_id} already has a candidate, "
                             f"{existing.application_id} (id {existing.pk}): promote or discard it first.")
    if version.topology_id != original.topology_id:
        raise ReprocessError(f"Version {version.pk} is not a version of {original.topology.name!r}.",
                             status=400, field="version")
    if any(str(n.get("type")) == "sink.topic_chooser" for n in version.document.get("nodes", [])):
        raise ReprocessError("The version chooses its output topic per record; its output cannot be "
                             "redirected to a candidate's own topics.", status=400, field="version")
    app_id = application_id or candidate_application_id(original)
    suffix = app_id
    live_map = original.physical_output_topics()
    outputs = {topic: f"{topic}.{suffix}" for topic in version.output_topics()}
    for topic in outputs.values():
        if len(topic) > 249:
            raise ReprocessError(f"The candidate's output topic {topic!r} would be too long; give a "
                                 "shorter application_id.", status=400, field="application_id")
    # Kafka first (new topics, the new group's offsets), then the row that starts it.
    probe = Deployment(topology=original.topology, version=version, application_id=app_id,
                       connection=original.connection, output_topic_map=outputs)
    partitions = topic_partitions(probe)
    inputs = input_topics(probe)
    fallback = max([partitions.get(t, 1) for t in inputs] or [1])
    create_topics(probe, {new: partitions.get(live_map.get(topic, topic), fallback) for topic, new in outputs.items()})
    try:
        reset_application(app_id, servers_of(probe), input_topics=inputs, target=target,
                          client_config=client_config(probe, "reset"), timeout=TIMEOUT_S)
    except ResetError as exc:
        raise ReprocessError(f"Cannot set the candidate's starting offsets: {exc}", status=502) from exc
    with transaction.atomic():
        if not Deployment.objects.filter(topology=original.topology, live=True).exists():
            Deployment.objects.filter(pk=original.pk).update(live=True)
        try:
            candidate = Deployment.create_running(
                version, connection=original.connection, actor=actor, application_id=app_id, processing_guarantee=original.processing_guarantee,  # type: ignore[arg-type]
                replicas=original.replicas, output_topic_map=outputs, candidate_of=original,
                # its own dead-letter topic (<its application.id>-dlq), as it has its own outputs
                on_error=original.on_error,  # type: ignore[arg-type]
            )
        except ApplicationIdTakenError:
            # A unique constraint refused it: the id, or a candidate created meanwhile.
            raise ReprocessError(f"Another candidate of {original.application_id} or another deployment "
                                 f"{app_id} was created meanwhile.") from None
        except InvalidDocumentError as exc:
            raise ReprocessError(f"Version {version.number} cannot run: its document has errors "
                                 f"({len(exc.problems)} problem(s)).", status=400, field="version") from None
        AuditEvent.record(actor, "deployment.side_by_side", candidate, original=original.pk,
                          version=version.pk, start=target_json, output_topic_map=outputs)
    return candidate


def promote(candidate: Deployment, *, actor: Any) -> Deployment:
    """The candidate becomes the live deployment of its topology; the old one stops."""
    if not is_pending_candidate(candidate):
        raise ReprocessError(f"Deployment {candidate.application_id} is not a candidate waiting for promotion.")
    if ReprocessOperation.objects.filter(deployment=candidate, state__in=ReprocessOperation.ACTIVE).exists():
        raise ReprocessError(f"Deployment {candidate.application_id} has an unfinished operation.")
    original = candidate.candidate_of
    assert original is not None
    with transaction.atomic():
        before = Deployment.objects.filter(topology=candidate.topology, live=True).first()
        Deployment.objects.filter(topology=candidate.topology, live=True).update(live=False)
        try:
            with transaction.atomic():
                Deployment.objects.filter(pk=candidate.pk).update(live=True, updated_at=timezone.now())
        except IntegrityError:   # another promote of the same topology won the race
            raise ReprocessError("Another deployment of the topology was promoted meanwhile.") from None
        candidate.refresh_from_db()
        AuditEvent.record(actor, "deployment.promote", candidate, replaces=original.pk,
                          previous_live=before.pk if before else None,
                          output_topic_map=candidate.physical_output_topics())
        original.stop(actor=actor)
    candidate.refresh_from_db()
    return candidate


def discard_state(candidate: Deployment, request: Mapping[str, Any], *, actor: Any) -> dict[str, Any]:
    """With the candidate stopped: delete its internal topics and Redis checkpoints (the
    reset tool, offsets untouched), its consumer group, and its own output topics if asked."""
    try:
        plan = reset_application(candidate.application_id, servers_of(candidate),
                                 redis_url=settings.REDIS_URL, client_config=client_config(candidate, "discard"),
                                 timeout=TIMEOUT_S)
    except GroupActiveError:
        raise
    except ResetError as exc:
        raise ReprocessError(f"Cannot clean up {candidate.application_id}: {exc}", status=502) from exc
    deleted_outputs: list[str] = []
    if request.get("delete_output_topics"):
        # Only topics of its own: renamed by its map and written by no other deployment.
        others = Deployment.objects.exclude(pk=candidate.pk).filter(discarded_at__isnull=True)
        used = {t for d in others.select_related("version") for t in d.physical_output_topics().values()}
        deleted_outputs = sorted(new for old, new in (candidate.output_topic_map or {}).items()
                                 if new != old and new not in used)
        delete_topics(candidate, deleted_outputs)
    try:
        admin = admin_client(candidate)
        futures = admin.delete_consumer_groups([candidate.application_id], request_timeout=TIMEOUT_S)
        futures[candidate.application_id].result(TIMEOUT_S)
    except confluent_kafka.KafkaException as exc:
        logger.info("deleting the group of %s: %s", candidate.application_id, exc)
    Deployment.objects.filter(pk=candidate.pk).update(discarded_at=timezone.now(), updated_at=timezone.now())
    AuditEvent.record(actor, "deployment.discard.done", candidate, internal_topics=plan.internal_topics,
                      checkpoint_keys=plan.checkpoint_keys, output_topics=deleted_outputs)
    return {"internal_topics": plan.internal_topics, "checkpoint_keys": plan.checkpoint_keys,
            "deleted_output_topics": deleted_outputs}


def live_output(topology_id: int) -> LiveOutputDict:
    live = Deployment.objects.select_related("version").filter(topology_id=topology_id, live=True).first()
    return {
        "topology": topology_id, "deployment": live.pk if live else None,
        "application_id": live.application_id if live else None,
        "output_topics": live.physical_output_topics() if live else {},
    }


