"""A thin, typed wrapper around confluent-kafka's AdminClient, created on first use."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import confluent_kafka
from confluent_kafka.admin import AdminClient, NewTopic

from runtime.kafka.exceptions import KafkaClientError
from runtime.kafka.types import NewTopicSpec

__all__ = ["KafkaAdmin"]

logger = logging.getLogger(__name__)


class KafkaAdmin:
    def __init__(self, config: Mapping[str, Any]) -> None:
        self._config = dict(config)
        self._admin: AdminClient | None = None

    @property
    def _client(self) -> AdminClient:
        if self._admin is None:
            try:
                self._admin = AdminClient(self._config)
            except (confluent_kafka.KafkaException, ValueError, TypeError) as exc:
                raise KafkaClientError(f"cannot create admin client: {exc}") from exc
        return self._admin

    def topic_partitions(self, timeout: float = 10.0) -> dict[str, int]:
        """Every topic on the cluster with its partition count.

        Always lists all topics: asking for one topic by name makes brokers with
        auto-creation enabled (the development broker among them) create it."""
        try:
            metadata = self._client.list_topics(timeout=timeout)
        except confluent_kafka.KafkaException as exc:
            servers = self._config.get("bootstrap.servers")
            raise KafkaClientError(f"cannot reach Kafka at {servers}: {exc}") from exc
        return {
            name: len(topic.partitions)
            for name, topic in metadata.topics.items()
            if topic.error is None
        }

    def create_topics(self, specs: Sequence[NewTopicSpec], timeout: float = 30.0) -> list[str]:
        """Create the topics; ones that already exist are left alone. Returns the names
        actually created."""
        if not specs:
            return []
        futures = self._client.create_topics(
            [
                NewTopic(s.name, num_partitions=s.num_partitions, replication_factor=s.replication_factor,
                         config=dict(s.config))
                for s in specs
            ],
            operation_timeout=timeout,
            request_timeout=timeout,
        )
        created: list[str] = []
        for name, future in futures.items():
            try:
                future.result()
                created.append(name)
            except confluent_kafka.KafkaException as exc:
                error = exc.args[0] if exc.args else None
                if error is not None and error.code() == confluent_kafka.KafkaError.TOPIC_ALREADY_EXISTS:
                    continue
                raise KafkaClientError(f"cannot create topic {name}: {exc}") from exc
        return created

    def delete_topics(self, names: Sequence[str], timeout: float = 30.0) -> list[str]:
        """Delete the topics; ones that do not exist are ignored. Returns those deleted."""
        if not names:
            return []
        futures = self._client.delete_topics(list(names), operation_timeout=timeout, request_timeout=timeout)
        deleted: list[str] = []
        for name, future in futures.items():
            try:
                future.result()
                deleted.append(name)
            except confluent_kafka.KafkaException as exc:
                error = exc.args[0] if exc.args else None
                if error is not None and error.code() == confluent_kafka.KafkaError.UNKNOWN_TOPIC_OR_PART:
                    continue
                raise KafkaClientError(f"cannot delete topic {name}: {exc}") from exc
        return deleted
