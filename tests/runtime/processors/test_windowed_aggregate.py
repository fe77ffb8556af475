"""Windowed aggregations through the test driver, against Kafka Streams' semantics
(KStreamWindowAggregate and KStreamWindowAggregateTest; TopologyTest
timeWindowZeroArgCountShouldPreserveTopologyStructure for the description):

- a record updates every window containing its timestamp unless the window is closed,
  i.e. window end <= stream time - grace; a closed window's record is dropped and counted;
- the output timestamp is the largest record timestamp of the window;
- every update is forwarded (the driver has no cache).

Expected values are worked out by hand in each test, or by brute force in the property test.
"""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import Serdes, StreamsBuilder, TimeWindow, TimeWindows, Windowed, WindowedSerdes
from runtime.testing import TopologyTestDriver

STRING = Serdes.string()


def windowed_count(windows: TimeWindows, store: str | None = None) -> Any:
    b = StreamsBuilder()
    (b.stream("in", key_serde=STRING, value_serde=STRING)
     .group_by_key()
     .windowed_by(windows)
     .count(store=store)
     .to_stream()
     .to("out", key_serde=WindowedSerdes.time_windowed_serde_from(STRING, windows.size_ms),
         value_serde=Serdes.long()))
    return b.build()


def run(topology: Any, records: list[tuple[str | None, int]], size: int
        ) -> tuple[list[tuple[str, int, int]], TopologyTestDriver]:
    driver = TopologyTestDriver(topology)
    source = driver.create_input_topic("in", STRING, STRING)
    for key, ts in records:
        source.pipe_input(key, "v", timestamp=ts)
    out = driver.create_output_topic("out", WindowedSerdes.time_windowed_serde_from(STRING, size),
                                     Serdes.long())
    return [(str(r.key), r.value, r.timestamp) for r in out.read_records_to_list()], driver


def dropped(driver: TopologyTestDriver) -> float:
    return sum(t.task_metrics()["dropped-records-total"] for t in driver.tasks)


def test_tumbling_count_drops_records_for_closed_windows() -> None:
    records = [("a", 0), ("a", 5), ("b", 7), ("a", 12), ("a", 9)]
    out, driver = run(windowed_count(TimeWindows.of_size_with_no_grace(10)), records, 10)
    # a@9 arrives at stream time 12: [0,10) closed (10 <= 12 - 0), so it is dropped
    assert out == [("[a@0/10]", 1, 0), ("[a@0/10]", 2, 5), ("[b@0/10]", 1, 7),
                   ("[a@10/20]", 1, 12)]
    assert dropped(driver) == 1
    driver.close()


def test_out_of_order_within_grace_updates_and_beyond_grace_is_dropped() -> None:
    records = [("a", 0), ("a", 12), ("a", 4), ("a", 16), ("a", 3)]
    out, driver = run(windowed_count(TimeWindows.of_size_and_grace(10, 5)), records, 10)
    assert out == [
        ("[a@0/10]", 1, 0),
        ("[a@10/20]", 1, 12),
        ("[a@0/10]", 2, 4),     # stream time 12, close time 7 < end 10: still open
        ("[a@10/20]", 2, 16),
    ]                           # a@3 at stream time 16: close time 11 >= end 10: dropped
    assert dropped(driver) == 1
    driver.close()


def test_window_closes_exactly_at_end_plus_grace() -> None:
    # end 10, grace 5: open while stream time < 15, closed at stream time 15
    _, driver = run(windowed_count(TimeWindows.of_size_and_grace(10, 5)),
                    [("a", 14), ("a", 1)], 10)
    assert dropped(driver) == 0
    out, driver2 = run(windowed_count(TimeWindows.of_size_and_grace(10, 5)),
                       [("a", 15), ("a", 1)], 10)
    assert out == [("[a@10/20]", 1, 15)] and dropped(driver2) == 1
    driver.close()
    driver2.close()


def test_output_timestamp_is_the_largest_in_the_window() -> None:
    out, driver = run(windowed_count(TimeWindows.of_size_and_grace(10, 100)),
                      [("a", 8), ("a", 3), ("a", 9)], 10)
    assert out == [("[a@0/10]", 1, 8), ("[a@0/10]", 2, 8), ("[a@0/10]", 3, 9)]
    driver.close()


def test_hopping_count_updates_every_window_of_a_record() -> None:
    windows = TimeWindows.of_size_with_no_grace(10).advance_by(5)
    out, driver = run(windowed_count(windows), [("a", 7), ("a", 12), ("a", 3)], 10)
    assert out == [
        ("[a@0/10]", 1, 7), ("[a@5/15]", 1, 7),
        ("[a@5/15]", 2, 12), ("[a@10/20]", 1, 12),
        # a@3 at stream time 12: only [0,10) holds 3, and it is closed (10 <= 12)
    ]
    assert dropped(driver) == 1
    driver.close()


def test_null_keys_are_skipped_and_counted() -> None:
    out, driver = run(windowed_count(TimeWindows.of_size_with_no_grace(10)),
                      [(None, 1), ("a", 2)], 10)
    assert out == [("[a@0/10]", 1, 2)] and dropped(driver) == 1
    driver.close()


def test_reduce_and_aggregate_per_window() -> None:
    b = StreamsBuilder()
    grouped = b.stream("in", key_serde=STRING, value_serde=Serdes.long()).group_by_key()
    # grace 100: the store keeps windows for size + grace = 200 ms of stream time, so
    # [0,100) is still there at stream time 150
    windows = TimeWindows.of_size_and_grace(100, 100)
    grouped.windowed_by(windows).reduce(lambda agg, v: agg + v, store="sums") \
        .to_stream().map(lambda k, v: (str(k), v)).to("sums", key_serde=STRING,
                                                         value_serde=Serdes.long())
    grouped.windowed_by(windows).aggregate(
        lambda: [], lambda k, v, agg: agg + [v], store="lists", value_serde=Serdes.json()) \
        .to_stream().map(lambda k, v: (str(k), v)).to("lists", key_serde=STRING,
                                                         value_serde=Serdes.json())
    with TopologyTestDriver(b.build()) as driver:
        source = driver.create_input_topic("in", STRING, Serdes.long())
        for value, ts in [(1, 10), (2, 50), (3, 150)]:
            source.pipe_input("k", value, timestamp=ts)
        assert driver.create_output_topic("sums", STRING, Serdes.long()) \
            .read_key_values_to_list() == [("[k@0/100]", 1), ("[k@0/100]", 3), ("[k@100/200]", 3)]
        assert driver.create_output_topic("lists", STRING, Serdes.json()) \
            .read_key_values_to_list() == [("[k@0/100]", [1]), ("[k@0/100]", [1, 2]),
                                           ("[k@100/200]", [3])]
        store = driver.get_window_store("lists")
        assert store.fetch("k", 0) == [1, 2]
        assert list(store.fetch("k", 0, 1000)) == [(0, [1, 2]), (100, [3])]
        assert list(store.all()) == [(Windowed("k", TimeWindow(0, 100)), [1, 2]),
                                     (Windowed("k", TimeWindow(100, 200)), [3])]
        assert driver.get_timestamped_window_store("sums").fetch("k", 0) == (3, 50)


def test_an_aggregator_returning_none_deletes_the_window() -> None:
    # KStreamWindowAggregate puts ValueAndTimestamp.make(newAgg, ...) = null, a delete,
    # and forwards newAgg = null with the timestamp the window would have had
    b = StreamsBuilder()
    (b.stream("in", key_serde=STRING, value_serde=STRING).group_by_key()
     .windowed_by(TimeWindows.of_size_and_grace(100, 100))
     .aggregate(lambda: [], lambda k, v, agg: None if v == "reset" else agg + [v],
                store="lists", value_serde=Serdes.json())
     .to_stream().map(lambda k, v: (str(k), v))
     .to("out", key_serde=STRING, value_serde=Serdes.json()))
    with TopologyTestDriver(b.build()) as driver:
        source = driver.create_input_topic("in", STRING, STRING)
        for value, ts in [("x", 10), ("reset", 5), ("y", 20)]:
            source.pipe_input("k", value, timestamp=ts)
        out = driver.create_output_topic("out", STRING, Serdes.json()).read_records_to_list()
        assert [(r.key, r.value, r.timestamp) for r in out] == [
            ("[k@0/100]", ["x"], 10), ("[k@0/100]", None, 10), ("[k@0/100]", ["y"], 20)]
        assert driver.get_window_store("lists").fetch("k", 0) == ["y"]


def test_windowed_table_key_serde_defaults_to_the_time_windowed_layout() -> None:
    b = StreamsBuilder()
    (b.stream("in", key_serde=STRING, value_serde=STRING).group_by_key()
     .windowed_by(TimeWindows.of_size_with_no_grace(1000)).count().to_stream().to("out"))
    with TopologyTestDriver(b.build(), {"default.value.serde": "long"}) as driver:
        driver.create_input_topic("in", STRING, STRING).pipe_input("x", "v", timestamp=1500)
        key, value, ts, _ = driver.read_raw("out")
    assert key == b"x" + struct.pack(">q", 1000) and value == struct.pack(">q", 1)


def test_group_by_repartitions_before_the_windowed_aggregation() -> None:
    b = StreamsBuilder()
    (b.stream("in", key_serde=STRING, value_serde=STRING)
     .group_by(lambda k, v: v, key_serde=STRING, value_serde=STRING)
     .windowed_by(TimeWindows.of_size_with_no_grace(10)).count(store="by-value")
     .to_stream().map(lambda k, v: (str(k), v)).to("out", key_serde=STRING,
                                                      value_serde=Serdes.long()))
    topology = b.build()
    assert "by-value-repartition" in str(topology.describe())
    with TopologyTestDriver(topology) as driver:
        source = driver.create_input_topic("in", STRING, STRING)
        for key, value, ts in [("1", "red", 1), ("2", "red", 2), ("3", "blue", 11)]:
            source.pipe_input(key, value, timestamp=ts)
        assert driver.create_output_topic("out", STRING, Serdes.long()) \
            .read_key_values_to_list() == [("[red@0/10]", 1), ("[red@0/10]", 2),
                                           ("[blue@10/20]", 1)]


def test_describe_matches_kafka_streams() -> None:
    b = StreamsBuilder()
    b.stream("input-topic").group_by_key().windowed_by(TimeWindows.of_size_with_no_grace(1)).count()
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000000\n\n")


def test_changelog_records_and_topic_config() -> None:
    topology = windowed_count(TimeWindows.of_size_and_grace(10, 5), store="counts")
    spec = {t.name: t for t in topology.internal_topics("app")}["app-counts-changelog"]
    assert spec.config["cleanup.policy"] == "compact,delete"
    assert spec.config["retention.ms"] == str(15 + 86_400_000)  # size + grace + 1 day
    _, driver = run(topology, [("a", 3), ("a", 7)], 10)
    topic = "topology-test-driver-counts-changelog"
    logged = [driver.read_raw(topic) for _ in range(driver.queue_size(topic))]
    key = b"a" + struct.pack(">qi", 0, 0)      # key, window start, seqnum 0
    assert [(k, v, ts) for k, v, ts, _ in logged] == [
        (key, struct.pack(">q", 1), 3), (key, struct.pack(">q", 2), 7)]
    driver.close()


def test_restore_from_changelog_records_continues_the_counts() -> None:
    # retention = size + grace = 20: window 0 outlives stream time 12
    topology = windowed_count(TimeWindows.of_size_and_grace(10, 10), store="counts")
    _, first = run(topology, [("a", 3), ("a", 7), ("a", 12)], 10)
    topic = "topology-test-driver-counts-changelog"
    changelog = [first.read_raw(topic) for _ in range(first.queue_size(topic))]
    first.close()
    with TopologyTestDriver(topology) as second:
        second.tasks[0].restore("counts", [(k, v, ts) for k, v, ts, _ in changelog])
        store = second.get_window_store("counts")
        assert list(store.fetch("a", 0, 100)) == [(0, 2), (10, 1)]
        second.create_input_topic("in", STRING, STRING).pipe_input("a", "v", timestamp=14)
        out = second.create_output_topic("out", WindowedSerdes.time_windowed_serde_from(STRING, 10),
                                         Serdes.long())
        assert out.read_key_value() == (Windowed("a", TimeWindow(10, 20)), 2)


def test_store_retention_follows_size_plus_grace() -> None:
    topology = windowed_count(TimeWindows.of_size_and_grace(10, 5), store="counts")
    _, driver = run(topology, [("a", 1), ("a", 14), ("a", 24)], 10)
    # window start 0 is kept while 0 > 24 - 15: it expired when stream time reached 15
    assert list(driver.get_window_store("counts").fetch("a", 0, 100)) == [(10, 1), (20, 1)]
    driver.close()


def brute_force_counts(records: list[tuple[str, int]], size: int, advance: int
                       ) -> dict[tuple[str, int], tuple[int, int]]:
    """(key, window start) -> (count, max timestamp), windows [s, s+size), s % advance == 0."""
    out: dict[tuple[str, int], tuple[int, int]] = {}
    for key, ts in records:
        for start in range(0, ts + 1, advance):
            if start <= ts < start + size:
                count, latest = out.get((key, start), (0, -1))
                out[(key, start)] = (count + 1, max(latest, ts))
    return out


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 30),
    advance_fraction=st.integers(1, 30),
    records=st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.integers(0, 200)),
                     max_size=40),
)
def test_windowed_counts_equal_a_batch_computation(
        size: int, advance_fraction: int, records: list[tuple[str, int]]) -> None:
    advance = max(1, min(size, advance_fraction))
    # a grace as large as the time range: no record is ever late
    windows = TimeWindows.of_size_and_grace(size, 1000).advance_by(advance)
    out, driver = run(windowed_count(windows), records, size)
    driver.close()
    latest: dict[tuple[str, int], tuple[int, int]] = {}
    for text, count, ts in out:
        key, _, bounds = text[1:-1].partition("@")
        start = int(bounds.split("/")[0])
        latest[(key, start)] = (count, ts)
    assert latest == brute_force_counts(records, size, advance)
    assert dropped(driver) == 0


def test_driver_store_access_by_kind() -> None:
    import pytest

    from runtime.errors import StoreNotFoundError

    _, driver = run(windowed_count(TimeWindows.of_size_with_no_grace(10), store="counts"),
                    [("a", 1)], 10)
    with pytest.raises(StoreNotFoundError):
        driver.get_key_value_store("counts")
    assert driver.get_window_store("counts").fetch("a", 0) == 1
    driver.close()


def test_checkpoint_snapshot_round_trip() -> None:
    topology = windowed_count(TimeWindows.of_size_and_grace(10, 10), store="counts")
    _, first = run(topology, [("a", 3), ("b", 12)], 10)
    snapshot = list(first.tasks[0].store_snapshot("counts"))
    assert all(isinstance(k, bytes) and isinstance(v, bytes) for k, v in snapshot)
    first.close()
    with TopologyTestDriver(topology) as second:
        second.tasks[0].load_snapshot("counts", snapshot)
        assert list(second.get_timestamped_window_store("counts").all()) == [
            (Windowed("a", TimeWindow(0, 10)), (1, 3)), (Windowed("b", TimeWindow(10, 20)), (1, 12))]
        assert second.produced_topic_names() == set()  # loading logs nothing
