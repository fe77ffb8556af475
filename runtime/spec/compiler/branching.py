"""Handler of split nodes: one DSL branch per document branch, one output port each."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from runtime.spec.catalog.branching import branch_processor_name
from runtime.spec.compiler.context import CompileContext
from runtime.spec.document import Node

__all__ = ["HANDLERS"]

Inputs = Mapping[str, list[Any]]


def _split(ctx: CompileContext, node: Node, inputs: Inputs) -> dict[str, Any]:
    (stream,) = inputs["in"]
    branched = ctx.call(stream, "split", name=node.id)
    names = []
    for branch in node.params["branches"]:
        # The predicate goes through ctx.expression like every other expression: a view
        # of the node whose "predicate" param is this branch's (the catalog compiles
        # "predicate" as a predicate).
        predicate = ctx.expression(replace(node, params={"predicate": branch["predicate"]}),
                                   "predicate")
        # The DSL appends the branch name to the split's: "-<name>" makes <id>-<name>.
        branched = ctx.call(branched, "branch", predicate, name=f"-{branch['name']}")
        names.append(branch["name"])
    default = node.params.get("default_branch")
    if default:
        streams = ctx.call(branched, "default_branch", name=f"-{default}")
        names.append(default)
    else:
        # Kafka's noDefaultBranch(): records no predicate accepts are dropped.
        streams = ctx.call(branched, "no_default_branch")
    return {name: ctx.call(streams, "get", branch_processor_name(node.id, name)) for name in names}


HANDLERS: dict[str, Callable[..., dict[str, Any]]] = {
    "stream.split": _split,
}
