"""RecordLogger: what ``stream.peek`` and ``stream.foreach`` nodes do with each record.

A class rather than a closure so that an exported program can build the same step
(``RecordLogger(name="log-lines", level="info")``) from an import and literal
arguments (and a ``compile_expression`` call for a message).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from collections.abc import Callable
from typing import Any

__all__ = ["RecordLogger"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordLogger:
    """Logs each record it is called with, prefixed by ``name``: its key and value, or
    what ``message(key, value)`` (a compiled expression) makes of them."""

    name: str
    level: str = "info"
    message: Callable[[Any, Any], Any] | None = None
    _level: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        level = logging.getLevelName(str(self.level).upper())
        # An unknown level name comes back as the text "Level X"; log it at INFO then.
        object.__setattr__(self, "_level", level if isinstance(level, int) else logging.INFO)

    def __call__(self, key: Any, value: Any) -> None:
        if self.message is None:
            logger.log(self._level, "%s: key=%r value=%r", self.name, key, value)
        else:
            logger.log(self._level, "%s: %s", self.name, self.message(key, value))
