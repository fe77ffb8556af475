"""Sliding windows: ``SlidingWindows`` and windowed_by(SlidingWindows) aggregations.

Expected outputs come from Kafka Streams' KStreamSlidingWindowAggregateTest (emit on
update, no cache: every update is forwarded; the driver has no cache either), from
TopologyTest for the description, and from a brute-force computation in the property
test: every window Kafka creates ([ts - d, ts] per record, [0, d] for records before d,
[ts + 1, ts + 1 + d] when a later record falls there) ends up holding exactly the records
whose timestamps lie in it, stamped with the largest of them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import (
    Materialized,
    Serdes,
    SlidingWindows,
    StreamsBuilder,
    TimeWindow,
    Windowed,
    WindowedSerdes,
)
from runtime.testing import TopologyTestDriver

STRING = Serdes.string()


def string_init() -> str:  # Kafka's MockInitializer.STRING_INIT
    return "0"


def to_string_adder(key: Any, value: Any, aggregate: str) -> str:  # MockAggregator.TOSTRING_ADDER
    return f"{aggregate}+{value}"


def aggregate_topology(windows: SlidingWindows, *, reduce: bool = False) -> Any:
    b = StreamsBuilder()
    grouped = b.stream("topic", key_serde=STRING, value_serde=STRING).group_by_key()
    windowed = grouped.windowed_by(windows)
    table = (windowed.reduce(lambda agg, v: f"{agg}+{v}") if reduce
             else windowed.aggregate(string_init, to_string_adder, value_serde=STRING))
    table.to_stream().to("out", key_serde=WindowedSerdes.time_windowed_serde_from(
        STRING, windows.time_difference_ms), value_serde=STRING)
    return b.build()


def run(topology: Any, records: list[tuple[Any, str, int]], d: int
        ) -> tuple[list[tuple[Any, int, int, Any, int]], TopologyTestDriver]:
    driver = TopologyTestDriver(topology)
    source = driver.create_input_topic("topic", STRING, STRING)
    for key, value, ts in records:
        source.pipe_input(key, value, timestamp=ts)
    out = driver.create_output_topic(
        "out", WindowedSerdes.time_windowed_serde_from(STRING, d), STRING)
    return [(r.key.key, r.key.window.start, r.key.window.end, r.value, r.timestamp)
            for r in out.read_records_to_list()], driver


def by_window_start(out: list[tuple[Any, int, int, Any, int]]) -> dict[int, set[tuple[Any, int]]]:
    """Kafka's gatherOutput: window start -> {(value, timestamp)}."""
    gathered: dict[int, set[tuple[Any, int]]] = defaultdict(set)
    for _, start, _, value, ts in out:
        gathered[start].add((value, ts))
    return dict(gathered)


def dropped(driver: TopologyTestDriver) -> float:
    return sum(t.task_metrics()["dropped-records-total"] for t in driver.tasks)


# -- SlidingWindows -------------------------------------------------------------------------
def test_sliding_windows_factories() -> None:
    windows = SlidingWindows.of_time_difference_and_grace(timedelta(seconds=10), 5000)
    assert (windows.time_difference_ms, windows.grace_ms) == (10_000, 5000)
    assert windows == SlidingWindows.of_time_difference_and_grace(10_000, 5000)
    assert hash(windows) == hash(SlidingWindows.of_time_difference_and_grace(10_000, 5000))
    assert SlidingWindows.of_time_difference_with_no_grace(7).grace_period_ms() == 0
    assert repr(windows) == "SlidingWindows{, sizeMs=10000, graceMs=5000}"  # Kafka's toString


@pytest.mark.parametrize("make", [
    lambda: SlidingWindows.of_time_difference_with_no_grace(-1),
    lambda: SlidingWindows.of_time_difference_and_grace(10, -1),
])
def test_negative_durations_are_rejected(make: Any) -> None:
    # SlidingWindowsTest: "Window time difference / grace period must not be negative."
    with pytest.raises(ValueError):
        make()


# -- KStreamSlidingWindowAggregateTest ----------------------------------------------------
def test_aggregate_small_input() -> None:
    # KStreamSlidingWindowAggregateTest.testAggregateSmallInput (emit on update)
    records = [("A", "1", 10), ("A", "2", 10), ("A", "3", 14), ("A", "4", 15),
               ("A", "5", 20), ("A", "6", 22), ("A", "7", 30)]
    out, driver = run(aggregate_topology(SlidingWindows.of_time_difference_and_grace(10, 5)),
                      records, 10)
    assert by_window_start(out) == {
        0: {("0+1", 10), ("0+1+2", 10)},
        4: {("0+1+2+3", 14)},
        5: {("0+1+2+3+4", 15)},
        10: {("0+1+2+3+4+5", 20)},
        11: {("0+3", 14), ("0+3+4", 15), ("0+3+4+5", 20)},
        12: {("0+3+4+5+6", 22)},
        15: {("0+4", 15), ("0+4+5", 20), ("0+4+5+6", 22)},
        16: {("0+5", 20), ("0+5+6", 22)},
        20: {("0+5+6+7", 30)},
        21: {("0+6", 22), ("0+6+7", 30)},
        23: {("0+7", 30)},
    }
    # windows are [start, start + d] and keyed as TimeWindow(start, start + d)
    assert all(end == start + 10 for _, start, end, _, _ in out)
    assert dropped(driver) == 0
    driver.close()


def test_reduce_small_input() -> None:
    # KStreamSlidingWindowAggregateTest.testReduceSmallInput
    records = [("A", "1", 10), ("A", "2", 14), ("A", "3", 15), ("A", "4", 22),
               ("A", "5", 26), ("A", "6", 30)]
    out, driver = run(aggregate_topology(SlidingWindows.of_time_difference_and_grace(10, 5),
                                         reduce=True), records, 10)
    assert by_window_start(out) == {
        0: {("1", 10)},
        4: {("1+2", 14)},
        5: {("1+2+3", 15)},
        11: {("2", 14), ("2+3", 15)},
        12: {("2+3+4", 22)},
        15: {("3", 15), ("3+4", 22)},
        16: {("4", 22), ("4+5", 26)},
        20: {("4+5+6", 30)},
        23: {("5", 26), ("5+6", 30)},
        27: {("6", 30)},
    }
    driver.close()


def test_aggregate_large_input_with_out_of_order_records() -> None:
    # KStreamSlidingWindowAggregateTest.testAggregateLargeInput (emit on update, grace 50),
    # output sorted (stably) by key, then window start, as the Kafka test sorts it
    records = [("A", "1", 10), ("A", "2", 20), ("A", "3", 22), ("A", "4", 15),
               ("B", "1", 12), ("B", "2", 13), ("B", "3", 18), ("B", "4", 19), ("B", "5", 25),
               ("B", "6", 14),
               ("C", "1", 11), ("C", "2", 15), ("C", "3", 16), ("C", "4", 21), ("C", "5", 23),
               ("D", "4", 11), ("D", "2", 12), ("D", "3", 29), ("D", "5", 16)]
    out, driver = run(aggregate_topology(SlidingWindows.of_time_difference_and_grace(10, 50)),
                      records, 10)
    actual = sorted(((k, s, v, ts) for k, s, _, v, ts in out), key=lambda r: (r[0], r[1]))
    assert actual == [
        ("A", 0, "0+1", 10), ("A", 5, "0+1+4", 15), ("A", 10, "0+1+2", 20),
        ("A", 10, "0+1+2+4", 20), ("A", 11, "0+2", 20), ("A", 11, "0+2+4", 20),
        ("A", 12, "0+2+3", 22), ("A", 12, "0+2+3+4", 22), ("A", 16, "0+2+3", 22),
        ("A", 21, "0+3", 22),
        ("B", 2, "0+1", 12), ("B", 3, "0+1+2", 13), ("B", 4, "0+1+2+6", 14),
        ("B", 8, "0+1+2+3", 18), ("B", 8, "0+1+2+3+6", 18), ("B", 9, "0+1+2+3+4", 19),
        ("B", 9, "0+1+2+3+4+6", 19), ("B", 13, "0+2", 13), ("B", 13, "0+2+3", 18),
        ("B", 13, "0+2+3+4", 19), ("B", 13, "0+2+3+4+6", 19), ("B", 14, "0+3", 18),
        ("B", 14, "0+3+4", 19), ("B", 14, "0+3+4+6", 19), ("B", 15, "0+3+4+5", 25),
        ("B", 19, "0+4", 19), ("B", 19, "0+4+5", 25), ("B", 20, "0+5", 25),
        ("C", 1, "0+1", 11), ("C", 5, "0+1+2", 15), ("C", 6, "0+1+2+3", 16),
        ("C", 11, "0+1+2+3+4", 21), ("C", 12, "0+2", 15), ("C", 12, "0+2+3", 16),
        ("C", 12, "0+2+3+4", 21), ("C", 13, "0+2+3+4+5", 23), ("C", 16, "0+3", 16),
        ("C", 16, "0+3+4", 21), ("C", 16, "0+3+4+5", 23), ("C", 17, "0+4", 21),
        ("C", 17, "0+4+5", 23), ("C", 22, "0+5", 23),
        ("D", 1, "0+4", 11), ("D", 2, "0+4+2", 12), ("D", 6, "0+4+2+5", 16),
        ("D", 12, "0+2", 12), ("D", 12, "0+2+5", 16), ("D", 13, "0+5", 16),
        ("D", 19, "0+3", 29),
    ]
    driver.close()


def test_early_records_share_the_window_starting_at_zero() -> None:
    # KStreamSlidingWindowAggregateTest.testEarlyRecordsSmallInput (d = 50, no grace)
    records = [("A", "1", 0), ("A", "2", 5), ("A", "3", 6), ("A", "4", 3), ("A", "5", 13),
               ("A", "6", 10), ("A", "7", 70)]
    out, driver = run(aggregate_topology(SlidingWindows.of_time_difference_and_grace(50, 0)),
                      records, 50)
    assert by_window_start(out) == {
        0: {("0+1", 0), ("0+1+2", 5), ("0+1+2+3", 6), ("0+1+2+3+4", 6),
            ("0+1+2+3+4+5", 13), ("0+1+2+3+4+5+6", 13)},
        1: {("0+2", 5), ("0+2+3", 6), ("0+2+3+4", 6), ("0+2+3+4+5", 13),
            ("0+2+3+4+5+6", 13)},
        4: {("0+2+3", 6), ("0+2+3+5", 13), ("0+2+3+5+6", 13)},
        6: {("0+3", 6), ("0+3+5", 13), ("0+3+5+6", 13)},
        7: {("0+5", 13), ("0+5+6", 13)},
        11: {("0+5", 13)},
        20: {("0+7", 70)},
    }
    driver.close()


def test_records_beyond_grace_are_dropped_and_counted() -> None:
    # KStreamSlidingWindowAggregateTest.shouldLogAndMeterWhenSkippingExpiredWindowByGrace:
    # d = 10, grace 90; at stream time 200 the close time is 110, so the left windows of
    # k@100..k@105 are skipped (one drop each) and k@15 is dropped outright: 7 drops.
    records = [("k", "100", 200), ("k", "0", 100), ("k", "1", 101), ("k", "2", 102),
               ("k", "3", 103), ("k", "4", 104), ("k", "5", 105), ("k", "6", 15),
               ("k", "101", 300), ("k", "102", 400)]
    out, driver = run(aggregate_topology(SlidingWindows.of_time_difference_and_grace(10, 90)),
                      records, 10)
    assert out == [("k", 190, 200, "0+100", 200), ("k", 290, 300, "0+101", 300),
                   ("k", 390, 400, "0+102", 400)]
    assert dropped(driver) == 7
    driver.close()


def test_null_key_or_value_is_dropped_and_counted() -> None:
    # KStreamSlidingWindowAggregateTest.shouldLogAndMeterWhenSkippingNullKey
    out, driver = run(aggregate_topology(SlidingWindows.of_time_difference_and_grace(10, 100)),
                      [(None, "1", 5), ("a", None, 5), ("a", "2", 6)], 10)  # type: ignore[list-item]
    assert out == [("a", 0, 10, "0+2", 6)]
    assert dropped(driver) == 2
    driver.close()


def test_count_store_and_value_getter_view() -> None:
    b = StreamsBuilder()
    table = (b.stream("topic", key_serde=STRING, value_serde=STRING).group_by_key()
             .windowed_by(SlidingWindows.of_time_difference_with_no_grace(10))
             .count(store="sliding-counts"))
    table.to_stream().to("out", key_serde=WindowedSerdes.time_windowed_serde_from(STRING, 10),
                         value_serde=Serdes.long())
    with TopologyTestDriver(b.build()) as driver:
        source = driver.create_input_topic("topic", STRING, STRING)
        for ts in (10, 15, 30):
            source.pipe_input("a", "v", timestamp=ts)
        store = driver.get_window_store("sliding-counts")
        # windows by hand: [0,10]={10}, [5,15]={10,15}, [11,21]={15}, [20,30]={30}; the
        # store keeps 2d + grace = 20 ms of window starts (SlidingWindowStoreMaterializer),
        # and InMemoryWindowStore expires start 0 <= 20 - 20
        assert [(str(w), v) for w, v in store.fetch_all(None, None)] == [
            ("[a@5/15]", 2), ("[a@11/21]", 1), ("[a@20/30]", 1)]
        assert store.fetch("a", 5) == 2
        assert driver.get_timestamped_window_store("sliding-counts").fetch("a", 5).timestamp == 15


def test_describe_uses_kafka_names() -> None:
    # TopologyTest names: a sliding count does not burn a store index, even with an
    # unnamed Materialized (SlidingWindowedKStreamImpl.count has no newStoreName call)
    for store in (None, Materialized(value_serde=Serdes.long())):
        b = StreamsBuilder()
        (b.stream("input-topic").group_by_key()
         .windowed_by(SlidingWindows.of_time_difference_with_no_grace(1)).count(store=store))
        assert str(b.build().describe()) == (
            "Topologies:\n"
            "   Sub-topology: 0\n"
            "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"
            "      --> KSTREAM-AGGREGATE-0000000002\n"
            "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
            "      --> none\n"
            "      <-- KSTREAM-SOURCE-0000000000\n\n")
    b = StreamsBuilder()
    (b.stream("input-topic").group_by_key()
     .windowed_by(SlidingWindows.of_time_difference_with_no_grace(1)).reduce(lambda a, v: v))
    assert "Processor: KSTREAM-REDUCE-0000000002 (stores: [KSTREAM-REDUCE-STATE-STORE-0000000001])" \
        in str(b.build().describe())


# -- brute force ------------------------------------------------------------------------------
def expected_sliding_sums(timestamps: list[int], values: list[int], d: int
                          ) -> dict[int, tuple[int, int]]:
    """Window start -> (sum, max timestamp) over the windows Kafka creates for in-order input."""
    starts: set[int] = set()
    for t in timestamps:
        starts.add(max(0, t - d) if t >= d else 0)
        if any(t < s <= t + 1 + d for s in timestamps):
            starts.add(t + 1)
    out = {}
    for start in starts:
        inside = [(t, v) for t, v in zip(timestamps, values) if start <= t <= start + d]
        out[start] = (sum(v for _, v in inside), max(t for t, _ in inside))
    return out


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=20),
       st.lists(st.tuples(st.integers(min_value=0, max_value=15), st.integers(-5, 9)),
                min_size=1, max_size=25),
       st.integers(min_value=0, max_value=10))
def test_sliding_sums_match_brute_force(d: int, steps: list[tuple[int, int]], grace: int) -> None:
    timestamps, t = [], 0
    for delta, _ in steps:
        t += delta
        timestamps.append(t)
    values = [v for _, v in steps]
    b = StreamsBuilder()
    (b.stream("topic", key_serde=STRING, value_serde=Serdes.integer()).group_by_key()
     .windowed_by(SlidingWindows.of_time_difference_and_grace(d, grace))
     .aggregate(lambda: 0, lambda k, v, agg: agg + v, value_serde=Serdes.integer())
     .to_stream().to("out", key_serde=WindowedSerdes.time_windowed_serde_from(STRING, d),
                     value_serde=Serdes.integer()))
    with TopologyTestDriver(b.build()) as driver:
        source = driver.create_input_topic("topic", STRING, Serdes.integer())
        for ts, v in zip(timestamps, values):
            source.pipe_input("k", v, timestamp=ts)
        out = driver.create_output_topic(
            "out", WindowedSerdes.time_windowed_serde_from(STRING, d), Serdes.integer())
        final: dict[int, tuple[int, int]] = {}
        for r in out.read_records_to_list():
            assert r.key == Windowed("k", TimeWindow(r.key.window.start, r.key.window.start + d))
            final[r.key.window.start] = (r.value, r.timestamp)
        assert final == expected_sliding_sums(timestamps, values, d)
        assert dropped(driver) == 0


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=20),
       st.lists(st.tuples(st.integers(min_value=0, max_value=60), st.integers(-5, 9)),
                min_size=1, max_size=25))
def test_out_of_order_within_grace_every_window_holds_its_records(
        d: int, records: list[tuple[int, int]]) -> None:
    # With a grace longer than the input spans nothing is dropped, and whatever the
    # arrival order each window's final aggregate covers exactly the records inside it,
    # and every record has its left window ([0, d] before d).
    b = StreamsBuilder()
    (b.stream("topic", key_serde=STRING, value_serde=Serdes.integer()).group_by_key()
     .windowed_by(SlidingWindows.of_time_difference_and_grace(d, 1000))
     .aggregate(lambda: 0, lambda k, v, agg: agg + v, value_serde=Serdes.integer())
     .to_stream().to("out", key_serde=WindowedSerdes.time_windowed_serde_from(STRING, d),
                     value_serde=Serdes.integer()))
    with TopologyTestDriver(b.build()) as driver:
        source = driver.create_input_topic("topic", STRING, Serdes.integer())
        for ts, v in records:
            source.pipe_input("k", v, timestamp=ts)
        out = driver.create_output_topic(
            "out", WindowedSerdes.time_windowed_serde_from(STRING, d), Serdes.integer())
        final: dict[int, tuple[int, int]] = {}
        for r in out.read_records_to_list():
            final[r.key.window.start] = (r.value, r.timestamp)
    for start, (total, ts) in final.items():
        inside = [(t, v) for t, v in records if start <= t <= start + d]
        assert (total, ts) == (sum(v for _, v in inside), max(t for t, _ in inside))
    assert {max(0, t - d) if t >= d else 0 for t, _ in records} <= set(final)
