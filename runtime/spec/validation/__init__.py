"""validate(doc): every problem of a topology document at once."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from runtime.spec.document import Document
from runtime.spec.errors import Problem
from runtime.spec.graph import Graph
from runtime.spec.validation.cogroup import check_cogroups, check_topic_choosers
from runtime.spec.validation.copartition import check_copartitioning, check_topics_exist
from runtime.spec.validation.dataflow import check_dataflow, repartition_points, state_stores, store_name
from runtime.spec.validation.edges import check_cycles, check_edges, check_inputs
from runtime.spec.validation.fields import check_fields
from runtime.spec.validation.nodes import check_nodes, check_settings
from runtime.spec.validation.processors import check_processors
from runtime.spec.validation.timestamps import check_timestamps

__all__ = ["dataflow", "store_name", "validate"]


def validate(doc: Document, topics: Mapping[str, int] | None = None,
             fields: Mapping[str, Collection[str]] | None = None) -> list[Problem]:
    """Every problem of ``doc``: errors (it cannot be compiled) and warnings (worth knowing).

    :param topics: the cluster's topics (name → partition count), when the caller
        knows them: joins whose input topics have different partition counts are
        then errors ("topics not co-partitioned"), and source topics missing from
        it are warnings.
    :param fields: the top-level fields of each topic's JSON values, when known (read
        off sampled records): an expression reading a field the values on its input
        lack is a warning naming the fields that exist.

    Problems come in a stable order: settings, nodes (in document order), edges and
    inputs, cycles, data-flow advice such as where repartition topics appear, custom
    processors, then the checks against ``topics`` and ``fields``.
    """
    graph = Graph.of(doc)
    problems: list[Problem] = []
    problems.extend(check_settings(doc))
    problems.extend(check_nodes(doc))
    problems.extend(check_timestamps(doc))
    problems.extend(check_edges(doc, graph))
    problems.extend(check_inputs(graph))
    cycles = list(check_cycles(graph))
    problems.extend(cycles)
    problems.extend(check_dataflow(graph))
    problems.extend(check_processors(graph))
    problems.extend(check_cogroups(graph))
    problems.extend(check_topic_choosers(graph))
    if topics is not None:
        problems.extend(check_topics_exist(graph, topics))
        problems.extend(check_copartitioning(graph, topics))
    if fields is not None:
        problems.extend(check_fields(graph, fields, doc.settings.default_value_serde))
    return problems


def dataflow(doc: Document) -> dict[str, list[dict[str, str | None]]]:
    """Where the compiled topology will repartition and which nodes own state stores,
    for an editor to draw on the canvas (the same findings as validation's warnings).
    Nodes of unknown types are skipped; call it on a document that loads."""
    graph = Graph.of(doc)
    return {
        "repartitions": [{"node_id": p.node_id, "port": p.port, "reason": p.reason}
                         for p in repartition_points(graph)],
        "stores": [{"node_id": node_id, "store": store} for node_id, store in state_stores(graph)],
    }
