"""processing.guarantee=exactly_once_v2 (Kafka Streams' EOS v2): the client settings
of a stream thread whose producer is transactional.

One transactional producer per stream thread, ``transactional.id`` =
``<application.id>-<process id>-<thread index>`` as in Kafka Streams; the thread's
records and its consumed offsets are committed in one transaction (see
``KafkaProducer.commit_transaction`` and ``StreamThread._commit``). Consumers read
committed data only, so neither the output of an aborted transaction nor an
aborted changelog write is seen downstream or restored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["TRANSACTION_TIMEOUT_MS", "eos_producer_config", "eos_restore_consumer_config", "transactional_id"]

# Kafka Streams' producer default under exactly_once_v2 (the client's own is 60000).
TRANSACTION_TIMEOUT_MS = 10_000


def transactional_id(application_id: str, process_id: str, thread_index: int) -> str:
    return f"{application_id}-{process_id}-{thread_index}"


def eos_producer_config(producer_config: Mapping[str, Any], raw: Mapping[str, Any], tx_id: str) -> dict[str, Any]:
    """``producer_config`` made transactional; ``transaction.timeout.ms`` given bare
    or as ``producer.transaction.timeout.ms`` is passed through."""
    out = dict(producer_config)
    out["transactional.id"] = tx_id
    if "transaction.timeout.ms" not in out:
        out["transaction.timeout.ms"] = int(raw.get("transaction.timeout.ms", TRANSACTION_TIMEOUT_MS))
    return out


def eos_restore_consumer_config(restore_config: Mapping[str, Any]) -> dict[str, Any]:
    """Changelogs are restored from committed transactions only."""
    return {**restore_config, "isolation.level": "read_committed"}
