"""Handler of Process nodes: a registered processor and its state stores."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runtime.spec.catalog.processors import STORE_TYPES
from runtime.spec.compiler.context import CompileContext
from runtime.spec.document import Node

__all__ = ["HANDLERS"]

Inputs = Mapping[str, list[Any]]


def _process(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (stream,) = inputs["in"]
    factory = ctx.processor(node.params["processor"])
    stores = ctx.runtime_name("Stores")
    names: list[str] = []
    # As written with the DSL: builder.add_state_store(Stores.key_value_store_builder(
    # Stores.<type>(name), key_serde, value_serde)), then stream.process(factory, *names).
    for spec in node.params.get("stores", ()):
        supplier = ctx.call(stores, STORE_TYPES[spec.get("type", "in_memory")], spec["name"])
        store_builder = ctx.call(stores, "key_value_store_builder", supplier,
                                 ctx.key_serde(spec), ctx.value_serde(spec))
        ctx.call(ctx.builder, "add_state_store", store_builder)
        names.append(spec["name"])
    return {"out": ctx.call(stream, "process", factory, *names, name=node.id)}


HANDLERS: dict[str, Callable[..., dict[str, Any]]] = {
    "stream.process": _process,
}
