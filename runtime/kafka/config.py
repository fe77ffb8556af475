"""Client settings for the engine's consumers, producer and admin client, derived from a
Kafka Streams style configuration.

As in Kafka Streams, ``consumer.``/``producer.``/``admin.`` prefixed keys are passed to
those clients (``main.consumer.`` and ``restore.consumer.`` to one consumer only), and the
connection settings that every client needs (``bootstrap.servers``, ``security.*``,
``sasl.*``, ``ssl.*``) are passed unprefixed. Everything else is the engine's own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = [
    "admin_config",
    "main_consumer_config",
    "producer_config",
    "restore_consumer_config",
]

_SHARED_PREFIXES = ("security.", "sasl.", "ssl.")
_SHARED_KEYS = ("bootstrap.servers", "client.dns.lookup", "socket.connection.setup.timeout.ms")


def _shared(config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        k: v
        for k, v in config.items()
        if k in _SHARED_KEYS or k.startswith(_SHARED_PREFIXES)
    }


def _prefixed(config: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {k[len(prefix):]: v for k, v in config.items() if k.startswith(prefix)}


# Java consumer settings that librdkafka rejects; the engine applies them itself
# (runtime/exec/engine_config.py).
_ENGINE_CONSUMER_KEYS = ("max.poll.records",)


def _consumer_prefixed(config: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    out = _prefixed(config, prefix)
    for key in _ENGINE_CONSUMER_KEYS:
        out.pop(key, None)
    return out


def main_consumer_config(
    config: Mapping[str, Any], *, client_id: str, assignment_strategy: str, exactly_once: bool = False
) -> dict[str, Any]:
    """The group consumer of one stream thread."""
    out: dict[str, Any] = {
        "group.id": config["application.id"],
        "client.id": client_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        # The development broker joins a new group in ~3 s only with a short session
        # timeout (~23 s with the default); Kafka Streams' own default is 45 s.
        "session.timeout.ms": 6000,
        "partition.assignment.strategy": assignment_strategy,
        # Kafka Streams reads uncommitted data under at_least_once.
        "isolation.level": "read_committed" if exactly_once else "read_uncommitted",
    }
    out.update(_shared(config))
    out.update(_consumer_prefixed(config, "consumer."))
    out.update(_consumer_prefixed(config, "main.consumer."))
    return out


def restore_consumer_config(config: Mapping[str, Any], *, client_id: str) -> dict[str, Any]:
    """The thread's changelog reader: assign() only, never joins the group."""
    out: dict[str, Any] = {
        # librdkafka insists on a group id even for assign-only consumers; it is never
        # used to join or commit.
        "group.id": f"{config['application.id']}-restore",
        "client.id": client_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "enable.partition.eof": True,
        # An out-of-range checkpoint offset must surface as an error, not silently
        # jump to the start or the end of the changelog.
        "auto.offset.reset": "error",
        "fetch.wait.max.ms": 100,
        "isolation.level": "read_uncommitted",
    }
    out.update(_shared(config))
    out.update(_consumer_prefixed(config, "consumer."))
    out.update(_consumer_prefixed(config, "restore.consumer."))
    return out


def producer_config(config: Mapping[str, Any], *, client_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "client.id": client_id,
        # murmur2 of the key bytes, as Java's default partitioner (random for null keys),
        # so that our output lands in the partitions a Java producer would choose.
        "partitioner": "murmur2_random",
        "acks": "all",
        # Kafka Streams' producer default: batches fill up between commits.
        "linger.ms": 100,
    }
    out.update(_shared(config))
    out.update(_prefixed(config, "producer."))
    return out


def admin_config(config: Mapping[str, Any], *, client_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {"client.id": client_id}
    out.update(_shared(config))
    out.update(_prefixed(config, "admin."))
    return out
