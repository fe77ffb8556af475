"""Tables, stream-table joins and split(), against Kafka Streams' expected topologies and
documented join semantics."""

from __future__ import annotations

import pytest

from runtime import Materialized, Serdes, StreamsBuilder
from runtime.testing import TestRecord, TopologyTestDriver

S = Serdes.string()

# KStreamKTableJoinTest#shouldReuseRepartitionTopicWithGeneratedName (Kafka 4.0)
GENERATED_REPARTITION_JOINS = (
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"
    "      --> KSTREAM-MAP-0000000007\n"
    "    Processor: KSTREAM-MAP-0000000007 (stores: [])\n"
    "      --> KSTREAM-FILTER-0000000009\n"
    "      <-- KSTREAM-SOURCE-0000000000\n"
    "    Processor: KSTREAM-FILTER-0000000009 (stores: [])\n"
    "      --> KSTREAM-SINK-0000000008\n"
    "      <-- KSTREAM-MAP-0000000007\n"
    "    Sink: KSTREAM-SINK-0000000008 (topic: KSTREAM-MAP-0000000007-repartition)\n"
    "      <-- KSTREAM-FILTER-0000000009\n"
    "\n"
    "  Sub-topology: 1\n"
    "    Source: KSTREAM-SOURCE-0000000010 (topics: [KSTREAM-MAP-0000000007-repartition])\n"
    "      --> KSTREAM-JOIN-0000000011, KSTREAM-JOIN-0000000016\n"
    "    Processor: KSTREAM-JOIN-0000000011 (stores: [topic2-STATE-STORE-0000000001])\n"
    "      --> KSTREAM-SINK-0000000012\n"
    "      <-- KSTREAM-SOURCE-0000000010\n"
    "    Processor: KSTREAM-JOIN-0000000016 (stores: [topic3-STATE-STORE-0000000004])\n"
    "      --> KSTREAM-SINK-0000000017\n"
    "      <-- KSTREAM-SOURCE-0000000010\n"
    "    Source: KSTREAM-SOURCE-0000000002 (topics: [topic2])\n"
    "      --> KTABLE-SOURCE-0000000003\n"
    "    Source: KSTREAM-SOURCE-0000000005 (topics: [topic3])\n"
    "      --> KTABLE-SOURCE-0000000006\n"
    "    Sink: KSTREAM-SINK-0000000012 (topic: out-one)\n"
    "      <-- KSTREAM-JOIN-0000000011\n"
    "    Sink: KSTREAM-SINK-0000000017 (topic: out-two)\n"
    "      <-- KSTREAM-JOIN-0000000016\n"
    "    Processor: KTABLE-SOURCE-0000000003 (stores: [topic2-STATE-STORE-0000000001])\n"
    "      --> none\n"
    "      <-- KSTREAM-SOURCE-0000000002\n"
    "    Processor: KTABLE-SOURCE-0000000006 (stores: [topic3-STATE-STORE-0000000004])\n"
    "      --> none\n"
    "      <-- KSTREAM-SOURCE-0000000005\n\n")

# KStreamKTableJoinTest#shouldCreateRepartitionTopicsWithUserProvidedName (Kafka 4.0)
NAMED_REPARTITION_JOINS = (
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: KSTREAM-SOURCE-0000000000 (topics: [topic])\n"
    "      --> KSTREAM-MAP-0000000007\n"
    "    Processor: KSTREAM-MAP-0000000007 (stores: [])\n"
    "      --> first-join-repartition-filter, second-join-repartition-filter\n"
    "      <-- KSTREAM-SOURCE-0000000000\n"
    "    Processor: first-join-repartition-filter (stores: [])\n"
    "      --> first-join-repartition-sink\n"
    "      <-- KSTREAM-MAP-0000000007\n"
    "    Processor: second-join-repartition-filter (stores: [])\n"
    "      --> second-join-repartition-sink\n"
    "      <-- KSTREAM-MAP-0000000007\n"
    "    Sink: first-join-repartition-sink (topic: first-join-repartition)\n"
    "      <-- first-join-repartition-filter\n"
    "    Sink: second-join-repartition-sink (topic: second-join-repartition)\n"
    "      <-- second-join-repartition-filter\n"
    "\n"
    "  Sub-topology: 1\n"
    "    Source: first-join-repartition-source (topics: [first-join-repartition])\n"
    "      --> first-join\n"
    "    Source: KSTREAM-SOURCE-0000000002 (topics: [topic2])\n"
    "      --> KTABLE-SOURCE-0000000003\n"
    "    Processor: first-join (stores: [topic2-STATE-STORE-0000000001])\n"
    "      --> KSTREAM-SINK-0000000012\n"
    "      <-- first-join-repartition-source\n"
    "    Sink: KSTREAM-SINK-0000000012 (topic: out-one)\n"
    "      <-- first-join\n"
    "    Processor: KTABLE-SOURCE-0000000003 (stores: [topic2-STATE-STORE-0000000001])\n"
    "      --> none\n"
    "      <-- KSTREAM-SOURCE-0000000002\n"
    "\n"
    "  Sub-topology: 2\n"
    "    Source: second-join-repartition-source (topics: [second-join-repartition])\n"
    "      --> second-join\n"
    "    Source: KSTREAM-SOURCE-0000000005 (topics: [topic3])\n"
    "      --> KTABLE-SOURCE-0000000006\n"
    "    Processor: second-join (stores: [topic3-STATE-STORE-0000000004])\n"
    "      --> KSTREAM-SINK-0000000017\n"
    "      <-- second-join-repartition-source\n"
    "    Sink: KSTREAM-SINK-0000000017 (topic: out-two)\n"
    "      <-- second-join\n"
    "    Processor: KTABLE-SOURCE-0000000006 (stores: [topic3-STATE-STORE-0000000004])\n"
    "      --> none\n"
    "      <-- KSTREAM-SOURCE-0000000005\n\n")


@pytest.mark.parametrize("named", [False, True])
def test_stream_table_join_topologies(named: bool) -> None:
    b = StreamsBuilder()
    stream_a = b.stream("topic", key_serde=S, value_serde=S)
    table_b = b.table("topic2", key_serde=S, value_serde=S)
    table_c = b.table("topic3", key_serde=S, value_serde=S)
    rekeyed = stream_a.map(lambda k, v: (v, k))
    rekeyed.join(table_b, lambda v1, v2: v1 + v2, name="first-join" if named else None) \
        .to("out-one")
    rekeyed.join(table_c, lambda v1, v2: v1 + v2, name="second-join" if named else None) \
        .to("out-two")
    topology = b.build()
    expected = NAMED_REPARTITION_JOINS if named else GENERATED_REPARTITION_JOINS
    assert str(topology.describe()) == expected
    groups = topology.copartition_groups("app")
    if named:
        assert groups == [["app-first-join-repartition", "topic2"],
                          ["app-second-join-repartition", "topic3"]]
    else:
        # both joins read the same repartition topic: one group (transitive closure)
        assert groups == [["app-KSTREAM-MAP-0000000007-repartition", "topic2", "topic3"]]


def join_topology(left: bool):  # type: ignore[no-untyped-def]
    b = StreamsBuilder()
    profiles = b.table("profiles", key_serde=S, value_serde=S)
    views = b.stream("views", key_serde=S, value_serde=S)
    joined = views.left_join(profiles, lambda v, p: f"{v}/{p}") if left \
        else views.join(profiles, lambda v, p: f"{v}/{p}")
    joined.to("enriched", value_serde=S)
    return b.build()


@pytest.mark.parametrize("left", [False, True])
def test_stream_table_join_semantics(left: bool) -> None:
    # KStreamKTableJoinTest / KStreamKTableLeftJoinTest: the stream side triggers; the
    # table value current at that moment is used; a table tombstone removes the key;
    # output keeps the stream record's timestamp; null stream values are skipped.
    with TopologyTestDriver(join_topology(left)) as driver:
        profiles = driver.create_input_topic("profiles", S, S)
        views = driver.create_input_topic("views", S, S)
        out = driver.create_output_topic("enriched", S, S)
        views.pipe_input("alice", "v1", 1)                 # no profile yet
        profiles.pipe_input("alice", "A", 2)               # table updates emit nothing
        views.pipe_input("alice", "v2", 3)
        profiles.pipe_input("alice", "A2", 4)
        views.pipe_input("alice", "v3", 5)
        profiles.pipe_input("alice", None, 6)              # tombstone
        views.pipe_input("alice", "v4", 7)
        views.pipe_input("alice", None, 8)                 # skipped
        views.pipe_input(None, "v5", 9)                    # left join: joined with None
        expected = [TestRecord("alice", "v2/A", 3), TestRecord("alice", "v3/A2", 5)]
        if left:
            expected = [TestRecord("alice", "v1/None", 1), *expected,
                        TestRecord("alice", "v4/None", 7), TestRecord(None, "v5/None", 9)]
        assert out.read_records_to_list() == expected
        assert driver.get_key_value_store("profiles-STATE-STORE-0000000000").get("alice") is None


def test_join_with_a_filtered_table_uses_the_filter() -> None:
    b = StreamsBuilder()
    vip = b.table("profiles", key_serde=S, value_serde=Serdes.json()) \
        .filter(lambda k, p: p["tier"] == "gold").map_values(lambda p: p["name"])
    b.stream("views", key_serde=S, value_serde=S).left_join(vip, lambda v, name: (v, name)) \
        .to("out", value_serde=Serdes.json())
    with TopologyTestDriver(b.build()) as driver:
        profiles = driver.create_input_topic("profiles", S, Serdes.json())
        views = driver.create_input_topic("views", S, S)
        profiles.pipe_input("a", {"tier": "gold", "name": "Ann"})
        profiles.pipe_input("b", {"tier": "basic", "name": "Bob"})
        views.pipe_key_value_list([("a", "x"), ("b", "y")])
        assert driver.create_output_topic("out", S, Serdes.json()).read_values_to_list() == \
            [["x", "Ann"], ["y", None]]


def test_table_to_stream_emits_updates_and_tombstones() -> None:
    b = StreamsBuilder()
    b.table("t", key_serde=S, value_serde=S, store="t-store").filter(lambda k, v: v != "drop") \
        .to_stream().to("out", key_serde=S, value_serde=S)
    with TopologyTestDriver(b.build()) as driver:
        t = driver.create_input_topic("t", S, S)
        t.pipe_key_value_list([("k", "a"), ("k", "drop"), ("j", None)])
        # KTableFilter without a store of its own forwards a filtered-out update as a
        # tombstone (Kafka's KTableFilter, sendOldValues off).
        assert driver.create_output_topic("out", S, S).read_key_values_to_list() == \
            [("k", "a"), ("k", None), ("j", None)]
        assert driver.get_key_value_store("t-store").get("k") == "drop"


def test_split_routes_each_record_to_the_first_matching_branch() -> None:
    b = StreamsBuilder()
    branches = (b.stream("numbers", key_serde=S, value_serde=Serdes.long())
                .split(name="split-")
                .branch(lambda k, v: v < 0, name="negative")
                .branch(lambda k, v: v % 2 == 0, name="even")
                .branch(lambda k, v: v > 100, chain=lambda s: s.map_values(lambda v: -v))
                .default_branch())
    assert sorted(branches) == ["split-0", "split-3", "split-even", "split-negative"]
    for name, stream in branches.items():
        stream.to(f"out-{name}", key_serde=S, value_serde=Serdes.long())
    with TopologyTestDriver(b.build()) as driver:
        driver.create_input_topic("numbers", S, Serdes.long()).pipe_value_list(
            [-2, 4, 7, 101, 200])
        read = {name: driver.create_output_topic(f"out-{name}", S, Serdes.long())
                .read_values_to_list() for name in branches}
    assert read == {"split-negative": [-2], "split-even": [4, 200], "split-3": [-101],
                    "split-0": [7]}


def test_split_names_follow_kafka() -> None:
    # BranchedKStreamImpl: branches are "<split>1", "<split>2"…, the default "<split>0",
    # and each branch uses up an index.
    b = StreamsBuilder()
    branches = b.stream("in").split().branch(lambda k, v: True).default_branch()
    assert sorted(branches) == ["KSTREAM-BRANCH-00000000010", "KSTREAM-BRANCH-00000000011"]
    list(branches.values())[0].to("out")
    sinks = [n.name for sub in b.build().describe().subtopologies for n in sub.nodes
             if n.kind == "sink"]
    assert sinks == ["KSTREAM-SINK-0000000004"]


def test_to_table_materialized() -> None:
    # KStreamImplTest#shouldMaterializeKTableFromKStream
    b = StreamsBuilder()
    b.stream("input", key_serde=S, value_serde=S).to_table(
        store=Materialized("store", store_type="in_memory"))
    topology = b.build()
    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-TOTABLE-0000000001\n"
        "    Processor: KSTREAM-TOTABLE-0000000001 (stores: [store])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000000\n\n")
    with TopologyTestDriver(topology) as driver:
        driver.create_input_topic("input", S, S).pipe_key_value_list(
            [("A", "01"), ("B", "02"), ("A", "03")])
        assert dict(driver.get_key_value_store("store").all()) == {"A": "03", "B": "02"}


def test_to_table_after_a_key_change() -> None:
    # KStreamImplTest#shouldSupportKeyChangeKTableFromKStream
    b = StreamsBuilder()
    (b.stream("input", key_serde=S, value_serde=S)
     .map(lambda k, v: (ord(k[0]) - ord("A"), v))
     .to_table(store=Materialized(key_serde=Serdes.integer()))
     .to_stream().to("output", value_serde=S))
    topology = b.build()
    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input])\n"
        "      --> KSTREAM-MAP-0000000001\n"
        "    Processor: KSTREAM-MAP-0000000001 (stores: [])\n"
        "      --> KSTREAM-FILTER-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-FILTER-0000000005 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000004\n"
        "      <-- KSTREAM-MAP-0000000001\n"
        "    Sink: KSTREAM-SINK-0000000004 (topic: KSTREAM-TOTABLE-0000000002-repartition)\n"
        "      <-- KSTREAM-FILTER-0000000005\n"
        "\n"
        "  Sub-topology: 1\n"
        "    Source: KSTREAM-SOURCE-0000000006 (topics: [KSTREAM-TOTABLE-0000000002-repartition])\n"
        "      --> KSTREAM-TOTABLE-0000000002\n"
        "    Processor: KSTREAM-TOTABLE-0000000002 (stores: [])\n"
        "      --> KTABLE-TOSTREAM-0000000007\n"
        "      <-- KSTREAM-SOURCE-0000000006\n"
        "    Processor: KTABLE-TOSTREAM-0000000007 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000008\n"
        "      <-- KSTREAM-TOTABLE-0000000002\n"
        "    Sink: KSTREAM-SINK-0000000008 (topic: output)\n"
        "      <-- KTABLE-TOSTREAM-0000000007\n\n")
    with TopologyTestDriver(topology) as driver:
        topic = driver.create_input_topic("input", S, S)
        for key, value, ts in [("A", "01", 5), ("B", "02", 100), ("C", "03", 0),
                               ("D", "04", 0), ("A", "05", 10), ("A", "06", 8)]:
            topic.pipe_input(key, value, ts)
        out = driver.create_output_topic("output", Serdes.integer(), S)
        assert out.read_records_to_list() == [
            TestRecord(0, "01", 5), TestRecord(1, "02", 100), TestRecord(2, "03", 0),
            TestRecord(3, "04", 0), TestRecord(0, "05", 10), TestRecord(0, "06", 8)]


def test_repartition_names_and_partitions() -> None:
    b = StreamsBuilder()
    b.stream("in").repartition(num_partitions=4).to("out")
    b.stream("in2").repartition(name="by-user").to("out2")
    topology = b.build()
    specs = {s.name: s.num_partitions for s in topology.internal_topics("app")}
    assert specs == {"app-KSTREAM-REPARTITION-0000000001-repartition": 4,
                     "app-by-user-repartition": None}
    names = {n.name for sub in topology.describe().subtopologies for n in sub.nodes}
    assert {"KSTREAM-SINK-0000000002", "KSTREAM-FILTER-0000000003", "KSTREAM-SOURCE-0000000004",
            "by-user-repartition-sink", "by-user-repartition-source"} <= names
