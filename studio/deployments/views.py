"""JSON endpoints for deployments: list, create (deploy), detail, start, stop."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from studio.api import ERROR_SCHEMA, ProblemsError, paged_schema, paginate, typed_schema
from studio.deployments.models import ApplicationIdTakenError, Deployment, DeploymentDict
from studio.deployments.serializers import DeploymentFilter, NewDeployment
from studio.topologies.documents import problem
from studio.topologies.models import InvalidDocumentError

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
        deployments = query.filter(Deployment.objects.select_related("version"))
        return paginate(request, deployments, Deployment.to_dict)

    body = NewDeployment(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    try:
        deployment = Deployment.create_running(
            data["version"], actor=request.user, application_id=data.get("application_id"),
            processing_guarantee=data["processing_guarantee"], replicas=data["replicas"],
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
    return Response(_deployment(deployment_id).to_dict())


@extend_schema(request=None, responses={200: _DEPLOYMENT, 404: _ERROR})
@api_view(["POST"])
def deployment_start(request: Request, deployment_id: int) -> Response:
    deployment = _deployment(deployment_id)
    deployment.start(actor=request.user)
    return Response(deployment.to_dict())


@extend_schema(request=None, responses={200: _DEPLOYMENT, 404: _ERROR})
@api_view(["POST"])
def deployment_stop(request: Request, deployment_id: int) -> Response:
    deployment = _deployment(deployment_id)
    deployment.stop(actor=request.user)
    return Response(deployment.to_dict())


def _deployment(deployment_id: int) -> Deployment:
    deployment = Deployment.objects.select_related("version").filter(pk=deployment_id).first()
    if deployment is None:
        raise NotFound(f"There is no deployment {deployment_id}.")
    return deployment
