"""``SlidingWindows``: windows of a fixed time difference that slide with the records."""

from __future__ import annotations

from datetime import timedelta

from runtime.processor.internals.context import to_millis

__all__ = ["SlidingWindows"]


class SlidingWindows:
    """Windows ``[start, start + time difference]`` (both ends inclusive) created only
    where records are: each record gets its own window ending at its timestamp, and a
    window starting just after it when later records fall there; so every distinct set
    of records no more than the time difference apart is aggregated once (Kafka's
    ``SlidingWindows``). Records later than window end + grace are dropped.
    """

    __slots__ = ("time_difference_ms", "grace_ms")

    def __init__(self, time_difference_ms: int, grace_ms: int) -> None:
        if time_difference_ms < 0:
            raise ValueError("Window time difference must not be negative.")
        if grace_ms < 0:
            raise ValueError("Window grace period must not be negative.")
        self.time_difference_ms = time_difference_ms
        self.grace_ms = grace_ms

    @staticmethod
    def of_time_difference_with_no_grace(time_difference: timedelta | int) -> SlidingWindows:
        """Windows of ``time_difference`` that close once stream time passes their end."""
        return SlidingWindows(to_millis(time_difference), 0)

    @staticmethod
    def of_time_difference_and_grace(time_difference: timedelta | int,
                                     grace: timedelta | int) -> SlidingWindows:
        """Windows of ``time_difference`` accepting records up to ``grace`` after their end."""
        return SlidingWindows(to_millis(time_difference), to_millis(grace))

    def time_difference(self) -> int:
        return self.time_difference_ms

    def grace_period_ms(self) -> int:
        return self.grace_ms

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, SlidingWindows)
                and self.time_difference_ms == other.time_difference_ms
                and self.grace_ms == other.grace_ms)

    def __hash__(self) -> int:
        return hash((self.time_difference_ms, self.grace_ms))

    def __repr__(self) -> str:
        # Kafka's SlidingWindows#toString, stray comma included
        return f"SlidingWindows{{, sizeMs={self.time_difference_ms}, graceMs={self.grace_ms}}}"
