"""RecordLogger: what a ``stream.peek`` node does with each record.

A class rather than a closure so that an exported program can build the same peek
step (``RecordLogger("log-lines", "info")``) from an import and literal arguments.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

__all__ = ["RecordLogger"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordLogger:
    """Logs ``key`` and ``value`` of each record it is called with, prefixed by ``name``."""

    name: str
    level: str = "info"
    _level: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        level = logging.getLevelName(str(self.level).upper())
        # An unknown level name comes back as the text "Level X"; log it at INFO then.
        object.__setattr__(self, "_level", level if isinstance(level, int) else logging.INFO)

    def __call__(self, key: Any, value: Any) -> None:
        logger.log(self._level, "%s: key=%r value=%r", self.name, key, value)
