"""Handlers of cogroup nodes and of sinks whose topic is chosen per record."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from runtime.spec.compiler.context import CompileContext
from runtime.spec.compiler.stateful import aggregate_store_argument, windows_argument
from runtime.spec.document import Node
from runtime.spec.graph import Graph
from runtime.spec.topic_chooser import TopicChooser

__all__ = ["HANDLERS"]

Inputs = Mapping[str, list[Any]]


def _inputs_by_node(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    """The grouped stream of each upstream node id. ``inputs["in"]`` is in the order of
    ``Graph.inputs`` (see ``run_handlers``), so zipping with those edges pairs them."""
    edges = Graph.of(ctx.doc).inputs(node.id, "in")
    return {edge.source: grouped for edge, grouped in zip(edges, inputs["in"], strict=True)}


def _cogroup(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    by_node = _inputs_by_node(ctx, node, inputs)
    cogrouped: Any = None
    # The list's order, not the edges', is the DSL's call order (validation has checked
    # that the aggregators and the inputs match one to one).
    for entry in node.params["aggregators"]:
        # Through ctx.expression like every expression: a view of the node whose
        # "aggregator" param is this entry's (compiled as an aggregator).
        aggregator = ctx.expression(replace(node, params={"aggregator": entry["aggregator"]}),
                                    "aggregator")
        grouped = by_node[entry["input"]]
        cogrouped = (ctx.call(grouped, "cogroup", aggregator) if cogrouped is None
                     else ctx.call(cogrouped, "cogroup", grouped, aggregator))
    args = [ctx.expression(node, "initializer")]
    if node.params.get("window"):
        cogrouped = ctx.call(cogrouped, "windowed_by", windows_argument(ctx, node.params))
        if node.params.get("merger"):
            args.append(ctx.expression(node, "merger"))
    store = aggregate_store_argument(ctx, node)
    table = ctx.call(cogrouped, "aggregate", *args, name=node.id, store=store,
                     value_serde=ctx.value_serde(node.params))
    return {"out": table}


def _topic_chooser(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (upstream,) = inputs["in"]
    chooser = TopicChooser(ctx.expression(node, "topic_expression"))
    ctx.call(upstream, "to", chooser, key_serde=ctx.key_serde(node.params),
             value_serde=ctx.value_serde(node.params), name=node.id)
    return {}


HANDLERS: dict[str, Callable[..., dict[str, Any]]] = {
    "grouped.cogroup": _cogroup,
    "sink.topic_chooser": _topic_chooser,
}
