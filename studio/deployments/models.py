"""Deployments of topology versions, their replicas, and the audit trail.

Desired state (what the user asked for) lives here; observed state is written by the
replicas and the reconciler, always through `Deployment.transition`.
"""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from typing import Any, Literal, TypedDict

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from studio.connections.models import Connection
from studio.topologies import documents
from studio.topologies.models import InvalidDocumentError, Topology, TopologyVersion

logger = logging.getLogger(__name__)

DesiredState = Literal["running", "stopped"]
ObservedState = Literal["starting", "running", "stopping", "stopped", "failed"]
ProcessingGuarantee = Literal["at_least_once", "exactly_once_v2"]
OnError = Literal["fail", "continue", "dead_letter"]
ON_ERROR: tuple[OnError, ...] = ("fail", "continue", "dead_letter")

# Kafka topic names allow these characters, and internal topics are named
# f"{application_id}-{store}-changelog", so the id must be a valid topic prefix.
APPLICATION_ID_RE = re.compile(r"^[A-Za-z0-9._-]+$")
APPLICATION_ID_MAX = 120
MAX_REPLICAS = 32
TOPIC_NAME_MAX = 249  # Kafka's limit


class InvalidTransitionError(ValueError):
    """An observed-state change that the deployment life cycle does not allow."""


class ApplicationIdTakenError(ValueError):
    """The application.id is in use by another deployment."""

    def __init__(self, application_id: str) -> None:
        super().__init__(f"application.id {application_id!r} is taken by another deployment.")
        self.application_id = application_id


class NotRunningError(ValueError):
    """The operation needs a deployment that is asked to run (and has not failed)."""

    def __init__(self, deployment: Deployment) -> None:
        state = "failed" if deployment.observed_state == "failed" else deployment.desired_state
        super().__init__(
            f"Deployment {deployment.application_id} is {state}; start it instead of restarting it."
        )


class DeploymentDict(TypedDict):
    id: int
    workspace: int
    topology: int
    version: int
    version_number: int
    connection: int
    connection_name: str
    application_id: str
    processing_guarantee: ProcessingGuarantee
    replicas: int
    on_error: OnError
    dead_letter_topic: str        # "" unless on_error is "dead_letter"
    generation: int
    desired_state: DesiredState
    observed_state: ObservedState
    input_topics: list[str]
    output_topics: list[str]
    # {topic in the document: topic this deployment writes}, for every output topic.
    output_topic_map: dict[str, str]
    # The live deployment of its topology: downstream readers follow its output map.
    live: bool
    candidate_of: int | None      # a side-by-side candidate: the deployment it is compared with
    discarded_at: str | None
    created_at: str
    updated_at: str
    last_error: str


class AuditEventDict(TypedDict):
    id: int
    workspace: int | None
    at: str
    actor: str | None
    verb: str
    object_type: str
    object_id: str
    data: dict[str, Any]


class AuditEvent(models.Model):
    """Who did what to which object, and when. Append-only."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # Whose members may read the event; None for events about a user's own account.
    workspace = models.ForeignKey(
        "workspaces.Workspace", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    verb = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.actor} {self.verb} {self.object_type}:{self.object_id}"

    @classmethod
    def record(cls, actor: Any, verb: str, obj: models.Model, **data: Any) -> AuditEvent:
        user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
        return cls.objects.create(
            actor=user, workspace_id=_workspace_id_of(obj), verb=verb,
            object_type=obj._meta.model_name or "", object_id=str(obj.pk), data=data,
        )

    def to_dict(self) -> AuditEventDict:
        return {
            "id": self.pk,
            "workspace": self.workspace_id,
            "at": self.at.isoformat(),
            "actor": self.actor.get_username() if self.actor else None,
            "verb": self.verb,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "data": self.data,
        }


def _workspace_id_of(obj: models.Model) -> int | None:
    if obj._meta.model_name == "workspace":
        return obj.pk
    if hasattr(obj, "workspace_id"):
        return obj.workspace_id  # type: ignore[no-any-return]
    topology = getattr(obj, "topology", None)
    return topology.workspace_id if topology is not None else None


class Deployment(models.Model):
    GUARANTEES: tuple[ProcessingGuarantee, ...] = ("at_least_once", "exactly_once_v2")
    DESIRED: tuple[DesiredState, ...] = ("running", "stopped")
    OBSERVED: tuple[ObservedState, ...] = ("starting", "running", "stopping", "stopped", "failed")

    # The observed-state life cycle; a transition to the current state is a no-op.
    TRANSITIONS: dict[str, frozenset[str]] = {
        "starting": frozenset({"running", "stopping", "stopped", "failed"}),
        "running": frozenset({"starting", "stopping", "stopped", "failed"}),
        "stopping": frozenset({"stopped", "failed", "starting"}),
        "stopped": frozenset({"starting"}),
        "failed": frozenset({"starting", "stopping", "stopped"}),
    }

    topology = models.ForeignKey(Topology, on_delete=models.PROTECT, related_name="deployments")
    version = models.ForeignKey(TopologyVersion, on_delete=models.PROTECT, related_name="deployments")
    # The Kafka cluster the replicas run against (and lag is read from). A connection
    # in use cannot be deleted, and its servers cannot change while the deployment runs.
    connection = models.ForeignKey(Connection, on_delete=models.PROTECT, related_name="deployments")
    application_id = models.CharField(max_length=APPLICATION_ID_MAX, unique=True)
    processing_guarantee = models.CharField(
        max_length=20, choices=[(g, g) for g in GUARANTEES], default="at_least_once"
    )
    replicas = models.PositiveSmallIntegerField(default=1)
    # What a record that cannot be read or processed does (Kafka Streams' exception
    # handlers, streams_config): stop the replica, skip it with a log line, or skip it
    # after writing it to `dead_letter_topic` (KIP-1034) with headers naming the error.
    on_error = models.CharField(max_length=12, choices=[(o, o) for o in ON_ERROR], default="fail")
    dead_letter_topic = models.CharField(max_length=TOPIC_NAME_MAX, blank=True, default="")
    # Bumped by a restart: replicas started for an older generation are no longer
    # wanted, so each closes its StreamsApp (commit, leave the group) and the reconciler
    # fills the freed slot with a replica of the current generation.
    generation = models.PositiveIntegerField(default=0)
    desired_state = models.CharField(
        max_length=10, choices=[(s, s) for s in DESIRED], default="stopped"
    )
    observed_state = models.CharField(
        max_length=10, choices=[(s, s) for s in OBSERVED], default="stopped"
    )
    last_error = models.TextField(blank=True)
    # Reprocessing (studio.deployments.reprocessing). Sink topics this deployment writes
    # instead of the document's: {topic in the document: topic written}.
    output_topic_map = models.JSONField(default=dict, blank=True)
    # At most one deployment of a topology is live: the one whose output downstream
    # readers follow. Set by the first side-by-side run and moved by promote.
    live = models.BooleanField(default=False)
    # A side-by-side candidate points at the deployment it is compared with.
    candidate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="candidates",
    )
    discarded_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["topology"], condition=models.Q(live=True), name="one_live_deployment_per_topology",
            ),
            # One side-by-side candidate at a time (until it is promoted or discarded).
            models.UniqueConstraint(
                fields=["candidate_of"], condition=models.Q(live=False, discarded_at__isnull=True),
                name="one_pending_candidate",
            ),
        ]

    def __str__(self) -> str:
        return self.application_id

    # -- what it runs -----------------------------------------------------------------

    def compile(self) -> Any:
        """The runtime Topology this deployment runs: its version, with its sinks redirected."""
        return documents.build_topology(self.version.document, output_topics=self.output_topic_map)

    def physical_output_topics(self) -> dict[str, str]:
        """{topic in the document: topic written} for every output topic of the version."""
        overrides = self.output_topic_map or {}
        return {topic: overrides.get(topic, topic) for topic in self.version.output_topics()}

    # -- naming -----------------------------------------------------------------------

    @staticmethod
    def default_application_id(version: TopologyVersion) -> str:
        """ "riffle-<topology slug>-v<number>", made unique with a numeric suffix."""
        slug = slugify(version.topology.name)[:80] or f"topology-{version.topology_id}"
        base = f"riffle-{slug}-v{version.number}"
        candidate, n = base, 1
        while Deployment.objects.filter(application_id=candidate).exists():
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    # -- life cycle -------------------------------------------------------------------

    @classmethod
    def create_running(
        cls, version: TopologyVersion, *, connection: Connection, actor: Any, application_id: str | None = None,
        processing_guarantee: ProcessingGuarantee = "at_least_once", replicas: int = 1,
        output_topic_map: dict[str, str] | None = None, candidate_of: Deployment | None = None,
        on_error: OnError = "fail", dead_letter_topic: str = "",
    ) -> Deployment:
        """Create a deployment of `version` that should run, and have it reconciled.

        Raises InvalidDocumentError if the engine cannot run the version's document (it
        is validated again: the engine may have changed since the version was saved).
        """
        problems = version.recheck()
        if any(p["severity"] == "error" for p in problems):
            raise InvalidDocumentError(problems)
        application_id = application_id or cls.default_application_id(version)
        dead_letter_topic = (dead_letter_topic or f"{application_id}-dlq") if on_error == "dead_letter" else ""
        with transaction.atomic():
            try:
                with transaction.atomic():
                    deployment = cls.objects.create(
                        topology=version.topology, version=version, connection=connection,
                        application_id=application_id,
                        processing_guarantee=processing_guarantee, replicas=replicas,
                        on_error=on_error, dead_letter_topic=dead_letter_topic,
                        desired_state="running", observed_state="starting",
                        output_topic_map=output_topic_map or {}, candidate_of=candidate_of,
                        created_by=actor if getattr(actor, "is_authenticated", False) else None,
                    )
            except IntegrityError:
                # Another request took the same application.id between check and insert.
                raise ApplicationIdTakenError(application_id) from None
            AuditEvent.record(
                actor, "deployment.create", deployment,
                version=version.pk, connection=connection.pk, application_id=deployment.application_id,
                processing_guarantee=processing_guarantee, replicas=replicas,
                on_error=on_error, dead_letter_topic=deployment.dead_letter_topic,
            )
            deployment._request_reconcile()
        return deployment

    def start(self, *, actor: Any, operation: int | None = None) -> bool:
        """Ask for the deployment to run. Idempotent; returns whether anything changed.

        Starting a failed deployment clears its error and tries again. Raises
        OperationRunningError while a reprocessing operation (other than `operation`,
        the one starting it) needs the deployment stopped.
        """
        with transaction.atomic():
            locked = Deployment.objects.select_for_update().get(pk=self.pk)
            ReprocessOperation.expire_abandoned(locked)
            busy = ReprocessOperation.objects.filter(deployment=locked, state__in=ReprocessOperation.ACTIVE)
            busy = busy.exclude(pk=operation) if operation is not None else busy
            if (running := busy.first()) is not None:
                raise OperationRunningError(running)
            changed = locked.desired_state != "running" or locked.observed_state == "failed"
            if changed:
                before = {"desired_state": locked.desired_state,
                          "observed_state": locked.observed_state}
                locked.desired_state = "running"
                locked.last_error = ""
                locked.save(update_fields=["desired_state", "last_error", "updated_at"])
                if locked.observed_state in ("stopped", "failed", "stopping"):
                    locked.transition(to="starting", broadcast=False)
                AuditEvent.record(actor, "deployment.start", locked, before=before)
                locked._broadcast_on_commit()
            locked._request_reconcile()
        self.refresh_from_db()
        return changed

    def stop(self, *, actor: Any) -> bool:
        """Ask for the deployment to stop. Idempotent; returns whether anything changed."""
        with transaction.atomic():
            locked = Deployment.objects.select_for_update().get(pk=self.pk)
            changed = locked.desired_state != "stopped"
            if changed:
                before = {"desired_state": locked.desired_state,
                          "observed_state": locked.observed_state}
                locked.desired_state = "stopped"
                locked.save(update_fields=["desired_state", "updated_at"])
                if locked.observed_state in ("starting", "running"):
                    locked.transition(to="stopping", broadcast=False)
                AuditEvent.record(actor, "deployment.stop", locked, before=before)
                locked._broadcast_on_commit()
            locked._request_reconcile()
        self.refresh_from_db()
        return changed

    def scale(self, replicas: int, *, actor: Any) -> bool:
        """Ask for `replicas` replicas. Idempotent; returns whether anything changed.

        The reconciler starts replicas for new slots; replicas in slots past the new
        count see they are no longer wanted and stop themselves.
        """
        if not 1 <= replicas <= MAX_REPLICAS:
            raise ValueError(f"replicas must be between 1 and {MAX_REPLICAS}")
        with transaction.atomic():
            locked = Deployment.objects.select_for_update().get(pk=self.pk)
            changed = locked.replicas != replicas
            if changed:
                before = locked.replicas
                locked.replicas = replicas
                locked.save(update_fields=["replicas", "updated_at"])
                AuditEvent.record(actor, "deployment.scale", locked,
                                  before={"replicas": before}, after={"replicas": replicas})
                locked._broadcast_on_commit()
                locked._request_reconcile()
        self.refresh_from_db()
        return changed

    def restart(self, *, actor: Any, if_generation: int | None = None) -> bool:
        """Replace every replica: bump the generation, so that the current replicas stop
        gracefully and the reconciler starts new ones in their slots.

        `if_generation`: restart only if the deployment is still at that generation, so
        that a retried request does not restart twice. Returns whether it restarted.
        Raises NotRunningError unless the deployment is asked to run (and not failed).
        """
        with transaction.atomic():
            locked = Deployment.objects.select_for_update().get(pk=self.pk)
            if if_generation is not None and locked.generation != if_generation:
                changed = False
            else:
                if not locked.wants_replicas():
                    raise NotRunningError(locked)
                changed = True
                before = locked.generation
                locked.generation = before + 1
                locked.save(update_fields=["generation", "updated_at"])
                AuditEvent.record(actor, "deployment.restart", locked,
                                  before={"generation": before},
                                  after={"generation": locked.generation})
                locked._broadcast_on_commit()
                locked._request_reconcile()
        self.refresh_from_db()
        return changed

    def transition(self, *, to: ObservedState, error: str | None = None, broadcast: bool = True) -> bool:
        """Move the observed state to `to`; websocket clients hear of it on commit.

        Returns False when already in `to` (nothing is written unless `error` is new);
        raises InvalidTransitionError for a change the life cycle does not allow.
        """
        if to not in self.TRANSITIONS:
            raise InvalidTransitionError(f"unknown observed state {to!r}")
        fields = []
        if error is not None and error != self.last_error:
            self.last_error = error
            fields.append("last_error")
        changed = to != self.observed_state
        if changed:
            if to not in self.TRANSITIONS[self.observed_state]:
                raise InvalidTransitionError(
                    f"deployment {self.application_id}: {self.observed_state} -> {to} is not allowed"
                )
            logger.info("deployment %s: %s -> %s", self.application_id, self.observed_state, to)
            self.observed_state = to
            fields.append("observed_state")
        if fields:
            self.save(update_fields=[*fields, "updated_at"])
            if broadcast:
                self._broadcast_on_commit()
        return changed

    def _broadcast_on_commit(self) -> None:
        deployment_id = self.pk
        transaction.on_commit(lambda: _broadcast(deployment_id))

    def _request_reconcile(self) -> None:
        # Imported here: tasks import this module.
        from studio.deployments.tasks import reconcile

        reconcile.delay_on_commit()

    # -- what replicas are wanted -----------------------------------------------------

    def is_stopped(self) -> bool:
        """Asked to stop, and no replica is left running."""
        return self.desired_state == "stopped" and self.observed_state == "stopped"

    def wants_replicas(self) -> bool:
        """Replicas should run: asked to run, and not parked by a failure."""
        return self.desired_state == "running" and self.observed_state != "failed"

    # -- serialization ----------------------------------------------------------------

    def to_dict(self) -> DeploymentDict:
        return {
            "id": self.pk,
            "workspace": self.topology.workspace_id,
            "topology": self.topology_id,
            "version": self.version_id,
            "version_number": self.version.number,
            "connection": self.connection_id,
            "connection_name": self.connection.name,
            "application_id": self.application_id,
            "processing_guarantee": self.processing_guarantee,  # type: ignore[typeddict-item]
            "replicas": self.replicas,
            "on_error": self.on_error,  # type: ignore[typeddict-item]
            "dead_letter_topic": self.dead_letter_topic,
            "generation": self.generation,
            "desired_state": self.desired_state,  # type: ignore[typeddict-item]
            "observed_state": self.observed_state,  # type: ignore[typeddict-item]
            "input_topics": self.version.input_topics(),
            "output_topics": self.version.output_topics(),
            "output_topic_map": self.physical_output_topics(),
            "live": self.live,
            "candidate_of": self.candidate_of_id,
            "discarded_at": self.discarded_at.isoformat() if self.discarded_at else None,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "last_error": self.last_error,
        }


def _broadcast(deployment_id: int) -> None:
    from studio.monitoring.publisher import publish_deployment

    deployment = Deployment.objects.select_related("version", "connection").filter(pk=deployment_id).first()
    if deployment is not None:
        publish_deployment(deployment.pk, deployment.to_dict())


class Replica(models.Model):
    """One long-running Celery task that runs a deployment's StreamsApp.

    `index` is the replica's slot (0 .. deployment.replicas-1); a dead replica is
    replaced by a new row in the same slot, so rows are never reused.
    """

    STATES = ("pending", "running", "stopped", "failed", "dead")
    ACTIVE = ("pending", "running")

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="replica_set")
    index = models.PositiveSmallIntegerField()
    celery_task_id = models.CharField(max_length=64, blank=True)
    host = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(null=True, blank=True)
    state = models.CharField(max_length=10, choices=[(s, s) for s in STATES], default="pending")
    # The deployment's generation this replica was started for (see Deployment.generation).
    generation = models.PositiveIntegerField(default=0)
    last_heartbeat = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["deployment", "index", "-created_at"]
        constraints = [
            # At most one live replica per slot, whatever races the reconciler meets.
            models.UniqueConstraint(
                fields=["deployment", "index"],
                condition=models.Q(state__in=("pending", "running")),
                name="one_active_replica_per_slot",
            ),
        ]

    def __str__(self) -> str:
        return f"replica {self.pk} ({self.deployment_id}/{self.index}, {self.state})"

    def is_wanted(self) -> bool:
        return (
            self.state in self.ACTIVE
            and self.index < self.deployment.replicas
            and self.generation == self.deployment.generation
            and self.deployment.wants_replicas()
        )

    def end(self, state: Literal["stopped", "failed", "dead"]) -> bool:
        """Record that this replica ended, unless it already did. Returns whether it changed."""
        updated = Replica.objects.filter(pk=self.pk, state__in=self.ACTIVE).update(
            state=state, ended_at=timezone.now()
        )
        if updated:
            self.state = state
        return bool(updated)



OperationKind = Literal["reset", "discard"]
OperationState = Literal["pending", "running", "done", "failed"]


class OperationDict(TypedDict):
    id: int
    deployment: int
    kind: OperationKind
    state: OperationState
    message: str
    request: dict[str, Any]       # what was asked (the reset target, redirects, ...)
    result: dict[str, Any]        # what was done: the plan carried out
    created_by: str | None
    created_at: str
    updated_at: str
    finished_at: str | None


class OperationRunningError(ValueError):
    """Another reprocessing operation of the deployment has not finished."""

    def __init__(self, operation: ReprocessOperation) -> None:
        super().__init__(
            f"Deployment {operation.deployment_id} is busy: {operation.kind} operation "
            f"{operation.pk} is {operation.state}."
        )
        self.operation = operation


class ReprocessOperation(models.Model):
    """One asynchronous reprocessing step of a deployment (a reset, a discard), run by
    the Celery task `run_operation`: pending → running → done | failed."""

    KINDS: tuple[OperationKind, ...] = ("reset", "discard")
    STATES: tuple[OperationState, ...] = ("pending", "running", "done", "failed")
    ACTIVE = ("pending", "running")

    deployment = models.ForeignKey(Deployment, on_delete=models.CASCADE, related_name="operations")
    kind = models.CharField(max_length=16, choices=[(k, k) for k in KINDS])
    state = models.CharField(max_length=10, choices=[(s, s) for s in STATES], default="pending")
    message = models.TextField(blank=True)
    request = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One unfinished operation per deployment, whatever requests race.
            models.UniqueConstraint(
                fields=["deployment"], condition=models.Q(state__in=("pending", "running")),
                name="one_active_operation_per_deployment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} of {self.deployment_id} ({self.state})"

    @classmethod
    def begin(cls, deployment: Deployment, kind: OperationKind, *, actor: Any,
              request: dict[str, Any]) -> ReprocessOperation:
        """A pending operation; raises OperationRunningError while another one is unfinished."""
        cls.expire_abandoned(deployment)
        running = cls.objects.filter(deployment=deployment, state__in=cls.ACTIVE).first()
        if running is not None:
            raise OperationRunningError(running)
        try:
            with transaction.atomic():
                operation = cls.objects.create(
                    deployment=deployment, kind=kind, request=request,
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
                operation.announce()
                return operation
        except IntegrityError:
            raise OperationRunningError(
                cls.objects.filter(deployment=deployment, state__in=cls.ACTIVE).first()  # type: ignore[arg-type]
            ) from None

    @classmethod
    def expire_abandoned(cls, deployment: Deployment) -> int:
        """Fail the deployment's unfinished operations that no worker can still be
        running (a worker killed mid-task), so that they do not block it for ever: older
        than twice the stop timeout (the task's longest waits) plus ten minutes."""
        limit = timedelta(seconds=2 * settings.RIFFLE_REPROCESS_STOP_TIMEOUT_S, minutes=10)
        now = timezone.now()
        return cls.objects.filter(deployment=deployment, state__in=cls.ACTIVE, updated_at__lt=now - limit).update(
            state="failed", finished_at=now, updated_at=now,
            message=f"Abandoned: not finished within {limit.total_seconds():.0f} s (its worker stopped?). "
                    "Check the deployment's topics and state before starting it.",
        )

    def finish(self, state: Literal["done", "failed"], message: str = "", result: dict[str, Any] | None = None) -> None:
        self.state = state
        self.message = message
        if result is not None:
            self.result = result
        self.finished_at = timezone.now()
        self.save(update_fields=["state", "message", "result", "finished_at", "updated_at"])
        self.announce()

    def announce(self) -> None:
        """Send the operation's state to the deployment's websocket clients once the
        transaction that changed it commits."""
        from studio.monitoring.publisher import publish_operation  # the publisher imports models

        deployment_id, operation = self.deployment_id, dict(self.to_dict())
        transaction.on_commit(lambda: publish_operation(deployment_id, operation))

    def to_dict(self) -> OperationDict:
        return {
            "id": self.pk,
            "deployment": self.deployment_id,
            "kind": self.kind,  # type: ignore[typeddict-item]
            "state": self.state,  # type: ignore[typeddict-item]
            "message": self.message,
            "request": self.request,
            "result": self.result,
            "created_by": self.created_by.get_username() if self.created_by else None,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }
