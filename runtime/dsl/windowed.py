"""Windows and windowed keys: ``TimeWindow``, ``SessionWindow`` and ``Windowed``.

Kept free of other runtime imports so serdes and stores can use them without cycles.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SessionWindow", "TimeWindow", "Window", "Windowed"]


class Window:
    """A time interval in epoch milliseconds (Kafka's ``Window``): ``start`` and ``end``."""

    __slots__ = ("start", "end")

    def __init__(self, start: int, end: int) -> None:
        if start < 0:
            raise ValueError("Window startMs time cannot be negative.")
        if end < start:
            raise ValueError("Window endMs time cannot be smaller than window startMs time.")
        self.start = start
        self.end = end

    def overlap(self, other: Window) -> bool:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        # Kafka compares the window class too: a TimeWindow never equals a SessionWindow.
        if type(other) is not type(self):
            return False
        assert isinstance(other, Window)
        return self.start == other.start and self.end == other.end

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.start, self.end))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(start={self.start}, end={self.end})"


class TimeWindow(Window):
    """A half-open interval [start, end) of a tumbling or hopping window; end > start."""

    __slots__ = ()

    def __init__(self, start: int, end: int) -> None:
        if end == start:
            raise ValueError("Window endMs must be greater than window startMs.")
        super().__init__(start, end)

    def overlap(self, other: Window) -> bool:
        if not isinstance(other, TimeWindow):
            raise TypeError(f"Cannot compare windows of different type. Other window has type "
                            f"{type(other).__name__}.")
        return self.start < other.end and other.start < self.end


class SessionWindow(Window):
    """A closed interval [start, end] of a session; start may equal end."""

    __slots__ = ()

    def overlap(self, other: Window) -> bool:
        if not isinstance(other, SessionWindow):
            raise TypeError(f"Cannot compare windows of different type. Other window has type "
                            f"{type(other).__name__}.")
        return not (self.start > other.end or other.start > self.end)


class Windowed:
    """A key with the window it belongs to: the key type of windowed KTables."""

    __slots__ = ("key", "window")

    def __init__(self, key: Any, window: Window) -> None:
        self.key = key
        self.window = window

    def __str__(self) -> str:
        # Kafka's Windowed#toString
        return f"[{self.key}@{self.window.start}/{self.window.end}]"

    def __repr__(self) -> str:
        return f"Windowed({self.key!r}, {self.window!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Windowed) and self.key == other.key
                and self.window == other.window)

    def __hash__(self) -> int:
        return hash((self.key, self.window))
