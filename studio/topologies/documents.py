"""The studio's window onto `runtime.spec`: validate, compile and describe documents.

Everything the studio knows about a document's meaning comes from `runtime.spec`; this
module only adapts its answers to JSON for the API and never re-implements checks.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any, Literal, TypedDict

from runtime import spec

logger = logging.getLogger(__name__)


class ProblemDict(TypedDict):
    node_id: str | None
    path: str
    severity: Literal["error", "warning"]
    message: str


def problem(
    message: str, *, node_id: str | None = None, path: str = "",
    severity: Literal["error", "warning"] = "error",
) -> ProblemDict:
    return {"node_id": node_id, "path": path, "severity": severity, "message": message}


def _problem_from_spec(p: Any) -> ProblemDict:
    severity = str(getattr(p, "severity", "error"))
    return problem(
        str(p.message),
        node_id=p.node_id,
        path=str(p.path or ""),
        severity="warning" if severity == "warning" else "error",
    )


class UnloadableDocumentError(ValueError):
    """The data is not even shaped like a document; `problems` says where."""

    def __init__(self, problems: list[ProblemDict]) -> None:
        super().__init__(f"not a topology document ({len(problems)} problem(s))")
        self.problems = problems


def load(document: Any) -> spec.Document:
    """`document` loaded by `runtime.spec`; raises UnloadableDocumentError with the problems."""
    if not isinstance(document, dict):
        raise UnloadableDocumentError([problem("The document must be a JSON object.")])
    try:
        return spec.load_document(document)
    except spec.SpecError as exc:
        raise UnloadableDocumentError(
            [_problem_from_spec(p) for p in exc.problems] or [problem(str(exc))]
        ) from None


def spec_problems(exc: spec.SpecError) -> list[ProblemDict]:
    """The problems a SpecError carries, as JSON (its message when it lists none)."""
    return [_problem_from_spec(p) for p in exc.problems] or [problem(str(exc))]


def check(
    document: Any, *, topics: Mapping[str, int] | None = None,
    fields: Mapping[str, Collection[str]] | None = None,
) -> list[ProblemDict]:
    """Every problem `runtime.spec` finds in `document` (an empty list when it is sound).

    `topics` (name → partitions) and `fields` (topic → value fields) are passed to
    `runtime.spec.validate` for the checks that need to know the cluster.
    """
    try:
        loaded = load(document)
    except UnloadableDocumentError as exc:
        return exc.problems
    problems = [_problem_from_spec(p) for p in spec.validate(loaded, topics=topics, fields=fields)]
    if any(p["severity"] == "error" for p in problems):
        return problems
    # Validation is meant to catch everything compilation refuses; if it did not, still
    # refuse the document rather than store one that cannot run.
    try:
        spec.compile_document(loaded)
    except spec.SpecError as exc:
        problems.extend(_problem_from_spec(p) for p in exc.problems)
        if not exc.problems:
            problems.append(problem(str(exc)))
    return problems


def build_topology(document: dict[str, Any], *, output_topics: Mapping[str, str] | None = None) -> Any:
    """The runtime Topology built from a (valid) document; `output_topics` redirects
    sinks ({topic in the document: topic written}, see runtime.spec.compile_document)."""
    return spec.compile_document(spec.load_document(document), output_topics=output_topics)


def describe(document: dict[str, Any]) -> str | None:
    """Kafka Streams' text description of the compiled topology, or None if it does not compile."""
    try:
        return str(build_topology(document).describe())
    except spec.SpecError:
        return None  # the version's problems say why
    except Exception:  # a stored document from an older runtime must not break the page
        logger.warning("cannot describe a stored document", exc_info=True)
        return None


def input_topics(document: dict[str, Any]) -> list[str]:
    """The external topics the document reads, in document order."""
    return _topics(document, "source")


def output_topics(document: dict[str, Any]) -> list[str]:
    """The external topics the document writes, in document order."""
    return _topics(document, "sink")


def _topics(document: dict[str, Any], kind: str) -> list[str]:
    found: list[str] = []
    for node in document.get("nodes", []):
        if not str(node.get("type", "")).startswith(kind + "."):
            continue
        params = node.get("params") or {}
        names = params.get("topics")
        if names is None:
            names = [params["topic"]] if params.get("topic") else []
        for name in names if isinstance(names, list) else [names]:
            if isinstance(name, str) and name and name not in found:
                found.append(name)
    return found
