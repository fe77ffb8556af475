"""JSON endpoints for the node catalog, topologies and their versions."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from runtime import spec
from studio.api import ERROR_SCHEMA, ProblemsError, paged_schema, paginate, typed_schema
from studio.deployments.models import AuditEvent
from studio.topologies.models import (
    InvalidDocumentError,
    Topology,
    TopologyDict,
    TopologySummaryDict,
    TopologyVersion,
    VersionDict,
    VersionSummaryDict,
)
from studio.topologies import lookup
from studio.topologies.documents import problem
from studio.topologies.serializers import NewTopology, NewVersion, TopologyChange, TopologyFilter
from studio.workspaces.access import check, visible
from studio.workspaces.models import Role

_ERROR = OpenApiResponse(ERROR_SCHEMA, description="refused, with the reasons")


@extend_schema(responses={200: {"type": "array", "items": {"type": "object"}}})
@api_view(["GET"])
def catalog(request: Request) -> Response:
    """The node types a document may use, with their parameters (drives the palette)."""
    return Response(spec.node_catalog())


@extend_schema(responses={200: {"type": "object"}})
@api_view(["GET"])
def port_kinds(request: Request) -> Response:
    """Port kinds, their names and what to put between two mismatched ones (the editor
    refuses a connection with the words validation would use)."""
    return Response(spec.port_kinds())


@extend_schema(responses={200: {"type": "object"}})
@api_view(["GET"])
def document_schema(request: Request) -> Response:
    """The JSON Schema of a topology document (editors check documents against it)."""
    return Response(spec.document_schema())


@extend_schema(responses={200: {"type": "array", "items": {"type": "object"}}})
@api_view(["GET"])
def functions(request: Request) -> Response:
    """The functions expressions may call: the built-ins, then the user-defined ones
    installed on this server (entry points in ``riffle.functions``)."""
    return Response(spec.function_reference())


@extend_schema(responses={200: {"type": "object"}})
@api_view(["GET"])
def processors(request: Request) -> Response:
    """The processors installed on this server (entry points in ``riffle.processors``),
    for Process nodes; with ``broken``, the entry points that failed to load."""
    return Response({"processors": spec.registered_processors(),
                     "broken": spec.entry_point_errors()})


@extend_schema(
    methods=["GET"], operation_id="topologies_list", parameters=[TopologyFilter],
    responses={200: paged_schema(TopologySummaryDict), 400: _ERROR},
)
@extend_schema(
    methods=["POST"], operation_id="topologies_create", request=NewTopology,
    responses={201: typed_schema(TopologyDict), 400: _ERROR, 403: _ERROR, 409: _ERROR},
)
@api_view(["GET", "POST"])
def topology_list(request: Request) -> Response:
    """The topologies of the user's workspaces; POST creates one (editors), optionally
    with its first version."""
    if request.method == "GET":
        query = TopologyFilter(data=request.query_params)
        query.is_valid(raise_exception=True)
        versions = TopologyVersion.objects.only("id", "number", "created_at", "topology_id")
        topologies = visible(Topology.objects.all(), request.user)
        topologies = query.filter(topologies).prefetch_related(Prefetch("versions", queryset=versions))
        return paginate(request, topologies, Topology.to_summary)

    body = NewTopology(data=request.data, context={"request": request})
    body.is_valid(raise_exception=True)
    data = body.validated_data
    workspace = data["workspace"]
    check(request.user, workspace.pk, Role.EDITOR, action="Creating a topology",
          not_found=f"There is no workspace {workspace.pk}.")
    try:
        with transaction.atomic():
            topology = Topology.objects.create(
                workspace=workspace, name=data["name"], description=data["description"],
                created_by=request.user,
            )
            if "document" in data:
                _add_version(request, topology, data["document"], data["message"])
    except IntegrityError:
        message = f"Workspace {workspace.name!r} has a topology named {data['name']!r} already."
        raise ProblemsError(message, [problem(message, path="name")],
                            status_code=status.HTTP_409_CONFLICT) from None
    AuditEvent.record(request.user, "topology.create", topology, name=topology.name)
    return Response(topology.to_dict(), status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: typed_schema(TopologyDict), 404: _ERROR})
@extend_schema(methods=["PATCH"], request=TopologyChange,
               responses={200: typed_schema(TopologyDict), 400: _ERROR, 403: _ERROR, 404: _ERROR, 409: _ERROR})
@extend_schema(methods=["DELETE"], request=None,
               responses={204: None, 403: _ERROR, 404: _ERROR, 409: _ERROR})
@api_view(["GET", "PATCH", "DELETE"])
def topology_detail(request: Request, topology_id: int) -> Response:
    if request.method == "GET":
        return Response(lookup.topology(request, topology_id, Role.VIEWER, "Reading").to_dict())
    if request.method == "PATCH":
        topology = lookup.topology(request, topology_id, Role.EDITOR, "Changing the topology")
        body = TopologyChange(data=request.data)
        body.is_valid(raise_exception=True)
        before = {"name": topology.name, "description": topology.description}
        for field, value in body.validated_data.items():
            setattr(topology, field, value)
        try:
            with transaction.atomic():
                topology.save()
        except IntegrityError:
            message = f"The workspace has a topology named {topology.name!r} already."
            raise ProblemsError(message, [problem(message, path="name")],
                                status_code=status.HTTP_409_CONFLICT) from None
        AuditEvent.record(request.user, "topology.update", topology, before=before,
                          after={"name": topology.name, "description": topology.description})
        return Response(topology.to_dict())

    topology = lookup.topology(request, topology_id, Role.EDITOR, "Deleting the topology")
    deployed = list(topology.deployments.values_list("application_id", flat=True))
    if deployed:
        raise ProblemsError(
            f"Topology {topology.name!r} has deployments ({', '.join(deployed)}); "
            "a deployment pins its version, so delete those first.", [],
            status_code=status.HTTP_409_CONFLICT,
        )
    AuditEvent.record(request.user, "topology.delete", topology, name=topology.name)
    topology.delete()
    return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(
    methods=["GET"], operation_id="topologies_versions_list",
    responses={200: paged_schema(VersionSummaryDict), 404: _ERROR},
)
@extend_schema(
    methods=["POST"], operation_id="topologies_versions_create", request=NewVersion,
    responses={201: typed_schema(VersionDict), 400: _ERROR, 403: _ERROR, 404: _ERROR},
)
@api_view(["GET", "POST"])
def topology_versions(request: Request, topology_id: int) -> Response:
    if request.method == "GET":
        topology = lookup.topology(request, topology_id, Role.VIEWER, "Listing versions")
        versions = topology.versions.select_related("created_by").defer("document")
        return paginate(request, versions, TopologyVersion.to_summary)

    topology = lookup.topology(request, topology_id, Role.EDITOR, "Saving a version")
    body = NewVersion(data=request.data)
    body.is_valid(raise_exception=True)
    version = _add_version(request, topology, body.validated_data["document"],
                           body.validated_data["message"])
    return Response(version.to_dict(), status=status.HTTP_201_CREATED)


@extend_schema(responses={200: typed_schema(VersionDict), 404: _ERROR})
@api_view(["GET"])
def topology_version_detail(request: Request, topology_id: int, number: int) -> Response:
    """One version with its document: a deployment may pin one that is not the latest."""
    return Response(lookup.version(request, topology_id, number, "Reading a version").to_dict())


def _add_version(request: Request, topology: Topology, document: dict, message: str) -> TopologyVersion:
    try:
        version = topology.add_version(document, message=message, created_by=request.user)
    except InvalidDocumentError as exc:
        errors = sum(1 for p in exc.problems if p["severity"] == "error")
        raise ProblemsError(
            f"The document has {errors} error{'s' if errors != 1 else ''}; it was not saved.",
            exc.problems,
        ) from None
    AuditEvent.record(request.user, "version.create", version,
                      topology=topology.pk, number=version.number)
    return version
