"""``TimeWindows``: tumbling and hopping windows aligned to the epoch."""

from __future__ import annotations

from datetime import timedelta

from runtime.dsl.windowed import TimeWindow
from runtime.processor.internals.context import to_millis

__all__ = ["TimeWindows"]


class TimeWindows:
    """Fixed-size windows ``[start, start + size)`` whose starts are multiples of the
    advance. ``advance == size`` (the default) gives tumbling windows, a smaller advance
    hopping ones. Records later than window end + grace (in stream time) are dropped.

    Build with :meth:`of_size_with_no_grace` or :meth:`of_size_and_grace`, then
    optionally :meth:`advance_by`; the instances are immutable.
    """

    __slots__ = ("size_ms", "advance_ms", "grace_ms")

    def __init__(self, size_ms: int, advance_ms: int, grace_ms: int) -> None:
        if size_ms <= 0:
            raise ValueError("Window size (sizeMs) must be larger than zero.")
        if advance_ms <= 0 or advance_ms > size_ms:
            raise ValueError(
                "Window advancement interval should be more than zero and less than window "
                f"duration which is {size_ms} ms, but given advancement interval is: "
                f"{advance_ms} ms")
        if grace_ms < 0:
            raise ValueError("Grace period must not be negative.")
        self.size_ms = size_ms
        self.advance_ms = advance_ms
        self.grace_ms = grace_ms

    @staticmethod
    def of_size_with_no_grace(size: timedelta | int) -> TimeWindows:
        """Tumbling windows of ``size`` that close as soon as stream time reaches their end."""
        ms = to_millis(size)
        return TimeWindows(ms, ms, 0)

    @staticmethod
    def of_size_and_grace(size: timedelta | int, grace: timedelta | int) -> TimeWindows:
        """Tumbling windows of ``size`` that accept records up to ``grace`` after their end."""
        ms = to_millis(size)
        return TimeWindows(ms, ms, to_millis(grace))

    def advance_by(self, advance: timedelta | int) -> TimeWindows:
        """Hopping windows: a new window starts every ``advance`` (0 < advance <= size)."""
        return TimeWindows(self.size_ms, to_millis(advance), self.grace_ms)

    def size(self) -> int:
        return self.size_ms

    def grace_period_ms(self) -> int:
        return self.grace_ms

    def window_starts_for(self, timestamp: int) -> range:
        """The starts of :meth:`windows_for`, without building the windows."""
        advance = self.advance_ms
        return range((max(0, timestamp - self.size_ms + advance) // advance) * advance,
                     timestamp + 1, advance)

    def windows_for(self, timestamp: int) -> dict[int, TimeWindow]:
        """Every window containing ``timestamp``, by start, in ascending order.

        Windows never start before the epoch, so a record near 0 belongs to fewer windows.
        """
        size = self.size_ms
        return {start: TimeWindow(start, start + size) for start in self.window_starts_for(timestamp)}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TimeWindows) and self.size_ms == other.size_ms
                and self.advance_ms == other.advance_ms and self.grace_ms == other.grace_ms)

    def __hash__(self) -> int:
        return hash((self.size_ms, self.advance_ms, self.grace_ms))

    def __repr__(self) -> str:
        return (f"TimeWindows{{sizeMs={self.size_ms}, advanceMs={self.advance_ms}, "
                f"graceMs={self.grace_ms}}}")
