"""Deployments of topology versions, their replicas, and the audit trail.

Desired state (what the user asked for) lives here; observed state is written by the
replicas and the reconciler, always through `Deployment.transition`.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal, TypedDict

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.utils import timezone
from django.utils.text import slugify

from studio.topologies.models import InvalidDocumentError, Topology, TopologyVersion

logger = logging.getLogger(__name__)

DesiredState = Literal["running", "stopped"]
ObservedState = Literal["starting", "running", "stopping", "stopped", "failed"]
ProcessingGuarantee = Literal["at_least_once", "exactly_once_v2"]

# Kafka topic names allow these characters, and internal topics are named
# f"{application_id}-{store}-changelog", so the id must be a valid topic prefix.
APPLICATION_ID_RE = re.compile(r"^[A-Za-z0-9._-]+$")
APPLICATION_ID_MAX = 120
MAX_REPLICAS = 32


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
    application_id: str
    processing_guarantee: ProcessingGuarantee
    replicas: int
    generation: int
    desired_state: DesiredState
    observed_state: ObservedState
    input_topics: list[str]
    output_topics: list[str]
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
    application_id = models.CharField(max_length=APPLICATION_ID_MAX, unique=True)
    processing_guarantee = models.CharField(
        max_length=20, choices=[(g, g) for g in GUARANTEES], default="at_least_once"
    )
    replicas = models.PositiveSmallIntegerField(default=1)
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
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.application_id

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
        cls, version: TopologyVersion, *, actor: Any, application_id: str | None = None,
        processing_guarantee: ProcessingGuarantee = "at_least_once", replicas: int = 1,
    ) -> Deployment:
        """Create a deployment of `version` that should run, and have it reconciled.

        Raises InvalidDocumentError if the engine cannot run the version's document (it
        is validated again: the engine may have changed since the version was saved).
        """
        problems = version.recheck()
        if any(p["severity"] == "error" for p in problems):
            raise InvalidDocumentError(problems)
        with transaction.atomic():
            try:
                with transaction.atomic():
                    deployment = cls.objects.create(
                        topology=version.topology, version=version,
                        application_id=application_id or cls.default_application_id(version),
                        processing_guarantee=processing_guarantee, replicas=replicas,
                        desired_state="running", observed_state="starting",
                        created_by=actor if getattr(actor, "is_authenticated", False) else None,
                    )
            except IntegrityError:
                # Another request took the same application.id between check and insert.
                raise ApplicationIdTakenError(application_id or "") from None
            AuditEvent.record(
                actor, "deployment.create", deployment,
                version=version.pk, application_id=deployment.application_id,
                processing_guarantee=processing_guarantee, replicas=replicas,
            )
            deployment._request_reconcile()
        return deployment

    def start(self, *, actor: Any) -> bool:
        """Ask for the deployment to run. Idempotent; returns whether anything changed.

        Starting a failed deployment clears its error and tries again.
        """
        with transaction.atomic():
            locked = Deployment.objects.select_for_update().get(pk=self.pk)
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
            "application_id": self.application_id,
            "processing_guarantee": self.processing_guarantee,  # type: ignore[typeddict-item]
            "replicas": self.replicas,
            "generation": self.generation,
            "desired_state": self.desired_state,  # type: ignore[typeddict-item]
            "observed_state": self.observed_state,  # type: ignore[typeddict-item]
            "input_topics": self.version.input_topics(),
            "output_topics": self.version.output_topics(),
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
            "last_error": self.last_error,
        }


def _broadcast(deployment_id: int) -> None:
    from studio.monitoring.publisher import publish_deployment

    deployment = Deployment.objects.select_related("version").filter(pk=deployment_id).first()
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

