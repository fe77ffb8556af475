"""``TestRecord``: a record as tests pipe it in and read it out."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["TestRecord"]


@dataclass(frozen=True)
class TestRecord:
    """Key, value, timestamp (epoch ms; None = the input topic's current time), headers."""

    __test__ = False  # not a pytest test class

    key: Any = None
    value: Any = None
    timestamp: int | None = None
    headers: tuple[tuple[str, bytes], ...] = field(default=())

    def __post_init__(self) -> None:
        headers = self.headers
        object.__setattr__(self, "headers", tuple(tuple(h) for h in headers) if headers else ())
