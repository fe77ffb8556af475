"""Topologies and versions as the request's user may see them (the role checks live in
studio.workspaces.access; this module names what is being looked up)."""

from __future__ import annotations

from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from studio.topologies.models import Topology, TopologyVersion
from studio.workspaces.access import check
from studio.workspaces.models import Role


def topology(request: Request, topology_id: int, needed: Role, action: str) -> Topology:
    """The topology, if the user's role in its workspace allows `action`."""
    not_found = f"There is no topology {topology_id}."
    found = Topology.objects.filter(pk=topology_id).first()
    if found is None:
        raise NotFound(not_found)
    check(request.user, found.workspace_id, needed, action=action, not_found=not_found)
    return found


def version_of(topology: Topology, number: int) -> TopologyVersion:
    version = topology.versions.select_related("created_by").filter(number=number).first()
    if version is None:
        raise NotFound(f"Topology {topology.pk} has no version {number}.")
    return version


def version(request: Request, topology_id: int, number: int, action: str) -> TopologyVersion:
    """A version the user may read."""
    return version_of(topology(request, topology_id, Role.VIEWER, action), number)
