"""Request bodies of the workspace, member and token endpoints."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from rest_framework import serializers

from studio.workspaces.models import Role


class WorkspaceBody(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    slug = serializers.SlugField(max_length=60, required=False)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class WorkspaceChange(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class NewMember(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)

    def validate_username(self, value: str) -> object:
        user = get_user_model().objects.filter(username=value, is_active=True).first()
        if user is None:
            raise serializers.ValidationError(f"There is no active user {value!r}.")
        return user


class MemberChange(serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
