"""Checks of the sources' event time (their ``timestamp`` param)."""

from __future__ import annotations

from collections.abc import Iterator

from runtime.spec.document import Document
from runtime.spec.errors import Problem

__all__ = ["check_timestamps"]


def check_timestamps(doc: Document) -> Iterator[Problem]:
    """A timestamp read from a value field needs values that are JSON objects; a field
    named while the timestamp comes from elsewhere is ignored, which is worth saying."""
    for node in doc.nodes:
        spec = node.params.get("timestamp")
        if not isinstance(spec, dict):
            continue  # absent, or mistyped: the schema reports it
        source = spec.get("from", "record")
        if source == "value_field":
            serde = node.params.get("value_serde") or doc.settings.default_value_serde
            if serde != "json":
                yield Problem(node.id, "params.timestamp.from", "error",
                              f"the timestamp is read from a field of the value, so the value serde "
                              f"must be 'json' (it is {serde!r})")
        elif spec.get("field"):
            yield Problem(node.id, "params.timestamp.field", "warning",
                          f"the field is used only when the timestamp comes from a value field "
                          f"(it comes from {source!r})")
