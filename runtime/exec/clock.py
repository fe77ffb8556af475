"""Time as the engine sees it; injected so that tests control the wall clock."""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "MockClock", "SystemClock"]


class Clock(Protocol):
    def now_ms(self) -> int:
        """Wall-clock time in epoch milliseconds."""
        ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class MockClock:
    """A clock that moves only when told to."""

    def __init__(self, start_ms: int = 0) -> None:
        self._now = int(start_ms)

    def now_ms(self) -> int:
        return self._now

    def advance(self, ms: int) -> None:
        if ms < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += int(ms)

    def set(self, ms: int) -> None:
        if ms < self._now:
            raise ValueError("a clock cannot go backwards")
        self._now = int(ms)
