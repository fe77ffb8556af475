"""Who is logged in, and their API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from studio.accounts.models import ApiToken, TokenDict
from studio.accounts.serializers import NewToken
from studio.api import ERROR_SCHEMA, typed_schema
from studio.deployments.models import AuditEvent
from studio.workspaces.access import workspaces_of
from studio.workspaces.models import WorkspaceDict

_ERROR = OpenApiResponse(ERROR_SCHEMA, description="refused, with the reasons")


class MeDict(TypedDict):
    username: str
    is_superuser: bool
    workspaces: list[WorkspaceDict]


class NewTokenDict(TokenDict):
    token: str


@extend_schema(responses={200: typed_schema(MeDict)})
@api_view(["GET"])
def me(request: Request) -> Response:
    """The signed-in user and their role in each workspace they may see."""
    user = request.user
    return Response({
        "username": user.get_username(),
        "is_superuser": user.is_superuser,
        "workspaces": [w.to_dict(role) for w, role in workspaces_of(user)],
    })


@extend_schema(methods=["GET"], operation_id="tokens_list",
               responses={200: {"type": "array", "items": typed_schema(TokenDict)}})
@extend_schema(methods=["POST"], operation_id="tokens_create", request=NewToken,
               responses={201: typed_schema(NewTokenDict), 400: _ERROR})
@api_view(["GET", "POST"])
def token_list(request: Request) -> Response:
    """The user's API tokens. A new token is in the answer once and never again: send it
    as ``Authorization: Token <token>``."""
    if request.method == "GET":
        tokens = ApiToken.objects.filter(user=request.user, expiry__gt=timezone.now())
        return Response([t.to_dict() for t in tokens])
    body = NewToken(data=request.data)
    body.is_valid(raise_exception=True)
    instance, token = ApiToken.objects.create(
        request.user, expiry=timedelta(days=body.validated_data["expires_in_days"]),
        description=body.validated_data["description"],
    )
    AuditEvent.record(request.user, "token.create", request.user, token=instance.token_key,
                      description=instance.description)
    return Response({**instance.to_dict(), "token": token}, status=status.HTTP_201_CREATED)


@extend_schema(request=None, responses={204: None, 404: _ERROR})
@api_view(["DELETE"])
def token_detail(request: Request, token_id: str) -> Response:
    """Revoke one of the user's tokens (by the id shown in the list)."""
    deleted, _ = ApiToken.objects.filter(user=request.user, token_key=token_id).delete()
    if not deleted:
        raise NotFound(f"You have no token {token_id}.")
    AuditEvent.record(request.user, "token.revoke", request.user, token=token_id)
    return Response(status=status.HTTP_204_NO_CONTENT)
