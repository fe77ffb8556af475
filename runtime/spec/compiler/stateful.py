"""Handlers of groupings, aggregations, windows and joins."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runtime.spec.compiler.context import CompileContext
from runtime.spec.document import Node

__all__ = ["HANDLERS", "store_argument", "windows_argument"]

Inputs = Mapping[str, list[Any]]


def _group_by_key(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (stream,) = inputs["in"]
    grouped = ctx.call(stream, "group_by_key", key_serde=ctx.key_serde(node.params),
                       value_serde=ctx.value_serde(node.params), name=node.id)
    return {"out": grouped}


def _group_by(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (stream,) = inputs["in"]
    grouped = ctx.call(stream, "group_by", ctx.expression(node, "key"),
                       key_serde=ctx.key_serde(node.params),
                       value_serde=ctx.value_serde(node.params), name=node.id)
    return {"out": grouped}


def store_argument(ctx: CompileContext, node: Node) -> Any:
    """The store argument: its name, or a Materialized when the node sets serdes."""
    name = ctx.store(node)
    key, value = node.params.get("key_serde"), node.params.get("value_serde")
    if key is None and value is None:
        return name
    return ctx.runtime_name("Materialized")(
        store_name=name,
        key_serde=ctx.serde(key) if key else None,
        value_serde=ctx.serde(value) if value else None,
    )


def aggregate_store_argument(ctx: CompileContext, node: Node) -> Any:
    """The store argument of an aggregate: its name, or a Materialized with the node's key
    serde. The value serde goes to ``aggregate(value_serde=...)`` instead: the aggregate's
    type is the user's, so without one it takes the document's default."""
    key = node.params.get("key_serde")
    if not key:
        return ctx.store(node)
    return ctx.runtime_name("Materialized")(store_name=ctx.store(node), key_serde=ctx.serde(key))


def _count(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (grouped,) = inputs["in"]
    return {"out": ctx.call(grouped, "count", name=node.id, store=store_argument(ctx, node))}


def _reduce(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (grouped,) = inputs["in"]
    return {"out": ctx.call(grouped, "reduce", ctx.expression(node, "reducer"),
                            name=node.id, store=store_argument(ctx, node))}


def _aggregate(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (grouped,) = inputs["in"]
    args = [ctx.expression(node, "initializer"), ctx.expression(node, "aggregator")]
    if node.params.get("merger"):
        args.append(ctx.expression(node, "merger"))
    store = aggregate_store_argument(ctx, node)
    table = ctx.call(grouped, "aggregate", *args, name=node.id, store=store,
                     value_serde=ctx.value_serde(node.params))
    return {"out": table}


def windows_argument(ctx: CompileContext, params: Mapping[str, Any]) -> Any:
    """The DSL windows that a Window node's params describe (a Cogroup's too)."""
    kind, grace = params["window"], params.get("grace_ms")
    if kind in ("tumbling", "hopping"):
        time_windows = ctx.runtime_name("TimeWindows")
        windows = (ctx.call(time_windows, "of_size_with_no_grace", params["size_ms"]) if grace is None
                   else ctx.call(time_windows, "of_size_and_grace", params["size_ms"], grace))
        if kind == "hopping":
            windows = ctx.call(windows, "advance_by", params["advance_ms"])
        return windows
    if kind == "sliding":
        sliding = ctx.runtime_name("SlidingWindows")
        return ctx.call(sliding, "of_time_difference_and_grace", params["time_difference_ms"], grace or 0)
    sessions = ctx.runtime_name("SessionWindows")
    if grace is None:
        return ctx.call(sessions, "of_inactivity_gap_with_no_grace", params["gap_ms"])
    return ctx.call(sessions, "of_inactivity_gap_and_grace", params["gap_ms"], grace)


def _windowed_by(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (grouped,) = inputs["in"]
    return {"out": ctx.call(grouped, "windowed_by", windows_argument(ctx, node.params))}


def _join_windows(ctx: CompileContext, params: Mapping[str, Any]) -> Any:
    join_windows = ctx.runtime_name("JoinWindows")
    difference, grace = params["time_difference_ms"], params.get("grace_ms")
    if grace is None:
        return ctx.call(join_windows, "of_time_difference_with_no_grace", difference)
    return ctx.call(join_windows, "of_time_difference_and_grace", difference, grace)


_JOIN_METHODS = {"inner": "join", "left": "left_join", "outer": "outer_join"}


def _serde_kwargs(ctx: CompileContext, params: Mapping[str, Any], *fields: str) -> dict[str, Any]:
    return {f: ctx.serde(params[f]) for f in fields if params.get(f)}


def _stream_table_join(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (stream,), (table,) = inputs["left"], inputs["right"]
    method = _JOIN_METHODS[node.params.get("join", "inner")]
    joined = ctx.call(stream, method, table, ctx.expression(node, "joiner"), name=node.id,
                      **_serde_kwargs(ctx, node.params, "key_serde", "value_serde"))
    return {"out": joined}


def _stream_stream_join(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (left,), (right,) = inputs["left"], inputs["right"]
    method = _JOIN_METHODS[node.params.get("join", "inner")]
    # The node id names the stores too (Kafka's StreamJoined.withStoreName), so their
    # changelog topics survive edits elsewhere in the document.
    joined = ctx.call(left, method, right, ctx.expression(node, "joiner"),
                      _join_windows(ctx, node.params), name=node.id, store_name=node.id,
                      **_serde_kwargs(ctx, node.params, "key_serde", "value_serde", "other_value_serde"))
    return {"out": joined}


def _stream_global_table_join(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (stream,), (global_table,) = inputs["left"], inputs["right"]
    method = _JOIN_METHODS[node.params.get("join", "inner")]
    # Kafka's join(globalTable, keySelector, joiner): the selector comes first.
    joined = ctx.call(stream, method, global_table, ctx.expression(node, "key_selector"),
                      ctx.expression(node, "joiner"), name=node.id)
    return {"out": joined}


def _table_table_join(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (left,), (right,) = inputs["left"], inputs["right"]
    method = _JOIN_METHODS[node.params.get("join", "inner")]
    # Materialized only when asked for, as in Kafka: a store adds a changelog topic.
    kwargs = {"store": ctx.store(node)} if node.params.get("store") else {}
    joined = ctx.call(left, method, right, ctx.expression(node, "joiner"), name=node.id, **kwargs)
    return {"out": joined}


def _foreign_key_join(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (left,), (right,) = inputs["left"], inputs["right"]
    method = _JOIN_METHODS[node.params.get("join", "inner")]
    kwargs = {"store": ctx.store(node)} if node.params.get("store") else {}
    # Kafka's join(other, foreignKeyExtractor, joiner) on KTable.
    joined = ctx.call(left, method, right, ctx.expression(node, "foreign_key"),
                      ctx.expression(node, "joiner"), name=node.id, **kwargs)
    return {"out": joined}


HANDLERS: dict[str, Callable[..., dict[str, Any]]] = {
    "stream.group_by_key": _group_by_key,
    "stream.group_by": _group_by,
    "grouped.count": _count,
    "grouped.reduce": _reduce,
    "grouped.aggregate": _aggregate,
    "grouped.windowed_by": _windowed_by,
    "windowed.count": _count,
    "windowed.reduce": _reduce,
    "windowed.aggregate": _aggregate,
    "join.stream_table": _stream_table_join,
    "join.stream_stream": _stream_stream_join,
    "join.stream_global_table": _stream_global_table_join,
    "join.table_table": _table_table_join,
    "join.foreign_key": _foreign_key_join,
}
