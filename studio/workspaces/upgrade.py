"""Data migrations' helper: objects made before workspaces existed join a "Default"
workspace, whose members are every user of that time, as admins (before workspaces
everyone could do everything; an admin demotes people afterwards)."""

from __future__ import annotations

from typing import Any

from django.conf import settings


def adopt_orphans(apps: Any, app_label: str, model_name: str) -> None:
    model = apps.get_model(app_label, model_name)
    orphans = model.objects.filter(workspace__isnull=True)
    if not orphans.exists():
        return
    workspace_model = apps.get_model("workspaces", "Workspace")
    membership_model = apps.get_model("workspaces", "Membership")
    workspace, created = workspace_model.objects.get_or_create(
        slug="default", defaults={"name": "Default"}
    )
    if created:
        users = apps.get_model(*settings.AUTH_USER_MODEL.split(".")).objects.filter(is_active=True)
        membership_model.objects.bulk_create(
            membership_model(workspace=workspace, user=user, role="admin") for user in users
        )
    orphans.update(workspace=workspace)
