"""Checks of split nodes: branch names (they are the node's output ports) and predicates."""

from __future__ import annotations

from collections.abc import Iterator

from runtime.spec.catalog.branching import branch_processor_name
from runtime.spec.errors import Problem
from runtime.spec.expressions import ExpressionError, compile_expression
from runtime.spec.graph import Graph

__all__ = ["check_branches"]


def check_branches(graph: Graph) -> Iterator[Problem]:
    """Unique branch names, predicates that compile, and branches that lead somewhere.

    The params schema has already reported missing or mistyped fields; those are skipped.
    """
    for node_id, node in graph.nodes.items():
        if node.type != "stream.split":
            continue
        branches = node.params.get("branches")
        if not isinstance(branches, list):
            continue
        ports: dict[str, str] = {}  # port name -> param path of its first definition
        for i, branch in enumerate(branches):
            if not isinstance(branch, dict):
                continue
            name, predicate = branch.get("name"), branch.get("predicate")
            if isinstance(name, str) and name:
                if name in ports:
                    yield Problem(node_id, f"params.branches.{i}.name", "error",
                                  f"the branch name {name!r} is also used by {ports[name]}; "
                                  "branch names must be unique (each names an output)")
                else:
                    ports[name] = f"params.branches.{i}"
            if isinstance(predicate, str) and predicate:
                try:
                    compile_expression(predicate, "predicate")
                except ExpressionError as exc:
                    yield Problem(node_id, f"params.branches.{i}.predicate", "error", str(exc))
        default = node.params.get("default_branch")
        if isinstance(default, str) and default:
            if default in ports:
                yield Problem(node_id, "params.default_branch", "error",
                              f"the default branch {default!r} has the name of the branch at "
                              f"{ports[default]}; branch names must be unique")
            else:
                ports[default] = "params.default_branch"
        for name, path in ports.items():
            processor = branch_processor_name(node_id, name)
            if processor in graph.nodes:
                yield Problem(node_id, f"{path}.name" if path.startswith("params.branches") else path,
                              "error",
                              f"the branch {name!r} would name its processor {processor!r}, which "
                              "is the id of another node; rename the branch or that node")
        used = {e.source_port for e in graph.outgoing.get(node_id, ())}
        for name, path in ports.items():
            if name not in used:
                yield Problem(node_id, path, "warning",
                              f"the branch {name!r} is not connected; its records are dropped")
