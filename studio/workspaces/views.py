"""JSON endpoints for workspaces and their members."""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from studio.api import ERROR_SCHEMA, MAX_ID, ProblemsError, paged_schema, paginate, typed_schema
from studio.deployments.models import AuditEvent
from studio.topologies.documents import problem
from studio.workspaces.access import check, workspaces_of
from studio.workspaces.models import MemberDict, Membership, Role, Workspace, WorkspaceDict
from studio.workspaces.serializers import MemberChange, NewMember, WorkspaceBody, WorkspaceChange

_ERROR = OpenApiResponse(ERROR_SCHEMA, description="refused, with the reasons")
_WORKSPACE = typed_schema(WorkspaceDict)
_MEMBER = typed_schema(MemberDict)


@extend_schema(methods=["GET"], operation_id="workspaces_list",
               responses={200: paged_schema(WorkspaceDict)})
@extend_schema(methods=["POST"], operation_id="workspaces_create", request=WorkspaceBody,
               responses={201: _WORKSPACE, 400: _ERROR, 403: _ERROR})
@api_view(["GET", "POST"])
def workspace_list(request: Request) -> Response:
    """The workspaces the user belongs to, with their role; POST creates one, with the
    creator as its admin."""
    if request.method == "GET":
        return paginate(request, workspaces_of(request.user), lambda wr: wr[0].to_dict(wr[1]))
    if not (settings.RIFFLE_ANYONE_CAN_CREATE_WORKSPACES or request.user.is_superuser):
        raise PermissionDenied("Only administrators of the studio may create workspaces here.")
    body = WorkspaceBody(data=request.data)
    body.is_valid(raise_exception=True)
    data = body.validated_data
    slug = data.get("slug") or slugify(data["name"])[:60]
    if not slug:
        raise ProblemsError("The name needs a letter or a digit to make a slug of; give a slug.",
                            [problem("needs a letter or a digit, or give a slug", path="name")])
    try:
        with transaction.atomic():
            workspace = Workspace.objects.create(name=data["name"], slug=slug,
                                                 description=data["description"])
            Membership.objects.create(workspace=workspace, user=request.user, role=Role.ADMIN)
    except IntegrityError:
        message = f"A workspace named {data['name']!r} or with slug {slug!r} exists."
        raise ProblemsError(message, [problem(message, path="name")]) from None
    AuditEvent.record(request.user, "workspace.create", workspace, name=workspace.name)
    return Response(workspace.to_dict(Role.ADMIN), status=status.HTTP_201_CREATED)


@extend_schema(methods=["GET"], responses={200: _WORKSPACE, 404: _ERROR})
@extend_schema(methods=["PATCH"], request=WorkspaceChange,
               responses={200: _WORKSPACE, 400: _ERROR, 403: _ERROR, 404: _ERROR})
@extend_schema(methods=["DELETE"], request=None, responses={204: None, 403: _ERROR, 404: _ERROR, 409: _ERROR})
@api_view(["GET", "PATCH", "DELETE"])
def workspace_detail(request: Request, workspace_id: int) -> Response:
    if request.method == "GET":
        workspace, role = _workspace(request, workspace_id, Role.VIEWER, "Reading the workspace")
        return Response(workspace.to_dict(role))
    if request.method == "PATCH":
        workspace, role = _workspace(request, workspace_id, Role.ADMIN, "Changing the workspace")
        body = WorkspaceChange(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        before = {"name": workspace.name, "description": workspace.description}
        for field, value in body.validated_data.items():
            setattr(workspace, field, value)
        try:
            workspace.save()
        except IntegrityError:
            message = f"A workspace named {workspace.name!r} exists."
            raise ProblemsError(message, [problem(message, path="name")]) from None
        AuditEvent.record(request.user, "workspace.update", workspace, before=before,
                          after={"name": workspace.name, "description": workspace.description})
        return Response(workspace.to_dict(role))

    workspace, _ = _workspace(request, workspace_id, Role.ADMIN, "Deleting the workspace")
    held = [f"{n} {what}" for n, what in (
        (workspace.topologies.count(), "topologies"), (workspace.connections.count(), "connections"),
    ) if n]
    if held:
        raise ProblemsError(
            f"Workspace {workspace.name!r} still holds {' and '.join(held)}; delete them first.",
            [], status_code=status.HTTP_409_CONFLICT,
        )
    AuditEvent.record(request.user, "workspace.delete", workspace, name=workspace.name)
    workspace.delete()
    return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(methods=["GET"], operation_id="workspaces_members_list",
               responses={200: paged_schema(MemberDict), 404: _ERROR})
@extend_schema(methods=["POST"], operation_id="workspaces_members_create", request=NewMember,
               responses={201: _MEMBER, 400: _ERROR, 403: _ERROR, 404: _ERROR, 409: _ERROR})
@api_view(["GET", "POST"])
def member_list(request: Request, workspace_id: int) -> Response:
    if request.method == "GET":
        workspace, _ = _workspace(request, workspace_id, Role.VIEWER, "Listing members")
        members = workspace.memberships.select_related("user").order_by("user__username")
        return paginate(request, members, Membership.to_dict)
    workspace, _ = _workspace(request, workspace_id, Role.ADMIN, "Adding a member")
    body = NewMember(data=request.data)
    body.is_valid(raise_exception=True)
    user, role = body.validated_data["username"], body.validated_data["role"]
    try:
        with transaction.atomic():
            member = Membership.objects.create(workspace=workspace, user=user, role=role)
    except IntegrityError:
        message = f"{user.get_username()} is a member already; change their role instead."
        raise ProblemsError(message, [problem(message, path="username")],
                            status_code=status.HTTP_409_CONFLICT) from None
    AuditEvent.record(request.user, "member.add", workspace, user=user.get_username(), role=role)
    return Response(member.to_dict(), status=status.HTTP_201_CREATED)


@extend_schema(methods=["PATCH"], request=MemberChange,
               responses={200: _MEMBER, 400: _ERROR, 403: _ERROR, 404: _ERROR, 409: _ERROR})
@extend_schema(methods=["DELETE"], request=None, responses={204: None, 403: _ERROR, 404: _ERROR, 409: _ERROR})
@api_view(["PATCH", "DELETE"])
def member_detail(request: Request, workspace_id: int, user_id: int) -> Response:
    action = "Changing a member's role" if request.method == "PATCH" else "Removing a member"
    workspace, _ = _workspace(request, workspace_id, Role.ADMIN, action)
    # An id past the database's integers is nobody (the user_id lookup would overflow).
    member = None if user_id > MAX_ID else workspace.memberships.select_related("user").filter(user_id=user_id).first()
    if member is None:
        raise NotFound(f"User {user_id} is not a member of workspace {workspace.name!r}.")
    new_role = None
    if request.method == "PATCH":
        body = MemberChange(data=request.data)
        body.is_valid(raise_exception=True)
        new_role = body.validated_data["role"]
    username = member.user.get_username()
    with transaction.atomic():
        if member.role == Role.ADMIN and new_role != Role.ADMIN:
            _refuse_losing_the_last_admin(workspace, member)
        if new_role is None:
            member.delete()
        else:
            before, member.role = member.role, new_role
            member.save(update_fields=["role"])
    if new_role is None:
        AuditEvent.record(request.user, "member.remove", workspace, user=username, role=member.role)
        return Response(status=status.HTTP_204_NO_CONTENT)
    AuditEvent.record(request.user, "member.update", workspace, user=username,
                      before={"role": before}, after={"role": new_role})
    return Response(member.to_dict())


def _refuse_losing_the_last_admin(workspace: Workspace, member: Membership) -> None:
    # Called in the caller's transaction: the admin rows stay locked until the change is
    # written, so two admins demoting each other cannot both succeed.
    admins = list(workspace.memberships.select_for_update().filter(role=Role.ADMIN))
    if len(admins) <= 1:
        raise ProblemsError(
            f"{member.user.get_username()} is the last admin of workspace {workspace.name!r}; "
            "make someone else admin first.", [], status_code=status.HTTP_409_CONFLICT,
        )


def _workspace(request: Request, workspace_id: int, needed: Role, action: str) -> tuple[Workspace, Role]:
    not_found = f"There is no workspace {workspace_id}."
    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        raise NotFound(not_found)
    role = check(request.user, workspace.pk, needed, action=action, not_found=not_found)
    return workspace, role
