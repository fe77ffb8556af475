"""Checks that follow records through the graph: repartitioning, stores, windows, topics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from runtime.spec.catalog import NODE_TYPES
from runtime.spec.errors import Problem
from runtime.spec.graph import Graph
from runtime.spec.validation.branches import check_branches

__all__ = ["RepartitionPoint", "check_dataflow", "repartition_points", "source_topics", "state_stores",
           "store_name"]

_STATEFUL = frozenset({
    "source.table", "source.global_table", "grouped.count", "grouped.reduce", "grouped.aggregate",
    "windowed.count", "windowed.reduce", "windowed.aggregate", "stream.to_table",
    "grouped_table.count", "grouped_table.reduce", "grouped_table.aggregate",
    # The suppression buffer is the store <node id>-store (Suppressed.withName).
    "table.suppress",
    "grouped.cogroup",
})
# Joins that own a store only when the node names one (they are materialized on demand).
_STATEFUL_IF_NAMED = frozenset({"join.table_table", "join.foreign_key"})
_WINDOWED_AGGREGATIONS = frozenset({"windowed.count", "windowed.reduce", "windowed.aggregate"})
# Steps that group by a new key and therefore always write through a repartition topic.
_REGROUPING = {
    "stream.group_by": "grouping by a new key sends every record through an internal topic",
    "table.group_by": "grouping a table by a new key sends every update (old and new value) "
                      "through an internal topic",
}


def store_name(node_id: str, params: dict[str, object]) -> str:
    store = params.get("store")
    return store if isinstance(store, str) and store else f"{node_id}-store"


def check_dataflow(graph: Graph) -> Iterator[Problem]:
    yield from _repartitions(graph)
    yield from _stores(graph)
    yield from _session_mergers(graph)
    yield from _suppressions(graph)
    # Split branches are output ports, so they are checked here with the data flow.
    yield from check_branches(graph)
    yield from _topics_read_twice(graph)
    yield from _loops_through_kafka(graph)


def _key_changer(graph: Graph, node_id: str, memo: dict[str, str | None], visiting: set[str]) -> str | None:
    """The id of a key-changing step on the way to ``node_id``'s stream output, if any.

    Follows the stream inputs of steps upstream until a source or a step that already
    works on partitioned data (a grouping, a join on the key, a table, a repartition).
    A global table join passes a key change on, as in Kafka Streams: it does not
    repartition its stream.
    """
    if node_id in memo:
        return memo[node_id]
    if node_id in visiting:
        return None  # a cycle; reported elsewhere
    visiting.add(node_id)
    found: str | None = None
    node = graph.nodes[node_id]
    node_type = NODE_TYPES.get(node.type)
    if node_type is not None:
        stream_ports = {p.name for p in node_type.inputs if p.kind == "stream"}
        if node_type.key_changing:
            found = node_id
        elif (not node_type.needs_keyed_input and node.type != "stream.repartition"
              and (node.type == "stream.split"  # its stream outputs are dynamic
                   or any(p.kind == "stream" for p in node_type.outputs))):
            for edge in graph.incoming.get(node_id, ()):
                if edge.target_port not in stream_ports:
                    continue
                found = _key_changer(graph, edge.source, memo, visiting)
                if found:
                    break
    visiting.discard(node_id)
    memo[node_id] = found
    return found


@dataclass(frozen=True)
class RepartitionPoint:
    """Where the compiled topology writes records through a repartition topic: at the
    node itself (a regrouping, ``port`` None) or on its input ``port``."""

    node_id: str
    port: str | None
    reason: str


def repartition_points(graph: Graph) -> Iterator[RepartitionPoint]:
    memo: dict[str, str | None] = {}
    for node_id, node in graph.nodes.items():
        node_type = NODE_TYPES.get(node.type)
        if node_type is None or (not node_type.needs_keyed_input and node.type not in _REGROUPING):
            continue
        if node.type in _REGROUPING:
            yield RepartitionPoint(node_id, None, _REGROUPING[node.type])
            continue
        for port in node_type.inputs:
            if port.kind != "stream":
                continue
            for edge in graph.inputs(node_id, port.name):
                changer = _key_changer(graph, edge.source, memo, set())
                if changer:
                    title = NODE_TYPES[graph.nodes[changer].type].title
                    yield RepartitionPoint(node_id, port.name,
                                           f"{changer!r} ({title}) may change the key before this step")


def state_stores(graph: Graph) -> Iterator[tuple[str, str]]:
    """(node id, store name) of every node that owns a state store (each backed by a
    changelog topic ``<application.id>-<store>-changelog``)."""
    for node_id, node in graph.nodes.items():
        if node.type in _STATEFUL or (node.type in _STATEFUL_IF_NAMED and node.params.get("store")):
            yield node_id, store_name(node_id, node.params)


def _repartitions(graph: Graph) -> Iterator[Problem]:
    for point in repartition_points(graph):
        if point.port is None:
            yield Problem(point.node_id, "", "warning", f"a repartition topic will be created here: {point.reason}")
        else:
            yield Problem(point.node_id, f"inputs.{point.port}", "warning",
                          f"a repartition topic will be created here, because {point.reason}")


def _stores(graph: Graph) -> Iterator[Problem]:
    owners: dict[str, list[str]] = defaultdict(list)
    for node_id, store in state_stores(graph):
        owners[store].append(node_id)
    for store, ids in owners.items():
        for node_id in ids[1:] if len(ids) > 1 else ():
            yield Problem(node_id, "params.store", "error",
                          f"the state store name {store!r} is also used by {ids[0]!r}; store names must be unique")


def _session_mergers(graph: Graph) -> Iterator[Problem]:
    for node_id, node in graph.nodes.items():
        if node.type != "windowed.aggregate":
            continue
        windows = [graph.nodes[e.source] for e in graph.inputs(node_id, "in")]
        session = any(w.type == "grouped.windowed_by" and w.params.get("window") == "session" for w in windows)
        has_merger = bool(node.params.get("merger"))
        if session and not has_merger:
            yield Problem(node_id, "params.merger", "error",
                          "session windows need a merger: how to combine the aggregates of two "
                          "sessions that grow together")
        elif has_merger and windows and not session:
            yield Problem(node_id, "params.merger", "warning", "the merger is used only with session windows")


def _windowed_upstream(graph: Graph, node_id: str, seen: set[str]) -> bool:
    """Whether every path into ``node_id`` starts at a windowed aggregation (where Kafka
    finds the grace period that decides when a window closes)."""
    node = graph.nodes[node_id]
    if node.type in _WINDOWED_AGGREGATIONS or (node.type == "grouped.cogroup" and node.params.get("window")):
        return True
    parents = [e.source for e in graph.incoming.get(node_id, ())]
    if not parents or node_id in seen:
        return False
    seen.add(node_id)
    return all(_windowed_upstream(graph, parent, seen) for parent in parents)


def _suppressions(graph: Graph) -> Iterator[Problem]:
    for node_id, node in graph.nodes.items():
        if node.type != "table.suppress":
            continue
        if node.params.get("until", "window_closes") != "window_closes":
            continue
        for field in ("time_limit_ms", "max_records"):
            if field in node.params:
                yield Problem(node_id, f"params.{field}", "warning",
                              f"{field} is used only when suppressing until a time limit")
        parents = [e.source for e in graph.inputs(node_id, "in")]
        if parents and not all(_windowed_upstream(graph, p, {node_id}) for p in parents):
            yield Problem(node_id, "inputs.in", "error",
                          "suppressing until the window closes needs a windowed aggregation "
                          "upstream (Count, Reduce or Aggregate per window): only windows "
                          "close; use 'until a time limit' for other tables")


def source_topics(graph: Graph) -> Iterator[tuple[str, str, str]]:
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


def _topics_read_twice(graph: Graph) -> Iterator[Problem]:
    # Kafka Streams subscribes each topic once per topology ("Topic has already been
    # registered by another source").
    readers: dict[str, str] = {}
    for node_id, path, topic in source_topics(graph):
        first = readers.setdefault(topic, node_id)
        if first != node_id:
            yield Problem(node_id, path, "error",
                          f"the topic {topic!r} is already read by {first!r}; read each topic with "
                          "one source and connect more steps to it")


def _loops_through_kafka(graph: Graph) -> Iterator[Problem]:
    inputs: dict[str, str] = {}
    for node_id, _, topic in source_topics(graph):
        inputs.setdefault(topic, node_id)
    for node_id, node in graph.nodes.items():
        topic = node.params.get("topic")
        if node.type == "sink.topic" and isinstance(topic, str) and topic in inputs:
            yield Problem(node_id, "params.topic", "warning",
                          f"writes to {topic!r}, which {inputs[topic]!r} reads: records will loop "
                          "through Kafka")
