"""GET /api/deployments/<id>/metrics/: the deployment's metrics history as aligned series."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from studio.api import ERROR_SCHEMA, ProblemsError, typed_schema
from studio.deployments import lookup
from studio.deployments.serializers import MetricsQuery
from studio.monitoring import history
from studio.workspaces.models import Role

_ERROR = OpenApiResponse(ERROR_SCHEMA, description="refused, with the reasons")


@extend_schema(
    operation_id="deployments_metrics", parameters=[MetricsQuery],
    responses={
        200: typed_schema(list[history.SeriesDict]), 400: _ERROR, 404: _ERROR,
        503: OpenApiResponse(ERROR_SCHEMA, description="Redis, which keeps the history, is unavailable"),
    },
)
@api_view(["GET"])
def deployment_metrics(request: Request, deployment_id: int) -> Response:
    """The replicas' metrics combined, one point per `step` seconds from `since` (rounded
    down to a step) to `until`; `[t, null]` where no replica reported."""
    deployment = lookup.deployment(request, deployment_id, Role.VIEWER, "Reading metrics")
    query = MetricsQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    q = query.validated_data
    try:
        series = history.read(deployment.pk, q["since"], q["until"], q["step_ms"], q["series"])
    except history.HistoryUnavailableError as exc:
        raise ProblemsError(f"The metrics history cannot be read: Redis is unavailable ({exc}).", [],
                            status_code=status.HTTP_503_SERVICE_UNAVAILABLE) from None
    return Response(series)
