"""Request bodies of the reprocessing endpoints (studio.deployments.reprocess_views)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from studio.deployments.models import APPLICATION_ID_MAX, APPLICATION_ID_RE, Deployment
from studio.topologies.models import TopologyVersion

_TARGET_HELP = ('"earliest", {"datetime": "<ISO-8601 with zone>"} or {"duration": "PT1H" | seconds} '
                "(the records of that much time back)")


def _target(value: Any) -> tuple[Any, dict[str, Any]]:
    from studio.deployments.reprocessing import target_from_request

    try:
        return target_from_request(value)
    except ValueError as exc:
        raise serializers.ValidationError(str(exc)) from None


class ResetRequest(serializers.Serializer):
    dry_run = serializers.BooleanField(default=False, help_text="only plan: list what the reset would change")
    to = serializers.JSONField(default="earliest", help_text="where the input offsets go: " + _TARGET_HELP)
    output_topic = serializers.DictField(
        child=serializers.CharField(), required=False,
        help_text="{output topic in the document: new topic}: write there after the reset",
    )

    def validate_to(self, value: Any) -> Any:
        return _target(value)


class SideBySideRequest(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="id of the TopologyVersion the candidate runs")
    application_id = serializers.RegexField(
        APPLICATION_ID_RE, max_length=APPLICATION_ID_MAX, required=False,
        error_messages={"invalid": "Use only letters, digits, '.', '_' and '-'."},
        help_text="the candidate's application.id (default: <original>-candidate)",
    )

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        # "from" is a Python keyword, so it cannot be declared as a class attribute.
        fields["from"] = serializers.JSONField(default="earliest", help_text="where the candidate starts: " + _TARGET_HELP)
        return fields

    def validate_version(self, value: int) -> TopologyVersion:
        version = TopologyVersion.objects.select_related("topology").filter(pk=value).first()
        if version is None:
            raise serializers.ValidationError(f"There is no topology version {value}.")
        return version

    def validate_application_id(self, value: str) -> str:
        if Deployment.objects.filter(application_id=value).exists():
            raise serializers.ValidationError(f"application.id {value!r} is taken by another deployment.")
        return value

    def validate(self, data: dict[str, Any]) -> dict[str, Any]:
        try:
            data["from"] = _target(data.get("from", "earliest"))
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"from": exc.detail}) from None
        return data


class DiscardRequest(serializers.Serializer):
    delete_output_topics = serializers.BooleanField(
        default=False, help_text="also delete the candidate's own output topics")


class ComparisonQuery(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100_000, default=10_000,
                                     help_text="most recent records read per output topic")
