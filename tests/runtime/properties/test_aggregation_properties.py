"""Aggregations equal a brute-force batch computation over the same records.

For random keys, values and (out-of-order) timestamps, the stream of updates a DSL
aggregation emits through the test driver (which forwards every update) is compared
with one computed here from first principles:

- non-windowed count / reduce / aggregate: the running fold per key, emitted once per
  record, stamped with the largest timestamp the key has seen (KStreamAggregate);
- tumbling and hopping windowed count / sum: windows are ``[start, start + size)``
  with ``start`` a non-negative multiple of the advance; stream time is the largest
  timestamp seen so far; a record updates each of its windows unless that window has
  closed (``end <= stream time - grace``), in which case it is dropped for that window
  and counted (KStreamWindowAggregate); output timestamps are the max of the window's
  accepted records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import Serdes, StreamsBuilder, TimeWindows
from runtime.testing import TopologyTestDriver

S = Serdes.string()
J = Serdes.json()

KEYS = st.sampled_from(["a", "b", "c"])
RECORDS = st.lists(st.tuples(KEYS, st.integers(min_value=-5, max_value=9),
                             st.integers(min_value=0, max_value=60)), max_size=40)

Update = tuple[str, Any, int]


def run(build: Callable[[Any], Any], records: list[tuple[str, int, int]]) \
        -> tuple[list[Update], int]:
    """Pipe ``records`` through ``build(grouped stream)`` → to_stream; updates + drops."""
    b = StreamsBuilder()
    build(b.stream("in", key_serde=S, value_serde=J).group_by_key(key_serde=S, value_serde=J)) \
        .to_stream() \
        .map(lambda k, v: (f"{k.key}@{k.window.start}/{k.window.end}"
                           if hasattr(k, "window") else k, v)) \
        .to("out", key_serde=S, value_serde=J)
    with TopologyTestDriver(b.build()) as driver:
        src = driver.create_input_topic("in", S, J)
        for key, value, ts in records:
            src.pipe_input(key, value, ts)
        out = [(r.key, r.value, r.timestamp)
               for r in driver.create_output_topic("out", S, J).read_records_to_list()]
        return out, sum(t.task_metrics()["dropped-records-total"] for t in driver.tasks)


# -- non-windowed ----------------------------------------------------------------------------
def running_fold(records: list[tuple[str, int, int]], init: Callable[[], Any],
                 step: Callable[[Any, int], Any]) -> list[Update]:
    aggs: dict[str, Any] = {}
    stamps: dict[str, int] = {}
    out = []
    for key, value, ts in records:
        aggs[key] = step(aggs[key] if key in aggs else init(), value)
        stamps[key] = max(stamps.get(key, ts), ts)
        out.append((key, aggs[key], stamps[key]))
    return out


@settings(max_examples=50, deadline=None)
@given(RECORDS)
def test_count_is_the_running_count(records: list[tuple[str, int, int]]) -> None:
    out, drops = run(lambda g: g.count(), records)
    assert out == running_fold(records, lambda: 0, lambda agg, _: agg + 1)
    assert drops == 0


@settings(max_examples=50, deadline=None)
@given(RECORDS)
def test_reduce_is_the_running_sum(records: list[tuple[str, int, int]]) -> None:
    out, _ = run(lambda g: g.reduce(lambda agg, v: agg + v), records)
    # reduce starts from the key's first value
    sentinel = object()
    expected = running_fold(records, lambda: sentinel,
                            lambda agg, v: v if agg is sentinel else agg + v)
    assert out == expected


@settings(max_examples=50, deadline=None)
@given(RECORDS)
def test_aggregate_is_the_running_fold(records: list[tuple[str, int, int]]) -> None:
    out, _ = run(lambda g: g.aggregate(lambda: [0, 0], lambda k, v, agg: [agg[0] + 1,
                                                                        agg[1] + v * v],
                                       value_serde=J), records)
    assert out == running_fold(records, lambda: [0, 0],
                               lambda agg, v: [agg[0] + 1, agg[1] + v * v])


# -- windowed ----------------------------------------------------------------------------------
def windowed_brute_force(records: list[tuple[str, int, int]], size: int, advance: int,
                         grace: int, step: Callable[[Any, int], Any],
                         init: Callable[[], Any]) -> tuple[list[Update], int]:
    stream_time = -1
    aggs: dict[tuple[str, int], Any] = {}
    stamps: dict[tuple[str, int], int] = {}
    out: list[Update] = []
    drops = 0
    for key, value, ts in records:
        stream_time = max(stream_time, ts)
        # every window [start, start + size) holding ts, start a multiple of advance
        starts = [s for s in range(0, ts + 1, advance) if s <= ts < s + size]
        for start in starts:
            end = start + size
            if end <= stream_time - grace:
                drops += 1
                continue
            slot = (key, start)
            aggs[slot] = step(aggs[slot] if slot in aggs else init(), value)
            stamps[slot] = max(stamps.get(slot, ts), ts)
            out.append((f"{key}@{start}/{end}", aggs[slot], stamps[slot]))
    return out, drops


WINDOW_SHAPES = st.sampled_from([(10, 10), (10, 5), (15, 5), (7, 3), (5, 5)])


@settings(max_examples=50, deadline=None)
@given(RECORDS, WINDOW_SHAPES, st.integers(min_value=0, max_value=25))
def test_windowed_count(records: list[tuple[str, int, int]], shape: tuple[int, int],
                        grace: int) -> None:
    size, advance = shape
    windows = TimeWindows.of_size_and_grace(size, grace).advance_by(advance)
    out, drops = run(lambda g: g.windowed_by(windows).count(), records)
    expected, expected_drops = windowed_brute_force(records, size, advance, grace,
                                                    lambda agg, _: agg + 1, lambda: 0)
    assert out == expected
    assert drops == expected_drops


@settings(max_examples=50, deadline=None)
@given(RECORDS, WINDOW_SHAPES, st.integers(min_value=0, max_value=25))
def test_windowed_sum(records: list[tuple[str, int, int]], shape: tuple[int, int],
                      grace: int) -> None:
    size, advance = shape
    windows = TimeWindows.of_size_and_grace(size, grace).advance_by(advance)
    out, drops = run(lambda g: g.windowed_by(windows).aggregate(
        lambda: 0, lambda k, v, agg: agg + v, value_serde=J), records)
    expected, expected_drops = windowed_brute_force(records, size, advance, grace,
                                                    lambda agg, v: agg + v, lambda: 0)
    assert out == expected
    assert drops == expected_drops


@settings(max_examples=50, deadline=None)
@given(RECORDS, WINDOW_SHAPES, st.integers(min_value=0, max_value=25))
def test_windowed_reduce_final_state(records: list[tuple[str, int, int]],
                                     shape: tuple[int, int], grace: int) -> None:
    # the last update per window is the window's final value: the sum of its accepted
    # records (reduce starts from the first one)
    size, advance = shape
    windows = TimeWindows.of_size_and_grace(size, grace).advance_by(advance)
    out, _ = run(lambda g: g.windowed_by(windows).reduce(lambda agg, v: agg + v), records)
    expected, _ = windowed_brute_force(records, size, advance, grace,
                                       lambda agg, v: agg + v, lambda: 0)
    assert {k: (v, t) for k, v, t in out} == {k: (v, t) for k, v, t in expected}
