"""What a catalog entry is, and helpers that write the JSON Schema of its params."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from runtime.spec.expressions.kinds import EXPRESSION_KINDS

__all__ = [
    "CATEGORIES",
    "NAME_PATTERN",
    "PORT_KINDS",
    "SERDE_NAMES",
    "NodeType",
    "Port",
    "PortKind",
    "duration_param",
    "expression_param",
    "params_schema",
    "serde_param",
    "store_param",
    "topic_param",
]

PortKind = Literal["stream", "table", "grouped_stream", "grouped_table", "windowed_stream", "global_table"]
PORT_KINDS: tuple[str, ...] = (
    "stream", "table", "grouped_stream", "grouped_table", "windowed_stream", "global_table",
)
CATEGORIES: tuple[str, ...] = (
    "sources", "stateless", "grouping", "aggregation", "windows", "joins", "processors", "sinks",
)
SERDE_NAMES: tuple[str, ...] = ("string", "bytes", "integer", "long", "double", "json")

# Node ids, store names and topic names end up in Kafka topic names
# (<application.id>-<name>-changelog), so they follow Kafka's legal characters.
NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
TOPIC_PATTERN = r"^[A-Za-z0-9._-]{1,249}$"


@dataclass(frozen=True)
class Port:
    name: str
    kind: str
    label: str = ""
    # Whether more than one edge may end here (merge takes any number of streams).
    multiple: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "label": self.label or self.name,
                "multiple": self.multiple}


@dataclass(frozen=True)
class NodeType:
    type: str
    category: str
    title: str
    description: str
    params: dict[str, Any]
    example: dict[str, Any]
    inputs: tuple[Port, ...] = ()
    outputs: tuple[Port, ...] = ()
    # The node may change record keys, so a later grouping or join repartitions.
    key_changing: bool = False
    # The node needs its input partitioned by the current key (groupings, joins).
    needs_keyed_input: bool = False
    # Expression params: param name -> expression kind.
    expressions: dict[str, str] = field(default_factory=dict)

    def input(self, name: str) -> Port | None:
        return next((p for p in self.inputs if p.name == name), None)

    def output(self, name: str) -> Port | None:
        return next((p for p in self.outputs if p.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "category": self.category,
            "title": self.title,
            "description": self.description,
            "example": self.example,
            "inputs": [p.to_dict() for p in self.inputs],
            "outputs": [p.to_dict() for p in self.outputs],
            "params_schema": self.params,
            "key_changing": self.key_changing,
        }


def params_schema(properties: dict[str, Any], required: tuple[str, ...] = (), **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = list(required)
    schema.update(extra)
    return schema


def serde_param(description: str, default: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "enum": list(SERDE_NAMES), "description": description}
    if default is not None:
        schema["default"] = default
    return schema


def expression_param(kind: str, title: str, description: str, example: str) -> dict[str, Any]:
    k = EXPRESSION_KINDS[kind]
    return {
        "type": "string",
        "minLength": 1,
        "title": title,
        "description": description,
        "examples": [example],
        # Editors show a code field listing the variables; validation compiles it.
        "x-expression": {"kind": kind, "variables": list(k.variables)},
    }


def store_param() -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": NAME_PATTERN,
        "title": "State store",
        "description": "Name of the state store (its changelog topic is "
                       "<application.id>-<store>-changelog). Defaults to '<node id>-store'.",
    }


def duration_param(title: str, description: str, minimum: int = 0) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "title": title, "description": description}


def topic_param(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": TOPIC_PATTERN, "title": "Topic", "description": description}
