"""Topologies and their immutable, numbered versions."""

from __future__ import annotations

import logging
from typing import Any, TypedDict

from django.conf import settings
from django.db import IntegrityError, models, transaction

from studio.topologies import documents
from studio.topologies.documents import ProblemDict

logger = logging.getLogger(__name__)


class ImmutableVersionError(RuntimeError):
    """A saved TopologyVersion was about to be changed; versions are append-only."""


class InvalidDocumentError(ValueError):
    """A document has error-level problems and cannot become a version."""

    def __init__(self, problems: list[ProblemDict]) -> None:
        errors = [p for p in problems if p["severity"] == "error"]
        super().__init__(f"the document has {len(errors)} error(s)")
        self.problems = problems


class VersionRefDict(TypedDict):
    id: int
    number: int
    created_at: str


class VersionSummaryDict(TypedDict):
    id: int
    number: int
    message: str
    created_at: str
    created_by: str | None
    problems: list[ProblemDict]


class VersionDict(TypedDict):
    id: int
    number: int
    message: str
    created_at: str
    created_by: str | None
    document: dict[str, Any]
    describe: str | None
    problems: list[ProblemDict]


class TopologySummaryDict(TypedDict):
    id: int
    workspace: int
    name: str
    description: str
    latest_version: VersionRefDict | None


class TopologyDict(TypedDict):
    id: int
    workspace: int
    name: str
    description: str
    latest_version: VersionDict | None


class Topology(models.Model):
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.PROTECT, related_name="topologies"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "topologies"
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="topology_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def latest_version(self) -> TopologyVersion | None:
        # Views prefetch `versions`; use the cache when it is there.
        cache = getattr(self, "_prefetched_objects_cache", {}).get("versions")
        if cache is not None:
            return max(cache, key=lambda v: v.number, default=None)
        return self.versions.order_by("-number").first()

    def add_version(
        self, document: dict[str, Any], *, message: str = "", created_by: Any = None,
        allow_errors: bool = False,
    ) -> TopologyVersion:
        """Validate `document` and store it as the next version.

        Raises InvalidDocumentError when validation reports any error, unless
        `allow_errors` (for trusted documents such as the shipped examples, which may use
        node types the engine does not run yet). The problems are kept on the version.
        """
        problems = documents.check(document)
        if not allow_errors and any(p["severity"] == "error" for p in problems):
            raise InvalidDocumentError(problems)
        # Two concurrent saves may pick the same number; the unique constraint refuses
        # the second, which retries with the next number.
        for _attempt in range(3):
            number = (self.versions.aggregate(n=models.Max("number"))["n"] or 0) + 1
            try:
                with transaction.atomic():
                    version = TopologyVersion.objects.create(
                        topology=self, number=number, document=document,
                        message=message, created_by=created_by, problems=problems,
                    )
            except IntegrityError:
                continue
            Topology.objects.filter(pk=self.pk).update(updated_at=version.created_at)
            return version
        raise IntegrityError(f"could not number a new version of topology {self.pk}")

    def to_summary(self) -> TopologySummaryDict:
        latest = self.latest_version
        return {
            "id": self.pk,
            "workspace": self.workspace_id,
            "name": self.name,
            "description": self.description,
            "latest_version": latest.to_ref() if latest else None,
        }

    def to_dict(self) -> TopologyDict:
        latest = self.latest_version
        return {
            "id": self.pk,
            "workspace": self.workspace_id,
            "name": self.name,
            "description": self.description,
            "latest_version": latest.to_dict() if latest else None,
        }


class TopologyVersion(models.Model):
    """One saved document. Immutable: deployments pin versions, so a version never changes."""

    topology = models.ForeignKey(Topology, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    document = models.JSONField()
    message = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # What validation found when the version was saved: warnings, and errors only for
    # documents saved with allow_errors (never through the API).
    problems = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["topology", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["topology", "number"], name="version_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.topology.name} v{self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableVersionError(
                f"version {self.number} of {self.topology.name!r} is saved and cannot change"
            )
        super().save(*args, **kwargs)

    def compile(self) -> Any:
        """The runtime Topology of this version's document."""
        return documents.build_topology(self.document)

    def describe(self) -> str | None:
        return documents.describe(self.document)

    def recheck(self) -> list[ProblemDict]:
        """Validate the document again, with the engine as it is now."""
        return documents.check(self.document)

    def input_topics(self) -> list[str]:
        return documents.input_topics(self.document)

    def output_topics(self) -> list[str]:
        return documents.output_topics(self.document)

    def to_ref(self) -> VersionRefDict:
        return {"id": self.pk, "number": self.number, "created_at": self.created_at.isoformat()}

    def to_summary(self) -> VersionSummaryDict:
        return {
            "id": self.pk,
            "number": self.number,
            "message": self.message,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by.get_username() if self.created_by else None,
            "problems": self.problems,
        }

    def to_dict(self) -> VersionDict:
        return {
            "id": self.pk,
            "number": self.number,
            "message": self.message,
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by.get_username() if self.created_by else None,
            "document": self.document,
            "describe": self.describe(),
            "problems": self.problems,
        }
