"""Deployments as the request's user may see them (the role checks live in
studio.workspaces.access)."""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from studio.deployments.models import Deployment
from studio.workspaces.access import check
from studio.workspaces.models import Role


def deployment(request: Request, deployment_id: int, needed: Role, action: str) -> Deployment:
    """The deployment, if the user's role in its workspace allows `action`."""
    not_found = f"There is no deployment {deployment_id}."
    found = Deployment.objects.select_related("version", "topology").filter(pk=deployment_id).first()
    if found is None:
        raise NotFound(not_found)
    check(request.user, found.topology.workspace_id, needed, action=action, not_found=not_found)
    return found
