"""Checks of each node on its own: id, type, params, expressions, window settings."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

from runtime.spec.catalog import NAME_PATTERN, NODE_TYPES, SERDE_NAMES, WINDOW_REQUIRED
from runtime.spec.document import Document, Node
from runtime.spec.errors import Problem, problems_from_schema
from runtime.spec.expressions import ExpressionError, compile_expression
from runtime.spec.schema import params_validator

__all__ = ["check_nodes", "check_settings"]

_NAME = re.compile(NAME_PATTERN)
_WINDOW_FIELDS = ("size_ms", "advance_ms", "time_difference_ms", "gap_ms")


def check_settings(doc: Document) -> Iterator[Problem]:
    for field in ("default_key_serde", "default_value_serde"):
        value = getattr(doc.settings, field)
        if value not in SERDE_NAMES:
            yield Problem(None, f"settings.{field}", "error",
                          f"unknown serde {value!r}; use one of {', '.join(SERDE_NAMES)}")


def check_nodes(doc: Document) -> Iterator[Problem]:
    counts = Counter(n.id for n in doc.nodes)
    reported: set[str] = set()
    for node in doc.nodes:
        if counts[node.id] > 1 and node.id not in reported:
            reported.add(node.id)
            yield Problem(node.id, "id", "error",
                          f"the id {node.id!r} is used by {counts[node.id]} nodes; ids must be unique")
        if not _NAME.match(node.id):
            yield Problem(node.id, "id", "error",
                          f"{node.id!r} is not a valid id: use letters, digits, '.', '_' and '-' "
                          "(starting with a letter or digit, at most 100 characters); the id "
                          "names the node's processor and its internal topics")
        yield from check_node(node)


def check_node(node: Node) -> Iterator[Problem]:
    node_type = NODE_TYPES.get(node.type)
    if node_type is None:
        yield Problem(node.id, "type", "error", f"unknown node type {node.type!r}")
        return
    yield from problems_from_schema(params_validator(node.type), node.params,
                                    node_id=node.id, prefix=("params",))
    for param, kind in node_type.expressions.items():
        source = node.params.get(param)
        if not isinstance(source, str) or not source:
            continue  # missing or mistyped: already reported by the schema
        try:
            compile_expression(source, kind)
        except ExpressionError as exc:
            yield Problem(node.id, f"params.{param}", "error", str(exc))
    # A cogroup may window too, with the same params (runtime.spec.catalog.cogroup).
    if node.type == "grouped.windowed_by" or (node.type == "grouped.cogroup" and "window" in node.params):
        yield from _check_window(node)


def _check_window(node: Node) -> Iterator[Problem]:
    params = node.params
    window = params.get("window")
    if not isinstance(window, str) or window not in WINDOW_REQUIRED:
        return  # reported by the schema
    for field in _WINDOW_FIELDS:
        if field in params and field not in WINDOW_REQUIRED[window]:
            yield Problem(node.id, f"params.{field}", "warning",
                          f"{field} is not used by {window} windows")
    size, advance = params.get("size_ms"), params.get("advance_ms")
    if window == "hopping" and isinstance(size, int) and isinstance(advance, int) and advance > size:
        yield Problem(node.id, "params.advance_ms", "error",
                      f"the advance ({advance} ms) must not be larger than the window size ({size} ms)")
