"""Benchmark of topology documents (issue 5's target: validating 200 nodes in < 100 ms).

Run: .venv/bin/python bench/spec_bench.py [--runs 50]

Generates a 200-node document of 20 realistic pipelines (source, filter, map values,
select key, group by key, aggregate, to stream, table source, stream-table join,
sink; five expressions each, all different) and prints the median milliseconds of:

- validate(doc) with warm expression caches (a running studio validates the same
  expressions over and over while a user edits);
- validate(doc) cold (the expression compiler's cache cleared before each run);
- validate(doc, topics) with topic metadata (co-partitioning, missing topics);
- compile_document(doc) (validation included) to a runtime Topology.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime.spec import compile_document, load_document, validate  # noqa: E402
from runtime.spec.document import Document  # noqa: E402
from runtime.spec.expressions import compiler as expression_compiler  # noqa: E402

TARGET_MS = 100.0
PIPELINES = 20  # of 10 nodes each


def _pipeline(i: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    def node(name: str, type_: str, **params: Any) -> dict[str, Any]:
        return {"id": f"{name}-{i}", "type": type_, "label": f"{name} {i}", "params": params,
                "position": {"x": 200 * i, "y": 0}}

    nodes = [
        node("orders", "source.stream", topics=[f"orders-{i}"], value_serde="json"),
        node("big", "stream.filter", predicate=f'value["amount"] > {i} and value["status"] != "test"'),
        node("net", "stream.map_values",
             mapper=f'{{"user": value["user"], "amount": round(value["amount"] * {1 + i / 100}, 2)}}'),
        node("by-user", "stream.select_key", key=f'str(value["user"]) + "-{i}"'),
        node("group", "stream.group_by_key", value_serde="json"),
        node("total", "grouped.aggregate", initializer=f"{i}.0",
             aggregator='agg + value["amount"]', value_serde="double"),
        node("totals", "table.to_stream"),
        node("users", "source.table", topic=f"users-{i}", value_serde="json"),
        node("enrich", "join.stream_table", join="left", value_serde="double",
             joiner=f'{{"total": left, "name": right["name"] if right else None, "pipeline": {i}}}'),
        node("out", "sink.topic", topic=f"enriched-{i}", value_serde="json"),
    ]
    chain = ["orders", "big", "net", "by-user", "group", "total", "totals"]

    def edge(source: str, target: str, port: str = "in") -> dict[str, Any]:
        return {"id": f"{source}-{target}-{i}", "source": f"{source}-{i}", "source_port": "out",
                "target": f"{target}-{i}", "target_port": port}

    edges = [edge(a, b) for a, b in zip(chain, chain[1:])]
    edges += [edge("totals", "enrich", "left"), edge("users", "enrich", "right"), edge("enrich", "out")]
    return nodes, edges


def generated_document(pipelines: int = PIPELINES) -> dict[str, Any]:
    """The JSON form of a document of ``pipelines`` × 10 nodes with no errors."""
    nodes: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    for i in range(pipelines):
        more_nodes, more_edges = _pipeline(i)
        nodes += more_nodes
        edges += more_edges
    return {"format_version": 1, "name": f"{len(nodes)} nodes", "description": "generated for the benchmark",
            "settings": {"default_key_serde": "string", "default_value_serde": "string"},
            "nodes": nodes, "edges": edges}


def topic_metadata(pipelines: int = PIPELINES) -> dict[str, int]:
    return {t: 6 for i in range(pipelines) for t in (f"orders-{i}", f"users-{i}")}


def median_ms(call: Callable[[], Any], runs: int, before: Callable[[], None] | None = None) -> float:
    times = []
    for _ in range(runs):
        if before is not None:
            before()
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    doc: Document = load_document(generated_document())
    topics = topic_metadata()
    errors = [p for p in validate(doc, topics) if p.severity == "error"]
    if errors:
        print(f"the generated document has errors: {errors[:3]}")
        return 2
    compile_document(doc)  # warm up: imports, schema validators, expression cache

    clear = expression_compiler._compile.cache_clear  # noqa: SLF001 - measuring the cold path
    results = {
        "validate (warm expression cache)": median_ms(lambda: validate(doc), args.runs),
        "validate (cold: 100 expressions compiled)": median_ms(lambda: validate(doc), args.runs, clear),
        "validate with topic metadata (warm)": median_ms(lambda: validate(doc, topics), args.runs),
        "compile_document (warm, validation included)": median_ms(lambda: compile_document(doc), args.runs),
    }
    print(f"{len(doc.nodes)} nodes, {len(doc.edges)} edges; median of {args.runs} runs")
    for name, ms in results.items():
        print(f"{ms:8.1f} ms  {name}")
    warm = results["validate (warm expression cache)"]
    verdict = "meets" if warm < TARGET_MS else "MISSES"
    print(f"validation of {len(doc.nodes)} nodes: {warm:.1f} ms median, {verdict} the {TARGET_MS:.0f} ms target")
    return 0 if warm < TARGET_MS else 1


if __name__ == "__main__":
    raise SystemExit(main())
