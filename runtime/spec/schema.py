"""JSON Schemas (draft 2020-12) of topology documents.

Two strengths: the *shape* schema, which :func:`~runtime.spec.load_document`
enforces (JSON types and known fields only, so that a half-finished document still
loads and :func:`~runtime.spec.validate` can explain everything else), and the full
:func:`document_schema`, published for editors: it adds name patterns, serde names,
the known node types and each type's params.
"""

from __future__ import annotations

import copy
import functools
from typing import Any

from jsonschema import Draft202012Validator

from runtime.spec.catalog import NAME_PATTERN, NODE_TYPES, SERDE_NAMES
from runtime.spec.document import FORMAT_VERSION

__all__ = ["document_schema", "params_validator", "shape_validator"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _schema(strict: bool) -> dict[str, Any]:
    name = {"type": "string", "pattern": NAME_PATTERN} if strict else {"type": "string", "minLength": 1}
    serde = {"type": "string", "enum": list(SERDE_NAMES)} if strict else {"type": "string"}
    node_type: dict[str, Any] = {"type": "string"}
    if strict:
        node_type["enum"] = sorted(NODE_TYPES)
    node: dict[str, Any] = {
        "type": "object",
        "required": ["id", "type"],
        "additionalProperties": False,
        "properties": {
            "id": {**name, "description": "Stable id; the DSL name of the node's processor."},
            "type": {**node_type, "description": "A node type of the catalog."},
            "label": {"type": "string", "description": "What the canvas shows."},
            "params": {"type": "object", "description": "The type's params (see the catalog)."},
            "position": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
            },
        },
    }
    if strict:
        node["allOf"] = [
            {
                "if": {"properties": {"type": {"const": t.type}}, "required": ["type"]},
                "then": {"properties": {"params": t.params}},
            }
            for t in NODE_TYPES.values()
        ]
    port = {"type": "string", "minLength": 1}
    return {
        "$schema": _DIALECT,
        "title": "Riffle topology document",
        "type": "object",
        "required": ["format_version", "name", "nodes", "edges"],
        "additionalProperties": False,
        "properties": {
            "format_version": {"const": FORMAT_VERSION},
            "name": {"type": "string", "minLength": 1, "maxLength": 200},
            "description": {"type": "string"},
            "settings": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "default_key_serde": {**serde, "default": "string"},
                    "default_value_serde": {**serde, "default": "string"},
                },
            },
            "nodes": {"type": "array", "items": {"$ref": "#/$defs/node"}},
            "edges": {"type": "array", "items": {"$ref": "#/$defs/edge"}},
            "metadata": {"type": "object", "description": "Editor state, kept as given."},
        },
        "$defs": {
            "node": node,
            "edge": {
                "type": "object",
                "required": ["id", "source", "target"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "string", "minLength": 1},
                    "source": {"type": "string"},
                    "source_port": {**port, "default": "out"},
                    "target": {"type": "string"},
                    "target_port": {**port, "default": "in"},
                },
            },
        },
    }


def document_schema() -> dict[str, Any]:
    """The full JSON Schema of a topology document, params of every node type included."""
    return copy.deepcopy(_full_schema())


@functools.cache
def _full_schema() -> dict[str, Any]:
    schema = _schema(strict=True)
    Draft202012Validator.check_schema(schema)
    return schema


@functools.cache
def shape_validator() -> Draft202012Validator:
    return Draft202012Validator(_schema(strict=False))


@functools.cache
def params_validator(type_name: str) -> Draft202012Validator:
    return Draft202012Validator(NODE_TYPES[type_name].params)
