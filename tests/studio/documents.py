"""Topology documents pointed at a test's (or a benchmark's) topics; free of Django."""

from __future__ import annotations

import copy
from typing import Any


def with_topics(document: dict[str, Any], source: str, sink: str) -> dict[str, Any]:
    """A copy of `document` reading `source` in every source node, writing `sink` in every sink."""
    document = copy.deepcopy(document)
    for node in document["nodes"]:
        if node["type"].startswith("source."):
            node["params"]["topics"] = [source]
        elif node["type"].startswith("sink."):
            node["params"]["topic"] = sink
    return document
