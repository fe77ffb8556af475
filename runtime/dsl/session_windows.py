"""``SessionWindows``: per-key sessions of activity separated by an inactivity gap."""

from __future__ import annotations

from datetime import timedelta

from runtime.processor.internals.context import to_millis

__all__ = ["SessionWindows"]


class SessionWindows:
    """A session holds the records of one key that are at most the inactivity gap apart;
    a record arriving within the gap of two sessions merges them. A session ``[start,
    end]`` (both inclusive) takes records until stream time passes end + gap + grace
    (Kafka's ``SessionWindows``).
    """

    __slots__ = ("gap_ms", "grace_ms")

    def __init__(self, gap_ms: int, grace_ms: int) -> None:
        if gap_ms <= 0:
            raise ValueError("Gap time cannot be zero or negative.")
        if grace_ms < 0:
            raise ValueError("Grace period must not be negative.")
        self.gap_ms = gap_ms
        self.grace_ms = grace_ms

    @staticmethod
    def of_inactivity_gap_with_no_grace(inactivity_gap: timedelta | int) -> SessionWindows:
        return SessionWindows(to_millis(inactivity_gap), 0)

    @staticmethod
    def of_inactivity_gap_and_grace(inactivity_gap: timedelta | int,
                                    grace: timedelta | int) -> SessionWindows:
        return SessionWindows(to_millis(inactivity_gap), to_millis(grace))

    def inactivity_gap(self) -> int:
        return self.gap_ms

    def grace_period_ms(self) -> int:
        return self.grace_ms

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, SessionWindows) and self.gap_ms == other.gap_ms
                and self.grace_ms == other.grace_ms)

    def __hash__(self) -> int:
        return hash((self.gap_ms, self.grace_ms))

    def __repr__(self) -> str:
        return f"SessionWindows{{gapMs={self.gap_ms}, graceMs={self.grace_ms}}}"
