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


class ValidateDocument(serializers.Serializer):
    """An unsaved document, and optionally what is known of the cluster it would run on."""

    document = serializers.JSONField()
    topics = serializers.DictField(
        child=serializers.IntegerField(min_value=1), required=False,
        help_text="the cluster's topics: name → partition count (co-partitioning checks)",
    )
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(allow_blank=True)),
        required=False,
        help_text="top-level fields of each topic's JSON values (expression field checks)",
    )

    def validate_document(self, value: object) -> object:
        if not isinstance(value, dict):
            raise serializers.ValidationError("The document must be a JSON object.")
        return value
