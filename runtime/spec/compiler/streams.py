"""Handlers of sources, stateless steps and sinks."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runtime.spec.compiler.context import CompileContext, Handler
from runtime.spec.document import Node
from runtime.spec.record_logger import RecordLogger

__all__ = ["HANDLERS"]

Inputs = Mapping[str, list[Any]]


_ON_INVALID = {"fail": "FailOnInvalidTimestamp", "skip": "LogAndSkipOnInvalidTimestamp",
               "partition_time": "UsePartitionTimeOnInvalidTimestamp"}


def _timestamp_extractor(ctx: CompileContext, node: Node) -> dict[str, Any]:
    """The source's ``timestamp_extractor`` argument, or none for the engine's default
    (the record's timestamp, failing on an invalid one)."""
    spec = node.params.get("timestamp") or {}
    source = spec.get("from", "record")
    on_invalid = spec.get("on_invalid", "fail")
    # Build only what is passed: the code export records every object made here.
    if source == "wall_clock":
        return {"timestamp_extractor": ctx.runtime_name("WallclockTimestampExtractor")()}
    if source == "value_field":
        policy = ctx.runtime_name(_ON_INVALID[on_invalid])()
        extractor = ctx.runtime_name("ValueFieldTimestampExtractor")(spec["field"], on_invalid=policy)
        return {"timestamp_extractor": extractor}
    if on_invalid == "fail":
        return {}
    return {"timestamp_extractor": ctx.runtime_name(_ON_INVALID[on_invalid])()}


def _source_stream(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    topics = node.params["topics"]
    stream = ctx.call(ctx.builder, "stream", topics[0] if len(topics) == 1 else list(topics),
                      key_serde=ctx.key_serde(node.params), value_serde=ctx.value_serde(node.params),
                      **_timestamp_extractor(ctx, node), name=node.id)
    return {"out": stream}


def _source_table(method: str) -> Handler:
    def handler(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
        table = ctx.call(ctx.builder, method, node.params["topic"],
                         key_serde=ctx.key_serde(node.params), value_serde=ctx.value_serde(node.params),
                         store=ctx.store(node), **_timestamp_extractor(ctx, node), name=node.id)
        return {"out": table}
    return handler


def _with_expression(method: str, param: str) -> Handler:
    """A one-input step whose only argument is an expression: filter, map, ..."""
    def handler(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
        (upstream,) = inputs["in"]
        return {"out": ctx.call(upstream, method, ctx.expression(node, param), name=node.id)}
    return handler


def _peek(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (upstream,) = inputs["in"]
    # A RecordLogger, not a closure, so that the code export can write it out.
    logger = RecordLogger(node.id, str(node.params.get("level", "info")))
    return {"out": ctx.call(upstream, "peek", logger, name=node.id)}


def _foreach(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (upstream,) = inputs["in"]
    # A sandboxed expression cannot have side effects, so the only action offered is a
    # log line, whose text the optional message expression computes.
    message = ctx.expression(node, "message") if node.params.get("message") else None
    logger = RecordLogger(node.id, str(node.params.get("level", "info")), message)
    ctx.call(upstream, "foreach", logger, name=node.id)
    return {}


def _repartition(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (upstream,) = inputs["in"]
    params = node.params
    # Serdes and partitions left out are the DSL's defaults (the stream's serdes, the
    # input topics' partition count), as in Kafka's Repartitioned.
    kwargs = {field: ctx.serde(params[field]) for field in ("key_serde", "value_serde")
              if params.get(field)}
    if params.get("num_partitions") is not None:
        kwargs["num_partitions"] = params["num_partitions"]
    return {"out": ctx.call(upstream, "repartition", name=node.id, **kwargs)}


def _merge(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    first, *others = inputs["in"]
    merged = first
    # Kafka Streams' merge is binary; more inputs chain, each step named after the node.
    for i, other in enumerate(others):
        merged = ctx.call(merged, "merge", other, name=node.id if i == 0 else f"{node.id}-{i + 1}")
    return {"out": merged}


def _to_stream(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (table,) = inputs["in"]
    return {"out": ctx.call(table, "to_stream", name=node.id)}


def _sink(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (upstream,) = inputs["in"]
    ctx.call(upstream, "to", ctx.output_topic(node.params["topic"]), key_serde=ctx.key_serde(node.params),
             value_serde=ctx.value_serde(node.params), name=node.id)
    return {}


HANDLERS: dict[str, Callable[..., dict[str, Any]]] = {
    "source.stream": _source_stream,
    "source.table": _source_table("table"),
    "source.global_table": _source_table("global_table"),
    "stream.filter": _with_expression("filter", "predicate"),
    "stream.filter_not": _with_expression("filter_not", "predicate"),
    "stream.map": _with_expression("map", "mapper"),
    "stream.map_values": _with_expression("map_values", "mapper"),
    "stream.flat_map": _with_expression("flat_map", "mapper"),
    "stream.flat_map_values": _with_expression("flat_map_values", "mapper"),
    "stream.select_key": _with_expression("select_key", "key"),
    "stream.peek": _peek,
    "stream.merge": _merge,
    "table.to_stream": _to_stream,
    "table.filter": _with_expression("filter", "predicate"),
    "table.map_values": _with_expression("map_values", "mapper"),
    "table.filter_not": _with_expression("filter_not", "predicate"),
    "stream.foreach": _foreach,
    "stream.repartition": _repartition,
    "sink.topic": _sink,
}
