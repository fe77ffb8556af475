"""JSON endpoints for the node catalog, topologies and their versions."""

from __future__ import annotations

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
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
from studio.topologies.serializers import NewVersion

_ERROR = OpenApiResponse(ERROR_SCHEMA, description="refused, with the reasons")


@extend_schema(responses={200: {"type": "array", "items": {"type": "object"}}})
@api_view(["GET"])
def catalog(request: Request) -> Response:
    """The node types a document may use, with their parameters (drives the palette)."""
    return Response(spec.node_catalog())


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


@extend_schema(operation_id="topologies_list", responses={200: paged_schema(TopologySummaryDict)})
@api_view(["GET"])
def topology_list(request: Request) -> Response:
    versions = TopologyVersion.objects.only("id", "number", "created_at", "topology_id")
    topologies = Topology.objects.prefetch_related(Prefetch("versions", queryset=versions))
    return paginate(request, topologies, Topology.to_summary)


@extend_schema(responses={200: typed_schema(TopologyDict), 404: _ERROR})
@api_view(["GET"])
def topology_detail(request: Request, topology_id: int) -> Response:
    return Response(_topology(topology_id).to_dict())


@extend_schema(
    methods=["GET"], operation_id="topologies_versions_list",
    responses={200: paged_schema(VersionSummaryDict), 404: _ERROR},
)
@extend_schema(
    methods=["POST"], operation_id="topologies_versions_create", request=NewVersion,
    responses={201: typed_schema(VersionDict), 400: _ERROR, 404: _ERROR},
)
@api_view(["GET", "POST"])
def topology_versions(request: Request, topology_id: int) -> Response:
    topology = _topology(topology_id)
    if request.method == "GET":
        versions = topology.versions.select_related("created_by").defer("document")
        return paginate(request, versions, TopologyVersion.to_summary)

    body = NewVersion(data=request.data)
    body.is_valid(raise_exception=True)
    try:
        version = topology.add_version(
            body.validated_data["document"], message=body.validated_data["message"],
            created_by=request.user,
        )
    except InvalidDocumentError as exc:
        errors = sum(1 for p in exc.problems if p["severity"] == "error")
        raise ProblemsError(
            f"The document has {errors} error{'s' if errors != 1 else ''}; it was not saved.",
            exc.problems,
        ) from None
    AuditEvent.record(request.user, "version.create", version,
                      topology=topology.pk, number=version.number)
    return Response(version.to_dict(), status=status.HTTP_201_CREATED)


@extend_schema(responses={200: typed_schema(VersionDict), 404: _ERROR})
@api_view(["GET"])
def topology_version_detail(request: Request, topology_id: int, number: int) -> Response:
    """One version with its document: a deployment may pin one that is not the latest."""
    version = (
        _topology(topology_id).versions.select_related("created_by").filter(number=number).first()
    )
    if version is None:
        raise NotFound(f"Topology {topology_id} has no version {number}.")
    return Response(version.to_dict())


def _topology(topology_id: int) -> Topology:
    topology = Topology.objects.filter(pk=topology_id).first()
    if topology is None:
        raise NotFound(f"There is no topology {topology_id}.")
    return topology

