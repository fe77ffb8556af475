"""JSON endpoints for deployments: list, create (deploy), detail, start, stop, scale,
restart, lag; and the audit log."""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from studio.api import ERROR_SCHEMA, ProblemsError, paged_schema, paginate, typed_schema
from studio.connections.models import UnusableConnectionError
from studio.deployments import lag, lookup
from studio.deployments.models import (
    ApplicationIdTakenError,
    AuditEvent,
    AuditEventDict,
    Deployment,
    DeploymentDict,
    NotRunningError,
    OperationRunningError,
)
from studio.deployments.serializers import AuditFilter, DeploymentFilter, NewDeployment, Restart, Scale
from studio.topologies.documents import problem
from studio.topologies.models import InvalidDocumentError
from studio.workspaces.access import check, visible
from studio.workspaces.models import Role

_ERROR = OpenApiResponse(ERROR_SCHEMA, description="refused, with the reasons")
_DEPLOYMENT = typed_schema(DeploymentDict)


@extend_schema(
    methods=["GET"], operation_id="deployments_list", parameters=[DeploymentFilter],
    responses={200: paged_schema(DeploymentDict), 400: _ERROR},
)
@extend_schema(methods=["POST"], operation_id="deployments_create", request=NewDeployment, responses={201: _DEPLOYMENT, 400: _ERROR})
@api_view(["GET", "POST"])
def deployment_list(request: Request) -> Response:
    if request.method == "GET":
        query = DeploymentFilter(data=request.query_params)
        query.is_valid(raise_exception=True)
        deployments = visible(Deployment.objects.select_related("version", "topology", "connection"),
                              request.user, through="topology__workspace")
        return paginate(request, query.filter(deployments), Deployment.to_dict)

    body = NewDeployment(data=request.data, context={"request": request})
    body.is_valid(raise_exception=True)
    data = body.validated_data
    topology = data["version"].topology
    check(request.user, topology.workspace_id, Role.OPERATOR,
          action=f"Deploying {topology.name!r}", not_found=f"There is no topology {topology.pk}.")
    try:
        deployment = Deployment.create_running(
            data["version"], connection=data["connection"], actor=request.user,
            application_id=data.get("application_id"),
            processing_guarantee=data["processing_guarantee"], replicas=data["replicas"],
            on_error=data["on_error"], dead_letter_topic=data.get("dead_letter_topic", ""),
        )
    except ApplicationIdTakenError as exc:
        raise ProblemsError(str(exc), [problem(str(exc), path="application_id")]) from None
    except InvalidDocumentError as exc:
        version = data["version"]
        raise ProblemsError(
            f"Version {version.number} of {version.topology.name!r} cannot run: "
            "its document has errors.", exc.problems,
        ) from None
    return Response(deployment.to_dict(), status=status.HTTP_201_CREATED)


@extend_schema(responses={200: _DEPLOYMENT, 404: _ERROR})
@api_view(["GET"])
def deployment_detail(request: Request, deployment_id: int) -> Response:
    deployment = lookup.deployment(request, deployment_id, Role.VIEWER, "Reading the deployment")
    return Response(deployment.to_dict())


@extend_schema(request=None, responses={200: _DEPLOYMENT, 404: _ERROR, 409: _ERROR})
@api_view(["POST"])
def deployment_start(request: Request, deployment_id: int) -> Response:
    """Ask the deployment to run (refused while a reset or discard keeps it stopped)."""
    deployment = lookup.deployment(request, deployment_id, Role.OPERATOR, "Starting the deployment")
    try:
        deployment.start(actor=request.user)
    except OperationRunningError as exc:
        raise ProblemsError(str(exc), [], status_code=status.HTTP_409_CONFLICT) from None
    return Response(deployment.to_dict())


@extend_schema(request=None, responses={200: _DEPLOYMENT, 404: _ERROR})
@api_view(["POST"])
def deployment_stop(request: Request, deployment_id: int) -> Response:
    deployment = lookup.deployment(request, deployment_id, Role.OPERATOR, "Stopping the deployment")
    deployment.stop(actor=request.user)
    return Response(deployment.to_dict())


@extend_schema(request=Scale, responses={200: _DEPLOYMENT, 400: _ERROR, 404: _ERROR})
@api_view(["POST"])
def deployment_scale(request: Request, deployment_id: int) -> Response:
    """Set the number of replicas; the same number again changes nothing."""
    deployment = lookup.deployment(request, deployment_id, Role.OPERATOR, "Scaling the deployment")
    body = Scale(data=request.data)
    body.is_valid(raise_exception=True)
    deployment.scale(body.validated_data["replicas"], actor=request.user)
    return Response(deployment.to_dict())


@extend_schema(request=Restart, responses={200: _DEPLOYMENT, 400: _ERROR, 404: _ERROR, 409: _ERROR})
@api_view(["POST"])
def deployment_restart(request: Request, deployment_id: int) -> Response:
    """Replace every replica gracefully (the answer's `generation` goes up by one).

    With `{"generation": n}` only a deployment still at generation n restarts, so a
    retried request restarts once.
    """
    deployment = lookup.deployment(request, deployment_id, Role.OPERATOR, "Restarting the deployment")
    body = Restart(data=request.data)
    body.is_valid(raise_exception=True)
    try:
        deployment.restart(actor=request.user, if_generation=body.validated_data.get("generation"))
    except NotRunningError as exc:
        raise ProblemsError(str(exc), [], status_code=status.HTTP_409_CONFLICT) from None
    return Response(deployment.to_dict())


@extend_schema(responses={
    200: typed_schema(lag.LagDict), 404: _ERROR, 409: _ERROR, 502: _ERROR, 504: _ERROR,
})
@api_view(["GET"])
def deployment_lag(request: Request, deployment_id: int) -> Response:
    """Per-partition committed offset, end offset and lag of the deployment's group."""
    deployment = lookup.deployment(request, deployment_id, Role.VIEWER, "Reading the lag")
    try:
        return Response(lag.deployment_lag(deployment))
    except UnusableConnectionError as exc:
        raise ProblemsError(f"Cannot read the lag: {exc}", [], status_code=status.HTTP_409_CONFLICT) from None
    except lag.MissingTopicsError as exc:
        raise ProblemsError(
            f"The deployment's input is not on the cluster: {exc}", [],
            status_code=status.HTTP_409_CONFLICT,
        ) from None
    except lag.KafkaUnavailableError as exc:
        # 504 when Kafka did not answer in time, 502 when it could not be reached.
        code = status.HTTP_504_GATEWAY_TIMEOUT if exc.timed_out else status.HTTP_502_BAD_GATEWAY
        raise ProblemsError(f"Cannot read the lag: {exc}", [], status_code=code) from None


@extend_schema(
    operation_id="audit_list", parameters=[AuditFilter],
    responses={200: paged_schema(AuditEventDict), 400: _ERROR},
)
@api_view(["GET"])
def audit_list(request: Request) -> Response:
    """The audit log, newest first."""
    query = AuditFilter(data=request.query_params)
    query.is_valid(raise_exception=True)
    events = AuditEvent.objects.select_related("actor").order_by("-at", "-id")
    if not request.user.is_superuser:
        # Members read their workspaces' events; everyone reads their own account's.
        events = events.filter(
            Q(workspace__memberships__user_id=request.user.pk)
            | Q(workspace__isnull=True, actor_id=request.user.pk)
        )
    return paginate(request, query.filter(events), AuditEvent.to_dict)
