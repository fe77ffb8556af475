"""The serdes one foreign-key join shares between its processors, sinks and stores."""

from __future__ import annotations

from typing import Any

from runtime.config import StreamsConfig
from runtime.errors import SerializationError
from runtime.processor.api import ProcessorContext
from runtime.processors.fk_join.murmur3 import hash128
from runtime.serdes import Serde, resolve_serde
from runtime.serdes.internals.fk_serdes import (
    CombinedKeySchema,
    ResponseWrapperSerde,
    SubscriptionWrapperSerde,
)

__all__ = ["ForeignKeyJoinSerdes"]


class ForeignKeyJoinSerdes:
    """Serdes left None fall back to the application's defaults, filled in when a
    processor of the join starts (every task that uses them hosts one).

    Kafka serializes keys and the hashed value under pseudo topics named after the
    subscription topic (``<topic>-fk``, ``-pk``, ``-vh``); schema-registry serdes see
    the same subjects here.
    """

    def __init__(self, subscription_topic: str, primary_key_serde: Serde[Any] | None,
                 foreign_key_serde: Serde[Any] | None, left_value_serde: Serde[Any] | None,
                 right_value_serde: Serde[Any] | None) -> None:
        self.subscription_topic = subscription_topic
        self._given = (primary_key_serde, foreign_key_serde, left_value_serde, right_value_serde)
        self.foreign_key_serde = foreign_key_serde
        self.left_value_serde = left_value_serde
        self.subscription = SubscriptionWrapperSerde(primary_key_serde)
        self.response = ResponseWrapperSerde(right_value_serde)
        self.combined_key = CombinedKeySchema(foreign_key_serde, primary_key_serde)
        self._value_hash_topic: str | None = None

    def configure(self, context: ProcessorContext) -> None:
        # Every time: the same topology may run under another configuration.
        config = StreamsConfig(context.app_config)
        default_key, default_value = config.default_key_serde(), config.default_value_serde()
        primary_key, foreign_key, left_value, right_value = (resolve_serde(g) for g in self._given)
        prefix = f"{context.application_id}-{self.subscription_topic}"
        self.foreign_key_serde = foreign_key or default_key
        self.left_value_serde = left_value or default_value
        self.subscription.inner = primary_key or default_key
        self.subscription.pseudo_topic = prefix + "-pk"
        self.response.inner = right_value or default_value
        schema = self.combined_key
        schema.foreign_key_serde, schema.primary_key_serde = self.foreign_key_serde, \
            self.subscription.inner
        schema.foreign_key_topic, schema.primary_key_topic = prefix + "-fk", prefix + "-pk"
        self._value_hash_topic = prefix + "-vh"

    def foreign_key_bytes(self, foreign_key: Any) -> bytes | None:
        assert self.foreign_key_serde is not None
        return self.foreign_key_serde.serialize(foreign_key, self.combined_key.foreign_key_topic)

    def value_hash(self, left_value: Any) -> tuple[int, int]:
        """Murmur3 128 of the serialized left value (Kafka's stale-response check)."""
        assert self.left_value_serde is not None
        raw = self.left_value_serde.serialize(left_value, self._value_hash_topic)
        if raw is None:
            raise SerializationError(f"left value {left_value!r} serialized to None")
        return hash128(raw)
