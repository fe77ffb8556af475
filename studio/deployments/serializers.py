"""Request bodies of the deployment endpoints (answers are Deployment.to_dict())."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from studio.api import MAX_ID
from studio.connections.models import Connection
from studio.connections.serializers import TOPIC_NAME_RE
from studio.deployments.models import (
    APPLICATION_ID_MAX,
    APPLICATION_ID_RE,
    MAX_REPLICAS,
    ON_ERROR,
    Deployment,
)
from studio.topologies.models import TopologyVersion
from studio.workspaces.access import visible


class NewDeployment(serializers.Serializer):
    version = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="id of the TopologyVersion to run")
    connection = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False,
        help_text="id of the Connection (Kafka cluster) to run against; may be left out when "
                  "exactly one connection exists",
    )
    application_id = serializers.RegexField(
        APPLICATION_ID_RE, max_length=APPLICATION_ID_MAX, required=False,
        error_messages={"invalid": "Use only letters, digits, '.', '_' and '-'."},
        help_text="Kafka Streams application.id (consumer group and internal topic prefix)",
    )
    processing_guarantee = serializers.ChoiceField(
        choices=Deployment.GUARANTEES, default="at_least_once"
    )
    replicas = serializers.IntegerField(min_value=1, max_value=MAX_REPLICAS, default=1)
    on_error = serializers.ChoiceField(
        choices=ON_ERROR, default="fail",
        help_text="a record that cannot be deserialized or processed: 'fail' stops the replica "
                  "(Kafka Streams' default), 'continue' skips it with a log line, 'dead_letter' "
                  "skips it after writing it to dead_letter_topic with headers naming the error",
    )
    dead_letter_topic = serializers.RegexField(
        TOPIC_NAME_RE, required=False,
        error_messages={"invalid": "Use 1 to 249 letters, digits, '.', '_' and '-'."},
        help_text="the dead-letter topic (on_error 'dead_letter'); default <application_id>-dlq",
    )

    def validate_version(self, value: int) -> TopologyVersion:
        # Versions of workspaces the user is not in do not exist, as far as they can tell.
        versions = visible(TopologyVersion.objects.select_related("topology"),
                           self.context["request"].user, through="topology__workspace")
        version = versions.filter(pk=value).first()
        if version is None:
            raise serializers.ValidationError(f"There is no topology version {value}.")
        return version

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        dead = attrs.get("dead_letter_topic")
        if dead and attrs["on_error"] != "dead_letter":
            raise serializers.ValidationError({"dead_letter_topic": [
                "A dead-letter topic is used only with on_error 'dead_letter'."
            ]})
        if dead and dead in attrs["version"].input_topics():
            # the app would read its failures back, and fail on them again, for ever
            raise serializers.ValidationError({"dead_letter_topic": [
                f"{dead!r} is an input topic of this version: its dead letters would be read again."
            ]})
        return self._connection(attrs)

    def _connection(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # A deployment runs on a connection of its topology's workspace: one elsewhere
        # does not exist, as far as this deployment can tell.
        workspace = attrs["version"].topology.workspace
        connections = Connection.objects.filter(workspace=workspace).order_by("pk")
        if "connection" in attrs:
            connection = connections.filter(pk=attrs["connection"]).first()
            if connection is None:
                raise serializers.ValidationError({"connection": [
                    f"Workspace {workspace.name!r} has no connection {attrs['connection']}."
                ]})
            attrs["connection"] = connection
            return attrs
        # The only cluster there is, is the obvious choice; with several, guessing
        # could run the application against the wrong one.
        known = list(connections[:2])
        if not known:
            raise serializers.ValidationError({"connection": [
                f"Workspace {workspace.name!r} has no Kafka connection to run on: "
                "an admin creates one first (POST /api/connections/)."
            ]})
        if len(known) > 1:
            raise serializers.ValidationError({"connection": [
                "Choose the Kafka connection to run on (its id): the workspace has more than one."
            ]})
        attrs["connection"] = known[0]
        return attrs

    def validate_application_id(self, value: str) -> str:
        if Deployment.objects.filter(application_id=value).exists():
            raise serializers.ValidationError(
                f"application.id {value!r} is taken by another deployment."
            )
        return value


class DeploymentFilter(serializers.Serializer):
    topology = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    workspace = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    def filter(self, deployments: Any) -> Any:
        data = self.validated_data
        if "topology" in data:
            deployments = deployments.filter(topology_id=data["topology"])
        if "workspace" in data:
            deployments = deployments.filter(topology__workspace_id=data["workspace"])
        return deployments


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
    workspace = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    object_type = serializers.CharField(max_length=64, required=False)
    object_id = serializers.CharField(max_length=64, required=False)
    actor = serializers.CharField(max_length=150, required=False, help_text="username")
    verb = serializers.CharField(max_length=64, required=False)

    def filter(self, events: Any) -> Any:
        data = self.validated_data
        if "workspace" in data:
            events = events.filter(workspace_id=data["workspace"])
        for field in ("object_type", "object_id", "verb"):
            if field in data:
                events = events.filter(**{field: data[field]})
        if "actor" in data:
            events = events.filter(actor__username=data["actor"])
        return events


MAX_HISTORY_POINTS = 10_000


class MetricsQuery(serializers.Serializer):
    since = serializers.IntegerField(min_value=0, required=False,
                                     help_text="start, ms since the epoch (default: an hour before `until`)")
    until = serializers.IntegerField(min_value=0, required=False,
                                     help_text="end, ms since the epoch (default: now)")
    step = serializers.IntegerField(min_value=1, required=False,
                                    help_text="seconds between points (default: the history's step, 10 s)")
    series = serializers.CharField(required=False, help_text="comma-separated series names (default: all)")

    def validate_series(self, value: str) -> list[str]:
        from studio.monitoring.history import SERIES

        names = [n.strip() for n in value.split(",") if n.strip()]
        unknown = [n for n in names if n not in SERIES]
        if unknown or not names:
            raise serializers.ValidationError(
                f"Unknown series {', '.join(unknown) or '(none given)'}; known: {', '.join(SERIES)}."
            )
        return names

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        import time

        from studio.monitoring import history

        until = attrs.get("until", int(time.time() * 1000))
        since = attrs.get("since", until - 3600 * 1000)
        step_ms = attrs.get("step", history.step_s()) * 1000
        if since > until:
            raise serializers.ValidationError({"since": ["since must not be after until."]})
        if (until - since) // step_ms + 1 > MAX_HISTORY_POINTS:
            raise serializers.ValidationError({"step": [
                f"Too many points: at most {MAX_HISTORY_POINTS} per series; take a larger step."]})
        return {"since": since - since % step_ms, "until": until, "step_ms": step_ms,
                "series": attrs.get("series") or list(history.SERIES)}
