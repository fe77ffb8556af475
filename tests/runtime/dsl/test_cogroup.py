"""KGroupedStream.cogroup, checked against Kafka Streams' CogroupedKStreamImplTest (exact
describe() text and driver scenarios) and TimeWindowedCogroupedKStreamImplTest."""

from __future__ import annotations

import pytest

from runtime import (
    CogroupedKStream,
    Serdes,
    SessionWindows,
    SlidingWindows,
    StreamsBuilder,
    TimeWindows,
    Windowed,
    WindowedSerdes,
)
from runtime.testing import TopologyTestDriver

STRING = Serdes.string()


def string_aggregator(key, value, aggregate):
    return aggregate + value


def string_initializer():
    return ""


def adder(key, value, aggregate):  # MockAggregator.TOSTRING_ADDER
    return f"{aggregate}+{value}"


def remover(key, value, aggregate):  # MockAggregator.TOSTRING_REMOVER
    return f"{aggregate}-{value}"


def string_init():  # MockInitializer.STRING_INIT
    return "0"


def streams(b: StreamsBuilder, *topics: str):
    return [b.stream(t, key_serde=STRING, value_serde=STRING) for t in topics]


def records(driver: TopologyTestDriver, topic: str = "output", key_serde=STRING) -> list[tuple]:
    out = driver.create_output_topic(topic, key_serde, STRING)
    return [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]


# -- describe(): CogroupedKStreamImplTest -----------------------------------------------

def test_names_processors_and_store_after_the_named_parameter() -> None:
    # CogroupedKStreamImplTest.shouldNameProcessorsAndStoreBasedOnNamedParameter
    b = StreamsBuilder()
    one, two = streams(b, "one", "two")
    (one.group_by_key().cogroup(string_aggregator)
     .cogroup(two.group_by_key(), string_aggregator)
     .aggregate(string_initializer, name="test", store="store")
     .to_stream().to("output"))
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> test-cogroup-agg-0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"
        "      --> test-cogroup-agg-1\n"
        "    Processor: test-cogroup-agg-0 (stores: [store])\n"
        "      --> test-cogroup-merge\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: test-cogroup-agg-1 (stores: [store])\n"
        "      --> test-cogroup-merge\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: test-cogroup-merge (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000005\n"
        "      <-- test-cogroup-agg-0, test-cogroup-agg-1\n"
        "    Processor: KTABLE-TOSTREAM-0000000005 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000006\n"
        "      <-- test-cogroup-merge\n"
        "    Sink: KSTREAM-SINK-0000000006 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000005\n\n")


def test_repartition_topic_takes_the_grouping_name() -> None:
    # CogroupedKStreamImplTest.shouldNameRepartitionTopic
    b = StreamsBuilder()
    one, two = streams(b, "one", "two")
    (one.map(lambda k, v: (v, k)).group_by_key(name="repartition-test").cogroup(string_aggregator)
     .cogroup(two.group_by_key(), string_aggregator)
     .aggregate(string_initializer)
     .to_stream().to("output"))
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> KSTREAM-MAP-0000000002\n"
        "    Processor: KSTREAM-MAP-0000000002 (stores: [])\n"
        "      --> repartition-test-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: repartition-test-repartition-filter (stores: [])\n"
        "      --> repartition-test-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000002\n"
        "    Sink: repartition-test-repartition-sink (topic: repartition-test-repartition)\n"
        "      <-- repartition-test-repartition-filter\n\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000008\n"
        "    Source: repartition-test-repartition-source (topics: [repartition-test-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000007\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000009\n"
        "      <-- repartition-test-repartition-source\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000009\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000010\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008\n"
        "    Processor: KTABLE-TOSTREAM-0000000010 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000011\n"
        "      <-- COGROUPKSTREAM-MERGE-0000000009\n"
        "    Sink: KSTREAM-SINK-0000000011 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000010\n\n")


def test_repartition_topic_is_named_after_the_store() -> None:
    # CogroupedKStreamImplTest.shouldInsertRepartitionsTopicForUpstreamKeyModification
    b = StreamsBuilder()
    one, two = streams(b, "one", "two")
    (one.map(lambda k, v: (v, k)).group_by_key().cogroup(string_aggregator)
     .cogroup(two.group_by_key(), string_aggregator)
     .aggregate(string_initializer, name="test", store="store")
     .to_stream().to("output"))
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> KSTREAM-MAP-0000000002\n"
        "    Processor: KSTREAM-MAP-0000000002 (stores: [])\n"
        "      --> store-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: store-repartition-filter (stores: [])\n"
        "      --> store-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000002\n"
        "    Sink: store-repartition-sink (topic: store-repartition)\n"
        "      <-- store-repartition-filter\n\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"
        "      --> test-cogroup-agg-1\n"
        "    Source: store-repartition-source (topics: [store-repartition])\n"
        "      --> test-cogroup-agg-0\n"
        "    Processor: test-cogroup-agg-0 (stores: [store])\n"
        "      --> test-cogroup-merge\n"
        "      <-- store-repartition-source\n"
        "    Processor: test-cogroup-agg-1 (stores: [store])\n"
        "      --> test-cogroup-merge\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: test-cogroup-merge (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000009\n"
        "      <-- test-cogroup-agg-0, test-cogroup-agg-1\n"
        "    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000010\n"
        "      <-- test-cogroup-merge\n"
        "    Sink: KSTREAM-SINK-0000000010 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000009\n\n")


def test_each_cogroup_repartitions_a_reused_grouping_again() -> None:
    # CogroupedKStreamImplTest.
    #   shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedInSameCogroups
    b = StreamsBuilder()
    one, two = streams(b, "one", "two")
    grouped_one = one.map(lambda k, v: (v, k)).group_by_key()
    grouped_two = two.group_by_key()
    cogrouped_two = (grouped_one.cogroup(string_aggregator)
                     .cogroup(grouped_two, string_aggregator).aggregate(string_initializer))
    cogrouped_one = (grouped_one.cogroup(string_aggregator)
                     .cogroup(grouped_two, string_aggregator).aggregate(string_initializer))
    cogrouped_one.to_stream().to("output")
    cogrouped_two.to_stream().to("OUTPUT2")
    store3, store10 = ("COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000003",
                       "COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000010")
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> KSTREAM-MAP-0000000002\n"
        "    Processor: KSTREAM-MAP-0000000002 (stores: [])\n"
        f"      --> {store10}-repartition-filter, {store3}-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        f"    Processor: {store3}-repartition-filter (stores: [])\n"
        f"      --> {store3}-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000002\n"
        f"    Processor: {store10}-repartition-filter (stores: [])\n"
        f"      --> {store10}-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000002\n"
        f"    Sink: {store3}-repartition-sink (topic: {store3}-repartition)\n"
        f"      <-- {store3}-repartition-filter\n"
        f"    Sink: {store10}-repartition-sink (topic: {store10}-repartition)\n"
        f"      <-- {store10}-repartition-filter\n\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000008, COGROUPKSTREAM-AGGREGATE-0000000015\n"
        f"    Source: {store3}-repartition-source (topics: [{store3}-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000007\n"
        f"    Source: {store10}-repartition-source (topics: [{store10}-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000014\n"
        f"    Processor: COGROUPKSTREAM-AGGREGATE-0000000007 (stores: [{store3}])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000009\n"
        f"      <-- {store3}-repartition-source\n"
        f"    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [{store3}])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000009\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        f"    Processor: COGROUPKSTREAM-AGGREGATE-0000000014 (stores: [{store10}])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000016\n"
        f"      <-- {store10}-repartition-source\n"
        f"    Processor: COGROUPKSTREAM-AGGREGATE-0000000015 (stores: [{store10}])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000016\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000009 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000019\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000007, COGROUPKSTREAM-AGGREGATE-0000000008\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000016 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000017\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000014, COGROUPKSTREAM-AGGREGATE-0000000015\n"
        "    Processor: KTABLE-TOSTREAM-0000000017 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000018\n"
        "      <-- COGROUPKSTREAM-MERGE-0000000016\n"
        "    Processor: KTABLE-TOSTREAM-0000000019 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000020\n"
        "      <-- COGROUPKSTREAM-MERGE-0000000009\n"
        "    Sink: KSTREAM-SINK-0000000018 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000017\n"
        "    Sink: KSTREAM-SINK-0000000020 (topic: OUTPUT2)\n"
        "      <-- KTABLE-TOSTREAM-0000000019\n\n")


def test_a_grouping_in_different_cogroups() -> None:
    # CogroupedKStreamImplTest.
    #   shouldInsertRepartitionsTopicForUpstreamKeyModificationWithGroupedReusedInDifferentCogroups
    b = StreamsBuilder()
    one, two, three = streams(b, "one", "two", "three")
    grouped_one = one.map(lambda k, v: (v, k)).group_by_key()
    grouped_two = two.group_by_key()
    grouped_three = three.group_by_key()
    (grouped_one.cogroup(string_aggregator).cogroup(grouped_three, string_aggregator)
     .aggregate(string_initializer))
    (grouped_one.cogroup(string_aggregator).cogroup(grouped_two, string_aggregator)
     .aggregate(string_initializer))
    s4, s11 = ("COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000004",
               "COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000011")
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> KSTREAM-MAP-0000000003\n"
        "    Processor: KSTREAM-MAP-0000000003 (stores: [])\n"
        f"      --> {s4}-repartition-filter, {s11}-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        f"    Processor: {s4}-repartition-filter (stores: [])\n"
        f"      --> {s4}-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000003\n"
        f"    Processor: {s11}-repartition-filter (stores: [])\n"
        f"      --> {s11}-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000003\n"
        f"    Sink: {s4}-repartition-sink (topic: {s4}-repartition)\n"
        f"      <-- {s4}-repartition-filter\n"
        f"    Sink: {s11}-repartition-sink (topic: {s11}-repartition)\n"
        f"      <-- {s11}-repartition-filter\n\n"
        "  Sub-topology: 1\n"
        f"    Source: {s11}-repartition-source (topics: [{s11}-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000015\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [two])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000016\n"
        f"    Processor: COGROUPKSTREAM-AGGREGATE-0000000015 (stores: [{s11}])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000017\n"
        f"      <-- {s11}-repartition-source\n"
        f"    Processor: COGROUPKSTREAM-AGGREGATE-0000000016 (stores: [{s11}])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000017\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000017 (stores: [])\n"
        "      --> none\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000015, COGROUPKSTREAM-AGGREGATE-0000000016\n\n"
        "  Sub-topology: 2\n"
        f"    Source: {s4}-repartition-source (topics: [{s4}-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000008\n"
        "    Source: KSTREAM-SOURCE-0000000002 (topics: [three])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000009\n"
        f"    Processor: COGROUPKSTREAM-AGGREGATE-0000000008 (stores: [{s4}])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000010\n"
        f"      <-- {s4}-repartition-source\n"
        f"    Processor: COGROUPKSTREAM-AGGREGATE-0000000009 (stores: [{s4}])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000010\n"
        "      <-- KSTREAM-SOURCE-0000000002\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000010 (stores: [])\n"
        "      --> none\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000008, COGROUPKSTREAM-AGGREGATE-0000000009\n\n")


def test_a_cogroup_aggregated_twice_shares_its_repartition_topic() -> None:
    # CogroupedKStreamImplTest.shouldInsertRepartitionsTopicForCogroupsUsedTwice
    b = StreamsBuilder()
    (one,) = streams(b, "one")
    cogrouped = one.map(lambda k, v: (v, k)).group_by_key(name="foo").cogroup(string_aggregator)
    cogrouped.aggregate(string_initializer)
    cogrouped.aggregate(string_initializer)
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [one])\n"
        "      --> KSTREAM-MAP-0000000001\n"
        "    Processor: KSTREAM-MAP-0000000001 (stores: [])\n"
        "      --> foo-repartition-filter\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: foo-repartition-filter (stores: [])\n"
        "      --> foo-repartition-sink\n"
        "      <-- KSTREAM-MAP-0000000001\n"
        "    Sink: foo-repartition-sink (topic: foo-repartition)\n"
        "      <-- foo-repartition-filter\n\n"
        "  Sub-topology: 1\n"
        "    Source: foo-repartition-source (topics: [foo-repartition])\n"
        "      --> COGROUPKSTREAM-AGGREGATE-0000000006, COGROUPKSTREAM-AGGREGATE-0000000012\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000006 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000007\n"
        "      <-- foo-repartition-source\n"
        "    Processor: COGROUPKSTREAM-AGGREGATE-0000000012 (stores: [COGROUPKSTREAM-AGGREGATE-STATE-STORE-0000000008])\n"
        "      --> COGROUPKSTREAM-MERGE-0000000013\n"
        "      <-- foo-repartition-source\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000007 (stores: [])\n"
        "      --> none\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000006\n"
        "    Processor: COGROUPKSTREAM-MERGE-0000000013 (stores: [])\n"
        "      --> none\n"
        "      <-- COGROUPKSTREAM-AGGREGATE-0000000012\n\n")


# -- argument checks (CogroupedKStreamImplTest.shouldNotHaveNull...) --------------------

def test_rejects_missing_arguments() -> None:
    b = StreamsBuilder()
    (one,) = streams(b, "one")
    grouped = one.group_by_key()
    cogrouped = grouped.cogroup(string_aggregator)
    assert isinstance(cogrouped, CogroupedKStream)
    with pytest.raises(TypeError):
        cogrouped.cogroup(None, string_aggregator)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cogrouped.cogroup(grouped, None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cogrouped.aggregate(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cogrouped.windowed_by(None)
    with pytest.raises(TypeError, match="merger"):
        cogrouped.windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(5)).aggregate(
            string_initializer)
    with pytest.raises(TypeError):
        grouped.cogroup(None)  # type: ignore[arg-type]


# -- driver scenarios -------------------------------------------------------------------

def two_stream_cogroup(**aggregate_kwargs):
    b = StreamsBuilder()
    one, two = streams(b, "one", "two")
    (one.group_by_key().cogroup(string_aggregator)
     .cogroup(two.group_by_key(), string_aggregator)
     .aggregate(string_initializer, value_serde=STRING, **aggregate_kwargs)
     .to_stream().to("output", key_serde=STRING, value_serde=STRING))
    return b.build()


def test_single_stream_and_null_values() -> None:
    # CogroupedKStreamImplTest.shouldCogroupAndAggregateSingleKStreams /
    # testCogroupHandleNullValues: a None value is skipped
    b = StreamsBuilder()
    (one,) = streams(b, "one")
    (one.group_by_key().cogroup(string_aggregator)
     .aggregate(string_initializer, value_serde=STRING)
     .to_stream().to("output", key_serde=STRING, value_serde=STRING))
    with TopologyTestDriver(b.build()) as driver:
        inp = driver.create_input_topic("one", STRING, STRING)
        inp.pipe_input("k1", "A", 0)
        inp.pipe_input("k2", "B", 0)
        inp.pipe_input("k2", None, 0)
        inp.pipe_input("k2", "B", 0)
        inp.pipe_input("k1", "A", 0)
        assert records(driver) == [("k1", "A", 0), ("k2", "B", 0), ("k2", "BB", 0),
                                   ("k1", "AA", 0)]


def test_two_streams_with_distinct_keys() -> None:
    # CogroupedKStreamImplTest.shouldCogroupAndAggregateTwoKStreamsWithDistinctKeys: the
    # result's timestamp is the largest seen for the key
    with TopologyTestDriver(two_stream_cogroup()) as driver:
        one = driver.create_input_topic("one", STRING, STRING)
        two = driver.create_input_topic("two", STRING, STRING)
        for ts in (0, 1, 10, 100):
            one.pipe_input("k1", "A", ts)
        for ts in (100, 200, 1, 500, 500, 100):
            two.pipe_input("k2", "B", ts)
        assert records(driver) == [
            ("k1", "A", 0), ("k1", "AA", 1), ("k1", "AAA", 10), ("k1", "AAAA", 100),
            ("k2", "B", 100), ("k2", "BB", 200), ("k2", "BBB", 200), ("k2", "BBBB", 500),
            ("k2", "BBBBB", 500), ("k2", "BBBBBB", 500)]


def test_two_streams_with_shared_keys_fold_into_one_store() -> None:
    # CogroupedKStreamImplTest.shouldCogroupAndAggregateTwoKStreamsWithSharedKeys
    with TopologyTestDriver(two_stream_cogroup(store="store")) as driver:
        one = driver.create_input_topic("one", STRING, STRING)
        two = driver.create_input_topic("two", STRING, STRING)
        for key, ts in (("k1", 0), ("k2", 1), ("k1", 10), ("k2", 100)):
            one.pipe_input(key, "A", ts)
        for key, ts in (("k2", 100), ("k2", 200), ("k1", 1), ("k2", 500), ("k1", 500),
                        ("k2", 500), ("k3", 500), ("k2", 100)):
            two.pipe_input(key, "B", ts)
        assert records(driver)[:10] == [
            ("k1", "A", 0), ("k2", "A", 1), ("k1", "AA", 10), ("k2", "AA", 100),
            ("k2", "AAB", 100), ("k2", "AABB", 200), ("k1", "AAB", 10), ("k2", "AABBB", 500),
            ("k1", "AABB", 500), ("k2", "AABBBB", 500)]
        store = driver.get_key_value_store("store")
        assert store.get("k1") == "AABB" and store.get("k2") == "AABBBBB"
        assert store.get("k3") == "B"


def test_repartitioned_input_meets_the_other_in_the_store() -> None:
    # a key-changing input goes through <store>-repartition before the shared store
    b = StreamsBuilder()
    one, two = streams(b, "one", "two")
    (one.map(lambda k, v: (v, k)).group_by_key().cogroup(lambda k, v, agg: agg + [v])
     .cogroup(two.group_by_key(), lambda k, v, agg: agg + [v.upper()])
     .aggregate(list, store="store", value_serde=Serdes.json())
     .to_stream().to("output", key_serde=STRING, value_serde=Serdes.json()))
    topology = b.build()
    assert "app-store-repartition" in {t.name for t in topology.internal_topics("app")}
    with TopologyTestDriver(topology) as driver:
        driver.create_input_topic("one", STRING, STRING).pipe_input("x", "k", 5)
        driver.create_input_topic("two", STRING, STRING).pipe_input("k", "y", 3)
        out = driver.create_output_topic("output", STRING, Serdes.json())
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("k", ["x"], 5), ("k", ["x", "Y"], 5)]


def test_time_windowed_mix_of_aggregators() -> None:
    # TimeWindowedCogroupedKStreamImplTest.timeWindowMixAggregatorsTest and
    # timeWindowMixAggregatorsManyWindowsTest
    for last_ts, expected_tail in ((4, [("k2", "0+A+A-B-B", 4), ("k1", "0+A+A-B-B", 4)]),
                                   (501, [("k2", "0-B", 501), ("k1", "0-B", 501)])):
        b = StreamsBuilder()
        one, two = streams(b, "topic", "topic2")
        (one.group_by_key().cogroup(adder).cogroup(two.group_by_key(), remover)
         .windowed_by(TimeWindows.of_size_with_no_grace(500))
         .aggregate(string_init, value_serde=STRING)
         .to_stream().to("output", key_serde=WindowedSerdes.time_windowed_serde_from(STRING, 500),
                         value_serde=STRING))
        with TopologyTestDriver(b.build()) as driver:
            t1 = driver.create_input_topic("topic", STRING, STRING)
            t2 = driver.create_input_topic("topic2", STRING, STRING)
            t1.pipe_input("k1", "A", 0)
            t1.pipe_input("k2", "A", 0)
            t1.pipe_input("k2", "A", 1)
            t1.pipe_input("k1", "A", 2)
            t2.pipe_input("k1", "B", 3)
            t2.pipe_input("k2", "B", 3)
            t2.pipe_input("k2", "B", last_ts)
            t2.pipe_input("k1", "B", last_ts)
            out = records(driver, key_serde=WindowedSerdes.time_windowed_serde_from(STRING, 500))
            assert [(k.key, v, ts) for k, v, ts in out] == [
                ("k1", "0+A", 0), ("k2", "0+A", 0), ("k2", "0+A+A", 1), ("k1", "0+A+A", 2),
                ("k1", "0+A+A-B", 3), ("k2", "0+A+A-B", 3), *expected_tail]


def test_time_windowed_overlapping_windows() -> None:
    # TimeWindowedCogroupedKStreamImplTest.timeWindowAggregateOverlappingWindowsTest
    b = StreamsBuilder()
    (one,) = streams(b, "topic")
    serde = WindowedSerdes.time_windowed_serde_from(STRING, 500)
    (one.group_by_key().cogroup(adder)
     .windowed_by(TimeWindows.of_size_with_no_grace(500).advance_by(200))
     .aggregate(string_init, value_serde=STRING)
     .to_stream().to("output", key_serde=serde, value_serde=STRING))
    with TopologyTestDriver(b.build()) as driver:
        inp = driver.create_input_topic("topic", STRING, STRING)
        for key, value, ts in (("k1", "A", 0), ("k2", "A", 0), ("k1", "B", 250),
                               ("k2", "B", 250), ("k2", "A", 500), ("k1", "A", 500)):
            inp.pipe_input(key, value, ts)
        assert [(k.key, v, ts) for k, v, ts in records(driver, key_serde=serde)] == [
            ("k1", "0+A", 0), ("k2", "0+A", 0), ("k1", "0+A+B", 250), ("k1", "0+B", 250),
            ("k2", "0+A+B", 250), ("k2", "0+B", 250), ("k2", "0+B+A", 500), ("k2", "0+A", 500),
            ("k1", "0+B+A", 500), ("k1", "0+A", 500)]


def test_session_windowed_cogroup_merges_sessions() -> None:
    # Kafka's session aggregation (KStreamSessionWindowAggregate): a record joining a
    # session merges it (merger), the old session gets a tombstone with its own end as
    # timestamp (SuppressScenarioTest.shouldSupportFinalResultsForSessionWindows)
    b = StreamsBuilder()
    one, two = streams(b, "one", "two")
    serde = WindowedSerdes.session_windowed_serde_from(STRING)
    (one.group_by_key().cogroup(string_aggregator)
     .cogroup(two.group_by_key(), lambda k, v, agg: agg + v.lower())
     .windowed_by(SessionWindows.of_inactivity_gap_with_no_grace(5))
     .aggregate(string_initializer, lambda k, a, b: a + b, value_serde=STRING)
     .to_stream().to("output", key_serde=serde, value_serde=STRING))
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("one", STRING, STRING).pipe_input("k", "A", 0)
        driver.create_input_topic("two", STRING, STRING).pipe_input("k", "B", 3)
        driver.create_input_topic("one", STRING, STRING).pipe_input("k", "C", 20)
        out = [(k.key, k.window.start, k.window.end, v, ts)
               for k, v, ts in records(driver, key_serde=serde)]
        assert out == [("k", 0, 0, "A", 0), ("k", 0, 0, None, 0), ("k", 0, 3, "Ab", 3),
                       ("k", 20, 20, "C", 20)]


def test_sliding_windowed_cogroup() -> None:
    # sliding windows of difference 5 (Kafka's KStreamSlidingWindowAggregate), by hand:
    # A@10 makes its left window [5,10]; B@13 makes its left window [8,13] (holding both)
    # and the right window of A@10, [11,16], holding only B
    b = StreamsBuilder()
    one, two = streams(b, "one", "two")
    (one.group_by_key().cogroup(string_aggregator)
     .cogroup(two.group_by_key(), lambda k, v, agg: agg + v.lower())
     .windowed_by(SlidingWindows.of_time_difference_with_no_grace(5))
     .aggregate(string_initializer, value_serde=STRING)
     .to_stream().map(lambda k, v: (str(k), v)).to("output", key_serde=STRING,
                                                   value_serde=STRING))
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("one", STRING, STRING).pipe_input("k", "A", 10)
        driver.create_input_topic("two", STRING, STRING).pipe_input("k", "B", 13)
        assert sorted(records(driver)) == sorted([
            ("[k@5/10]", "A", 10), ("[k@11/16]", "b", 13), ("[k@8/13]", "Ab", 13)])


def test_windowed_keys_are_windowed() -> None:
    b = StreamsBuilder()
    (one,) = streams(b, "one")
    table = (one.group_by_key().cogroup(string_aggregator)
             .windowed_by(TimeWindows.of_size_with_no_grace(10))
             .aggregate(string_initializer, store="w", value_serde=STRING))
    table.to_stream().map(lambda k, v: (f"{isinstance(k, Windowed)}:{k}", v)).to(
        "output", key_serde=STRING, value_serde=STRING)
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("one", STRING, STRING).pipe_input("k", "A", 12)
        assert records(driver) == [("True:[k@10/20]", "A", 12)]
        assert list(driver.get_window_store("w").fetch("k", 0, 100)) == [(10, "A")]
