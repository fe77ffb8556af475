"""Problems found in a topology document, and the error that carries them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

from runtime.errors import StreamsError

__all__ = ["Problem", "Severity", "SpecError", "problems_from_schema"]

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or worth knowing) about a document.

    ``node_id`` is the node the problem belongs to (``None`` for the document as a
    whole); ``path`` is a dotted path inside that node (``"params.predicate"``) or
    inside the document (``"edges.2.target"``), empty when it is the node itself.
    """

    node_id: str | None
    path: str
    severity: Severity
    message: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class SpecError(StreamsError):
    """A document cannot be loaded or compiled; ``problems`` says why, all at once."""

    def __init__(self, message: str, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        detail = "; ".join(
            (f"{p.node_id}: " if p.node_id else "") + (f"{p.path}: " if p.path else "") + p.message
            for p in errors[:5]
        )
        more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
        super().__init__(f"{message}: {detail}{more}" if detail else message)


def _dotted(parts: Sequence[Any]) -> str:
    return ".".join(str(p) for p in parts)


def _message(error: Any, in_params: bool) -> tuple[str, str]:
    """A user's message for a jsonschema error, and the extra path segment it names."""
    what = "parameter" if in_params else "field"
    validator = error.validator
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return f"missing required {what} {missing!r}", missing
    if validator == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"unknown {what}{'s' if len(extra) > 1 else ''} {', '.join(map(repr, extra))}", ""
    if validator == "pattern":
        return (
            f"{error.instance!r} is not a valid name: use letters, digits, '.', '_' and '-' "
            "(starting with a letter or digit, at most 100 characters)",
            "",
        )
    if validator == "enum":
        options = ", ".join(repr(o) for o in error.validator_value)
        return f"{error.instance!r} is not one of {options}", ""
    return error.message, ""


def problems_from_schema(
    validator: Any,
    instance: Any,
    *,
    node_id: str | None = None,
    prefix: Sequence[str] = (),
) -> list[Problem]:
    """Every error of a jsonschema ``validator`` on ``instance`` as Problems.

    Errors under ``nodes.<i>`` are attributed to that node (when it has a string id)
    with the path inside the node.
    """
    problems: list[Problem] = []
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        path = list(prefix) + list(error.absolute_path)
        owner = node_id
        if owner is None and len(path) >= 2 and path[0] == "nodes" and isinstance(instance, dict):
            node = instance["nodes"][path[1]] if isinstance(instance.get("nodes"), list) else None
            if isinstance(node, dict) and isinstance(node.get("id"), str):
                owner, path = node["id"], path[2:]
        in_params = bool(path) and path[0] == "params"
        message, extra = _message(error, in_params)
        if extra:
            path.append(extra)
        problems.append(Problem(owner, _dotted(path), "error", message))
    return problems
