"""The settings the engine on Kafka reads from a StreamsApp configuration (Kafka Streams
keys plus ``riffle.*``), validated once, at construction. Keys shared with the core
(guarantee, handlers, serdes) are parsed by ``runtime.config.StreamsConfig``.

``max.poll.records`` is a Java client setting that librdkafka lacks; the engine honours
it itself as the most records one ``consume`` returns, with Kafka Streams' prefixes:
``main.consumer.max.poll.records`` for the group consumer (default ``max.poll.records``,
1000) and ``restore.consumer.max.poll.records`` for the changelog reader, which bounds
the restore work a stream thread does between two rounds of processing (default
``consumer.max.poll.records``, then ``max.poll.records``, then 1000).

Process limits (``runtime.exec.limits``), off by default: ``riffle.process.memory.limit.mb``
(0 = none; applied by whoever owns the process, e.g. ``python -m runtime run``, never by
``StreamsApp`` itself), ``riffle.batch.cpu.limit.ms`` (0 = no watchdog) and
``riffle.batch.cpu.limit.action`` (``log``, the default, or ``exit``).

``riffle.sample.records.per.second``: record samples per node per stream thread handed to
``StreamsApp(on_sample=...)`` (``runtime.exec.sampling``); 0, the default, is off."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runtime.config import AT_LEAST_ONCE, EXACTLY_ONCE_V2, HandlerResponse, StreamsConfig
from runtime.errors import ConfigError

__all__ = ["AT_LEAST_ONCE", "EXACTLY_ONCE_V2", "EngineConfig"]


def _int(config: Mapping[str, Any], key: str, default: int, minimum: int) -> int:
    raw = config.get(key, default)
    try:
        value = int(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be an integer, got {raw!r}") from None
    if isinstance(raw, bool) or value < minimum:
        raise ConfigError(f"{key} must be an integer >= {minimum}, got {raw!r}")
    return value


def _rate(config: Mapping[str, Any], key: str) -> float:
    raw = config.get(key, 0)
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"{key} must be a number, got {raw!r}") from None
    if isinstance(raw, bool) or not value >= 0 or value == float("inf"):
        raise ConfigError(f"{key} must be a number >= 0, got {raw!r}")
    return value


def _first_int(config: Mapping[str, Any], keys: tuple[str, ...], default: int) -> int:
    """The first of ``keys`` that is set (an integer >= 1), else ``default``."""
    for key in keys:
        if key in config:
            return _int(config, key, default, 1)
    return default


@dataclass(frozen=True)
class EngineConfig:
    application_id: str
    bootstrap_servers: str
    processing_guarantee: str
    commit_interval_ms: int
    num_stream_threads: int
    poll_ms: int
    max_poll_records: int
    restore_max_poll_records: int
    metrics_interval_ms: int
    redis_url: str | None
    continue_on_processing_error: bool
    memory_limit_mb: int
    batch_cpu_limit_ms: int
    batch_cpu_limit_action: str
    sample_rate: float
    query_timeout_ms: int
    raw: Mapping[str, Any] = field(repr=False)            # as given (client pass-through)
    streams: StreamsConfig = field(repr=False)            # with Kafka Streams' defaults

    @classmethod
    def from_mapping(cls, config: Mapping[str, Any]) -> EngineConfig:
        app_id = config.get("application.id")
        if not app_id or not isinstance(app_id, str):
            raise ConfigError("application.id is required (a non-empty string)")
        servers = config.get("bootstrap.servers")
        if not servers or not isinstance(servers, str):
            raise ConfigError("bootstrap.servers is required, e.g. '127.0.0.1:9092'")
        streams = config if isinstance(config, StreamsConfig) else StreamsConfig(config)
        guarantee = str(streams["processing.guarantee"])
        redis_url = config.get("riffle.redis.url") or None
        cpu_action = str(config.get("riffle.batch.cpu.limit.action", "log")).strip().lower()
        if cpu_action not in ("log", "exit"):
            raise ConfigError(f"riffle.batch.cpu.limit.action must be 'log' or 'exit', got {cpu_action!r}")
        return cls(
            application_id=app_id,
            bootstrap_servers=servers,
            processing_guarantee=guarantee,
            # Kafka Streams: 30000 under at_least_once, 100 under exactly_once_v2.
            commit_interval_ms=_int(
                config, "commit.interval.ms", 100 if guarantee == EXACTLY_ONCE_V2 else 30_000, 0
            ),
            num_stream_threads=_int(config, "num.stream.threads", 1, 1),
            poll_ms=_int(config, "poll.ms", 100, 0),
            max_poll_records=_first_int(config, ("main.consumer.max.poll.records", "consumer.max.poll.records",
                                                 "max.poll.records"), 1000),
            restore_max_poll_records=_first_int(config, ("restore.consumer.max.poll.records",
                                                         "consumer.max.poll.records", "max.poll.records"), 1000),
            metrics_interval_ms=_int(config, "riffle.metrics.interval.ms", 1000, 10),
            redis_url=str(redis_url) if redis_url else None,
            continue_on_processing_error=streams.processing_handler() == HandlerResponse.CONTINUE,
            memory_limit_mb=_int(config, "riffle.process.memory.limit.mb", 0, 0),
            batch_cpu_limit_ms=_int(config, "riffle.batch.cpu.limit.ms", 0, 0),
            batch_cpu_limit_action=cpu_action,
            sample_rate=_rate(config, "riffle.sample.records.per.second"),
            # how long an interactive query waits for a stream thread to answer
            query_timeout_ms=_int(config, "riffle.query.timeout.ms", 10_000, 1),
            raw=dict(config),
            streams=streams,
        )
