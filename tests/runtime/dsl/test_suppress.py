"""KTable.suppress, checked against Kafka Streams' SuppressScenarioTest (full driver
scenarios with timestamps), SuppressTopologyTest (exact describe() text) and
KTableSuppressProcessorTest, plus a brute-force property for final window results."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import (
    BufferConfig,
    ProcessingError,
    Serdes,
    SessionWindows,
    SlidingWindows,
    StreamsBuilder,
    Suppressed,
    TimeWindows,
    TopologyError,
)
from runtime.testing import TopologyTestDriver

STRING = Serdes.string()
LONG = Serdes.long()
unbounded = BufferConfig.unbounded
until_window_closes = Suppressed.until_window_closes
until_time_limit = Suppressed.until_time_limit
MAX = 2**63 - 1  # Long.MAX_VALUE


def drain(driver: TopologyTestDriver, topic: str, value_serde=LONG) -> list[tuple]:
    out = driver.create_output_topic(topic, STRING, value_serde)
    return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]


def windowed_to_string(table, topic: str) -> None:
    table.to_stream().map(lambda k, v: (str(k), v)).to(topic, key_serde=STRING, value_serde=LONG)


# -- describe(): SuppressTopologyTest ---------------------------------------------------

def session_count_topology(suppressed: Suppressed) -> str:
    b = StreamsBuilder()
    (b.stream("input", key_serde=STRING, value_serde=STRING)
     .group_by(lambda k, v: k, key_serde=STRING, value_serde=STRING)
     .windowed_by(SessionWindows.of_inactivity_gap_and_grace(5, 5))
     .count(store="counts")
     .suppress(suppressed)
     .to_stream()
     .map(lambda k, v: (str(k), v))
     .to("output-suppressed", key_serde=STRING, value_serde=LONG))
    return str(b.build().describe())


def count_topology(suppressed: Suppressed) -> str:
    b = StreamsBuilder()
    (b.stream("input", key_serde=STRING, value_serde=STRING)
     .group_by_key()
     .count()
     .suppress(suppressed)
     .to_stream()
     .to("output", key_serde=STRING, value_serde=LONG))
    return str(b.build().describe())


def test_anonymous_final_suppression_node_is_numbered() -> None:
    # SuppressTopologyTest.shouldUseNumberingForAnonymousFinalSuppressionNode
    assert session_count_topology(until_window_closes(unbounded())) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
        "      --> counts-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: counts-repartition-filter (stores: [])\n"
        "      --> counts-repartition-sink\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "    Sink: counts-repartition-sink (topic: counts-repartition)\n"
        "      <-- counts-repartition-filter\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: counts-repartition-source (topics: [counts-repartition])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [counts])\n"
        "      --> KTABLE-SUPPRESS-0000000006\n"
        "      <-- counts-repartition-source\n"
        "    Processor: KTABLE-SUPPRESS-0000000006 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000007])\n"
        "      --> KTABLE-TOSTREAM-0000000008\n"
        "      <-- KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
        "      --> KSTREAM-MAP-0000000009\n"
        "      <-- KTABLE-SUPPRESS-0000000006\n"
        "    Processor: KSTREAM-MAP-0000000009 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000010\n"
        "      <-- KTABLE-TOSTREAM-0000000008\n"
        "    Sink: KSTREAM-SINK-0000000010 (topic: output-suppressed)\n"
        "      <-- KSTREAM-MAP-0000000009\n"
        "\n")


def test_named_final_suppression_node_uses_no_index() -> None:
    # SuppressTopologyTest.shouldApplyNameToFinalSuppressionNode
    assert session_count_topology(until_window_closes(unbounded()).with_name("myname")) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
        "      --> counts-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: counts-repartition-filter (stores: [])\n"
        "      --> counts-repartition-sink\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "    Sink: counts-repartition-sink (topic: counts-repartition)\n"
        "      <-- counts-repartition-filter\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: counts-repartition-source (topics: [counts-repartition])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [counts])\n"
        "      --> myname\n"
        "      <-- counts-repartition-source\n"
        "    Processor: myname (stores: [myname-store])\n"
        "      --> KTABLE-TOSTREAM-0000000006\n"
        "      <-- KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KTABLE-TOSTREAM-0000000006 (stores: [])\n"
        "      --> KSTREAM-MAP-0000000007\n"
        "      <-- myname\n"
        "    Processor: KSTREAM-MAP-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KTABLE-TOSTREAM-0000000006\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: output-suppressed)\n"
        "      <-- KSTREAM-MAP-0000000007\n"
        "\n")


def test_anonymous_suppression_node_is_numbered() -> None:
    # SuppressTopologyTest.shouldUseNumberingForAnonymousSuppressionNode
    assert count_topology(until_time_limit(1000, unbounded())) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> KTABLE-SUPPRESS-0000000003\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KTABLE-SUPPRESS-0000000003 (stores: [KTABLE-SUPPRESS-STATE-STORE-0000000004])\n"
        "      --> KTABLE-TOSTREAM-0000000005\n"
        "      <-- KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000006\n"
        "      <-- KTABLE-SUPPRESS-0000000003\n"
        "    Sink: KSTREAM-SINK-0000000006 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000005\n"
        "\n")


def test_named_suppression_node() -> None:
    # SuppressTopologyTest.shouldApplyNameToSuppressionNode
    expected = (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> asdf\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: asdf (stores: [asdf-store])\n"
        "      --> KTABLE-TOSTREAM-0000000003\n"
        "      <-- KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KTABLE-TOSTREAM-0000000003 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- asdf\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000003\n"
        "\n")
    assert count_topology(until_time_limit(1000, unbounded()).with_name("asdf")) == expected
    # name= on suppress() is the same as with_name
    b = StreamsBuilder()
    (b.stream("input", key_serde=STRING, value_serde=STRING).group_by_key().count()
     .suppress(until_time_limit(1000, unbounded()), name="asdf")
     .to_stream().to("output", key_serde=STRING, value_serde=LONG))
    assert str(b.build().describe()) == expected


def test_buffer_store_has_a_compacted_changelog() -> None:
    b = StreamsBuilder()
    (b.stream("input", key_serde=STRING, value_serde=STRING).group_by_key().count()
     .suppress(until_time_limit(1000, unbounded()).with_name("asdf"))
     .to_stream().to("output", key_serde=STRING, value_serde=LONG))
    topics = {t.name: t for t in b.build().internal_topics("app")}
    assert "app-asdf-store-changelog" in topics
    assert topics["app-asdf-store-changelog"].config.get("cleanup.policy") == "compact"


def test_logging_disabled_buffer_has_no_changelog() -> None:
    b = StreamsBuilder()
    (b.stream("input", key_serde=STRING, value_serde=STRING).group_by_key().count()
     .suppress(until_time_limit(1000, unbounded().with_logging_disabled()).with_name("asdf"))
     .to_stream().to("output", key_serde=STRING, value_serde=LONG))
    assert "app-asdf-store-changelog" not in {t.name for t in b.build().internal_topics("app")}


# -- configuration ----------------------------------------------------------------------

def test_buffer_configs_follow_kafkas_factories() -> None:
    # Suppressed.BufferConfig javadoc: maxRecords/maxBytes are eager (emit early), unbounded
    # is strict; withMaxX keeps the strategy; shutDownWhenFull makes any config strict.
    assert unbounded().is_strict and unbounded().record_limit == MAX
    eager = BufferConfig.max_records(3)
    assert eager.emit_early and eager.record_limit == 3 and eager.byte_limit == MAX
    assert BufferConfig.max_bytes(10).with_max_records(2).emit_early
    strict = BufferConfig.max_records(3).with_max_bytes(100).shut_down_when_full()
    assert strict.is_strict and (strict.record_limit, strict.byte_limit) == (3, 100)
    assert strict.emit_early_when_full().emit_early
    assert unbounded().with_max_records(5).is_strict
    with pytest.raises(ValueError):
        BufferConfig.max_records(-1)


def test_until_window_closes_needs_a_strict_buffer() -> None:
    # Suppressed.untilWindowCloses(StrictBufferConfig): emitting early is not allowed
    with pytest.raises(TypeError, match="strict"):
        until_window_closes(BufferConfig.max_records(10))
    until_window_closes(BufferConfig.max_records(10).shut_down_when_full())


def test_until_window_closes_needs_a_windowed_table() -> None:
    # GraphGraceSearchUtil.findAndVerifyWindowGrace
    b = StreamsBuilder()
    table = b.stream("input", key_serde=STRING, value_serde=STRING).group_by_key().count()
    with pytest.raises(TopologyError, match=r"Window close time is only defined for windowed "
                                            r"computations\. Got \[.*KSTREAM-AGGREGATE-0000000002\]"):
        table.suppress(until_window_closes(unbounded()))
    with pytest.raises(TopologyError, match="only defined for windowed"):
        b.table("t", key_serde=STRING, value_serde=STRING).suppress(
            until_window_closes(unbounded()))


def test_grace_is_found_through_table_operators() -> None:
    # the search walks up through filter/map_values to the windowed aggregation
    b = StreamsBuilder()
    counts = (b.stream("input", key_serde=STRING, value_serde=STRING)
              .group_by_key().windowed_by(TimeWindows.of_size_and_grace(10, 5)).count()
              .filter(lambda k, v: v > 0))
    windowed_to_string(counts.suppress(until_window_closes(unbounded())), "out")
    with TopologyTestDriver(b.build()) as driver:
        inp = driver.create_input_topic("input", STRING, STRING)
        inp.pipe_input("a", "x", 1)
        inp.pipe_input("a", "x", 14)
        assert drain(driver, "out") == []
        inp.pipe_input("a", "x", 15)  # 15 >= end 10 + grace 5
        assert drain(driver, "out") == [("[a@0/10]", 1, 1)]


# -- SuppressScenarioTest ---------------------------------------------------------------

def table_count_topology(suppressed: Suppressed):
    b = StreamsBuilder()
    value_counts = (b.table("input", key_serde=STRING, value_serde=STRING)
                    .group_by(lambda k, v: (v, k), key_serde=STRING, value_serde=STRING)
                    .count())
    value_counts.suppress(suppressed).to_stream().to("output-suppressed", key_serde=STRING,
                                                     value_serde=LONG)
    value_counts.to_stream().to("output-raw", key_serde=STRING, value_serde=LONG)
    return b.build()


RAW_AFTER_THREE = [("v1", 1, 0), ("v1", 0, 1), ("v2", 1, 1), ("v1", 1, 2)]


def test_zero_time_limit_emits_immediately() -> None:
    # SuppressScenarioTest.shouldImmediatelyEmitEventsWithZeroEmitAfter
    with TopologyTestDriver(table_count_topology(until_time_limit(0, unbounded()))) as driver:
        inp = driver.create_input_topic("input", STRING, STRING)
        inp.pipe_input("k1", "v1", 0)
        inp.pipe_input("k1", "v2", 1)
        inp.pipe_input("k2", "v1", 2)
        assert drain(driver, "output-raw") == RAW_AFTER_THREE
        assert drain(driver, "output-suppressed") == RAW_AFTER_THREE
        inp.pipe_input("x", "x", 3)
        assert drain(driver, "output-raw") == [("x", 1, 3)]
        assert drain(driver, "output-suppressed") == [("x", 1, 3)]
        inp.pipe_input("x", "y", 4)
        assert drain(driver, "output-raw") == [("x", 0, 4), ("y", 1, 4)]
        assert drain(driver, "output-suppressed") == [("x", 0, 4), ("y", 1, 4)]


def test_time_limit_suppresses_intermediate_events() -> None:
    # SuppressScenarioTest.shouldSuppressIntermediateEventsWithTimeLimit
    with TopologyTestDriver(table_count_topology(until_time_limit(2, unbounded()))) as driver:
        inp = driver.create_input_topic("input", STRING, STRING)
        inp.pipe_input("k1", "v1", 0)
        inp.pipe_input("k1", "v2", 1)
        inp.pipe_input("k2", "v1", 2)
        assert drain(driver, "output-raw") == RAW_AFTER_THREE
        assert drain(driver, "output-suppressed") == [("v1", 1, 2)]
        inp.pipe_input("tick", "tick", 3)  # stream time 3: v2 (buffered at 1) is due
        assert drain(driver, "output-raw") == [("tick", 1, 3)]
        assert drain(driver, "output-suppressed") == [("v2", 1, 1)]
        inp.pipe_input("tick", "tock", 4)
        assert drain(driver, "output-raw") == [("tick", 0, 4), ("tock", 1, 4)]
        # tick was first buffered at 3 and keeps that place: not due before time 5
        assert drain(driver, "output-suppressed") == []


def test_record_limit_emits_early() -> None:
    # SuppressScenarioTest.shouldSuppressIntermediateEventsWithRecordLimit
    suppressed = until_time_limit(MAX, BufferConfig.max_records(1).emit_early_when_full())
    with TopologyTestDriver(table_count_topology(suppressed)) as driver:
        inp = driver.create_input_topic("input", STRING, STRING)
        inp.pipe_input("k1", "v1", 0)
        inp.pipe_input("k1", "v2", 1)
        inp.pipe_input("k2", "v1", 2)
        assert drain(driver, "output-raw") == RAW_AFTER_THREE
        assert drain(driver, "output-suppressed") == [("v1", 0, 1), ("v2", 1, 1)]
        inp.pipe_input("x", "x", 3)
        assert drain(driver, "output-raw") == [("x", 1, 3)]
        assert drain(driver, "output-suppressed") == [("v1", 1, 2)]


def test_bytes_limit_emits_early() -> None:
    # SuppressScenarioTest.shouldSuppressIntermediateEventsWithBytesLimit: entries are a
    # little over 100 bytes, so a 200-byte buffer holds one (Kafka's size estimate)
    suppressed = until_time_limit(MAX, BufferConfig.max_bytes(200).emit_early_when_full())
    with TopologyTestDriver(table_count_topology(suppressed)) as driver:
        inp = driver.create_input_topic("input", STRING, STRING)
        inp.pipe_input("k1", "v1", 0)
        inp.pipe_input("k1", "v2", 1)
        inp.pipe_input("k2", "v1", 2)
        assert drain(driver, "output-raw") == RAW_AFTER_THREE
        assert drain(driver, "output-suppressed") == [("v1", 0, 1), ("v2", 1, 1)]
        inp.pipe_input("x", "x", 3)
        assert drain(driver, "output-raw") == [("x", 1, 3)]
        assert drain(driver, "output-suppressed") == [("v1", 1, 2)]


def test_full_strict_buffer_stops_the_application() -> None:
    # KTableSuppressProcessorSupplier: SHUT_DOWN strategy throws a StreamsException
    suppressed = until_time_limit(MAX, BufferConfig.max_records(1).shut_down_when_full())
    with TopologyTestDriver(table_count_topology(suppressed)) as driver:
        inp = driver.create_input_topic("input", STRING, STRING)
        inp.pipe_input("k1", "v1", 0)
        with pytest.raises(ProcessingError, match=r"buffer exceeded its max capacity. "
                                                  r"Currently \[2/1\] records"):
            inp.pipe_input("k2", "v2", 1)
        assert drain(driver, "output-suppressed") == []


def test_final_results_for_time_windows() -> None:
    # SuppressScenarioTest.shouldSupportFinalResultsForTimeWindows
    b = StreamsBuilder()
    counts = (b.stream("input", key_serde=STRING, value_serde=STRING)
              .group_by(lambda k, v: k, key_serde=STRING, value_serde=STRING)
              .windowed_by(TimeWindows.of_size_and_grace(2, 1))
              .count(store="counts"))
    windowed_to_string(counts.suppress(until_window_closes(unbounded())), "output-suppressed")
    windowed_to_string(counts, "output-raw")
    with TopologyTestDriver(b.build()) as driver:
        inp = driver.create_input_topic("input", STRING, STRING)
        for ts in (0, 1, 2, 1, 0, 5, 0):  # the last one is out of the grace period
            inp.pipe_input("k1", "v1", ts)
        assert drain(driver, "output-raw") == [
            ("[k1@0/2]", 1, 0), ("[k1@0/2]", 2, 1), ("[k1@2/4]", 1, 2), ("[k1@0/2]", 3, 1),
            ("[k1@0/2]", 4, 1), ("[k1@4/6]", 1, 5)]
        assert drain(driver, "output-suppressed") == [("[k1@0/2]", 4, 1), ("[k1@2/4]", 1, 2)]


def test_final_results_for_time_windows_with_large_jump() -> None:
    # SuppressScenarioTest.shouldSupportFinalResultsForTimeWindowsWithLargeJump
    b = StreamsBuilder()
    counts = (b.stream("input", key_serde=STRING, value_serde=STRING)
              .group_by(lambda k, v: k, key_serde=STRING, value_serde=STRING)
              .windowed_by(TimeWindows.of_size_and_grace(2, 2))
              .count(store="counts"))
    windowed_to_string(counts.suppress(until_window_closes(unbounded())), "output-suppressed")
    windowed_to_string(counts, "output-raw")
    with TopologyTestDriver(b.build()) as driver:
        inp = driver.create_input_topic("input", STRING, STRING)
        for ts in (0, 1, 2, 0, 3, 0, 4, 0, 30):
            inp.pipe_input("k1", "v1", ts)
        assert drain(driver, "output-raw") == [
            ("[k1@0/2]", 1, 0), ("[k1@0/2]", 2, 1), ("[k1@2/4]", 1, 2), ("[k1@0/2]", 3, 1),
            ("[k1@2/4]", 2, 3), ("[k1@0/2]", 4, 1), ("[k1@4/6]", 1, 4), ("[k1@30/32]", 1, 30)]
        assert drain(driver, "output-suppressed") == [
            ("[k1@0/2]", 4, 1), ("[k1@2/4]", 2, 3), ("[k1@4/6]", 1, 4)]


def test_final_results_for_sliding_windows() -> None:
    # SuppressScenarioTest.shouldSupportFinalResultsForSlidingWindows
    b = StreamsBuilder()
    counts = (b.stream("input", key_serde=STRING, value_serde=STRING)
              .group_by(lambda k, v: k, key_serde=STRING, value_serde=STRING)
              .windowed_by(SlidingWindows.of_time_difference_and_grace(5, 15))
              .count(store="counts"))
    windowed_to_string(counts.suppress(until_window_closes(unbounded())), "output-suppressed")
    with TopologyTestDriver(b.build()) as driver:
        inp = driver.create_input_topic("input", STRING, STRING)
        for ts in (10, 11, 10, 13, 10, 24, 5, 7, 90):
            inp.pipe_input("k1", "v1", ts)
        assert drain(driver, "output-suppressed") == [
            ("[k1@5/10]", 5, 10), ("[k1@6/11]", 5, 11), ("[k1@8/13]", 5, 13),
            ("[k1@11/16]", 2, 13), ("[k1@12/17]", 1, 13), ("[k1@19/24]", 1, 24)]


def test_final_results_for_session_windows_drop_merge_tombstones() -> None:
    # SuppressScenarioTest.shouldSupportFinalResultsForSessionWindows (current version: a
    # session closes at end + gap + grace, so k2 comes at 11)
    b = StreamsBuilder()
    counts = (b.stream("input", key_serde=STRING, value_serde=STRING)
              .group_by(lambda k, v: k, key_serde=STRING, value_serde=STRING)
              .windowed_by(SessionWindows.of_inactivity_gap_and_grace(5, 0))
              .count(store="counts"))
    windowed_to_string(counts.suppress(until_window_closes(unbounded())), "output-suppressed")
    windowed_to_string(counts, "output-raw")
    with TopologyTestDriver(b.build()) as driver:
        inp = driver.create_input_topic("input", STRING, STRING)
        inp.pipe_input("k1", "v1", 0)
        inp.pipe_input("k1", "v1", 5)
        inp.pipe_input("k1", "v1", 1)
        inp.pipe_input("k2", "v1", 11)
        inp.pipe_input("k1", "v1", 5)  # late: the first session is closed
        inp.pipe_input("k1", "v1", 30)
        assert drain(driver, "output-raw") == [
            ("[k1@0/0]", 1, 0), ("[k1@0/0]", None, 0), ("[k1@0/5]", 2, 5),
            ("[k1@0/5]", None, 5), ("[k1@0/5]", 3, 5), ("[k2@11/11]", 1, 11),
            ("[k1@30/30]", 1, 30)]
        assert drain(driver, "output-suppressed") == [
            ("[k1@0/5]", 3, 5), ("[k2@11/11]", 1, 11)]


def test_works_before_group_by() -> None:
    # SuppressScenarioTest.shouldWorkBeforeGroupBy
    b = StreamsBuilder()
    (b.table("topic", key_serde=STRING, value_serde=STRING)
     .suppress(until_time_limit(10, unbounded()))
     .group_by(lambda k, v: (k, v), key_serde=STRING, value_serde=STRING)
     .count()
     .to_stream().to("output", key_serde=STRING, value_serde=LONG))
    with TopologyTestDriver(b.build()) as driver:
        inp = driver.create_input_topic("topic", STRING, STRING)
        inp.pipe_input("A", "a", 0)
        inp.pipe_input("tick", "tick", 10)
        assert drain(driver, "output") == [("A", 1, 0)]


@pytest.mark.parametrize("suppressed_side", ["right", "left"])
def test_works_before_join(suppressed_side: str) -> None:
    # SuppressScenarioTest.shouldWorkBeforeJoinRight / shouldWorkBeforeJoinLeft: the join
    # sees what the suppressed table has emitted (the buffer's prior value), not the
    # buffered update. ``s`` is the suppressed side, ``o`` the other one.
    b = StreamsBuilder()
    tables = {side: b.table(side, key_serde=STRING, value_serde=STRING)
              for side in ("left", "right")}
    tables[suppressed_side] = tables[suppressed_side].suppress(until_time_limit(10, unbounded()))
    (tables["left"].outer_join(tables["right"], lambda l, r: f"({l},{r})".replace("None", "null"))
     .to_stream().to("output", key_serde=STRING, value_serde=STRING))

    def pair(s: str, o: str) -> str:
        return f"({o},{s})" if suppressed_side == "right" else f"({s},{o})"

    other_side = "left" if suppressed_side == "right" else "right"
    with TopologyTestDriver(b.build()) as driver:
        s_in = driver.create_input_topic(suppressed_side, STRING, STRING)
        o_in = driver.create_input_topic(other_side, STRING, STRING)
        s_in.pipe_input("B", "1", 0)
        s_in.pipe_input("A", "1", 0)
        assert drain(driver, "output", STRING) == []  # buffered
        s_in.pipe_input("tick", "tick", 10)  # flushes the buffer
        assert drain(driver, "output", STRING) == [("A", pair("1", "null"), 0),
                                                   ("B", pair("1", "null"), 0)]
        s_in.pipe_input("A", "2", 11)
        assert drain(driver, "output", STRING) == []
        o_in.pipe_input("A", "a", 12)  # joins the previously emitted value
        assert drain(driver, "output", STRING) == [("A", pair("1", "a"), 12)]
        o_in.pipe_input("B", "b", 12)  # B is not buffered: the parent's view
        assert drain(driver, "output", STRING) == [("B", pair("1", "b"), 12)]
        o_in.pipe_input("A", "b", 13)
        assert drain(driver, "output", STRING) == [("A", pair("1", "b"), 13)]
        s_in.pipe_input("tick", "tick1", 21)
        assert drain(driver, "output", STRING) == [
            ("tick", pair("tick1", "null"), 21), ("A", pair("2", "b"), 13)]

def test_works_with_cogrouped_windowed_aggregation() -> None:
    # SuppressScenarioTest.shouldWorkWithCogrouped (builds), plus the final result
    b = StreamsBuilder()
    g1 = b.stream("one", key_serde=STRING, value_serde=STRING).group_by_key()
    g2 = b.stream("two", key_serde=STRING, value_serde=STRING).group_by_key()
    table = (g1.cogroup(lambda k, v, agg: agg + v).cogroup(g2, lambda k, v, agg: agg + v)
             .windowed_by(TimeWindows.of_size_with_no_grace(15 * 60_000))
             .aggregate(lambda: "", name="test", store="store", value_serde=STRING)
             .suppress(until_window_closes(unbounded())))
    table.to_stream().map(lambda k, v: (str(k), v)).to("out", key_serde=STRING,
                                                       value_serde=STRING)
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("one", STRING, STRING).pipe_input("k", "a", 1)
        driver.create_input_topic("two", STRING, STRING).pipe_input("k", "b", 2)
        assert drain(driver, "out", STRING) == []
        driver.create_input_topic("one", STRING, STRING).pipe_input("z", "c", 900_000)
        assert drain(driver, "out", STRING) == [("[k@0/900000]", "ab", 2)]


# -- KTableSuppressProcessorTest --------------------------------------------------------

def windowed_count(windows: TimeWindows, suppressed: Suppressed, store: str = "counts"):
    b = StreamsBuilder()
    counts = (b.stream("in", key_serde=STRING, value_serde=STRING).group_by_key()
              .windowed_by(windows).count(store=store))
    windowed_to_string(counts.suppress(suppressed), "out")
    return b.build()


def test_final_results_with_zero_grace_emit_at_window_end() -> None:
    # KTableSuppressProcessorTest.finalResultsWith0GraceAtWindowEndShouldImmediatelyEmit /
    # finalResultsWith0GraceBeforeWindowEndShouldBuffer
    topology = windowed_count(TimeWindows.of_size_with_no_grace(100),
                              until_window_closes(unbounded()))
    with TopologyTestDriver(topology) as driver:
        inp = driver.create_input_topic("in", STRING, STRING)
        inp.pipe_input("hey", "x", 5)
        assert drain(driver, "out") == []
        inp.pipe_input("hey", "x", 99)
        assert drain(driver, "out") == []
        inp.pipe_input("other", "x", 100)  # stream time 100 = window end: closed
        assert drain(driver, "out") == [("[hey@0/100]", 2, 99)]


def test_time_limit_forwards_tombstones_and_keeps_headers() -> None:
    # KTableSuppressProcessorSupplier.shouldForward: only final results drop tombstones;
    # the emitted record carries the latest update's timestamp and headers
    b = StreamsBuilder()
    (b.table("in", key_serde=STRING, value_serde=STRING)
     .suppress(until_time_limit(10, unbounded()))
     .to_stream().to("out", key_serde=STRING, value_serde=STRING))
    with TopologyTestDriver(b.build()) as driver:
        inp = driver.create_input_topic("in", STRING, STRING)
        inp.pipe_input("A", "1", 0)
        inp.pipe_input("A", None, 5, headers=[("h", b"v")])
        assert driver.create_output_topic("out", STRING, STRING).is_empty()
        inp.pipe_input("B", "x", 10)  # A was buffered at 0: due at 10
        out = driver.create_output_topic("out", STRING, STRING).read_records_to_list()
        assert [(r.key, r.value, r.timestamp) for r in out] == [("A", None, 5)]
        assert list(out[0].headers or ()) == [("h", b"v")]


def test_buffer_is_restored_from_its_changelog() -> None:
    # The buffer is a logged store (Kafka: KTABLE-SUPPRESS-STATE-STORE changelog): after
    # a restart, what was buffered is emitted once its time comes.
    topology = windowed_count(TimeWindows.of_size_with_no_grace(10),
                              until_window_closes(unbounded()).with_name("final"))
    changelog = "topology-test-driver-final-store-changelog"
    with TopologyTestDriver(topology) as first:
        inp = first.create_input_topic("in", STRING, STRING)
        inp.pipe_input("a", "x", 1)
        inp.pipe_input("a", "x", 3)
        inp.pipe_input("b", "x", 12)  # closes a's window, buffers b's
        assert drain(first, "out") == [("[a@0/10]", 2, 3)]
        records = [first.read_raw(changelog) for _ in range(first.queue_size(changelog))]
        counts_log = "topology-test-driver-counts-changelog"
        counts = [first.read_raw(counts_log) for _ in range(first.queue_size(counts_log))]
    # a written twice, b buffered, then a evicted: its tombstone comes last
    assert [value is None for _, value, _, _ in records] == [False, False, False, True]
    with TopologyTestDriver(topology) as second:
        task = second.tasks[0]
        task.restore("counts", [(k, v, ts) for k, v, ts, _ in counts])
        task.restore("final-store", [(k, v, ts) for k, v, ts, _ in records])
        assert second.get_state_store("final-store").num_records() == 1
        second.create_input_topic("in", STRING, STRING).pipe_input("c", "x", 25)
        assert drain(second, "out") == [("[b@10/20]", 1, 12)]


# -- property: final results are exactly the brute-force counts -------------------------

SIZE, GRACE = 10, 5


@st.composite
def in_grace_inputs(draw: st.DrawFn) -> list[tuple[str, int]]:
    """Records in order or out of order but never later than the grace period allows."""
    records: list[tuple[str, int]] = []
    stream_time = -1
    for _ in range(draw(st.integers(1, 30))):
        key = draw(st.sampled_from("abc"))
        if stream_time < 0 or draw(st.booleans()):
            ts = draw(st.integers(max(stream_time, 0), max(stream_time, 0) + 25))
        else:
            # out of order: its window [s, s + SIZE) must still be open
            low = max(0, stream_time - GRACE - SIZE + 1)
            candidates = [t for t in range(low, stream_time + 1)
                          if (t // SIZE) * SIZE + SIZE + GRACE > stream_time]
            ts = draw(st.sampled_from(candidates))
        records.append((key, ts))
        stream_time = max(stream_time, ts)
    return records


def windows_of(records: list[tuple[str, int]]) -> Iterator[tuple[str, int]]:
    return ((key, (ts // SIZE) * SIZE) for key, ts in records)


@settings(max_examples=60, deadline=None)
@given(records=in_grace_inputs())
def test_each_window_is_emitted_once_with_its_final_count(records: list[tuple[str, int]]) -> None:
    topology = windowed_count(TimeWindows.of_size_and_grace(SIZE, GRACE),
                              until_window_closes(unbounded()))
    expected: dict[tuple[str, int], tuple[int, int]] = {}
    for (key, ts), window in zip(records, windows_of(records), strict=True):
        count, latest = expected.get(window, (0, -1))
        expected[window] = (count + 1, max(latest, ts))
    emitted: dict[str, tuple[int, int]] = {}
    with TopologyTestDriver(topology) as driver:
        inp = driver.create_input_topic("in", STRING, STRING)
        stream_time = -1
        for key, ts in records:
            inp.pipe_input(key, "v", ts)
            stream_time = max(stream_time, ts)
            for out_key, count, out_ts in drain(driver, "out"):
                assert out_key not in emitted, f"{out_key} emitted twice"
                emitted[out_key] = (count, out_ts)
                end = int(out_key.rsplit("/", 1)[1].rstrip("]"))
                assert stream_time >= end + GRACE  # only once the window has closed
    closed = {w: v for w, v in expected.items() if w[1] + SIZE + GRACE <= stream_time}
    assert emitted == {f"[{k}@{s}/{s + SIZE}]": v for (k, s), v in closed.items()}
