"""What a user may see through the live views (metrics history, websockets): one place
to add workspace and role checks.

Everything a monitoring view or consumer loads goes through these functions, so that a
role check, or a workspace filter, is a change here only. For now every authenticated
user sees every deployment and connection.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from studio.connections.models import Connection
from studio.deployments.models import Deployment

__all__ = ["connection_for", "deployment_for", "feed_groups", "feed_groups_of", "visible_deployments"]

ALL_DEPLOYMENTS_GROUP = "deployments-feed"


def visible_deployments(user: Any) -> QuerySet[Deployment]:
    return Deployment.objects.select_related("version")


def deployment_for(user: Any, deployment_id: int) -> Deployment | None:
    """The deployment if `user` may see it, else None (answered as "not found")."""
    return visible_deployments(user).filter(pk=deployment_id).first()


def connection_for(user: Any, connection_id: int) -> Connection | None:
    return Connection.objects.select_related("created_by").filter(pk=connection_id).first()


def feed_groups(user: Any) -> list[str]:
    """The Channels groups of the deployments feed that `user` joins (one per workspace
    once deployments belong to workspaces: `[f"deployments-feed-{w}" for w in ...]`)."""
    return [ALL_DEPLOYMENTS_GROUP]


def feed_groups_of(deployment: dict[str, Any]) -> list[str]:
    """The feed groups that hear about a change of `deployment` (a DeploymentDict)."""
    return [ALL_DEPLOYMENTS_GROUP]
