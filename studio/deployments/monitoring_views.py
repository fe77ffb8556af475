"""JSON endpoints for what a deployment's replicas saw: the latest record errors and the
latest record samples per node (kept in Redis by studio.monitoring.samples; the same
data as the websocket snapshot)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from studio.api import ERROR_SCHEMA, ProblemsError, paged_schema, paginate, typed_schema
from studio.deployments import lookup
from studio.monitoring.samples import RecordErrorDict, SampleDict, read_errors, read_samples
from studio.workspaces.models import Role

_ERROR = OpenApiResponse(ERROR_SCHEMA, description="refused, with the reasons")
_SAMPLES = {
    "type": "object",
    "required": ["samples"],
    "properties": {"samples": {
        "type": "object", "description": "node -> its latest samples, newest first",
        "additionalProperties": {"type": "array", "items": typed_schema(SampleDict)},
    }},
}


@extend_schema(responses={200: paged_schema(RecordErrorDict), 404: _ERROR, 503: _ERROR})
@api_view(["GET"])
def deployment_errors(request: Request, deployment_id: int) -> Response:
    """The latest record errors of every replica (the last 100), newest first: the
    record, where it failed and the exception handler's decision."""
    deployment = lookup.deployment(request, deployment_id, Role.VIEWER, "Reading record errors")
    errors = _from_redis(read_errors, deployment.pk)
    return paginate(request, errors, _same)


@extend_schema(
    parameters=[OpenApiParameter("node", str, description="only this node's samples")],
    responses={200: _SAMPLES, 404: _ERROR, 503: _ERROR},
)
@api_view(["GET"])
def deployment_samples(request: Request, deployment_id: int) -> Response:
    """The latest record samples (up to 5) of each node, newest first: the record as the
    node passed it on."""
    deployment = lookup.deployment(request, deployment_id, Role.VIEWER, "Reading record samples")
    node = request.query_params.get("node") or None
    return Response({"samples": _from_redis(read_samples, deployment.pk, node)})


def _from_redis(read: Any, *args: Any) -> Any:
    try:
        return read(*args)
    except Exception as exc:
        raise ProblemsError(f"Cannot read live records: {exc}", [],
                            status_code=status.HTTP_503_SERVICE_UNAVAILABLE) from None


def _same(item: Any) -> Any:
    return item
