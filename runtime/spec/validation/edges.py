"""Checks of the connections: dangling edges, ports, port kinds, missing inputs, cycles."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from runtime.spec.catalog import NODE_TYPES
from runtime.spec.catalog.branching import output_ports
from runtime.spec.document import Document
from runtime.spec.errors import Problem
from runtime.spec.graph import Graph

__all__ = ["check_cycles", "check_edges", "check_inputs", "describe_kind", "port_kinds"]

_KIND_NAMES = {
    "stream": "a stream",
    "table": "a table",
    "grouped_stream": "a grouped stream",
    "grouped_table": "a grouped table",
    "windowed_stream": "a windowed stream",
    "global_table": "a global table",
}

# (expected, given) -> what to put in between.
_HINTS = {
    ("stream", "table"): "add 'To stream' between them",
    ("stream", "grouped_stream"): "add an aggregation such as Count, then 'To stream'",
    ("stream", "windowed_stream"): "add a windowed aggregation, then 'To stream'",
    ("grouped_stream", "stream"): "add 'Group by key' or 'Group by' between them",
    ("windowed_stream", "grouped_stream"): "add 'Window' between them",
    ("windowed_stream", "stream"): "group the stream, then add 'Window'",
    ("grouped_stream", "table"): "turn the table into a stream with 'To stream' and group that",
    ("table", "stream"): "read the topic as a table, add 'To table', or aggregate the stream",
    ("table", "grouped_table"): "add an aggregation such as Count rows",
    ("grouped_table", "table"): "add 'Group table by' between them",
    ("grouped_stream", "grouped_table"): "a grouped table takes table aggregations (Count rows, "
                                         "Reduce rows, Aggregate rows)",
    ("grouped_table", "grouped_stream"): "a grouped stream takes stream aggregations (Count, "
                                         "Reduce, Aggregate)",
    ("global_table", "table"): "read the topic with a Global table source",
    ("table", "global_table"): "a global table can only be joined with a stream",
}


def describe_kind(kind: str) -> str:
    return _KIND_NAMES.get(kind, kind)


def port_kinds() -> dict[str, object]:
    """The port kinds with their names and the hints the edge check gives, so that an
    editor refusing a connection says what validation would (one source of the words)."""
    return {
        "kinds": dict(_KIND_NAMES),
        "hints": [{"expected": expected, "given": given, "hint": hint}
                  for (expected, given), hint in _HINTS.items()],
    }


def _title(graph: Graph, node_id: str) -> str:
    node = graph.nodes[node_id]
    node_type = NODE_TYPES.get(node.type)
    return f"{node_id!r} ({node_type.title if node_type else node.type})"


def check_edges(doc: Document, graph: Graph) -> Iterator[Problem]:
    ids = Counter(e.id for e in doc.edges)
    links = Counter((e.source, e.source_port, e.target, e.target_port) for e in doc.edges)
    seen_links: set[tuple[str, str, str, str]] = set()
    for i, edge in enumerate(doc.edges):
        where = f"edges.{i}"
        if ids[edge.id] > 1:
            yield Problem(None, f"{where}.id", "error", f"the edge id {edge.id!r} is used by {ids[edge.id]} edges")
        link = (edge.source, edge.source_port, edge.target, edge.target_port)
        if links[link] > 1 and link not in seen_links:
            seen_links.add(link)
            yield Problem(edge.target if edge.target in graph.nodes else None, where, "error",
                          f"{edge.source!r} is connected to {edge.target!r} twice")
        if edge.source not in graph.nodes:
            yield Problem(None, f"{where}.source", "error",
                          f"edge {edge.id!r} starts at {edge.source!r}, which is not a node of this document")
        if edge.target not in graph.nodes:
            yield Problem(None, f"{where}.target", "error",
                          f"edge {edge.id!r} ends at {edge.target!r}, which is not a node of this document")
        if edge.source not in graph.nodes or edge.target not in graph.nodes:
            continue
        source_type = NODE_TYPES.get(graph.nodes[edge.source].type)
        target_type = NODE_TYPES.get(graph.nodes[edge.target].type)
        if source_type is None or target_type is None:
            continue  # unknown types are reported with the node
        # A split's outputs are its branches, so ports come from the node's params.
        outputs = output_ports(source_type, graph.nodes[edge.source].params)
        out_port = next((p for p in outputs if p.name == edge.source_port), None)
        in_port = target_type.input(edge.target_port)
        if out_port is None:
            names = ", ".join(repr(p.name) for p in outputs) or "none"
            yield Problem(edge.source, f"{where}.source_port", "error",
                          f"{_title(graph, edge.source)} has no output {edge.source_port!r} (outputs: {names})"
                          + ("; a split's outputs are named after its branches"
                             if source_type.type == "stream.split" else ""))
        if in_port is None:
            names = ", ".join(repr(p.name) for p in target_type.inputs) or "none"
            yield Problem(edge.target, f"{where}.target_port", "error",
                          f"{_title(graph, edge.target)} has no input {edge.target_port!r} (inputs: {names})")
        if out_port is None or in_port is None or out_port.kind == in_port.kind:
            continue
        hint = _HINTS.get((in_port.kind, out_port.kind))
        yield Problem(
            edge.target, f"inputs.{in_port.name}", "error",
            f"input {in_port.name!r} of {_title(graph, edge.target)} takes {describe_kind(in_port.kind)}, "
            f"but {_title(graph, edge.source)} gives {describe_kind(out_port.kind)}"
            + (f"; {hint}" if hint else ""),
        )


def check_inputs(graph: Graph) -> Iterator[Problem]:
    """Every input port connected; single ports connected once; outputs used."""
    for node_id, node in graph.nodes.items():
        node_type = NODE_TYPES.get(node.type)
        if node_type is None:
            continue
        for port in node_type.inputs:
            edges = graph.inputs(node_id, port.name)
            if not edges:
                yield Problem(node_id, f"inputs.{port.name}", "error",
                              f"input {port.name!r} is not connected; it takes {describe_kind(port.kind)}")
            elif len(edges) > 1 and not port.multiple:
                sources = ", ".join(repr(e.source) for e in edges)
                yield Problem(node_id, f"inputs.{port.name}", "error",
                              f"input {port.name!r} has {len(edges)} connections ({sources}); it takes "
                              "one (use Merge to combine streams)")
            elif len(edges) == 1 and port.multiple:
                # Kafka allows a cogroup of one stream; it is an Aggregate then.
                what = ("cogrouping is meant for two or more (with one, Aggregate does the same)"
                        if node.type == "grouped.cogroup" else "merging needs two or more")
                yield Problem(node_id, f"inputs.{port.name}", "warning",
                              f"input {port.name!r} has one connection; {what}")
        if node_type.outputs and not graph.outgoing.get(node_id):
            yield Problem(node_id, "", "warning",
                          "the output of this node is not used (connect it to a next step or a sink)")


def check_cycles(graph: Graph) -> Iterator[Problem]:
    _, in_cycles = graph.topological_order()
    for node_id in in_cycles:
        cycle = graph.find_cycle(node_id)
        if cycle:
            yield Problem(node_id, "", "error",
                          "this node is part of a cycle (" + " → ".join(cycle) + "); "
                          "records cannot flow back to an earlier step")
