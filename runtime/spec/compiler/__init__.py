"""compile_document: a topology document → a ``runtime`` Topology through the public DSL."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from runtime.errors import StreamsError
from runtime.spec.catalog import NODE_TYPES
from runtime.spec.compiler.branching import HANDLERS as _BRANCHING
from runtime.spec.compiler.cogroup import HANDLERS as _COGROUP
from runtime.spec.compiler.context import CompileContext, Handler, Unsupported
from runtime.spec.compiler.processors import HANDLERS as _PROCESSORS
from runtime.spec.compiler.stateful import HANDLERS as _STATEFUL
from runtime.spec.compiler.streams import HANDLERS as _STREAMS
from runtime.spec.compiler.tables import HANDLERS as _TABLES
from runtime.spec.document import Document, Node
from runtime.spec.errors import Problem, SpecError
from runtime.spec.graph import Graph
from runtime.spec.validation import validate

__all__ = ["compile_document", "run_handlers"]

logger = logging.getLogger(__name__)

HANDLERS: dict[str, Handler] = {**_STREAMS, **_STATEFUL, **_BRANCHING, **_TABLES, **_PROCESSORS, **_COGROUP}


def compile_document(doc: Document, *, output_topics: Mapping[str, str] | None = None) -> Any:
    """Build the document's topology with the DSL.

    Nodes are visited in topological order (ties in document order) and each node's
    id is passed as the DSL ``name=`` (aggregations also get ``store=``, the node's
    ``store`` param or ``<id>-store``), so processor, store and internal topic names
    stay the same when unrelated nodes change.

    :param output_topics: sink topic overrides, ``{topic in the document: topic to
        write}``: every ``sink.topic`` node whose topic is a key writes to the value
        instead (a deployment redirecting its output without a new document). Sources
        and per-record topic choosers are not affected.
    :return: the ``runtime`` Topology.
    :raises SpecError: the document has errors (every problem of :func:`validate`),
        or uses node types the engine does not support yet.
    """
    errors = [p for p in validate(doc) if p.severity == "error"]
    if errors:
        raise SpecError(f"the document {doc.name!r} has errors", errors)
    import runtime  # the DSL; imported here so that documents load without the engine

    try:
        ctx = CompileContext(doc, runtime, output_topics=output_topics)
    except Unsupported as exc:
        raise SpecError("the engine's DSL is not available",
                        [Problem(None, "", "error", f"the engine's DSL is not available: {exc}")]) from exc
    _, problems = run_handlers(ctx)
    if problems:
        raise SpecError(f"the document {doc.name!r} cannot be compiled", problems)
    try:
        return ctx.builder.build()
    except (StreamsError, NotImplementedError) as exc:
        raise SpecError(f"the document {doc.name!r} cannot be compiled",
                        [Problem(None, "", "error", f"the engine could not build the topology: {exc}")]) from exc


def run_handlers(
    ctx: CompileContext, on_node: Callable[[Node], None] | None = None,
) -> tuple[dict[tuple[str, str], Any], list[Problem]]:
    """Run each node's handler against ``ctx`` in topological order (ties in document order).

    Split from :func:`compile_document` so that the code export can run the same
    handlers against a recording stand-in for ``runtime``; ``on_node`` is told which
    node is about to be handled.

    :return: the DSL object of each ``(node id, output port)``, and the problems of the
        nodes the engine could not build (their downstream nodes are skipped).
    """
    graph = Graph.of(ctx.doc)
    order, _ = graph.topological_order()
    outputs: dict[tuple[str, str], Any] = {}
    skipped: set[str] = set()
    problems: list[Problem] = []
    for node_id in order:
        node = graph.nodes[node_id]
        if any(e.source in skipped for e in graph.incoming.get(node_id, ())):
            skipped.add(node_id)  # its input could not be built; the cause is reported
            continue
        node_type = NODE_TYPES[node.type]
        inputs = {
            port.name: [outputs[(e.source, e.source_port)] for e in graph.inputs(node_id, port.name)]
            for port in node_type.inputs
        }
        if on_node is not None:
            on_node(node)
        try:
            handler = HANDLERS.get(node.type)
            if handler is None:
                raise Unsupported(f"no compiler for {node.type}")
            built = handler(ctx, node, inputs)
        except Unsupported as exc:
            problems.append(Problem(node_id, "type", "error",
                                    f"{node_type.title} ({node.type}) is not yet supported by the engine: {exc}"))
            skipped.add(node_id)
            continue
        except (StreamsError, TypeError, ValueError) as exc:
            logger.warning("the DSL rejected node %s", node_id, exc_info=True)
            problems.append(Problem(node_id, "", "error", f"the engine rejected this node: {exc}"))
            skipped.add(node_id)
            continue
        for port, value in built.items():
            outputs[(node_id, port)] = value
    return outputs, problems
