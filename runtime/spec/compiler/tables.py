"""Handlers of tables made from streams, table groupings, their aggregations, suppression."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runtime.spec.compiler.context import CompileContext
from runtime.spec.compiler.stateful import aggregate_store_argument, store_argument
from runtime.spec.document import Node

__all__ = ["HANDLERS"]

Inputs = Mapping[str, list[Any]]


def _to_table(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (stream,) = inputs["in"]
    # The store is always named after the node (Kafka would generate
    # KSTREAM-TOTABLE-STATE-STORE-<n>), so its changelog survives edits elsewhere.
    serdes = {field: ctx.serde(node.params[field]) for field in ("key_serde", "value_serde")
              if node.params.get(field)}
    return {"out": ctx.call(stream, "to_table", name=node.id, store=ctx.store(node), **serdes)}


def _group_by(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (table,) = inputs["in"]
    grouped = ctx.call(table, "group_by", ctx.expression(node, "selector"),
                       key_serde=ctx.key_serde(node.params),
                       value_serde=ctx.value_serde(node.params), name=node.id)
    return {"out": grouped}


def _count(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (grouped,) = inputs["in"]
    return {"out": ctx.call(grouped, "count", name=node.id, store=store_argument(ctx, node))}


def _reduce(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (grouped,) = inputs["in"]
    table = ctx.call(grouped, "reduce", ctx.expression(node, "adder"),
                     ctx.expression(node, "subtractor"), name=node.id,
                     store=store_argument(ctx, node))
    return {"out": table}


def _aggregate(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (grouped,) = inputs["in"]
    store = aggregate_store_argument(ctx, node)
    table = ctx.call(grouped, "aggregate", ctx.expression(node, "initializer"),
                     ctx.expression(node, "adder"), ctx.expression(node, "subtractor"),
                     name=node.id, store=store, value_serde=ctx.value_serde(node.params))
    return {"out": table}


def _suppressed(ctx: CompileContext, params: Mapping[str, Any]) -> Any:
    buffer_config = ctx.runtime_name("BufferConfig")
    suppressed = ctx.runtime_name("Suppressed")
    if params.get("until", "window_closes") == "time_limit":
        max_records = params.get("max_records")
        buffer = (ctx.call(buffer_config, "unbounded") if max_records is None
                  else ctx.call(buffer_config, "max_records", max_records))
        return ctx.call(suppressed, "until_time_limit", params["time_limit_ms"], buffer)
    # Final results need a strict buffer; unbounded is the only one the node offers.
    return ctx.call(suppressed, "until_window_closes", ctx.call(buffer_config, "unbounded"))


def _suppress(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (table,) = inputs["in"]
    # name= also names the buffer store (<node id>-store), as Suppressed.withName does.
    return {"out": ctx.call(table, "suppress", _suppressed(ctx, node.params), name=node.id)}


HANDLERS: dict[str, Callable[..., dict[str, Any]]] = {
    "stream.to_table": _to_table,
    "table.group_by": _group_by,
    "table.suppress": _suppress,
    "grouped_table.count": _count,
    "grouped_table.reduce": _reduce,
    "grouped_table.aggregate": _aggregate,
}
