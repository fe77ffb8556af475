"""Request bodies and query strings of the connection and topic endpoints."""

from __future__ import annotations

import copy
from typing import Any

from rest_framework import serializers

from studio.api import MAX_ID
from studio.connections.models import SASL_MECHANISMS, SECURITY_PROTOCOLS, Connection
from studio.connections.records import SERDES
from studio.lib import client_settings
from studio.workspaces.access import visible
from studio.workspaces.models import Workspace

# Kafka's own rule for topic names (org.apache.kafka.common.internals.Topic).
TOPIC_NAME_RE = r"^[a-zA-Z0-9._-]{1,249}$"
MAX_BROWSE = 500


def _pem(value: str, what: str) -> str:
    if value and "-----BEGIN " not in value:
        raise serializers.ValidationError(f"The {what} must be PEM text (-----BEGIN ...).")
    return value


class ConnectionBody(serializers.ModelSerializer):
    """Create or update a connection. Secrets are write-only: an update that leaves one
    out keeps it, and an empty string clears it."""

    password = serializers.CharField(max_length=1000, required=False, allow_blank=True,
                                     write_only=True, trim_whitespace=False)
    ssl_key_pem = serializers.CharField(required=False, allow_blank=True, write_only=True,
                                        trim_whitespace=False)
    security_protocol = serializers.ChoiceField(choices=SECURITY_PROTOCOLS, default="PLAINTEXT")
    sasl_mechanism = serializers.ChoiceField(choices=[""] + SASL_MECHANISMS, required=False, allow_blank=True)
    workspace = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="id of the workspace it belongs to")
    client_settings = serializers.JSONField(
        required=False,
        help_text="extra librdkafka client settings, e.g. {\"linger.ms\": 20}; only those of the "
                  "allow-list are accepted (see the README), each refusal says why",
    )

    class Meta:
        model = Connection
        fields = ["workspace", "name", "bootstrap_servers", "security_protocol", "sasl_mechanism", "username",
                  "password", "ssl_ca_pem", "ssl_certificate_pem", "ssl_key_pem", "client_settings"]
        # The name is unique per workspace; `validate` says so in words of its own.
        validators: list[Any] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance is not None:
            self.fields["workspace"].required = False

    def validate_workspace(self, value: int) -> Workspace:
        if self.instance is not None:
            if value != self.instance.workspace_id:
                raise serializers.ValidationError("A connection cannot move to another workspace.")
            return self.instance.workspace
        workspace = visible(Workspace.objects.filter(pk=value), self.context["request"].user,
                            through="").first()
        if workspace is None:
            raise serializers.ValidationError(f"There is no workspace {value}.")
        return workspace

    def validate_bootstrap_servers(self, value: str) -> str:
        servers = [s.strip() for s in value.split(",") if s.strip()]
        for server in servers:
            host, _, port = server.rpartition(":")
            if not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise serializers.ValidationError(f"{server!r} is not host:port.")
        if not servers:
            raise serializers.ValidationError("Give at least one host:port.")
        return ",".join(servers)

    def validate_client_settings(self, value: Any) -> dict[str, str]:
        accepted, problems = client_settings.check(value)
        if "" in problems:   # not an object of settings at all
            raise serializers.ValidationError(problems[""])
        if problems:
            raise serializers.ValidationError(problems)
        return accepted

    def validate_ssl_ca_pem(self, value: str) -> str:
        return _pem(value, "CA certificate")

    def validate_ssl_certificate_pem(self, value: str) -> str:
        return _pem(value, "client certificate")

    def validate_ssl_key_pem(self, value: str) -> str:
        return _pem(value, "client key")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # Check the connection as it will be saved: the stored secrets count when kept.
        candidate = copy.copy(self.instance) if self.instance is not None else Connection()
        for key, value in attrs.items():
            setattr(candidate, key, value)
        taken = Connection.objects.filter(workspace=candidate.workspace, name=candidate.name)
        if taken.exclude(pk=candidate.pk).exists():
            raise serializers.ValidationError({"name": [
                f"Workspace {candidate.workspace.name!r} has a connection named "
                f"{candidate.name!r} already."
            ]})
        problems = candidate.problems()
        if problems:
            raise serializers.ValidationError({field: [message] for field, message in problems})
        return attrs


class NewTopic(serializers.Serializer):
    name = serializers.RegexField(
        TOPIC_NAME_RE, error_messages={"invalid": "Use 1 to 249 letters, digits, '.', '_' and '-'."},
    )
    partitions = serializers.IntegerField(min_value=1, max_value=10_000, default=1)
    replication_factor = serializers.IntegerField(min_value=1, max_value=32, default=1)
    configs = serializers.DictField(child=serializers.CharField(allow_blank=True), default=dict,
                                    help_text="topic configs, e.g. {\"cleanup.policy\": \"compact\"}")

    def validate_name(self, value: str) -> str:
        if value in (".", ".."):
            raise serializers.ValidationError("'.' and '..' are not topic names.")
        return value


class BrowseQuery(serializers.Serializer):
    partition = serializers.IntegerField(min_value=0, required=False, help_text="all partitions when left out")
    offset = serializers.IntegerField(min_value=0, required=False, help_text="first offset to read")
    timestamp = serializers.IntegerField(min_value=0, required=False,
                                         help_text="read from the first record at or after this time (ms since the epoch)")
    limit = serializers.IntegerField(min_value=1, max_value=MAX_BROWSE, default=50)
    key_serde = serializers.ChoiceField(choices=SERDES, default="string")
    value_serde = serializers.ChoiceField(choices=SERDES, default="string")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "offset" in attrs and "timestamp" in attrs:
            raise serializers.ValidationError("Give offset or timestamp, not both.")
        if "offset" in attrs and "partition" not in attrs:
            raise serializers.ValidationError({"partition": ["An offset needs a partition."]})
        return attrs


class Header(serializers.Serializer):
    key = serializers.CharField(max_length=1000)
    value = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="UTF-8 text")


class NewRecord(serializers.Serializer):
    key = serializers.JSONField(required=False, allow_null=True, default=None, help_text="null for no key")
    value = serializers.JSONField(required=False, allow_null=True, default=None, help_text="null for a tombstone")
    key_serde = serializers.ChoiceField(choices=SERDES, default="string")
    value_serde = serializers.ChoiceField(choices=SERDES, default="string")
    partition = serializers.IntegerField(min_value=0, required=False)
    headers = Header(many=True, required=False, default=list)


class ConnectionFilter(serializers.Serializer):
    workspace = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)

    def filter(self, connections: Any) -> Any:
        workspace = self.validated_data.get("workspace")
        return connections.filter(workspace_id=workspace) if workspace else connections
