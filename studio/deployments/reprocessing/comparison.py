"""Catch-up progress of both sides and a comparison of their latest output per key."""

from __future__ import annotations

import math
import time
from typing import Any

import confluent_kafka
from confluent_kafka import Consumer, KafkaError, TopicPartition

from runtime import Serdes
from runtime.kafka.watermarks import exact_watermarks
from studio.deployments import lag
from studio.deployments.models import (
    Deployment,
)
from studio.deployments.reprocessing.common import (
    EXAMPLES,
    READ_TIMEOUT_S,
    TIMEOUT_S,
    ComparisonDict,
    ExampleDict,
    ProgressDict,
    ReprocessError,
    SideDict,
    TopicComparisonDict,
    client_config,
    servers_of,
)
from studio.deployments.reprocessing.side_by_side import active_candidate, is_pending_candidate

# -- comparison ---------------------------------------------------------------------------


def progress(report: lag.LagDict, internal: set[str]) -> ProgressDict:
    rows = [r for r in report["partitions"] if r["topic"] not in internal]
    committed = sum((r["committed"] if r["committed"] is not None else r["start_offset"]) - r["start_offset"]
                    for r in rows)
    end = sum(r["end_offset"] - r["start_offset"] for r in rows)
    return {
        "partitions": len(rows), "partitions_without_commit": sum(1 for r in rows if not r["has_committed"]),
        "committed_total": committed, "end_total": end, "lag": sum(r["lag"] for r in rows),
        "caught_up": all(r["has_committed"] and r["lag"] == 0 for r in rows),
    }


def _side(deployment: Deployment) -> SideDict:
    try:
        report = lag.deployment_lag(deployment)
    except (lag.KafkaUnavailableError, lag.MissingTopicsError) as exc:
        return {"deployment": deployment.to_dict(), "lag": None, "progress": None, "error": str(exc)}
    _, internal = lag.group_topics(deployment)
    return {"deployment": deployment.to_dict(), "lag": report, "progress": progress(report, internal), "error": None}


def read_recent(deployment: Deployment, topic: str, limit: int) -> tuple[dict[bytes | None, bytes | None], int]:
    """The latest value per key among the most recent records of `topic` (at most
    `limit` in all, shared evenly by its partitions); and how many records were read."""
    consumer = Consumer({**client_config(deployment, "compare"), "bootstrap.servers": servers_of(deployment),
                         "group.id": f"{deployment.application_id}-studio-compare", "enable.auto.commit": False,
                         "enable.partition.eof": True, "auto.offset.reset": "earliest"})
    try:
        metadata = consumer.list_topics(timeout=TIMEOUT_S)
        info = metadata.topics.get(topic)
        if info is None or info.error is not None:
            return {}, 0
        parts = sorted(info.partitions)
        per_partition = max(1, math.ceil(limit / max(len(parts), 1)))
        marks = exact_watermarks(consumer, [(topic, p) for p in parts], timeout=TIMEOUT_S).marks
        assignment = [TopicPartition(topic, p, max(low, high - per_partition))
                      for (_, p), (low, high) in sorted(marks.items()) if high > low]
        if not assignment:
            return {}, 0
        consumer.assign(assignment)
        records: dict[int, list[tuple[bytes | None, bytes | None]]] = {tp.partition: [] for tp in assignment}
        waiting = set(records)
        deadline = time.monotonic() + READ_TIMEOUT_S
        while waiting and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=500, timeout=0.5):
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:
                        waiting.discard(message.partition())
                    continue
                records[message.partition()].append((message.key(), message.value()))
    finally:
        consumer.close()
    latest: dict[bytes | None, bytes | None] = {}
    count = 0
    for rows in records.values():
        # The last `per_partition` read: records that arrived since the ends were
        # taken are read too, and the most recent ones are the window.
        for key, value in rows[-per_partition:]:
            latest[key] = value
            count += 1
    return latest, count


def _serdes(deployment: Deployment, sink_topic: str) -> tuple[Any, Any]:
    document = deployment.version.document
    defaults = document.get("settings") or {}
    for node in document.get("nodes", []):
        params = node.get("params") or {}
        if str(node.get("type")) == "sink.topic" and params.get("topic") == sink_topic:
            key = params.get("key_serde") or defaults.get("default_key_serde", "string")
            value = params.get("value_serde") or defaults.get("default_value_serde", "string")
            return _serde(key), _serde(value)
    return None, None


def _serde(name: str) -> Any:
    try:
        return Serdes.by_name(name)
    except Exception:  # an unknown or configured serde: shown as text instead
        return None


def _show(serde: Any, topic: str, data: bytes | None) -> Any:
    if data is None:
        return None
    if serde is not None:
        try:
            return serde.deserialize(data, topic)
        except Exception:  # noqa: S110 - shown raw below
            pass
    return data.decode("utf-8", errors="replace")


def compare_topic(live: Deployment, candidate: Deployment, sink_topic: str, limit: int) -> TopicComparisonDict:
    live_topic = live.physical_output_topics()[sink_topic]
    candidate_topic = candidate.physical_output_topics()[sink_topic]
    left, left_n = read_recent(live, live_topic, limit)
    right, right_n = read_recent(candidate, candidate_topic, limit)
    key_serde, live_value = _serdes(live, sink_topic)
    _, candidate_value = _serdes(candidate, sink_topic)
    counts = {"equal": 0, "differing": 0, "only_live": 0, "only_candidate": 0}
    examples: dict[str, list[ExampleDict]] = {k: [] for k in counts}
    for key in sorted(set(left) | set(right), key=lambda k: (k is None, k or b"")):
        if key in left and key in right:
            kind = "equal" if left[key] == right[key] else "differing"
        else:
            kind = "only_live" if key in left else "only_candidate"
        counts[kind] += 1
        if len(examples[kind]) < EXAMPLES:
            examples[kind].append({
                "key": _show(key_serde, live_topic, key),
                "live": _show(live_value, live_topic, left[key]) if key in left else None,
                "candidate": _show(candidate_value, candidate_topic, right[key]) if key in right else None,
            })
    return {
        "sink_topic": sink_topic, "live_topic": live_topic, "candidate_topic": candidate_topic,
        "live_records": left_n, "candidate_records": right_n, **counts,  # type: ignore[typeddict-item]
        "examples": examples,
    }


def comparison_pair(deployment: Deployment) -> tuple[Deployment, Deployment]:
    """(live side, candidate) for a candidate or for the deployment it is compared with."""
    if is_pending_candidate(deployment):
        assert deployment.candidate_of is not None
        return deployment.candidate_of, deployment
    candidate = active_candidate(deployment)
    if candidate is None:
        raise ReprocessError(f"Deployment {deployment.application_id} has no side-by-side candidate.")
    return deployment, candidate


def compare(deployment: Deployment, limit: int) -> ComparisonDict:
    live, candidate = comparison_pair(deployment)
    live_topics = live.version.output_topics()
    candidate_topics = candidate.version.output_topics()
    shared = [t for t in live_topics if t in candidate_topics]
    unpaired = [t for t in live_topics + candidate_topics if t not in shared]
    try:
        topics = [compare_topic(live, candidate, t, limit) for t in shared]
    except confluent_kafka.KafkaException as exc:
        raise ReprocessError(f"Cannot read the output: Kafka at {servers_of(live)}: {exc}",
                             status=502) from exc
    return {"live": _side(live), "candidate": _side(candidate), "limit": limit, "topics": topics,
            "unpaired": unpaired}

