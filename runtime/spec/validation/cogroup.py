"""Checks of cogroup nodes (aggregators matched to inputs) and of per-record topic sinks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from runtime.spec.catalog.cogroup import COGROUP_TYPE
from runtime.spec.catalog.topic_chooser import TOPIC_CHOOSER_TYPE
from runtime.spec.document import Node
from runtime.spec.errors import Problem
from runtime.spec.expressions import ExpressionError, compile_expression
from runtime.spec.graph import Graph

__all__ = ["check_cogroups", "check_topic_choosers"]

_WINDOW_FIELDS = ("size_ms", "advance_ms", "time_difference_ms", "gap_ms", "grace_ms")


def check_cogroups(graph: Graph) -> Iterator[Problem]:
    """One aggregator per connected input, none for other nodes, expressions that
    compile, and window params that fit together.

    Missing or mistyped params have been reported by the params schema; they are
    skipped here.
    """
    for node_id, node in graph.nodes.items():
        if node.type != COGROUP_TYPE:
            continue
        sources = [e.source for e in graph.inputs(node_id, "in")]
        for source, count in Counter(sources).items():
            if count > 1:
                yield Problem(node_id, "inputs.in", "error",
                              f"{source!r} is connected {count} times; connect each grouped "
                              "stream once (it has one aggregator)")
        aggregators = node.params.get("aggregators")
        if isinstance(aggregators, list):
            yield from _aggregators(node, aggregators, set(sources))
        yield from _window(node)


def _aggregators(node: Node, aggregators: list[object], sources: set[str]) -> Iterator[Problem]:
    named: dict[str, int] = {}  # input -> index of its first aggregator
    for i, entry in enumerate(aggregators):
        if not isinstance(entry, dict):
            continue
        source, expression = entry.get("input"), entry.get("aggregator")
        if isinstance(expression, str) and expression:
            try:
                compile_expression(expression, "aggregator")
            except ExpressionError as exc:
                yield Problem(node.id, f"params.aggregators.{i}.aggregator", "error", str(exc))
        if not isinstance(source, str) or not source:
            continue
        if source in named:
            yield Problem(node.id, f"params.aggregators.{i}.input", "error",
                          f"{source!r} already has an aggregator (params.aggregators."
                          f"{named[source]}); give each input exactly one")
            continue
        named[source] = i
        if source not in sources:
            yield Problem(node.id, f"params.aggregators.{i}.input", "error",
                          f"{source!r} is not connected to this node; each aggregator must name "
                          "a grouped stream (Group by, Group by key) connected to its input")
    for source in sorted(sources - named.keys()):
        yield Problem(node.id, "params.aggregators", "error",
                      f"the input {source!r} has no aggregator; add one whose input is {source!r}")


def _window(node: Node) -> Iterator[Problem]:
    params = node.params
    window = params.get("window")
    if window is None:
        for field in _WINDOW_FIELDS:
            if field in params:
                yield Problem(node.id, f"params.{field}", "warning",
                              f"{field} is used only when aggregating per window (set a window type)")
    # The durations of a window type are checked with Window nodes' (validation.nodes).
    session = window == "session"
    has_merger = bool(params.get("merger"))
    if session and not has_merger:
        yield Problem(node.id, "params.merger", "error",
                      "session windows need a merger: how to combine the aggregates of two "
                      "sessions that grow together")
    elif has_merger and not session:
        yield Problem(node.id, "params.merger", "warning", "the merger is used only with session windows")


def check_topic_choosers(graph: Graph) -> Iterator[Problem]:
    for node_id, node in graph.nodes.items():
        if node.type == TOPIC_CHOOSER_TYPE:
            yield Problem(node_id, "params.topic_expression", "warning",
                          "the output topics are chosen per record at run time, so they are not "
                          "known in advance: they are not checked against the input topics (a "
                          "record could loop back through Kafka), and each must exist or be "
                          "created automatically by the broker")
