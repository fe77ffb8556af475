"""Configuration: Kafka Streams' keys, their defaults, and typed access.

Values may be given as Python objects or as the strings a properties file holds.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterator, Mapping
from typing import Any

from runtime.errors import ConfigError
from runtime.serdes import Serde, Serdes, resolve_serde

__all__ = [
    "APPLICATION_ID",
    "BOOTSTRAP_SERVERS",
    "COMMIT_INTERVAL_MS",
    "DEFAULT_DSL_STORE",
    "DEFAULT_KEY_SERDE",
    "DEFAULT_VALUE_SERDE",
    "DESERIALIZATION_EXCEPTION_HANDLER",
    "ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME",
    "HandlerResponse",
    "IN_MEMORY",
    "PROCESSING_EXCEPTION_HANDLER",
    "PROCESSING_GUARANTEE",
    "PRODUCTION_EXCEPTION_HANDLER",
    "ROCKS_DB",
    "ROCKSDB_MEMORY_MAX_BYTES",
    "STATESTORE_CACHE_MAX_BYTES",
    "STATE_DIR",
    "StreamsConfig",
]

logger = logging.getLogger(__name__)

APPLICATION_ID = "application.id"
BOOTSTRAP_SERVERS = "bootstrap.servers"
PROCESSING_GUARANTEE = "processing.guarantee"
COMMIT_INTERVAL_MS = "commit.interval.ms"
NUM_STREAM_THREADS = "num.stream.threads"
STATESTORE_CACHE_MAX_BYTES = "statestore.cache.max.bytes"
TOPOLOGY_OPTIMIZATION = "topology.optimization"
NUM_STANDBY_REPLICAS = "num.standby.replicas"
DEFAULT_KEY_SERDE = "default.key.serde"
DEFAULT_VALUE_SERDE = "default.value.serde"
DEFAULT_TIMESTAMP_EXTRACTOR = "default.timestamp.extractor"
# Kafka 4.0 renamed the handler keys; the old "default." names still work there too.
DESERIALIZATION_EXCEPTION_HANDLER = "deserialization.exception.handler"
DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER = "default.deserialization.exception.handler"
PROCESSING_EXCEPTION_HANDLER = "processing.exception.handler"
PRODUCTION_EXCEPTION_HANDLER = "production.exception.handler"
DEFAULT_PRODUCTION_EXCEPTION_HANDLER = "default.production.exception.handler"
# KIP-1034: where the built-in handlers send the raw failing record; None means nowhere.
ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME = "errors.dead.letter.queue.topic.name"
MAX_TASK_IDLE_MS = "max.task.idle.ms"
STATE_DIR = "state.dir"
DEFAULT_DSL_STORE = "default.dsl.store"
METRICS_RECORDING_LEVEL = "metrics.recording.level"   # INFO (default) | DEBUG | TRACE
ROCKS_DB = "rocksDB"
# Ours: one memory budget shared by every RocksDB store of the process (Kafka Streams
# needs a RocksDBConfigSetter for that); 0 leaves each store to RocksDB's defaults.
ROCKSDB_MEMORY_MAX_BYTES = "riffle.rocksdb.memory.max.bytes"
IN_MEMORY = "in_memory"

AT_LEAST_ONCE = "at_least_once"
EXACTLY_ONCE_V2 = "exactly_once_v2"

DEFAULTS: dict[str, Any] = {
    PROCESSING_GUARANTEE: AT_LEAST_ONCE,
    COMMIT_INTERVAL_MS: 30000,
    NUM_STREAM_THREADS: 1,
    STATESTORE_CACHE_MAX_BYTES: 10 * 1024 * 1024,
    TOPOLOGY_OPTIMIZATION: "none",
    NUM_STANDBY_REPLICAS: 0,
    # Kafka Streams has no default serde; Python programs rarely name one, so JSON,
    # which round-trips str, numbers, lists and dicts, stands in.
    DEFAULT_KEY_SERDE: "json",
    DEFAULT_VALUE_SERDE: "json",
    DESERIALIZATION_EXCEPTION_HANDLER: "log-and-fail",
    PROCESSING_EXCEPTION_HANDLER: "log-and-fail",
    # Kafka's DefaultProductionExceptionHandler fails on serialization and send errors.
    PRODUCTION_EXCEPTION_HANDLER: "log-and-fail",
    ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME: None,
    MAX_TASK_IDLE_MS: 0,
    # Kafka's default is /tmp/kafka-streams; the platform's temp dir stands in for /tmp.
    STATE_DIR: os.path.join(tempfile.gettempdir(), "kafka-streams"),
    # Kafka's default is rocksDB; ours is in_memory, which is faster here and as durable
    # (the changelog is the source of truth either way). See bench/store_bench.py.
    DEFAULT_DSL_STORE: IN_MEMORY,
    ROCKSDB_MEMORY_MAX_BYTES: 64 * 1024 * 1024,
}


class HandlerResponse:
    CONTINUE = "CONTINUE"
    FAIL = "FAIL"


_HANDLER_NAMES = {
    "log-and-fail": HandlerResponse.FAIL,
    "log_and_fail": HandlerResponse.FAIL,
    "logandfail": HandlerResponse.FAIL,
    "logandfailexceptionhandler": HandlerResponse.FAIL,
    "logandfailprocessingexceptionhandler": HandlerResponse.FAIL,
    "defaultproductionexceptionhandler": HandlerResponse.FAIL,
    "log-and-continue": HandlerResponse.CONTINUE,
    "log_and_continue": HandlerResponse.CONTINUE,
    "logandcontinue": HandlerResponse.CONTINUE,
    "logandcontinueexceptionhandler": HandlerResponse.CONTINUE,
    "logandcontinueprocessingexceptionhandler": HandlerResponse.CONTINUE,
    "logandcontinueproductionexceptionhandler": HandlerResponse.CONTINUE,
}


def _handler_response(key: str, value: Any) -> str:
    """The fixed response of a named handler (Java class names accepted)."""
    if isinstance(value, str):
        simple = value.rsplit(".", 1)[-1].lower()
        response = _HANDLER_NAMES.get(simple)
        if response is not None:
            return response
    raise ConfigError(
        f"{key}: expected 'log-and-fail' or 'log-and-continue' (or Kafka's handler class "
        f"names), got {value!r}")


class StreamsConfig(Mapping[str, Any]):
    """An immutable view of the configuration with Kafka Streams' defaults filled in."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        merged = dict(DEFAULTS)
        for key, value in (values or {}).items():
            if not isinstance(key, str):
                raise ConfigError(f"config keys must be strings, got {key!r}")
            merged[key] = value
        if DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER in (values or {}) and \
                DESERIALIZATION_EXCEPTION_HANDLER not in (values or {}):
            merged[DESERIALIZATION_EXCEPTION_HANDLER] = merged[
                DEFAULT_DESERIALIZATION_EXCEPTION_HANDLER]
        if DEFAULT_PRODUCTION_EXCEPTION_HANDLER in (values or {}) and \
                PRODUCTION_EXCEPTION_HANDLER not in (values or {}):
            merged[PRODUCTION_EXCEPTION_HANDLER] = merged[DEFAULT_PRODUCTION_EXCEPTION_HANDLER]
        self._values = merged
        self._validate()

    def _validate(self) -> None:
        guarantee = self._values[PROCESSING_GUARANTEE]
        if guarantee not in (AT_LEAST_ONCE, EXACTLY_ONCE_V2):
            raise ConfigError(
                f"{PROCESSING_GUARANTEE}: expected '{AT_LEAST_ONCE}' or '{EXACTLY_ONCE_V2}', "
                f"got {guarantee!r}")
        for key in (COMMIT_INTERVAL_MS, NUM_STREAM_THREADS, STATESTORE_CACHE_MAX_BYTES,
                    NUM_STANDBY_REPLICAS, MAX_TASK_IDLE_MS, ROCKSDB_MEMORY_MAX_BYTES):
            self.get_int(key)
        if self.get_int(ROCKSDB_MEMORY_MAX_BYTES) < 0:
            raise ConfigError(f"{ROCKSDB_MEMORY_MAX_BYTES}: expected 0 (unbounded) or a number of bytes, "
                              f"got {self._values[ROCKSDB_MEMORY_MAX_BYTES]!r}")
        if self._values[DEFAULT_DSL_STORE] not in (ROCKS_DB, IN_MEMORY):
            raise ConfigError(f"{DEFAULT_DSL_STORE}: expected '{ROCKS_DB}' or '{IN_MEMORY}', "
                              f"got {self._values[DEFAULT_DSL_STORE]!r}")
        if not isinstance(self._values[STATE_DIR], (str, os.PathLike)):
            raise ConfigError(f"{STATE_DIR}: expected a directory path, "
                              f"got {self._values[STATE_DIR]!r}")
        self.deserialization_handler()
        self.processing_handler()
        self.production_handler()
        self.dead_letter_queue_topic()
        self.default_key_serde()
        self.default_value_serde()
        self.default_timestamp_extractor()

    # -- Mapping ------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    # -- typed getters --------------------------------------------------------------
    def get_int(self, key: str) -> int:
        value = self._values.get(key)
        if isinstance(value, bool):
            raise ConfigError(f"{key}: expected an integer, got {value!r}")
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{key}: expected an integer, got {value!r}") from exc

    @property
    def application_id(self) -> str | None:
        value = self._values.get(APPLICATION_ID)
        return None if value is None else str(value)

    def default_key_serde(self) -> Serde[Any]:
        return self._serde(DEFAULT_KEY_SERDE)

    def default_value_serde(self) -> Serde[Any]:
        return self._serde(DEFAULT_VALUE_SERDE)

    def _serde(self, key: str) -> Serde[Any]:
        try:
            serde = resolve_serde(self._values.get(key))
        except ConfigError as exc:
            raise ConfigError(f"{key}: {exc}") from exc
        return serde if serde is not None else Serdes.json()

    def default_timestamp_extractor(self) -> Any:
        """The extractor for sources that name none; None means the record's timestamp
        (failing on a negative one, like Kafka's FailOnInvalidTimestamp)."""
        value = self._values.get(DEFAULT_TIMESTAMP_EXTRACTOR)
        if value is None:
            return None
        from runtime.processor.timestamp_extractors import extractor_by_name

        if isinstance(value, str):
            try:
                value = extractor_by_name(value)
            except ValueError as exc:
                raise ConfigError(f"{DEFAULT_TIMESTAMP_EXTRACTOR}: {exc}") from exc
        if value.__class__.__name__ == "FailOnInvalidTimestamp":
            return None
        if not callable(value) and not callable(getattr(value, "extract", None)):
            raise ConfigError(f"{DEFAULT_TIMESTAMP_EXTRACTOR}: {value!r} is not an extractor")
        return value

    def deserialization_handler(self) -> str:
        """``HandlerResponse.CONTINUE`` or ``HandlerResponse.FAIL``."""
        return _handler_response(DESERIALIZATION_EXCEPTION_HANDLER,
                                 self._values[DESERIALIZATION_EXCEPTION_HANDLER])

    def processing_handler(self) -> str:
        return _handler_response(PROCESSING_EXCEPTION_HANDLER,
                                 self._values[PROCESSING_EXCEPTION_HANDLER])

    def production_handler(self) -> str:
        """For a record a sink cannot serialize or the producer refuses as too large
        (Kafka also asks it on asynchronous send failures; here those still fail)."""
        return _handler_response(PRODUCTION_EXCEPTION_HANDLER,
                                 self._values[PRODUCTION_EXCEPTION_HANDLER])

    def dead_letter_queue_topic(self) -> str | None:
        value = self._values.get(ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME}: expected a topic name, "
                              f"got {value!r}")
        return value

    def client_config(self, prefix: str) -> dict[str, Any]:
        """Settings passed through to a Kafka client: ``consumer.``/``producer.``/``admin.``."""
        return {k[len(prefix):]: v for k, v in self._values.items() if k.startswith(prefix)}

    def to_dict(self) -> dict[str, Any]:
        return dict(self._values)
