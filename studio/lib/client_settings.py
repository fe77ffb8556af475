"""Which Kafka client (librdkafka) settings a user may add to a connection.

A connection's extra settings reach every consumer, producer and admin client the
workers and the web process create for it, so a setting is a request to run something
on our machines. Only the settings listed in ALLOWED pass, each with the values it may
take; everything else is refused with the reason, so that a setting librdkafka adds
tomorrow is refused until someone has read what it does. The named refusals exist to
say *why*: loading native code, reading files, running commands, calling URLs from the
worker, writing secrets to logs, turning certificate checks off.

Pure functions (no Django): the API validates with them and the worker checks again
before handing the settings to a client, since rows can be written by other means.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# The settings a connection's own fields produce, and the field to use instead.
FIELD_SETTINGS: dict[str, str] = {
    "bootstrap.servers": "bootstrap_servers",
    "metadata.broker.list": "bootstrap_servers",
    "security.protocol": "security_protocol",
    "sasl.mechanism": "sasl_mechanism",
    "sasl.mechanisms": "sasl_mechanism",
    "sasl.username": "username",
    "sasl.password": "password",
    "ssl.ca.pem": "ssl_ca_pem",
    "ssl.certificate.pem": "ssl_certificate_pem",
    "ssl.key.pem": "ssl_key_pem",
}

# Settings the engine chooses because its guarantees rest on them.
ENGINE_SETTINGS = frozenset({
    "group.id", "group.instance.id", "group.protocol", "group.remote.assignor",
    "partition.assignment.strategy", "enable.auto.commit", "enable.auto.offset.store",
    "auto.commit.interval.ms", "auto.offset.reset", "isolation.level", "enable.partition.eof",
    "check.crcs", "transactional.id", "transaction.timeout.ms", "enable.idempotence",
    "enable.gapless.guarantee", "acks", "request.required.acks", "max.poll.records",
})

_NATIVE_CODE = "loads native code into the worker"
_READS_FILES = "reads a file on the worker's machine; give certificates and keys as PEM text in the connection's fields"
_SECRET = "holds a secret, which would be stored unencrypted; Riffle supports secrets only in the password and client key fields"

# Refusals with their reasons: exact names, then patterns.
REFUSED: dict[str, str] = {
    "plugin.library.paths": _NATIVE_CODE,
    "ssl.engine.location": _NATIVE_CODE,
    "ssl.engine.id": "selects an OpenSSL engine, which loads native code",
    "ssl.providers": "loads OpenSSL providers, which are native code",
    "sasl.kerberos.kinit.cmd": "runs a shell command on the worker",
    "sasl.kerberos.keytab": _READS_FILES,
    "sasl.kerberos.service.name": "is for Kerberos (GSSAPI), which Riffle does not support",
    "sasl.kerberos.principal": "is for Kerberos (GSSAPI), which Riffle does not support",
    "sasl.kerberos.min.time.before.relogin": "is for Kerberos (GSSAPI), which Riffle does not support",
    "sasl.oauthbearer.token.endpoint.url": "makes the worker send requests to a URL of the user's choice",
    "sasl.oauthbearer.config": _SECRET,
    "sasl.oauthbearer.client.secret": _SECRET,
    "ssl.keystore.password": _SECRET,
    "ssl.key.password": _SECRET,
    "ssl.ca.certificate.stores": "reads a Windows certificate store on the worker",
    "debug": "writes protocol traces, which can include credentials, to the worker's logs",
    "log_level": "changes what the client writes to the worker's logs",
    "log.queue": "is set by the engine",
}

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r".*\.location$"), _READS_FILES),
    (re.compile(r"^test\."), "is a librdkafka test setting"),
    (re.compile(r".*(password|secret)"), _SECRET),
    (re.compile(r".*_cb$"), "is a callback, which a setting cannot hold"),
    (re.compile(r"^(opaque|interceptors|sasl\.oauthbearer\.)"), "cannot be set from a connection"),
]


@dataclass(frozen=True)
class _Kind:
    """What values a setting takes: ``parse`` returns the librdkafka string or raises
    ValueError with a message."""

    parse: Callable[[object], str]


def _integer(low: int, high: int) -> _Kind:
    def parse(value: object) -> str:
        if isinstance(value, bool):
            raise ValueError(f"must be a whole number from {low} to {high}")
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,19}", value.strip()):
            value = int(value.strip())
        if not isinstance(value, int) or not low <= value <= high:
            raise ValueError(f"must be a whole number from {low} to {high}")
        return str(value)
    return _Kind(parse)


def _boolean() -> _Kind:
    def parse(value: object) -> str:
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower()
        raise ValueError("must be true or false")
    return _Kind(parse)


def _one_of(*choices: str) -> _Kind:
    def parse(value: object) -> str:
        if isinstance(value, str) and value.strip() in choices:
            return value.strip()
        raise ValueError(f"must be one of {', '.join(choices)}")
    return _Kind(parse)


def _text(pattern: str, what: str) -> _Kind:
    compiled = re.compile(pattern)

    def parse(value: object) -> str:
        if isinstance(value, str) and compiled.fullmatch(value):
            return value
        raise ValueError(f"must be {what}")
    return _Kind(parse)


_MS = _integer(0, 2**31 - 1)
_BYTES = _integer(1, 2**31 - 1)
_NAME = _text(r"[A-Za-z0-9._:-]{1,249}", "1 to 249 letters, digits, '.', '_', ':' and '-'")
_TLS_LIST = _text(r"[A-Za-z0-9_:+.!@=-]{1,1000}", "a list of OpenSSL names separated by ':'")

ALLOWED: dict[str, _Kind] = {
    # identity and placement
    "client.id": _NAME,
    "client.rack": _NAME,
    "client.dns.lookup": _one_of("use_all_dns_ips", "resolve_canonical_bootstrap_servers_only"),
    "broker.address.family": _one_of("any", "v4", "v6"),
    # connections and timeouts
    "socket.timeout.ms": _integer(10, 300_000),
    "socket.connection.setup.timeout.ms": _integer(1000, 2**31 - 1),
    "socket.keepalive.enable": _boolean(),
    "socket.nagle.disable": _boolean(),
    "socket.send.buffer.bytes": _integer(0, 100_000_000),
    "socket.receive.buffer.bytes": _integer(0, 100_000_000),
    "connections.max.idle.ms": _MS,
    "reconnect.backoff.ms": _integer(0, 3_600_000),
    "reconnect.backoff.max.ms": _integer(0, 3_600_000),
    "retry.backoff.ms": _integer(1, 300_000),
    "retry.backoff.max.ms": _integer(1, 300_000),
    "request.timeout.ms": _integer(1, 900_000),
    "metadata.max.age.ms": _integer(1, 86_400_000),
    "topic.metadata.refresh.interval.ms": _integer(-1, 3_600_000),
    "api.version.request.timeout.ms": _integer(1, 300_000),
    "message.max.bytes": _integer(1000, 1_000_000_000),
    "receive.message.max.bytes": _integer(1000, 2_147_483_647),
    # consumers
    "session.timeout.ms": _integer(1, 3_600_000),
    "heartbeat.interval.ms": _integer(1, 3_600_000),
    "max.poll.interval.ms": _integer(1, 86_400_000),
    "fetch.min.bytes": _BYTES,
    "fetch.max.bytes": _integer(0, 2_147_483_135),
    "fetch.wait.max.ms": _integer(0, 300_000),
    "max.partition.fetch.bytes": _BYTES,
    "queued.min.messages": _integer(1, 10_000_000),
    "queued.max.messages.kbytes": _integer(1, 2_097_151),
    # producers
    "linger.ms": _integer(0, 900_000),
    "batch.size": _integer(1, 2_147_483_647),
    "batch.num.messages": _integer(1, 1_000_000),
    "compression.type": _one_of("none", "gzip", "snappy", "lz4", "zstd"),
    "queue.buffering.max.messages": _integer(0, 2_147_483_647),
    "queue.buffering.max.kbytes": _integer(1, 2_147_483_647),
    "delivery.timeout.ms": _integer(0, 2_147_483_647),
    "message.timeout.ms": _integer(0, 2_147_483_647),
    "max.in.flight.requests.per.connection": _integer(1, 5),
    # TLS: tightening only
    "ssl.cipher.suites": _TLS_LIST,
    "ssl.curves.list": _TLS_LIST,
    "ssl.sigalgs.list": _TLS_LIST,
    "enable.ssl.certificate.verification": _boolean(),   # false is refused first: see _refusal
    "ssl.endpoint.identification.algorithm": _one_of("https"),
}

_VERIFICATION_OFF = {
    "enable.ssl.certificate.verification": "turns TLS certificate verification off",
    "ssl.endpoint.identification.algorithm": "turns TLS host name verification off",
}

MAX_SETTINGS = 64

# Settings that only one kind of client reads: a StreamsApp configuration passes them
# behind ``consumer.``/``producer.`` (Kafka Streams' prefixes).
CONSUMER_ONLY = frozenset({
    "client.rack", "session.timeout.ms", "heartbeat.interval.ms", "max.poll.interval.ms",
    "fetch.min.bytes", "fetch.max.bytes", "fetch.wait.max.ms", "max.partition.fetch.bytes",
    "queued.min.messages", "queued.max.messages.kbytes",
})
PRODUCER_ONLY = frozenset({
    "linger.ms", "batch.size", "batch.num.messages", "compression.type",
    "queue.buffering.max.messages", "queue.buffering.max.kbytes", "delivery.timeout.ms",
    "message.timeout.ms", "max.in.flight.requests.per.connection", "request.timeout.ms",
})


def check(settings: object) -> tuple[dict[str, str], dict[str, str]]:
    """``(accepted, problems)``: the settings as librdkafka strings, and for each refused
    setting (key) why. ``settings`` is what the user sent; anything but an object of
    string keys is one problem under the key ``""``."""
    if not isinstance(settings, Mapping):
        return {}, {"": "Client settings must be an object of setting names and values."}
    if len(settings) > MAX_SETTINGS:
        return {}, {"": f"At most {MAX_SETTINGS} client settings."}
    accepted: dict[str, str] = {}
    problems: dict[str, str] = {}
    for key, value in settings.items():
        if not isinstance(key, str) or not key:
            problems[str(key)] = "A setting name must be non-empty text."
            continue
        reason = _refusal(key, value)
        if reason is not None:
            problems[key] = reason
            continue
        try:
            accepted[key] = ALLOWED[key].parse(value)
        except ValueError as exc:
            problems[key] = f"{key} {exc}."
    return accepted, problems


def _refusal(key: str, value: object) -> str | None:
    if key in FIELD_SETTINGS:
        return f"{key} is set by the connection's {FIELD_SETTINGS[key]} field."
    if key in ENGINE_SETTINGS:
        return f"{key} is set by the engine: its processing guarantees depend on it."
    if key in _VERIFICATION_OFF:
        if isinstance(value, str) and value.strip().lower() in ("false", "none", ""):
            return f"{key}={value.strip() or '(empty)'} {_VERIFICATION_OFF[key]}; that is not allowed."
        if value is False:
            return f"{key}=false {_VERIFICATION_OFF[key]}; that is not allowed."
        return None
    if key in REFUSED:
        return f"{key} is not allowed: it {REFUSED[key]}."
    for pattern, reason in _PATTERNS:
        if pattern.match(key):
            return f"{key} is not allowed: it {reason}."
    if key not in ALLOWED:
        return f"{key} is not a client setting Riffle accepts (see the README's list of connection settings)."
    return None


def for_streams(accepted: Mapping[str, str]) -> dict[str, str]:
    """Accepted settings as a StreamsApp configuration takes them.

    ``client.id`` stays as it is: the engine builds each client's id from it, as Kafka
    Streams does. Settings every client reads go to each of ``consumer.``,
    ``producer.`` and ``admin.`` (the engine passes only the connection settings,
    ``security.*``/``sasl.*``/``ssl.*``, to all clients unprefixed)."""
    out: dict[str, str] = {}
    for key, value in accepted.items():
        if key == "client.id":
            out[key] = value
        elif key in CONSUMER_ONLY:
            out[f"consumer.{key}"] = value
        elif key in PRODUCER_ONLY:
            out[f"producer.{key}"] = value
        else:
            for prefix in ("consumer.", "producer.", "admin."):
                out[prefix + key] = value
    return out


def allowed_names() -> list[str]:
    """The names of the settings a connection may carry, sorted (for docs and forms)."""
    return sorted(ALLOWED)
