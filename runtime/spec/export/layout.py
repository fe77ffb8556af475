"""Which recorded calls become statements, which are inlined, and what they are called.

The DSL numbers generated names (``KSTREAM-FILTER-0000000003``) in the order its
methods are called, so the program must make the builder-derived calls in exactly
the order the handlers made them. A call is written inline (as an argument, or as
the link of a chain) only when it is used once, by the same node, and inlining keeps
that order; otherwise it gets a variable of its own.
"""

from __future__ import annotations

import builtins
import dataclasses
import keyword
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from runtime.spec.document import Node
from runtime.spec.export.recorder import Attr, Call, Expr, Subscript

__all__ = ["Plan", "Statement", "calls_in", "contents", "identifier", "init_fields", "plan_statements"]

# Names the program defines or imports itself; a node may not take them.
RESERVED = frozenset({"builder", "build_topology", "annotations", "compile_expression",
                      "processor_factory", "datetime"})


@dataclass
class Statement:
    """``target = value`` (or just ``value`` when target is None), made for ``node``."""

    node: Node | None
    target: str | None
    value: Any
    position: tuple[int, float]
    makes: bool = True  # false for ``b = a``: the value was made by an earlier statement


@dataclass
class Plan:
    statements: list[Statement]
    inline: set[int]  # ids of the calls written where they are used


def identifier(text: str, taken: set[str]) -> str:
    """A fresh snake_case Python identifier for ``text`` (a node id), added to ``taken``."""
    name = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_").lower() or "node"
    if name[0].isdigit():
        name = f"n_{name}"
    if keyword.iskeyword(name) or hasattr(builtins, name) or name in RESERVED or name[0].isupper():
        name += "_"
    unique, i = name, 2
    while unique in taken:
        unique, i = f"{name}_{i}", i + 1
    taken.add(unique)
    return unique


def calls_in(value: Any) -> Iterator[Call]:
    """The calls ``value`` refers to directly (not those inside them)."""
    if isinstance(value, Call):
        yield value
    elif isinstance(value, Attr):
        yield from calls_in(value._base)
    elif isinstance(value, Subscript):
        yield from calls_in(value._base)
        yield from calls_in(value._key)
    else:
        for item in contents(value):
            yield from calls_in(item)


def contents(value: Any) -> Iterator[Any]:
    """The items of a container, or the fields of a dataclass instance (such as a
    RecordLogger holding a compiled message), in the order they are written."""
    if isinstance(value, (list, tuple)):
        yield from value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield item
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in init_fields(value):
            yield getattr(value, f.name)


def init_fields(value: Any) -> list[dataclasses.Field[Any]]:
    """The fields a dataclass instance is written with: those its constructor takes
    and that differ from their defaults."""
    return [f for f in dataclasses.fields(value)
            if f.init and (f.default is dataclasses.MISSING or getattr(value, f.name) is not f.default
                           and getattr(value, f.name) != f.default)]


def call_parts(call: Call) -> Iterator[Any]:
    """What a call evaluates, in Python's order: the callee, then the arguments."""
    yield call._func
    yield from call._args
    yield from call._kwargs.values()


def plan_statements(
    calls: list[Call], builder: Call, outputs: Mapping[tuple[str, str], Any],
    node_order: list[Node], names: dict[int, str], node_vars: Mapping[str, str], taken: set[str],
) -> Plan:
    """Lay the recorded calls out as statements; fills ``names`` (id of call → variable).

    :param node_order: the nodes in the order their handlers ran.
    :param node_vars: the variable of each node id's output (``<var>_<port>`` for more).
    """
    def derived_from_builder(call: Call) -> bool:
        current: Any = call
        while isinstance(current, (Attr, Subscript, Call)):
            if current is builder:
                return True
            current = current._func if isinstance(current, Call) else current._base
        return False

    index = {node.id: i for i, node in enumerate(node_order)}
    statements: list[Statement] = []
    names[id(builder)] = "builder"
    statements.append(Statement(None, "builder", builder, (-1, builder._seq)))

    # Node outputs get the node's name; each becomes a statement of that node.
    ports_of: dict[str, list[str]] = {}
    for node_id, port in outputs:
        ports_of.setdefault(node_id, []).append(port)
    for (node_id, port), value in outputs.items():
        var = node_vars[node_id] if len(ports_of[node_id]) == 1 else identifier(f"{node_vars[node_id]}_{port}", taken)
        node = node_order[index[node_id]]
        if isinstance(value, Call) and id(value) not in names and value._node is not None \
                and value._node.id == node_id:
            names[id(value)] = var
            statements.append(Statement(node, var, value, (index[node_id], value._seq)))
        elif isinstance(value, Expr):
            # An upstream object passed on (a one-input merge) or a part of a result
            # (``branches["a"]``): still one statement, so the node reads as a step.
            statements.append(Statement(node, var, value, (index[node_id], float("inf")),
                                        makes=not isinstance(value, Call)))
            if not isinstance(value, Call):
                names.setdefault(id(value), var)

    references: dict[int, list[Any]] = {}
    for call in calls:
        for part in call_parts(call):
            for used in calls_in(part):
                references.setdefault(id(used), []).append(call)
    for statement in statements:
        if not isinstance(statement.value, Call):
            for used in calls_in(statement.value):
                references.setdefault(id(used), []).append(statement)

    inline: set[int] = set()
    for call in calls:
        if id(call) in names:
            continue
        users = references.get(id(call), [])
        if len(users) == 1 and isinstance(users[0], Call) and users[0]._node is call._node:
            inline.add(id(call))
        elif not users:
            statements.append(Statement(call._node, None, call, (_position(call, index), call._seq)))
        else:
            statements.append(Statement(call._node, "", call, (_position(call, index), call._seq)))

    # Take calls out of line until the builder-derived ones run in recorded order.
    recorded = [c for c in calls if derived_from_builder(c)]
    while True:
        statements.sort(key=lambda s: s.position)
        written = [c for s in statements for c in _evaluation(s.value, inline, top=s.makes)
                   if derived_from_builder(c)]
        mismatch = next((i for i, (a, b) in enumerate(zip(recorded, written)) if a is not b), None)
        if mismatch is None:
            if len(written) != len(recorded):  # cannot happen: each call is written exactly once
                raise AssertionError("the export writes a different number of DSL calls than were made")
            break
        moved = recorded[mismatch]
        if id(moved) not in inline:  # cannot happen: every out-of-line call runs at its place
            raise AssertionError(f"cannot order call {moved._seq} of the export")
        inline.discard(id(moved))
        statements.append(Statement(moved._node, "", moved, (_position(moved, index), moved._seq)))

    # Variables for the calls taken out of line, named after their node and method.
    for statement in statements:
        if statement.target == "":
            call = statement.value
            owner = node_vars[call._node.id] if call._node is not None else "topology"
            method = call._func._name if isinstance(call._func, Attr) else getattr(call._func, "_ident", "value")
            statement.target = identifier(f"{owner}_{method}", taken)
            names[id(call)] = statement.target
    return Plan(statements, inline)


def _position(call: Call, index: Mapping[str, int]) -> int:
    return index[call._node.id] if call._node is not None else -1


def _evaluation(value: Any, inline: set[int], top: bool = False) -> Iterator[Call]:
    """The calls a written expression makes, in the order Python makes them."""
    if isinstance(value, Call):
        if top or id(value) in inline:
            for part in call_parts(value):
                yield from _evaluation(part, inline)
            yield value
    elif isinstance(value, Attr):
        yield from _evaluation(value._base, inline)
    elif isinstance(value, Subscript):
        yield from _evaluation(value._base, inline)
        yield from _evaluation(value._key, inline)
    else:
        for item in contents(value):
            yield from _evaluation(item, inline)

