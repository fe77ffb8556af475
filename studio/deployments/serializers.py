"""Request bodies of the deployment endpoints (answers are Deployment.to_dict())."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from studio.deployments.models import (
    APPLICATION_ID_MAX,
    APPLICATION_ID_RE,
    MAX_REPLICAS,
    Deployment,
)
from studio.topologies.models import TopologyVersion


class NewDeployment(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, help_text="id of the TopologyVersion to run")
    application_id = serializers.RegexField(
        APPLICATION_ID_RE, max_length=APPLICATION_ID_MAX, required=False,
        error_messages={"invalid": "Use only letters, digits, '.', '_' and '-'."},
        help_text="Kafka Streams application.id (consumer group and internal topic prefix)",
    )
    processing_guarantee = serializers.ChoiceField(
        choices=Deployment.GUARANTEES, default="at_least_once"
    )
    replicas = serializers.IntegerField(min_value=1, max_value=MAX_REPLICAS, default=1)

    def validate_version(self, value: int) -> TopologyVersion:
        version = TopologyVersion.objects.select_related("topology").filter(pk=value).first()
        if version is None:
            raise serializers.ValidationError(f"There is no topology version {value}.")
        return version

    def validate_application_id(self, value: str) -> str:
        if Deployment.objects.filter(application_id=value).exists():
            raise serializers.ValidationError(
                f"application.id {value!r} is taken by another deployment."
            )
        return value


class DeploymentFilter(serializers.Serializer):
    topology = serializers.IntegerField(min_value=1, required=False)

    def filter(self, deployments: Any) -> Any:
        topology = self.validated_data.get("topology")
        return deployments.filter(topology_id=topology) if topology else deployments


class StrictIntegerField(serializers.IntegerField):
    """An integer that must be a JSON number: "3" and true are refused, not coerced."""

    default_error_messages = {"invalid": "A whole number is required."}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("invalid")
        return super().to_internal_value(data)


class Scale(serializers.Serializer):
    replicas = StrictIntegerField(
        min_value=1, max_value=MAX_REPLICAS,
        help_text=f"how many replicas should run (1 to {MAX_REPLICAS})",
    )


class Restart(serializers.Serializer):
    generation = StrictIntegerField(
        min_value=0, required=False,
        help_text="restart only if the deployment is still at this generation (safe retries)",
    )


class AuditFilter(serializers.Serializer):
    object_type = serializers.CharField(max_length=64, required=False)
    object_id = serializers.CharField(max_length=64, required=False)
    actor = serializers.CharField(max_length=150, required=False, help_text="username")
    verb = serializers.CharField(max_length=64, required=False)

    def filter(self, events: Any) -> Any:
        data = self.validated_data
        for field in ("object_type", "object_id", "verb"):
            if field in data:
                events = events.filter(**{field: data[field]})
        if "actor" in data:
            events = events.filter(actor__username=data["actor"])
        return events
