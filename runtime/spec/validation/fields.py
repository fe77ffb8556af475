"""Field references checked against the fields of sampled records.

When the caller knows which top-level fields the JSON values of some topics have (the
studio reads them off sampled records), an expression that reads ``value["amout"]``
from records of those topics gets a warning with the fields that exist. The fields
follow the records through the steps that keep values as they are (filters, peeks,
key changes, groupings, windows, repartitions, merges, splits, table conversions);
a step that computes new values (map, aggregate, join) ends what is known.

Warnings, not errors: a sample need not contain every optional field.
"""

from __future__ import annotations

import ast
import difflib
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass

from runtime.spec.catalog import NODE_TYPES
from runtime.spec.document import Edge, Node
from runtime.spec.errors import Problem
from runtime.spec.graph import Graph

__all__ = ["check_fields"]

# Steps whose outputs carry their input's values unchanged.
_KEEP_VALUES = frozenset({
    "stream.filter", "stream.filter_not", "stream.peek", "stream.select_key",
    "stream.group_by_key", "stream.group_by", "grouped.windowed_by", "stream.repartition",
    "stream.merge", "stream.split", "stream.to_table", "table.filter", "table.filter_not",
    "table.to_stream",
})
_SOURCES = frozenset({"source.stream", "source.table", "source.global_table"})
_SHOWN = 12   # fields listed in a message


@dataclass(frozen=True)
class _Shape:
    """What is known of the values on an edge: their top-level fields, and whence."""

    fields: frozenset[str]
    topics: tuple[str, ...]


def check_fields(graph: Graph, fields: Mapping[str, Collection[str]],
                 default_value_serde: str) -> Iterator[Problem]:
    """Warnings for expressions reading fields the sampled values of their input lack.

    :param fields: topic name → the top-level fields of its (JSON object) values.
    """
    order, cycles = graph.topological_order()
    if cycles:
        return  # reported elsewhere; no order to follow
    shapes: dict[tuple[str, str], _Shape | None] = {}
    for node_id in order:
        node = graph.nodes[node_id]
        inputs = {port: _merged([shapes.get((e.source, e.source_port)) for e in edges])
                  for port, edges in _inputs_by_port(graph, node_id).items()}
        yield from _check_node(node, inputs)
        out = _output_shape(node, inputs, fields, default_value_serde)
        for edge in graph.outgoing.get(node_id, ()):
            shapes[(node_id, edge.source_port)] = out


def _inputs_by_port(graph: Graph, node_id: str) -> dict[str, list[Edge]]:
    ports: dict[str, list[Edge]] = {}
    for edge in graph.incoming.get(node_id, ()):
        ports.setdefault(edge.target_port, []).append(edge)
    return ports


def _merged(shapes: list[_Shape | None]) -> _Shape | None:
    """A port fed by several edges (a merge): a field of any input may be present."""
    if not shapes or any(s is None for s in shapes):
        return None
    known = [s for s in shapes if s is not None]
    return _Shape(frozenset().union(*(s.fields for s in known)),
                  tuple(dict.fromkeys(t for s in known for t in s.topics)))


def _output_shape(node: Node, inputs: Mapping[str, _Shape | None],
                  fields: Mapping[str, Collection[str]], default_value_serde: str) -> _Shape | None:
    if node.type in _SOURCES:
        topics = node.params.get("topics")
        if not isinstance(topics, list):
            topics = [node.params.get("topic")]
        serde = node.params.get("value_serde") or default_value_serde
        if serde != "json" or not all(isinstance(t, str) and t in fields for t in topics):
            return None
        return _Shape(frozenset().union(*(frozenset(fields[t]) for t in topics)), tuple(topics))
    if node.type in _KEEP_VALUES:
        return inputs.get("in")
    return None


def _check_node(node: Node, inputs: Mapping[str, _Shape | None]) -> Iterator[Problem]:
    node_type = NODE_TYPES.get(node.type)
    if node_type is None or not any(s is not None for s in inputs.values()):
        return
    # ``value`` is the record on the main input; a join's sides are ``left`` and
    # ``right`` (and a join's key selector or foreign-key extractor reads the left value).
    variables = {"value": inputs.get("in", inputs.get("left")),
                 "left": inputs.get("left"), "right": inputs.get("right")}
    for param, source in _expression_params(node, node_type.expressions):
        reported: set[tuple[str, str]] = set()
        for variable, field, position in sorted(_field_reads(source), key=lambda r: r[2]):
            shape = variables.get(variable)
            if shape is None or field in shape.fields or (variable, field) in reported:
                continue
            reported.add((variable, field))   # once per field, at its first read
            yield Problem(node.id, param, "warning", _message(variable, field, shape, position))


def _expression_params(node: Node, kinds: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    if node.type == "stream.split":
        branches = node.params.get("branches")
        for i, branch in enumerate(branches if isinstance(branches, list) else []):
            if isinstance(branch, dict) and isinstance(branch.get("predicate"), str):
                yield f"params.branches.{i}.predicate", branch["predicate"]
        return
    for param in kinds:
        source = node.params.get(param)
        if isinstance(source, str):
            yield f"params.{param}", source


def _field_reads(source: str) -> Iterator[tuple[str, str, tuple[int, int]]]:
    """(variable, field, (line, column)) of each constant field read of a variable:
    ``v["f"]``, ``v.get("f")`` and ``json_get(v, "f.g")`` (its first step)."""
    try:
        tree = ast.parse(source.strip(), mode="eval")
    except SyntaxError:
        return  # the compiler reports it
    # A comprehension may bind a variable's name to something else: leave it alone.
    rebound = {name.id for comp in ast.walk(tree) if isinstance(comp, ast.comprehension)
               for name in ast.walk(comp.target) if isinstance(name, ast.Name)}
    for node in ast.walk(tree):
        found: tuple[ast.AST, ast.AST] | None = None
        if isinstance(node, ast.Subscript):
            found = (node.value, node.slice)
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "get":
                found = (func.value, node.args[0])
            elif isinstance(func, ast.Name) and func.id == "json_get" and len(node.args) >= 2:
                found = (node.args[0], node.args[1])
                if isinstance(found[1], ast.Constant) and isinstance(found[1].value, str):
                    path = found[1].value.split(".", 1)[0]
                    found = (found[0], ast.Constant(value=path))
        if found is None:
            continue
        target, key = found
        if (isinstance(target, ast.Name) and target.id not in rebound
                and isinstance(key, ast.Constant) and isinstance(key.value, str)):
            yield target.id, key.value, (node.lineno, node.col_offset + 1)


def _message(variable: str, field: str, shape: _Shape, position: tuple[int, int]) -> str:
    known = sorted(shape.fields)
    listed = ", ".join(known[:_SHOWN]) + (", …" if len(known) > _SHOWN else "")
    topics = ", ".join(shape.topics)
    close = difflib.get_close_matches(field, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return (f"{variable}[{field!r}] (line {position[0]}, column {position[1]}): the records "
            f"sampled from {topics} have no field {field!r} (their fields: {listed or 'none'})"
            f"{hint}")
