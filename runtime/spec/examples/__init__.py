"""The seed's example topologies as documents (JSON files beside this module)."""

from __future__ import annotations

import json
from pathlib import Path

from runtime.spec.document import Document, load_document

__all__ = ["list_examples", "load_example"]

_DIR = Path(__file__).resolve().parent


def list_examples() -> list[str]:
    """Names of the example documents: clickstream, stocks, wordcount."""
    return sorted(p.stem for p in _DIR.glob("*.json"))


def load_example(name: str) -> Document:
    """The example document called ``name`` (see :func:`list_examples`)."""
    if name not in list_examples():
        raise KeyError(f"no example called {name!r}; examples: {', '.join(list_examples())}")
    return load_document(json.loads((_DIR / f"{name}.json").read_text(encoding="utf-8")))
