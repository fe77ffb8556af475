"""Checks that follow records through the graph: repartitioning, stores, windows, topics."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from runtime.spec.catalog import NODE_TYPES
from runtime.spec.errors import Problem
from runtime.spec.graph import Graph

__all__ = ["check_dataflow", "store_name"]

_STATEFUL = frozenset({
    "source.table", "source.global_table", "grouped.count", "grouped.reduce", "grouped.aggregate",
    "windowed.count", "windowed.reduce", "windowed.aggregate",
})


def store_name(node_id: str, params: dict[str, object]) -> str:
    store = params.get("store")
    return store if isinstance(store, str) and store else f"{node_id}-store"


def check_dataflow(graph: Graph) -> Iterator[Problem]:
    yield from _repartitions(graph)
    yield from _stores(graph)
    yield from _session_mergers(graph)
    yield from _topics_read_twice(graph)
    yield from _loops_through_kafka(graph)


def _key_changer(graph: Graph, node_id: str, memo: dict[str, str | None], visiting: set[str]) -> str | None:
    """The id of a key-changing step on the way to ``node_id``'s stream output, if any.

    Follows stream steps upstream until a source or a step that already works on
    partitioned data (a grouping, a join, a table).
    """
    if node_id in memo:
        return memo[node_id]
    if node_id in visiting:
        return None  # a cycle; reported elsewhere
    visiting.add(node_id)
    found: str | None = None
    node_type = NODE_TYPES.get(graph.nodes[node_id].type)
    if node_type is not None:
        if node_type.key_changing:
            found = node_id
        elif not node_type.needs_keyed_input and node_type.inputs and all(
            p.kind == "stream" for p in node_type.inputs
        ):
            for edge in graph.incoming.get(node_id, ()):
                found = _key_changer(graph, edge.source, memo, visiting)
                if found:
                    break
    visiting.discard(node_id)
    memo[node_id] = found
    return found


def _repartitions(graph: Graph) -> Iterator[Problem]:
    memo: dict[str, str | None] = {}
    for node_id, node in graph.nodes.items():
        node_type = NODE_TYPES.get(node.type)
        if node_type is None or (not node_type.needs_keyed_input and node.type != "stream.group_by"):
            continue
        if node.type == "stream.group_by":
            yield Problem(node_id, "", "warning",
                          "a repartition topic will be created here: grouping by a new key "
                          "sends every record through an internal topic")
            continue
        for port in node_type.inputs:
            if port.kind != "stream":
                continue
            for edge in graph.inputs(node_id, port.name):
                changer = _key_changer(graph, edge.source, memo, set())
                if changer:
                    title = NODE_TYPES[graph.nodes[changer].type].title
                    yield Problem(node_id, f"inputs.{port.name}", "warning",
                                  f"a repartition topic will be created here, because {changer!r} "
                                  f"({title}) may change the key before this step")


def _stores(graph: Graph) -> Iterator[Problem]:
    owners: dict[str, list[str]] = defaultdict(list)
    for node_id, node in graph.nodes.items():
        if node.type in _STATEFUL:
            owners[store_name(node_id, node.params)].append(node_id)
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


def _source_topics(graph: Graph) -> Iterator[tuple[str, str, str]]:
    """(node id, param path, topic) of every topic a source reads."""
    for node_id, node in graph.nodes.items():
        if node.type == "source.stream" and isinstance(node.params.get("topics"), list):
            for i, topic in enumerate(node.params["topics"]):
                if isinstance(topic, str):
                    yield node_id, f"params.topics.{i}", topic
        elif node.type in ("source.table", "source.global_table") and isinstance(node.params.get("topic"), str):
            yield node_id, "params.topic", node.params["topic"]  # type: ignore[misc]


def _topics_read_twice(graph: Graph) -> Iterator[Problem]:
    # Kafka Streams subscribes each topic once per topology ("Topic has already been
    # registered by another source").
    readers: dict[str, str] = {}
    for node_id, path, topic in _source_topics(graph):
        first = readers.setdefault(topic, node_id)
        if first != node_id:
            yield Problem(node_id, path, "error",
                          f"the topic {topic!r} is already read by {first!r}; read each topic with "
                          "one source and connect more steps to it")


def _loops_through_kafka(graph: Graph) -> Iterator[Problem]:
    inputs: dict[str, str] = {}
    for node_id, _, topic in _source_topics(graph):
        inputs.setdefault(topic, node_id)
    for node_id, node in graph.nodes.items():
        topic = node.params.get("topic")
        if node.type == "sink.topic" and isinstance(topic, str) and topic in inputs:
            yield Problem(node_id, "params.topic", "warning",
                          f"writes to {topic!r}, which {inputs[topic]!r} reads: records will loop "
                          "through Kafka")
