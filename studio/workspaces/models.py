"""Workspaces: who may see and do what.

Every topology and connection belongs to one workspace (a deployment to its topology's).
A user's role in a workspace decides what they may do there; roles are ordered, each
including the ones below it:

- viewer: read everything in the workspace (documents, deployments, dashboards, records);
- editor: also create and change topologies and save versions;
- operator: also deploy, start, stop, scale, restart, reprocess, create topics and
  produce records;
- admin: also manage connections (their secrets) and the workspace's members.

A Django superuser is an admin of every workspace.
"""

from __future__ import annotations

from typing import TypedDict

from django.conf import settings
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    VIEWER = "viewer"
    EDITOR = "editor"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self.value]

    def includes(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {"viewer": 1, "editor": 2, "operator": 3, "admin": 4}


class WorkspaceDict(TypedDict):
    id: int
    name: str
    slug: str
    description: str
    role: str
    created_at: str


class MemberDict(TypedDict):
    user_id: int
    username: str
    role: str
    added_at: str


class Workspace(models.Model):
    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def to_dict(self, role: Role) -> WorkspaceDict:
        return {
            "id": self.pk,
            "name": self.name,
            "slug": self.slug,
            "description": self.description,
            "role": role.value,
            "created_at": self.created_at.isoformat(),
        }


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["workspace", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.workspace}"

    def to_dict(self) -> MemberDict:
        return {
            "user_id": self.user_id,
            "username": self.user.get_username(),
            "role": self.role,
            "added_at": self.added_at.isoformat(),
        }
