"""export_python: a topology document → a readable Python program that builds it with the DSL.

The program is made by running the compiler's own node handlers against a recording
stand-in for ``runtime`` (:mod:`runtime.spec.export.recorder`), so it makes the same
DSL calls in the same order as :func:`~runtime.spec.compile_document` and its
``describe()`` is the same; a node type the compiler supports needs no export code.

Expressions stay in the sandbox: they are written as ``compile_expression(source,
kind)`` calls, never as Python lambdas. Every other value from the document is a
``repr()`` literal; comments and the docstring escape what they quote.
"""

from __future__ import annotations

import ast
import textwrap

from runtime.spec.compiler import compile_document, run_handlers
from runtime.spec.document import Document, Node
from runtime.spec.errors import Problem, SpecError
from runtime.spec.export.layout import RESERVED, Statement, identifier, plan_statements
from runtime.spec.export.recorder import Call, RecordingContext
from runtime.spec.export.render import LIMIT, Renderer, Unexportable, comment_lines, docstring

__all__ = ["export_python"]

_INDENT = "    "


def export_python(doc: Document) -> str:
    """The Python source of a program whose ``build_topology()`` builds ``doc``'s topology.

    Running the program (``python program.py``) prints the topology's description.

    :raises SpecError: the document has errors or cannot be compiled (exactly as
        :func:`~runtime.spec.compile_document` raises), or a node passes the DSL a
        value that cannot be written as source (the problem names the node).
    """
    compile_document(doc)  # the same refusal, and proof that every DSL call exists
    import runtime  # the DSL whose names the recording stand-in offers

    ctx = RecordingContext(doc, runtime)
    order: list[Node] = []

    def entering(node: Node) -> None:
        order.append(node)
        ctx.on_node(node)

    outputs, problems = run_handlers(ctx, entering)
    if problems:  # compile_document succeeded, so only a recorder limit lands here
        raise SpecError(f"the document {doc.name!r} cannot be exported", problems)
    taken = set(RESERVED)
    node_vars = {node.id: identifier(node.id, taken) for node in doc.nodes if node in order}
    names: dict[int, str] = {}
    builder = ctx.builder
    assert isinstance(builder, Call)
    plan = plan_statements(ctx.recorder.calls, builder, outputs, order, names, node_vars, taken)
    renderer = Renderer(names, plan.inline)
    body = _body(doc, plan.statements, order, renderer)
    program = _program(doc, renderer, body, taken)
    ast.parse(program)  # a bug here must not hand out a broken program
    return program


def _body(doc: Document, statements: list[Statement], order: list[Node], renderer: Renderer) -> list[str]:
    by_node: dict[str | None, list[Statement]] = {}
    for statement in statements:
        by_node.setdefault(statement.node.id if statement.node else None, []).append(statement)
    lines = [_statement(s, renderer) for s in by_node.get(None, [])]
    for node in order:
        title = f"{node.id}: {node.label} ({node.type})" if node.label else f"{node.id} ({node.type})"
        lines += ["", *comment_lines(title, _INDENT)]
        try:
            lines += [_statement(s, renderer) for s in by_node.get(node.id, [])]
        except Unexportable as exc:
            raise SpecError(f"the document {doc.name!r} cannot be exported",
                            [Problem(node.id, "", "error", f"this node cannot be exported as Python: {exc}")]
                            ) from exc
    return lines


def _statement(statement: Statement, renderer: Renderer) -> str:
    prefix = f"{statement.target} = " if statement.target else ""
    value = renderer.block(statement.value, len(_INDENT) + len(prefix), len(_INDENT), top=statement.makes)
    if statement.target and not statement.makes:
        # ``b = a``: the nodes after this one read ``b``, as the document's edges say.
        renderer.names[id(statement.value)] = statement.target
    return f"{_INDENT}{prefix}{value}"


def _program(doc: Document, renderer: Renderer, body: list[str], taken: set[str]) -> str:
    imports = dict(renderer.imports)
    imports.setdefault("runtime", set()).add("Topology")
    clashes = sorted(n for names in imports.values() for n in names if n in taken - RESERVED)
    if clashes:
        raise SpecError(f"the document {doc.name!r} cannot be exported",
                        [Problem(None, "", "error", f"node names clash with imported names: {', '.join(clashes)}")])
    description = "\n".join(textwrap.fill(line, 88) for line in doc.description.strip().split("\n"))
    text = doc.name + ("\n\n" + description if description else "") + (
        "\n\nGenerated from a topology document by runtime.spec.export_python: build_topology()\n"
        "builds its topology with the DSL, and running this file prints the topology's description.")
    lines = [docstring(text), "", "from __future__ import annotations", ""]
    if "" in imports.pop("datetime", set()):
        lines += ["import datetime", ""]
    for module in sorted(imports):
        lines.append(_import_line(module, sorted(imports[module])))
    lines += ["", "", "def build_topology() -> Topology:", *body, "", f"{_INDENT}return builder.build()",
              "", "", 'if __name__ == "__main__":', f"{_INDENT}print(build_topology().describe())", ""]
    return "\n".join(lines)


def _import_line(module: str, names: list[str]) -> str:
    line = f"from {module} import {', '.join(names)}"
    if len(line) <= LIMIT:
        return line
    return f"from {module} import (\n" + "".join(f"{_INDENT}{n},\n" for n in names) + ")"
