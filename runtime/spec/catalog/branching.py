"""Splitting a stream into named branches, and the output ports those branches define.

A split node's outputs are not fixed: there is one port per branch, named after the
branch, plus the default branch's port if it has one. :func:`output_ports` gives the
ports of any node from its params, so edge validation and the palette agree.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from runtime.spec.catalog.model import NodeType, Port, expression_param, params_schema

__all__ = ["BRANCHING", "BRANCH_NAME_PATTERN", "branch_processor_name", "output_ports", "split_outputs"]

# Branch names become port names and the suffix of the branch processor's name
# (<split id>-<branch>), so they follow Kafka's legal characters like node ids.
BRANCH_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$"

_BRANCH_NAME = {
    "type": "string",
    "pattern": BRANCH_NAME_PATTERN,
    "title": "Branch name",
    "description": "Names the branch's output port and its processor (<node id>-<name>).",
}


def branch_processor_name(node_id: str, branch: str) -> str:
    """The DSL name of a branch: the split's name followed by the branch's (Kafka's
    BranchedKStream concatenates them); the dash keeps ``<id>-<branch>`` readable."""
    return f"{node_id}-{branch}"


def split_outputs(params: Mapping[str, Any]) -> tuple[Port, ...]:
    """The output ports of a split node: its branches in order, then the default branch."""
    ports: list[Port] = []
    branches = params.get("branches")
    for branch in branches if isinstance(branches, list) else ():
        if isinstance(branch, dict) and isinstance(branch.get("name"), str) and branch["name"]:
            ports.append(Port(branch["name"], "stream", f"branch {branch['name']}"))
    default = params.get("default_branch")
    if isinstance(default, str) and default:
        ports.append(Port(default, "stream", "records no branch took"))
    return tuple(ports)


# Node types whose output ports depend on their params.
_DYNAMIC_OUTPUTS: dict[str, Callable[[Mapping[str, Any]], tuple[Port, ...]]] = {
    "stream.split": split_outputs,
}


def output_ports(node_type: NodeType, params: Mapping[str, Any]) -> tuple[Port, ...]:
    """The output ports of a node of ``node_type`` with these params."""
    dynamic = _DYNAMIC_OUTPUTS.get(node_type.type)
    return dynamic(params) if dynamic is not None else node_type.outputs


BRANCHING = (
    NodeType(
        type="stream.split",
        category="stateless",
        title="Split",
        description="Sends each record to the first branch whose predicate is true (Kafka "
                    "Streams' split().branch()). Records no branch takes go to the default "
                    "branch if there is one, and are dropped otherwise. Each branch is an "
                    "output port named after it.",
        params=params_schema(
            {
                "branches": {
                    "type": "array",
                    "minItems": 1,
                    "title": "Branches",
                    "description": "Tried in order; a record goes to the first that matches.",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name", "predicate"],
                        "properties": {
                            "name": _BRANCH_NAME,
                            "predicate": expression_param(
                                "predicate", "Take when",
                                "A condition over key and value; true sends the record to "
                                "this branch.", 'value["amount"] > 100'),
                        },
                    },
                    # The editor draws one output handle per item, named by its "name".
                    "x-output-ports": {"name_from": "name", "kind": "stream"},
                },
                "default_branch": {
                    **_BRANCH_NAME,
                    "title": "Default branch",
                    "description": "Name of the output port for records no branch takes; "
                                   "without it they are dropped.",
                    "x-output-ports": {"kind": "stream"},
                },
            },
            required=("branches",),
        ),
        example={"params": {"branches": [{"name": "large", "predicate": 'value["amount"] > 1000'},
                                         {"name": "medium", "predicate": 'value["amount"] > 100'}],
                            "default_branch": "small"},
                 "note": "orders routed by amount; ports 'large', 'medium' and 'small'"},
        inputs=(Port("in", "stream", "records"),),
        # Dynamic: see split_outputs.
        outputs=(),
        # Each branch predicate is compiled as this kind (params.branches.<i>.predicate).
        expressions={"predicate": "predicate"},
    ),
)
