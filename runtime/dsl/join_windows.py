"""``JoinWindows``: how far apart in time two records may be to join (stream-stream joins)."""

from __future__ import annotations

from datetime import timedelta

from runtime.processor.internals.context import to_millis

__all__ = ["JoinWindows"]


class JoinWindows:
    """A record of this stream at ``t`` joins records of the other stream whose
    timestamps lie in ``[t - before, t + after]``; both bounds are inclusive.

    Build with :meth:`of_time_difference_with_no_grace` or
    :meth:`of_time_difference_and_grace` (``before == after``), then optionally move one
    bound with :meth:`before` / :meth:`after`. Records later than window end + grace
    (in stream time) no longer join, and left/outer joins emit a record that found no
    partner only once its window has closed (Kafka Streams 3.1+, KIP-633). Instances
    are immutable.
    """

    __slots__ = ("before_ms", "after_ms", "grace_ms")

    def __init__(self, before_ms: int, after_ms: int, grace_ms: int) -> None:
        # As in Kafka one bound may be negative (a window entirely after, or before,
        # the record), but not the window as a whole.
        if before_ms + after_ms < 0:
            raise ValueError("Window interval (ie, beforeMs+afterMs) must not be negative.")
        if grace_ms < 0:
            raise ValueError("Grace period must not be negative.")
        self.before_ms = before_ms
        self.after_ms = after_ms
        self.grace_ms = grace_ms

    @staticmethod
    def of_time_difference_with_no_grace(time_difference: timedelta | int) -> JoinWindows:
        """Records at most ``time_difference`` apart join; later records are dropped at once."""
        ms = to_millis(time_difference)
        return JoinWindows(ms, ms, 0)

    @staticmethod
    def of_time_difference_and_grace(time_difference: timedelta | int,
                                     grace: timedelta | int) -> JoinWindows:
        """Records at most ``time_difference`` apart join; out-of-order records are still
        accepted up to ``grace`` after the window's end."""
        ms = to_millis(time_difference)
        return JoinWindows(ms, ms, to_millis(grace))

    def before(self, time_difference: timedelta | int) -> JoinWindows:
        """The same windows with the lower bound ``t - time_difference``."""
        return JoinWindows(to_millis(time_difference), self.after_ms, self.grace_ms)

    def after(self, time_difference: timedelta | int) -> JoinWindows:
        """The same windows with the upper bound ``t + time_difference``."""
        return JoinWindows(self.before_ms, to_millis(time_difference), self.grace_ms)

    def size(self) -> int:
        """``before + after``: the span the join stores must cover."""
        return self.before_ms + self.after_ms

    def grace_period_ms(self) -> int:
        return self.grace_ms

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, JoinWindows) and self.before_ms == other.before_ms
                and self.after_ms == other.after_ms and self.grace_ms == other.grace_ms)

    def __hash__(self) -> int:
        return hash((self.before_ms, self.after_ms, self.grace_ms))

    def __repr__(self) -> str:
        return (f"JoinWindows{{beforeMs={self.before_ms}, afterMs={self.after_ms}, "
                f"graceMs={self.grace_ms}}}")
