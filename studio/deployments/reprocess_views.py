"""JSON endpoints for reprocessing (studio.deployments.reprocessing): reset (with a dry
run), its operations, side by side, comparison, promote, discard, the live output map."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from studio.api import ERROR_SCHEMA, ProblemsError, paged_schema, paginate, typed_schema
from studio.deployments import lookup, reprocessing
from studio.deployments.models import (
    AuditEvent,
    Deployment,
    DeploymentDict,
    OperationDict,
    OperationRunningError,
    ReprocessOperation,
)
from studio.deployments.reprocess_serializers import (
    ComparisonQuery,
    DiscardRequest,
    ResetRequest,
    SideBySideRequest,
)
from studio.topologies.documents import problem
from studio.topologies import lookup as topology_lookup
from studio.topologies.models import Topology
from studio.workspaces.models import Role

_ERROR = OpenApiResponse(ERROR_SCHEMA, description="refused, with the reasons")
_OPERATION = typed_schema(OperationDict)


def _refused(exc: reprocessing.ReprocessError) -> ProblemsError:
    problems = [problem(str(exc), path=exc.field)] if exc.field else []
    return ProblemsError(str(exc), problems, status_code=exc.status)


def _busy(exc: OperationRunningError) -> ProblemsError:
    return ProblemsError(str(exc), [], status_code=status.HTTP_409_CONFLICT)


@extend_schema(request=ResetRequest, responses={
    200: typed_schema(reprocessing.ResetPlanDict), 202: _OPERATION,
    400: _ERROR, 404: _ERROR, 409: _ERROR, 502: _ERROR,
})
@api_view(["POST"])
def deployment_reset(request: Request, deployment_id: int) -> Response:
    """Reset and replay. With `dry_run` the plan (200), changing nothing; otherwise a
    reset operation (202) that stops the deployment, resets it and starts it again."""
    deployment = _deployment(request, deployment_id, "Resetting the deployment", operate=True)
    body = ResetRequest(data=request.data)
    body.is_valid(raise_exception=True)
    target, target_json = body.validated_data["to"]
    redirects = body.validated_data.get("output_topic") or {}
    try:
        reprocessing.check_redirects(deployment, redirects)
        if body.validated_data["dry_run"]:
            return Response(reprocessing.reset(deployment, target, target_json, redirects, dry_run=True))
        operation = ReprocessOperation.begin(deployment, "reset", actor=request.user,
                                             request={"target": target_json, "output_topic": redirects})
    except reprocessing.ReprocessError as exc:
        raise _refused(exc) from None
    except OperationRunningError as exc:
        raise _busy(exc) from None
    AuditEvent.record(request.user, "deployment.reset", deployment, operation=operation.pk,
                      target=target_json, output_topic=redirects)
    _enqueue(operation)
    return Response(operation.to_dict(), status=status.HTTP_202_ACCEPTED)


@extend_schema(operation_id="deployments_operations_list", responses={200: paged_schema(OperationDict), 404: _ERROR})
@api_view(["GET"])
def operation_list(request: Request, deployment_id: int) -> Response:
    """The deployment's reprocessing operations, newest first."""
    deployment = _deployment(request, deployment_id, "Reading the deployment's operations", operate=False)
    return paginate(request, deployment.operations.select_related("created_by"), ReprocessOperation.to_dict)


@extend_schema(responses={200: _OPERATION, 404: _ERROR})
@api_view(["GET"])
def operation_detail(request: Request, deployment_id: int, operation_id: int) -> Response:
    """One operation: pending, running, done (with what it did) or failed (with why)."""
    deployment = _deployment(request, deployment_id, "Reading the deployment's operations", operate=False)
    operation = deployment.operations.select_related("created_by").filter(pk=operation_id).first()
    if operation is None:
        raise NotFound(f"Deployment {deployment_id} has no operation {operation_id}.")
    return Response(operation.to_dict())


@extend_schema(request=SideBySideRequest, responses={
    201: typed_schema(DeploymentDict), 400: _ERROR, 404: _ERROR, 409: _ERROR, 502: _ERROR,
})
@api_view(["POST"])
def deployment_side_by_side(request: Request, deployment_id: int) -> Response:
    """Run a version (another, or the same) beside this deployment: a candidate with its
    own application.id and output topics ("<topic>.<candidate application.id>")."""
    deployment = _deployment(request, deployment_id, "Running a candidate beside the deployment", operate=True)
    body = SideBySideRequest(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    target, target_json = data["from"]
    try:
        candidate = reprocessing.create_side_by_side(
            deployment, data["version"], target, target_json, actor=request.user,
            application_id=data.get("application_id"),
        )
    except reprocessing.ReprocessError as exc:
        raise _refused(exc) from None
    return Response(candidate.to_dict(), status=status.HTTP_201_CREATED)


@extend_schema(parameters=[ComparisonQuery], responses={
    200: typed_schema(reprocessing.ComparisonDict), 400: _ERROR, 404: _ERROR, 409: _ERROR, 502: _ERROR,
})
@api_view(["GET"])
def deployment_comparison(request: Request, deployment_id: int) -> Response:
    """Both sides' catch-up progress and their latest output per key (of a candidate, or
    of the deployment a candidate runs beside)."""
    deployment = _deployment(request, deployment_id, "Comparing the deployment with its candidate", operate=False)
    query = ComparisonQuery(data=request.query_params)
    query.is_valid(raise_exception=True)
    try:
        return Response(reprocessing.compare(deployment, query.validated_data["limit"]))
    except reprocessing.ReprocessError as exc:
        raise _refused(exc) from None


@extend_schema(request=None, responses={200: typed_schema(DeploymentDict), 404: _ERROR, 409: _ERROR})
@api_view(["POST"])
def deployment_promote(request: Request, deployment_id: int) -> Response:
    """The candidate becomes the live deployment (downstream readers follow its output
    map); the deployment it ran beside is stopped."""
    deployment = _deployment(request, deployment_id, "Promoting the candidate", operate=True)
    try:
        return Response(reprocessing.promote(deployment, actor=request.user).to_dict())
    except reprocessing.ReprocessError as exc:
        raise _refused(exc) from None


@extend_schema(request=DiscardRequest, responses={202: _OPERATION, 400: _ERROR, 404: _ERROR, 409: _ERROR})
@api_view(["POST"])
def deployment_discard(request: Request, deployment_id: int) -> Response:
    """Stop the candidate and delete its internal topics, Redis state and group (and its
    own output topics with `delete_output_topics`): an operation (202)."""
    deployment = _deployment(request, deployment_id, "Discarding the candidate", operate=True)
    body = DiscardRequest(data=request.data)
    body.is_valid(raise_exception=True)
    if not reprocessing.is_pending_candidate(deployment):
        raise ProblemsError(f"Deployment {deployment.application_id} is not a candidate that can be "
                            "discarded (only an unpromoted side-by-side candidate can).", [],
                            status_code=status.HTTP_409_CONFLICT)
    try:
        operation = ReprocessOperation.begin(deployment, "discard", actor=request.user,
                                             request=dict(body.validated_data))
    except OperationRunningError as exc:
        raise _busy(exc) from None
    AuditEvent.record(request.user, "deployment.discard", deployment, operation=operation.pk,
                      **body.validated_data)
    _enqueue(operation)
    return Response(operation.to_dict(), status=status.HTTP_202_ACCEPTED)


@extend_schema(responses={200: typed_schema(reprocessing.LiveOutputDict), 404: _ERROR})
@api_view(["GET"])
def topology_live_output(request: Request, topology_id: int) -> Response:
    """The topics downstream readers of a topology should read: the live deployment's
    {topic in the document: topic written}."""
    topology = _topology(request, topology_id, "Reading the live output")
    return Response(reprocessing.live_output(topology.pk))


def _deployment(request: Request, deployment_id: int, action: str, *, operate: bool) -> Deployment:
    """The deployment, if the user's role allows `action`: `operate` actions (reset, side
    by side, promote, discard) need an operator, the others a viewer."""
    return lookup.deployment(request, deployment_id, Role.OPERATOR if operate else Role.VIEWER, action)


def _topology(request: Request, topology_id: int, action: str) -> Topology:
    return topology_lookup.topology(request, topology_id, Role.VIEWER, action)


def _enqueue(operation: ReprocessOperation) -> None:
    from studio.deployments.tasks import run_operation

    run_operation.delay_on_commit(operation.pk)
