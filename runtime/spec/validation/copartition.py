"""Checks against the cluster's topics: co-partitioned join inputs, missing source topics.

A join reads its two inputs side by side, partition by partition, so Kafka Streams
requires their source topics to have the same number of partitions (Kafka's
``CopartitionedTopicsEnforcer``: "Topics not co-partitioned"). Only topics that reach
the join without a repartition count: a side that is repartitioned first (a key
change before the join, a Group by) reads an internal topic that Kafka Streams
creates with the right count. A missing source topic stops the application at
start-up (``MissingSourceTopicException``).

Both checks need topic metadata (topic name → partition count), which only the
caller has; without it they are skipped.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from runtime.spec.catalog import NODE_TYPES
from runtime.spec.errors import Problem
from runtime.spec.graph import Graph

__all__ = ["check_copartitioning", "check_topics_exist"]


@dataclass(frozen=True)
class _Origin:
    """Where one node's output comes from, as Kafka Streams' source-node sets track it."""

    topics: frozenset[str]  # source topics reached without a repartition in between
    repartition_required: bool  # a key may have changed; a keyed step repartitions first


_NONE = _Origin(frozenset(), False)


def _source_topics(graph: Graph) -> Iterator[tuple[str, str, str]]:
    """(node id, param path, topic) of every topic a source reads."""
    for node_id, node in graph.nodes.items():
        if node.type == "source.stream" and isinstance(node.params.get("topics"), list):
            for i, topic in enumerate(node.params["topics"]):
                if isinstance(topic, str):
                    yield node_id, f"params.topics.{i}", topic
        elif node.type in ("source.table", "source.global_table"):
            topic = node.params.get("topic")
            if isinstance(topic, str):
                yield node_id, "params.topic", topic


def check_topics_exist(graph: Graph, topics: Mapping[str, int]) -> Iterator[Problem]:
    for node_id, path, topic in _source_topics(graph):
        if topic not in topics:
            yield Problem(node_id, path, "warning",
                          f"the topic {topic!r} does not exist in the cluster; the application "
                          "will stop at start-up until it is created")


def _origins(graph: Graph) -> tuple[dict[str, _Origin], dict[str, list[frozenset[str]]]]:
    """Each node's origin, and for each join the topics each of its inputs brings."""
    order, _ = graph.topological_order()  # nodes in cycles are left out (reported elsewhere)
    origins: dict[str, _Origin] = {}
    sides: dict[str, list[frozenset[str]]] = {}
    for node_id in order:
        node = graph.nodes[node_id]
        node_type = NODE_TYPES.get(node.type)
        if node_type is None:
            continue
        if node.type == "source.stream":
            topics = node.params.get("topics")
            origins[node_id] = _Origin(
                frozenset(t for t in topics if isinstance(t, str)) if isinstance(topics, list) else frozenset(),
                False)
            continue
        if node.type == "source.table":
            topic = node.params.get("topic")
            origins[node_id] = _Origin(frozenset([topic]) if isinstance(topic, str) else frozenset(), False)
            continue
        if node.type == "source.global_table" or not node_type.inputs:
            origins[node_id] = _NONE  # every instance reads all of a global table: no co-partitioning
            continue
        brought: list[frozenset[str]] = []
        required = False
        for port in node_type.inputs:
            if port.kind == "global_table":
                continue
            side: set[str] = set()
            for edge in graph.inputs(node_id, port.name):
                origin = origins.get(edge.source, _NONE)
                if node_type.needs_keyed_input and port.kind == "stream" and origin.repartition_required:
                    continue  # this side goes through a repartition topic sized to match
                side |= origin.topics
                required = required or (port.kind == "stream" and origin.repartition_required)
            brought.append(frozenset(side))
        if node.type == "stream.group_by":
            origins[node_id] = _NONE  # always through a repartition topic
            continue
        if node_type.needs_keyed_input:
            if len(brought) > 1:
                sides[node_id] = brought
            required = False
        output_kinds = {p.kind for p in node_type.outputs}
        origins[node_id] = _Origin(
            frozenset().union(*brought),
            output_kinds == {"stream"} and (node_type.key_changing or required),
        )
    return origins, sides


def check_copartitioning(graph: Graph, topics: Mapping[str, int]) -> Iterator[Problem]:
    _, sides = _origins(graph)
    for node_id, brought in sides.items():
        group = sorted(t for t in frozenset().union(*brought) if t in topics)
        counts = {topics[t] for t in group}
        if len(counts) <= 1:
            continue
        listed = ", ".join(f"{t!r} ({topics[t]} partitions)" for t in group)
        yield Problem(node_id, "", "error",
                      f"topics not co-partitioned: {listed}; a join reads its inputs side by "
                      "side, partition by partition, so their topics need the same number of "
                      "partitions (give them the same count, or repartition one side first)")
