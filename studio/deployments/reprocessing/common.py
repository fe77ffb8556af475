"""What the reprocessing modules share: errors, answer shapes, and Kafka calls made
with the deployment's connection."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any, TypedDict

import confluent_kafka
from confluent_kafka import KafkaError
from confluent_kafka.admin import AdminClient, NewTopic

from runtime.kafka.config import admin_config
from studio.deployments import lag
from studio.deployments.models import (
    Deployment,
    DeploymentDict,
)
from studio.deployments.runner import streams_config

TIMEOUT_S = 15.0
TOPIC_RE = re.compile(r"^[A-Za-z0-9._-]{1,249}$")
COMPARE_LIMIT_DEFAULT = 10_000
COMPARE_LIMIT_MAX = 100_000
EXAMPLES = 5
READ_TIMEOUT_S = 20.0


class ReprocessError(Exception):
    """A reprocessing request that cannot go ahead (409 unless `status` says otherwise)."""

    status = 409

    def __init__(self, message: str, *, status: int | None = None, field: str = "") -> None:
        super().__init__(message)
        if status is not None:
            self.status = status
        self.field = field


class NothingChangedError(ReprocessError):
    """The operation stopped before it changed anything on the cluster or in Redis."""


# -- answers ------------------------------------------------------------------------------


class PlannedPartitionDict(TypedDict):
    topic: str
    partition: int
    committed: int | None     # the group's committed offset now (None: none)
    target: int               # where the reset moves it


class OutputRedirectDict(TypedDict):
    sink_topic: str           # the topic in the document
    current: str              # the topic written now
    new: str                  # the topic written after the reset
    exists: bool              # False: the reset creates it, with `current`'s partition count


class ResetPlanDict(TypedDict):
    deployment: int
    application_id: str
    group: str
    dry_run: bool
    target: dict[str, Any]
    input_partitions: list[PlannedPartitionDict]
    internal_topics: list[str]          # deleted (repartition, changelog, FK-join topics)
    stores: list[str]                   # state stores whose checkpoints are dropped
    checkpoint_key_pattern: str
    checkpoint_keys: int                # Redis checkpoint keys dropped
    output_redirects: list[OutputRedirectDict]


class ProgressDict(TypedDict):
    """Catch-up of a group on its input topics (internal topics left out)."""

    partitions: int
    partitions_without_commit: int
    committed_total: int      # sum over partitions of (committed or start) - start
    end_total: int            # sum over partitions of end - start
    lag: int                  # end_total - committed_total
    caught_up: bool           # every partition committed at its end


class SideDict(TypedDict):
    deployment: DeploymentDict
    lag: lag.LagDict | None
    progress: ProgressDict | None
    error: str | None         # why the lag could not be read


class ExampleDict(TypedDict):
    key: Any
    live: Any
    candidate: Any


class TopicComparisonDict(TypedDict):
    sink_topic: str
    live_topic: str
    candidate_topic: str
    live_records: int         # records read (the most recent, at most `limit`)
    candidate_records: int
    equal: int                # keys whose latest values are equal
    differing: int
    only_live: int
    only_candidate: int
    examples: dict[str, list[ExampleDict]]


class ComparisonDict(TypedDict):
    live: SideDict
    candidate: SideDict
    limit: int
    topics: list[TopicComparisonDict]
    unpaired: list[str]       # output topics only one of the two versions writes


class LiveOutputDict(TypedDict):
    topology: int
    deployment: int | None
    application_id: str | None
    output_topics: dict[str, str]   # {topic in the document: topic to read}


# -- Kafka helpers ------------------------------------------------------------------------


def client_config(deployment: Deployment, purpose: str) -> dict[str, Any]:
    config = admin_config(streams_config(deployment), client_id=f"{deployment.application_id}-studio-{purpose}")
    config.pop("client.id", None)
    return config


def servers_of(deployment: Deployment) -> str:
    """The bootstrap servers of the deployment's connection (its cluster)."""
    return deployment.connection.bootstrap_servers


def admin_client(deployment: Deployment) -> AdminClient:
    return AdminClient({**client_config(deployment, "admin"), "bootstrap.servers": servers_of(deployment)})


def topic_partitions(deployment: Deployment) -> dict[str, int]:
    try:
        metadata = admin_client(deployment).list_topics(timeout=TIMEOUT_S)
    except confluent_kafka.KafkaException as exc:
        raise ReprocessError(f"Kafka at {servers_of(deployment)}: {exc}", status=502) from exc
    return {name: len(t.partitions) for name, t in metadata.topics.items() if t.error is None}


def create_topics(deployment: Deployment, wanted: Mapping[str, int]) -> list[str]:
    """Create the topics of `wanted` (name → partitions) that do not exist; the created ones."""
    existing = topic_partitions(deployment)
    new = {name: n for name, n in wanted.items() if name not in existing}
    if not new:
        return []
    admin = admin_client(deployment)
    futures = admin.create_topics([NewTopic(name, num_partitions=n, replication_factor=-1) for name, n in new.items()],
                                  operation_timeout=TIMEOUT_S, request_timeout=TIMEOUT_S)
    for name, future in futures.items():
        try:
            future.result(TIMEOUT_S)
        except confluent_kafka.KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if error is None or error.code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise ReprocessError(f"cannot create topic {name}: {exc}", status=502) from exc
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        listed = topic_partitions(deployment)
        if all(listed.get(name) == n for name, n in new.items()):
            break
        time.sleep(0.1)
    return sorted(new)


def delete_topics(deployment: Deployment, names: list[str]) -> None:
    if not names:
        return
    admin = admin_client(deployment)   # kept referenced: its futures fail once it is collected
    futures = admin.delete_topics(names, operation_timeout=TIMEOUT_S, request_timeout=TIMEOUT_S)
    for name, future in futures.items():
        try:
            future.result(TIMEOUT_S)
        except confluent_kafka.KafkaException as exc:
            error = exc.args[0] if exc.args else None
            if error is None or error.code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                raise ReprocessError(f"cannot delete topic {name}: {exc}", status=502) from exc


def input_topics(deployment: Deployment) -> list[str]:
    """The external topics the group reads (its internal repartition topics left out)."""
    topics, internal = lag.group_topics(deployment)
    return [t for t in topics if t not in internal]


def store_names(deployment: Deployment) -> list[str]:
    return sorted(deployment.compile().internal_builder.store_names)


