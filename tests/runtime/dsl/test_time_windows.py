"""TimeWindows, TimeWindow and Windowed, checked against Kafka Streams' TimeWindowsTest,
WindowedTest/TimeWindowTest and the TimeWindows javadoc (epoch-aligned windows, windowsFor
starting at max(0, t - size + advance) rounded down to the advance)."""

from __future__ import annotations

from datetime import timedelta

import pytest

import runtime
from runtime import SessionWindow, TimeWindow, TimeWindows, Windowed


def test_tumbling_windows_for_a_timestamp() -> None:
    windows = TimeWindows.of_size_with_no_grace(5000)
    assert windows.size_ms == windows.advance_ms == 5000 and windows.grace_ms == 0
    assert windows.windows_for(12_345) == {10_000: TimeWindow(10_000, 15_000)}
    assert windows.windows_for(10_000) == {10_000: TimeWindow(10_000, 15_000)}
    assert windows.windows_for(9_999) == {5_000: TimeWindow(5_000, 10_000)}


def test_hopping_windows_are_aligned_to_the_epoch() -> None:
    # by hand: size 12, advance 5 -> 21 lies in [10,22), [15,27), [20,32) but not [5,17)
    windows = TimeWindows.of_size_with_no_grace(12).advance_by(5)
    assert list(windows.windows_for(21)) == [10, 15, 20]
    assert all(w.end - w.start == 12 for w in windows.windows_for(21).values())


def test_windows_never_start_before_the_epoch() -> None:
    windows = TimeWindows.of_size_with_no_grace(5000).advance_by(1000)
    assert list(windows.windows_for(0)) == [0]
    assert list(windows.windows_for(2500)) == [0, 1000, 2000]
    assert list(windows.windows_for(7000)) == [3000, 4000, 5000, 6000, 7000]


def test_durations_as_timedelta_and_grace() -> None:
    windows = TimeWindows.of_size_and_grace(timedelta(seconds=5), timedelta(seconds=2)) \
        .advance_by(timedelta(seconds=1))
    assert (windows.size_ms, windows.advance_ms, windows.grace_ms) == (5000, 1000, 2000)
    assert windows == TimeWindows.of_size_and_grace(5000, 2000).advance_by(1000)
    assert hash(windows) == hash(TimeWindows.of_size_and_grace(5000, 2000).advance_by(1000))
    assert windows != TimeWindows.of_size_and_grace(5000, 2000)


@pytest.mark.parametrize("make", [
    lambda: TimeWindows.of_size_with_no_grace(0),
    lambda: TimeWindows.of_size_with_no_grace(-1),
    lambda: TimeWindows.of_size_and_grace(10, -1),
    lambda: TimeWindows.of_size_with_no_grace(10).advance_by(0),
    lambda: TimeWindows.of_size_with_no_grace(10).advance_by(11),
])
def test_invalid_windows_are_rejected(make: object) -> None:
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_durations_must_be_timedelta_or_int() -> None:
    with pytest.raises(TypeError):
        TimeWindows.of_size_with_no_grace(1.5)  # type: ignore[arg-type]


def test_windowed_str_equality_and_hash() -> None:
    key = Windowed("ACME", TimeWindow(5000, 10000))
    assert str(key) == "[ACME@5000/10000]"  # Windowed#toString
    assert key == Windowed("ACME", TimeWindow(5000, 10000))
    assert hash(key) == hash(Windowed("ACME", TimeWindow(5000, 10000)))
    assert key != Windowed("ACME", TimeWindow(5000, 11000))
    assert key != Windowed("INIT", TimeWindow(5000, 10000))
    # Window#equals compares classes: a session window never equals a time window
    assert Windowed("ACME", SessionWindow(5000, 10000)) != key
    assert key.key == "ACME" and (key.window.start, key.window.end) == (5000, 10000)


def test_time_window_bounds() -> None:
    with pytest.raises(ValueError):
        TimeWindow(5, 5)  # TimeWindow needs end > start
    with pytest.raises(ValueError):
        TimeWindow(-1, 5)
    assert SessionWindow(5, 5).end == 5
    assert TimeWindow(0, 10).overlap(TimeWindow(9, 20))
    assert not TimeWindow(0, 10).overlap(TimeWindow(10, 20))


def test_design_names_are_exported() -> None:
    for name in ("TimeWindows", "Windowed", "WindowedSerdes", "TimeWindow"):
        assert name in runtime.__all__ and getattr(runtime, name) is not None
