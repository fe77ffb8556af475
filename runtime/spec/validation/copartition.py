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
from runtime.spec.validation.dataflow import source_topics

__all__ = ["check_copartitioning", "check_topics_exist"]


@dataclass(frozen=True)
class _Origin:
    """Where one node's output comes from, as Kafka Streams' source-node sets track it."""

    topics: frozenset[str]  # source topics reached without a repartition in between
    repartition_required: bool  # a key may have changed; a keyed step repartitions first
    # Repartition topics with a partition count the document fixes (Repartition's
    # num_partitions): (topic, count).
    fixed: frozenset[tuple[str, int]] = frozenset()


_NONE = _Origin(frozenset(), False)


def check_topics_exist(graph: Graph, topics: Mapping[str, int]) -> Iterator[Problem]:
    for node_id, path, topic in source_topics(graph):
        if topic not in topics:
            yield Problem(node_id, path, "warning",
                          f"the topic {topic!r} does not exist in the cluster; the application "
                          "will stop at start-up until it is created")


def _origins(graph: Graph) -> dict[str, list[_Origin]]:
    """For each join, what each of its inputs brings (Kafka's co-partition group)."""
    order, _ = graph.topological_order()  # nodes in cycles are left out (reported elsewhere)
    origins: dict[str, _Origin] = {}
    sides: dict[str, list[_Origin]] = {}
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
        brought: dict[str, _Origin] = {}
        required = False
        for port in node_type.inputs:
            if port.kind == "global_table":
                continue
            topics_: set[str] = set()
            fixed: set[tuple[str, int]] = set()
            for edge in graph.inputs(node_id, port.name):
                origin = origins.get(edge.source, _NONE)
                if node_type.needs_keyed_input and port.kind == "stream" and origin.repartition_required:
                    continue  # this side goes through a repartition topic sized to match
                topics_ |= origin.topics
                fixed |= origin.fixed
                required = required or (port.kind == "stream" and origin.repartition_required)
            brought[port.name] = _Origin(frozenset(topics_), False, frozenset(fixed))
        output_kinds = {p.kind for p in node_type.outputs}
        if node.type == "grouped.cogroup":
            # Kafka's cogroup co-partitions the topics of all its inputs (they update one
            # store per partition), so each connected grouped stream is a side.
            per_input = [origins.get(e.source, _NONE) for e in graph.inputs(node_id, "in")]
            if len(per_input) > 1:
                sides[node_id] = per_input
        if node.type == "stream.repartition":
            count = node.params.get("num_partitions")
            fixed_count = frozenset([(f"{node_id}-repartition", count)]) if isinstance(count, int) else frozenset()
            origins[node_id] = _Origin(frozenset(), False, fixed_count)
            continue
        if node_type.key_changing and output_kinds != {"stream"}:
            origins[node_id] = _NONE  # Group by (stream or table): always through a repartition topic
            continue
        if node.type == "join.foreign_key":
            # The result is keyed and partitioned like the left table (Kafka co-partitions
            # it with the response topic, which it sizes); the right side routes by topic.
            origins[node_id] = brought.get("left", _NONE)
            continue
        if node_type.needs_keyed_input:
            if len(brought) > 1:
                sides[node_id] = list(brought.values())
            required = False
        origins[node_id] = _Origin(
            frozenset().union(*(o.topics for o in brought.values())),
            output_kinds == {"stream"} and (node_type.key_changing or required),
            frozenset().union(*(o.fixed for o in brought.values())),
        )
    return sides


def check_copartitioning(graph: Graph, topics: Mapping[str, int]) -> Iterator[Problem]:
    """Kafka Streams' CopartitionedTopicsEnforcer, per join or cogroup, before the application runs."""
    for node_id, brought in _origins(graph).items():
        what = "a cogroup" if graph.nodes[node_id].type == "grouped.cogroup" else "a join"
        external = sorted(t for t in frozenset().union(*(o.topics for o in brought)) if t in topics)
        fixed = sorted(frozenset().union(*(o.fixed for o in brought)))
        counts = {topics[t] for t in external}
        if len(counts) > 1:
            listed = ", ".join(f"{t!r} ({topics[t]} partitions)" for t in external)
            yield Problem(node_id, "", "error",
                          f"topics not co-partitioned: {listed}; {what} reads its inputs side by "
                          "side, partition by partition, so their topics need the same number of "
                          "partitions (give them the same count, or repartition one side first)")
        elif counts:
            (wanted,) = counts
            for topic, count in fixed:
                if count != wanted:
                    sources = ", ".join(repr(t) for t in external)
                    yield Problem(node_id, "", "error",
                                  f"the repartition topic {topic!r} is set to {count} partitions, but "
                                  f"this {what[2:]} reads it side by side with {sources} ({wanted} "
                                  "partitions); give both the same number")
        elif len({count for _, count in fixed}) > 1:
            listed = ", ".join(f"{t!r} ({count} partitions)" for t, count in fixed)
            yield Problem(node_id, "", "error",
                          f"repartition topics not co-partitioned: {listed}; {what} reads them "
                          "side by side, so they need the same number of partitions")
