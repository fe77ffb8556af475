"""Request bodies of the topology endpoints (answers are the models' to_dict())."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from studio.api import MAX_ID
from studio.workspaces.access import visible
from studio.workspaces.models import Workspace


def _nul_at(value: Any, path: str = "") -> str | None:
    """Where `value` holds a NUL character in a string or a key, None when nowhere."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, child in value.items():
            where = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return where
            found = _nul_at(child, where)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, child in enumerate(value):
            found = _nul_at(child, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def _saveable_document(value: object) -> object:
    if not isinstance(value, dict):
        raise serializers.ValidationError("The document must be a JSON object.")
    # PostgreSQL's jsonb cannot hold a NUL character (\u0000); refused on every database.
    where = _nul_at(value)
    if where is not None:
        raise serializers.ValidationError(f"{where or 'The document'}: text cannot hold NUL characters (\\u0000).")
    return value


class NewVersion(serializers.Serializer):
    document = serializers.JSONField()
    message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate_document(self, value: object) -> object:
        return _saveable_document(value)


class UnsavedDocument(serializers.Serializer):
    """An unsaved document (the editor's draft)."""

    document = serializers.JSONField()

    def validate_document(self, value: object) -> object:
        if not isinstance(value, dict):
            raise serializers.ValidationError("The document must be a JSON object.")
        return value


class ValidateDocument(UnsavedDocument):
    """An unsaved document, and optionally what is known of the cluster it would run on."""

    topics = serializers.DictField(
        child=serializers.IntegerField(min_value=1), required=False,
        help_text="the cluster's topics: name → partition count (co-partitioning checks)",
    )
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(allow_blank=True)),
        required=False,
        help_text="top-level fields of each topic's JSON values (expression field checks)",
    )
    connection = serializers.IntegerField(
        min_value=1, required=False,
        help_text="id of a connection whose cluster's topics to check against (when `topics` is not given)",
    )


class NewTopology(serializers.Serializer):
    workspace = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="id of the workspace to create it in")
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    document = serializers.JSONField(required=False, help_text="saved as version 1 when given")
    message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate_workspace(self, value: int) -> Workspace:
        # A workspace the user is not in does not exist, as far as they can tell.
        workspaces = visible(Workspace.objects.filter(pk=value), self.context["request"].user,
                             through="")
        workspace = workspaces.first()
        if workspace is None:
            raise serializers.ValidationError(f"There is no workspace {value}.")
        return workspace

    def validate_document(self, value: object) -> object:
        return _saveable_document(value)


class TopologyChange(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)


class TopologyFilter(serializers.Serializer):
    workspace = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    def filter(self, topologies: Any) -> Any:
        workspace = self.validated_data.get("workspace")
        return topologies.filter(workspace_id=workspace) if workspace else topologies
