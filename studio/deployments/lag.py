"""Consumer lag of a deployment, read from Kafka: works whether or not replicas run.

The partitions are those the application's consumer group reads: the source topics of
every sub-topology of the pinned version's compiled topology (internal repartition
topics included, prefixed with the application.id), as `runtime` reports them. Global
tables' topics are left out: they are read whole by every instance, outside the group.

The client never joins the group: a consumer that only asks for committed offsets and
watermarks, so a running application is never rebalanced by a look at its lag.
"""

from __future__ import annotations

import logging
from typing import Any, TypedDict

import confluent_kafka
from confluent_kafka import Consumer, TopicPartition

from runtime.kafka.config import admin_config
from runtime.kafka.watermarks import exact_watermarks
from studio.deployments.models import Deployment
from studio.deployments.runner import streams_config

logger = logging.getLogger(__name__)

# Each broker call is bounded; the whole answer takes at most a few of these.
TIMEOUT_S = 5.0
# How long to wait for fetch responses that tell the exact high watermarks.
FETCH_WAIT_S = 1.5
_TIMEOUTS = (confluent_kafka.KafkaError._TIMED_OUT, confluent_kafka.KafkaError.REQUEST_TIMED_OUT)


class PartitionLagDict(TypedDict):
    topic: str
    partition: int
    committed: int | None         # None: the group has no committed offset here
    has_committed: bool
    # Named as in the engine's metrics snapshot ("partitions"), so a dashboard reads both.
    start_offset: int             # log start offset (where an uncommitted group begins)
    end_offset: int               # high watermark
    lag: int                      # end - committed, or end - start without a commit


class LagDict(TypedDict):
    deployment: int
    application_id: str
    group: str
    topics: list[str]
    not_created: list[str]        # internal topics the application has not created yet
    partitions: list[PartitionLagDict]
    total_lag: int
    partitions_without_commit: int


class KafkaUnavailableError(RuntimeError):
    """Kafka did not answer in time (`timed_out`), or could not be reached or refused."""

    def __init__(self, message: str, *, timed_out: bool) -> None:
        super().__init__(message)
        self.timed_out = timed_out


class MissingTopicsError(RuntimeError):
    def __init__(self, topics: list[str]) -> None:
        super().__init__(f"topic(s) not found on the cluster: {', '.join(topics)}")
        self.topics = topics


def group_topics(deployment: Deployment) -> tuple[list[str], set[str]]:
    """The topics the deployment's consumer group reads, per runtime's topology, and
    which of them are internal (repartition) topics that the application creates."""
    topology = deployment.compile()
    topics: list[str] = []
    for sid in topology.sub_topology_ids():
        for topic in topology.source_topics(sid, deployment.application_id):
            if topic not in topics:
                topics.append(topic)
    internal = {spec.name for spec in topology.internal_topics(deployment.application_id)}
    return topics, internal & set(topics)


def deployment_lag(deployment: Deployment, *, timeout: float = TIMEOUT_S) -> LagDict:
    """Committed offset, end offset and lag of every partition the group reads."""
    topics, internal = group_topics(deployment)
    group = deployment.application_id
    # The deployment's connection, as its replicas use it (bootstrap servers, security.*,
    # sasl.*, ssl.*), shaped by runtime as for its own admin client.
    config: dict[str, Any] = {
        **admin_config(streams_config(deployment), client_id=f"{group}-studio-lag"),
        "group.id": group,
        "enable.auto.commit": False,
        "socket.timeout.ms": int(timeout * 1000),
        "socket.connection.setup.timeout.ms": int(timeout * 1000),
        "log_level": 0,  # an unreachable broker is reported in the answer, not logged
    }
    consumer: Consumer | None = None
    try:
        consumer = Consumer(config)
        partitions, absent = _partitions(consumer, topics, internal, timeout)
        committed = _committed(consumer, partitions, timeout)
        marks = exact_watermarks(consumer, [(tp.topic, tp.partition) for tp in partitions],
                                 timeout=timeout, wait_s=FETCH_WAIT_S).marks
    except confluent_kafka.KafkaException as exc:
        error = exc.args[0] if exc.args else None
        timed_out = isinstance(error, confluent_kafka.KafkaError) and error.code() in _TIMEOUTS
        servers = config.get("bootstrap.servers")
        detail = deployment.connection.scrub(str(exc))
        raise KafkaUnavailableError(f"Kafka at {servers}: {detail}", timed_out=timed_out) from None
    finally:
        if consumer is not None:
            consumer.close()
    rows: list[PartitionLagDict] = []
    for tp in partitions:
        start, end = marks[(tp.topic, tp.partition)]
        offset = committed.get((tp.topic, tp.partition))
        base = start if offset is None else offset
        rows.append({
            "topic": tp.topic, "partition": tp.partition, "committed": offset,
            "has_committed": offset is not None, "start_offset": start, "end_offset": end,
            "lag": max(end - base, 0),
        })
    return {
        "deployment": deployment.pk, "application_id": deployment.application_id, "group": group,
        "topics": topics, "not_created": absent, "partitions": rows, "total_lag": sum(r["lag"] for r in rows),
        "partitions_without_commit": sum(1 for r in rows if not r["has_committed"]),
    }


def _partitions(
    consumer: Consumer, topics: list[str], internal: set[str], timeout: float
) -> tuple[list[TopicPartition], list[str]]:
    """The partitions of `topics`, and the internal topics that do not exist yet.

    An internal topic appears when the application first starts, so before that it has
    nothing to lag on; a missing input topic is an error (the application cannot run).
    """
    # All topics at once: asking for one by name makes auto-creating brokers create it.
    metadata = consumer.list_topics(timeout=timeout)
    missing = [t for t in topics if t not in metadata.topics or metadata.topics[t].error is not None]
    if [t for t in missing if t not in internal]:
        raise MissingTopicsError([t for t in missing if t not in internal])
    present = [t for t in topics if t not in missing]
    partitions = [TopicPartition(t, p) for t in present for p in sorted(metadata.topics[t].partitions)]
    return partitions, missing


def _committed(consumer: Consumer, partitions: list[TopicPartition], timeout: float) -> dict[tuple[str, int], int | None]:
    result = consumer.committed(partitions, timeout=timeout)
    return {(tp.topic, tp.partition): (tp.offset if tp.offset >= 0 else None) for tp in result}
