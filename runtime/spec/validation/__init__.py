"""validate(doc): every problem of a topology document at once."""

from __future__ import annotations

from runtime.spec.document import Document
from runtime.spec.errors import Problem
from runtime.spec.graph import Graph
from runtime.spec.validation.dataflow import check_dataflow, store_name
from runtime.spec.validation.edges import check_cycles, check_edges, check_inputs
from runtime.spec.validation.nodes import check_nodes, check_settings
from runtime.spec.validation.processors import check_processors

__all__ = ["store_name", "validate"]


def validate(doc: Document) -> list[Problem]:
    """Every problem of ``doc``: errors (it cannot be compiled) and warnings (worth knowing).

    Problems come in a stable order: settings, nodes (in document order), edges and
    inputs, cycles, then data-flow advice such as where repartition topics appear.
    """
    graph = Graph.of(doc)
    problems: list[Problem] = []
    problems.extend(check_settings(doc))
    problems.extend(check_nodes(doc))
    problems.extend(check_edges(doc, graph))
    problems.extend(check_inputs(graph))
    cycles = list(check_cycles(graph))
    problems.extend(cycles)
    problems.extend(check_dataflow(graph))
    problems.extend(check_processors(graph))
    return problems
