"""A Kafka cluster the studio talks to, and the one function that reads its secrets.

The password and the client key are write-only: `to_dict()` says only whether each is
set, `__repr__`/`__str__` show the name, and `client_config()` (and its Kafka Streams
form) is the only code that reads them (to hand them to the Kafka client). They are stored encrypted (SecretField,
keys in RIFFLE_SECRETS_KEYS) and decrypted only when a client needs them, so a missing
key fails that client's call with UnreadableSecretError, never the loading of a row.
"""

from __future__ import annotations

from typing import Any, TypedDict

from django.conf import settings
from django.db import models

from studio.connections import crypto
from studio.connections.fields import Sealed, SecretField
from studio.lib import client_settings

SECURITY_PROTOCOLS = ["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SASL_MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
SECRET_FIELDS = ("password", "ssl_key_pem")
SECRET_CONFIG_KEYS = ("sasl.password", "ssl.key.pem")
SECRET_LABELS = {"password": "SASL password", "ssl_key_pem": "client key"}


class UnusableConnectionError(Exception):
    """The connection as stored cannot be handed to a Kafka client (the request and the
    cluster are not at fault)."""


class UnreadableSecretError(UnusableConnectionError):
    """A stored secret that none of the configured keys decrypts."""

    def __init__(self, connection: str, field: str) -> None:
        super().__init__(
            f"The {SECRET_LABELS[field]} of connection {connection!r} cannot be decrypted with the keys in "
            "RIFFLE_SECRETS_KEYS (the key that encrypted it is not among them). Add that key back, "
            f"or enter the {SECRET_LABELS[field]} again."
        )
        self.connection = connection
        self.field = field


class RefusedClientSettingsError(UnusableConnectionError):
    """Stored client settings that the allow-list refuses (a row written around the API,
    or a setting refused since it was saved)."""

    def __init__(self, connection: str, problems: dict[str, str]) -> None:
        super().__init__(
            f"Connection {connection!r} has client settings that are not allowed: "
            + " ".join(problems.values()) + " Remove them from the connection."
        )
        self.connection = connection
        self.problems = problems


class ClientConfig(dict[str, Any]):
    """Kafka client settings whose repr masks the secrets: Django's debug error page and
    any log line that prints a frame's locals show the repr, never the values."""

    def __repr__(self) -> str:
        shown = {k: ("***" if k in SECRET_CONFIG_KEYS else v) for k, v in self.items()}
        return f"ClientConfig({shown!r})"

    __str__ = __repr__


class ConnectionDict(TypedDict):
    id: int
    workspace: int
    name: str
    bootstrap_servers: str
    security_protocol: str
    sasl_mechanism: str
    username: str
    password_set: bool
    ssl_ca_pem: str
    ssl_certificate_pem: str
    ssl_key_set: bool
    client_settings: dict[str, str]
    created_by: str | None
    created_at: str
    updated_at: str


class Connection(models.Model):
    workspace = models.ForeignKey(
        "workspaces.Workspace", on_delete=models.PROTECT, related_name="connections"
    )
    name = models.CharField(max_length=200)
    bootstrap_servers = models.CharField(max_length=1000)
    security_protocol = models.CharField(
        max_length=20, choices=[(p, p) for p in SECURITY_PROTOCOLS], default="PLAINTEXT"
    )
    sasl_mechanism = models.CharField(
        max_length=20, choices=[(m, m) for m in SASL_MECHANISMS], blank=True
    )
    username = models.CharField(max_length=500, blank=True)
    # Secrets: stored encrypted, never returned, never logged. Loaded as `Sealed`;
    # `secret(field)` decrypts.
    password = SecretField(blank=True)
    ssl_ca_pem = models.TextField(blank=True)
    ssl_certificate_pem = models.TextField(blank=True)
    ssl_key_pem = SecretField(blank=True)
    # Extra librdkafka settings, as the allow-list of studio.lib.client_settings
    # accepted them (librdkafka strings).
    client_settings = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="connection_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        # The default repr is harmless today, but a repr in a log line must never grow
        # into one that shows field values.
        return f"<Connection {self.pk}: {self.name}>"

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")

    def problems(self) -> list[tuple[str, str]]:
        """(field, message) for settings that cannot work together; [] when usable."""
        found: list[tuple[str, str]] = []
        if self.uses_sasl:
            if not self.sasl_mechanism:
                found.append(("sasl_mechanism", f"{self.security_protocol} needs a SASL mechanism."))
            if not self.username:
                found.append(("username", f"{self.security_protocol} needs a username."))
            if not self.password:
                found.append(("password", f"{self.security_protocol} needs a password."))
        if bool(self.ssl_certificate_pem) != bool(self.ssl_key_pem):
            field = "ssl_key_pem" if self.ssl_certificate_pem else "ssl_certificate_pem"
            found.append((field, "A client certificate and its key go together: give both or neither."))
        return found

    def client_config(self) -> ClientConfig:
        """confluent-kafka (and runtime) client settings for this cluster, secrets included.

        The only reader of the secrets: callers hand the result to a Kafka client and
        must not log it.
        """
        config = ClientConfig(self.checked_client_settings())
        config.update(self._connection_settings())
        return config

    def streams_client_config(self) -> ClientConfig:
        """The same settings as ``client_config()`` in a StreamsApp configuration's terms:
        consumer-only and producer-only settings behind ``consumer.``/``producer.``."""
        config = ClientConfig(client_settings.for_streams(self.checked_client_settings()))
        config.update(self._connection_settings())
        return config

    def checked_client_settings(self) -> dict[str, str]:
        """The extra client settings, checked again against the allow-list.

        Raises RefusedClientSettingsError naming each refused setting."""
        accepted, problems = client_settings.check(self.client_settings)
        if problems:
            raise RefusedClientSettingsError(self.name, problems)
        return accepted

    def _connection_settings(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "bootstrap.servers": self.bootstrap_servers,
            "security.protocol": self.security_protocol,
        }
        if self.uses_sasl:
            config["sasl.mechanism"] = self.sasl_mechanism
            config["sasl.username"] = self.username
            config["sasl.password"] = self.secret("password")
        if self.uses_tls:
            if self.ssl_ca_pem:
                config["ssl.ca.pem"] = self.ssl_ca_pem
            if self.ssl_certificate_pem:
                config["ssl.certificate.pem"] = self.ssl_certificate_pem
                config["ssl.key.pem"] = self.secret("ssl_key_pem")
        return config

    def secret(self, field: str) -> str:
        """The plaintext of a secret field ("" when not set).

        Raises UnreadableSecretError (naming this connection) when no key decrypts it.
        """
        value = getattr(self, field)
        if isinstance(value, Sealed):
            try:
                return crypto.decrypt(value.token)
            except crypto.InvalidToken:
                raise UnreadableSecretError(self.name, field) from None
        return str(value or "")

    def secret_values(self) -> list[str]:
        """The secrets' values, for scrubbing them out of client error messages (a secret
        that cannot be decrypted was never given to a client: it is left out)."""
        values = []
        for field in SECRET_FIELDS:
            try:
                values.append(self.secret(field))
            except UnreadableSecretError:
                continue
        return [value for value in values if value]

    def scrub(self, text: str) -> str:
        """`text` (a client's error message) with the secrets' values masked.

        librdkafka's messages do not quote secrets as far as we know; make sure anyway.
        """
        for secret in self.secret_values():
            text = text.replace(secret, "***")
        return text

    def to_dict(self) -> ConnectionDict:
        return {
            "id": self.pk,
            "workspace": self.workspace_id,
            "name": self.name,
            "bootstrap_servers": self.bootstrap_servers,
            "security_protocol": self.security_protocol,
            "sasl_mechanism": self.sasl_mechanism,
            "username": self.username,
            "password_set": bool(self.password),
            "ssl_ca_pem": self.ssl_ca_pem,
            "ssl_certificate_pem": self.ssl_certificate_pem,
            "ssl_key_set": bool(self.ssl_key_pem),
            "client_settings": dict(self.client_settings or {}),
            "created_by": self.created_by.get_username() if self.created_by else None,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }
