"""What a user may see through the live views (websockets): the websocket side of
studio.workspaces.access.

Any role in a workspace lets a user watch its deployments and tail its connections'
topics; someone else gets None, answered as "not found". The deployments feed has one
Channels group per workspace, so a change reaches only that workspace's members.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from studio.connections.models import Connection
from studio.deployments.models import Deployment
from studio.workspaces.access import role_of, visible, workspaces_of

__all__ = ["CLOSE_UNAUTHENTICATED", "accept_signed_in", "connection_for", "deployment_for", "feed_groups",
           "feed_groups_of", "visible_deployments"]

CLOSE_UNAUTHENTICATED = 4401


async def accept_signed_in(consumer: Any) -> Any | None:
    """Accept the websocket, then the signed-in user; for anyone else close it with 4401
    and None. Accepting before refusing lets the browser see the close code."""
    await consumer.accept()
    user = consumer.scope.get("user")
    if user is None or not user.is_authenticated:
        await consumer.close(code=CLOSE_UNAUTHENTICATED)
        return None
    return user


def visible_deployments(user: Any) -> QuerySet[Deployment]:
    return visible(Deployment.objects.select_related("version", "topology"), user,
                   through="topology__workspace")


def deployment_for(user: Any, deployment_id: int) -> Deployment | None:
    """The deployment if `user` may see it, else None (answered as "not found")."""
    deployment = (
        Deployment.objects.select_related("version", "topology").filter(pk=deployment_id).first()
    )
    if deployment is None or role_of(user, deployment.topology.workspace_id) is None:
        return None
    return deployment


def connection_for(user: Any, connection_id: int) -> Connection | None:
    connection = Connection.objects.select_related("created_by").filter(pk=connection_id).first()
    if connection is None or role_of(user, connection.workspace_id) is None:
        return None
    return connection


def feed_group(workspace_id: int) -> str:
    return f"deployments-feed-{workspace_id}"


def feed_groups(user: Any) -> list[str]:
    """The Channels groups of the deployments feed that `user` joins: one per workspace
    they may see (joined at connect; a membership given later needs a reconnect)."""
    return [feed_group(w.pk) for w, _ in workspaces_of(user)]


def feed_groups_of(deployment: dict[str, Any]) -> list[str]:
    """The feed groups that hear about a change of `deployment` (a DeploymentDict)."""
    return [feed_group(deployment["workspace"])]
