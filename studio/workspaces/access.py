"""The one place that decides whether a user may act in a workspace.

Views load the object a request names, then call `check` with the role the action
needs. Someone who is not a member gets the same 404 as for an object that does not
exist, so ids of other workspaces' objects reveal nothing; a member whose role is too
low gets a 403 that names the role needed.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, QuerySet
from rest_framework.exceptions import NotFound, PermissionDenied

from studio.workspaces.models import Membership, Role, Workspace

M = TypeVar("M", bound=Model)


def role_of(user: Any, workspace_id: int) -> Role | None:
    """The user's role in the workspace, or None when they are not a member."""
    if user is None or not user.is_authenticated:
        return None
    if user.is_superuser:
        return Role.ADMIN
    role = (
        Membership.objects.filter(workspace_id=workspace_id, user_id=user.pk)
        .values_list("role", flat=True).first()
    )
    return Role(role) if role else None


def check(user: Any, workspace_id: int, needed: Role, *, action: str, not_found: str) -> Role:
    """The user's role, if it includes `needed`; else NotFound (not a member, with
    `not_found` as the message) or PermissionDenied (saying what `action` needs)."""
    role = role_of(user, workspace_id)
    if role is None:
        raise NotFound(not_found)
    if not role.includes(needed):
        name = Workspace.objects.filter(pk=workspace_id).values_list("name", flat=True).first()
        raise PermissionDenied(
            f"{action} needs the {needed.value} role in workspace {name!r}; you are {_a(role)}."
        )
    return role


def visible(queryset: QuerySet[M], user: Any, *, through: str = "workspace") -> QuerySet[M]:
    """`queryset` narrowed to objects in workspaces where the user has any role;
    `through` is the lookup path from the model to its workspace ("" for workspaces)."""
    if user.is_superuser:
        return queryset
    prefix = f"{through}__" if through else ""
    return queryset.filter(**{f"{prefix}memberships__user_id": user.pk})


def workspaces_of(user: Any) -> list[tuple[Workspace, Role]]:
    """Every workspace the user may see, with their role in it."""
    if user.is_superuser:
        return [(w, Role.ADMIN) for w in Workspace.objects.all()]
    memberships = Membership.objects.filter(user_id=user.pk).select_related("workspace")
    return sorted(((m.workspace, Role(m.role)) for m in memberships), key=lambda wr: wr[0].name)


def _a(role: Role) -> str:
    article = "an" if role.value[0] in "aeiou" else "a"
    return f"{article} {role.value}"
