"""Request bodies of the topology endpoints (answers are the models' to_dict())."""

from __future__ import annotations

from rest_framework import serializers


class NewVersion(serializers.Serializer):
    document = serializers.JSONField()
    message = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")

    def validate_document(self, value: object) -> object:
        if not isinstance(value, dict):
            raise serializers.ValidationError("The document must be a JSON object.")
        return value
