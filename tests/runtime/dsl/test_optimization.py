"""Topology optimization (``build(optimize=True)`` / ``topology.optimization``): merged
repartition topics and source topics reused as changelogs, checked against Kafka
Streams' RepartitionWithMergeOptimizingTest, RepartitionOptimizingTest and
StreamsBuilderTest."""

from __future__ import annotations

import re

import pytest

from runtime import JoinWindows, Materialized, Serdes, StreamsBuilder
from runtime.processor import Processor
from runtime.testing import TopologyTestDriver

S = Serdes.string()
CONFIG = {"default.key.serde": "string", "default.value.serde": "string"}

# RepartitionWithMergeOptimizingTest.EXPECTED_OPTIMIZED_TOPOLOGY
MERGE_OPTIMIZED = (
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: sourceAStream (topics: [inputA])\n"
    "      --> mappedAStream\n"
    "    Source: sourceBStream (topics: [inputB])\n"
    "      --> mappedBStream\n"
    "    Processor: mappedAStream (stores: [])\n"
    "      --> mergedStream\n"
    "      <-- sourceAStream\n"
    "    Processor: mappedBStream (stores: [])\n"
    "      --> mergedStream\n"
    "      <-- sourceBStream\n"
    "    Processor: mergedStream (stores: [])\n"
    "      --> long-groupByKey-repartition-filter\n"
    "      <-- mappedAStream, mappedBStream\n"
    "    Processor: long-groupByKey-repartition-filter (stores: [])\n"
    "      --> long-groupByKey-repartition-sink\n"
    "      <-- mergedStream\n"
    "    Sink: long-groupByKey-repartition-sink (topic: long-groupByKey-repartition)\n"
    "      <-- long-groupByKey-repartition-filter\n"
    "\n"
    "  Sub-topology: 1\n"
    "    Source: long-groupByKey-repartition-source (topics: [long-groupByKey-repartition])\n"
    "      --> long-count, string-count\n"
    "    Processor: string-count (stores: [string-store])\n"
    "      --> string-toStream\n"
    "      <-- long-groupByKey-repartition-source\n"
    "    Processor: long-count (stores: [long-store])\n"
    "      --> long-toStream\n"
    "      <-- long-groupByKey-repartition-source\n"
    "    Processor: string-toStream (stores: [])\n"
    "      --> string-mapValues\n"
    "      <-- string-count\n"
    "    Processor: long-toStream (stores: [])\n"
    "      --> long-to\n"
    "      <-- long-count\n"
    "    Processor: string-mapValues (stores: [])\n"
    "      --> string-to\n"
    "      <-- string-toStream\n"
    "    Sink: long-to (topic: outputTopic_0)\n"
    "      <-- long-toStream\n"
    "    Sink: string-to (topic: outputTopic_1)\n"
    "      <-- string-mapValues\n"
    "\n"
)

# RepartitionWithMergeOptimizingTest.EXPECTED_UNOPTIMIZED_TOPOLOGY
MERGE_UNOPTIMIZED = (
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: sourceAStream (topics: [inputA])\n"
    "      --> mappedAStream\n"
    "    Source: sourceBStream (topics: [inputB])\n"
    "      --> mappedBStream\n"
    "    Processor: mappedAStream (stores: [])\n"
    "      --> mergedStream\n"
    "      <-- sourceAStream\n"
    "    Processor: mappedBStream (stores: [])\n"
    "      --> mergedStream\n"
    "      <-- sourceBStream\n"
    "    Processor: mergedStream (stores: [])\n"
    "      --> long-groupByKey-repartition-filter, string-groupByKey-repartition-filter\n"
    "      <-- mappedAStream, mappedBStream\n"
    "    Processor: long-groupByKey-repartition-filter (stores: [])\n"
    "      --> long-groupByKey-repartition-sink\n"
    "      <-- mergedStream\n"
    "    Processor: string-groupByKey-repartition-filter (stores: [])\n"
    "      --> string-groupByKey-repartition-sink\n"
    "      <-- mergedStream\n"
    "    Sink: long-groupByKey-repartition-sink (topic: long-groupByKey-repartition)\n"
    "      <-- long-groupByKey-repartition-filter\n"
    "    Sink: string-groupByKey-repartition-sink (topic: string-groupByKey-repartition)\n"
    "      <-- string-groupByKey-repartition-filter\n"
    "\n"
    "  Sub-topology: 1\n"
    "    Source: long-groupByKey-repartition-source (topics: [long-groupByKey-repartition])\n"
    "      --> long-count\n"
    "    Processor: long-count (stores: [long-store])\n"
    "      --> long-toStream\n"
    "      <-- long-groupByKey-repartition-source\n"
    "    Processor: long-toStream (stores: [])\n"
    "      --> long-to\n"
    "      <-- long-count\n"
    "    Sink: long-to (topic: outputTopic_0)\n"
    "      <-- long-toStream\n"
    "\n"
    "  Sub-topology: 2\n"
    "    Source: string-groupByKey-repartition-source (topics: [string-groupByKey-repartition])\n"
    "      --> string-count\n"
    "    Processor: string-count (stores: [string-store])\n"
    "      --> string-toStream\n"
    "      <-- string-groupByKey-repartition-source\n"
    "    Processor: string-toStream (stores: [])\n"
    "      --> string-mapValues\n"
    "      <-- string-count\n"
    "    Processor: string-mapValues (stores: [])\n"
    "      --> string-to\n"
    "      <-- string-toStream\n"
    "    Sink: string-to (topic: outputTopic_1)\n"
    "      <-- string-mapValues\n"
    "\n"
)

# RepartitionOptimizingTest.EXPECTED_OPTIMIZED_TOPOLOGY
OPTIMIZED = (
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: sourceStream (topics: [input])\n"
    "      --> source-map\n"
    "    Processor: source-map (stores: [])\n"
    "      --> process-filter, count-groupByKey-repartition-filter\n"
    "      <-- sourceStream\n"
    "    Processor: process-filter (stores: [])\n"
    "      --> process-mapValues\n"
    "      <-- source-map\n"
    "    Processor: count-groupByKey-repartition-filter (stores: [])\n"
    "      --> count-groupByKey-repartition-sink\n"
    "      <-- source-map\n"
    "    Processor: process-mapValues (stores: [])\n"
    "      --> process\n"
    "      <-- process-filter\n"
    "    Sink: count-groupByKey-repartition-sink (topic: count-groupByKey-repartition)\n"
    "      <-- count-groupByKey-repartition-filter\n"
    "    Processor: process (stores: [])\n"
    "      --> none\n"
    "      <-- process-mapValues\n"
    "\n"
    "  Sub-topology: 1\n"
    "    Source: count-groupByKey-repartition-source (topics: [count-groupByKey-repartition])\n"
    "      --> aggregate, count, join-filter, reduce-filter\n"
    "    Processor: count (stores: [count-store])\n"
    "      --> count-toStream\n"
    "      <-- count-groupByKey-repartition-source\n"
    "    Processor: count-toStream (stores: [])\n"
    "      --> join-other-windowed, count-to\n"
    "      <-- count\n"
    "    Processor: join-filter (stores: [])\n"
    "      --> join-this-windowed\n"
    "      <-- count-groupByKey-repartition-source\n"
    "    Processor: reduce-filter (stores: [])\n"
    "      --> reduce-peek\n"
    "      <-- count-groupByKey-repartition-source\n"
    "    Processor: join-other-windowed (stores: [other-join-store])\n"
    "      --> join-other-join\n"
    "      <-- count-toStream\n"
    "    Processor: join-this-windowed (stores: [join-store])\n"
    "      --> join-this-join\n"
    "      <-- join-filter\n"
    "    Processor: reduce-peek (stores: [])\n"
    "      --> reducer\n"
    "      <-- reduce-filter\n"
    "    Processor: aggregate (stores: [aggregate-store])\n"
    "      --> aggregate-toStream\n"
    "      <-- count-groupByKey-repartition-source\n"
    "    Processor: join-other-join (stores: [join-store])\n"
    "      --> join-merge\n"
    "      <-- join-other-windowed\n"
    "    Processor: join-this-join (stores: [other-join-store])\n"
    "      --> join-merge\n"
    "      <-- join-this-windowed\n"
    "    Processor: reducer (stores: [reduce-store])\n"
    "      --> reduce-toStream\n"
    "      <-- reduce-peek\n"
    "    Processor: aggregate-toStream (stores: [])\n"
    "      --> reduce-to\n"
    "      <-- aggregate\n"
    "    Processor: join-merge (stores: [])\n"
    "      --> join-to\n"
    "      <-- join-this-join, join-other-join\n"
    "    Processor: reduce-toStream (stores: [])\n"
    "      --> KSTREAM-SINK-0000000023\n"
    "      <-- reducer\n"
    "    Sink: KSTREAM-SINK-0000000023 (topic: outputTopic_2)\n"
    "      <-- reduce-toStream\n"
    "    Sink: count-to (topic: outputTopic_0)\n"
    "      <-- count-toStream\n"
    "    Sink: join-to (topic: joinedOutputTopic)\n"
    "      <-- join-merge\n"
    "    Sink: reduce-to (topic: outputTopic_1)\n"
    "      <-- aggregate-toStream\n"
    "\n"
)

# RepartitionOptimizingTest.EXPECTED_UNOPTIMIZED_TOPOLOGY
UNOPTIMIZED = (
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: sourceStream (topics: [input])\n"
    "      --> source-map\n"
    "    Processor: source-map (stores: [])\n"
    "      --> reduce-filter, process-filter, aggregate-groupByKey-repartition-filter, count-groupByKey-repartition-filter, join-filter\n"
    "      <-- sourceStream\n"
    "    Processor: reduce-filter (stores: [])\n"
    "      --> reduce-peek\n"
    "      <-- source-map\n"
    "    Processor: join-filter (stores: [])\n"
    "      --> join-left-repartition-filter\n"
    "      <-- source-map\n"
    "    Processor: process-filter (stores: [])\n"
    "      --> process-mapValues\n"
    "      <-- source-map\n"
    "    Processor: reduce-peek (stores: [])\n"
    "      --> reduce-groupByKey-repartition-filter\n"
    "      <-- reduce-filter\n"
    "    Processor: aggregate-groupByKey-repartition-filter (stores: [])\n"
    "      --> aggregate-groupByKey-repartition-sink\n"
    "      <-- source-map\n"
    "    Processor: count-groupByKey-repartition-filter (stores: [])\n"
    "      --> count-groupByKey-repartition-sink\n"
    "      <-- source-map\n"
    "    Processor: join-left-repartition-filter (stores: [])\n"
    "      --> join-left-repartition-sink\n"
    "      <-- join-filter\n"
    "    Processor: process-mapValues (stores: [])\n"
    "      --> process\n"
    "      <-- process-filter\n"
    "    Processor: reduce-groupByKey-repartition-filter (stores: [])\n"
    "      --> reduce-groupByKey-repartition-sink\n"
    "      <-- reduce-peek\n"
    "    Sink: aggregate-groupByKey-repartition-sink (topic: aggregate-groupByKey-repartition)\n"
    "      <-- aggregate-groupByKey-repartition-filter\n"
    "    Sink: count-groupByKey-repartition-sink (topic: count-groupByKey-repartition)\n"
    "      <-- count-groupByKey-repartition-filter\n"
    "    Sink: join-left-repartition-sink (topic: join-left-repartition)\n"
    "      <-- join-left-repartition-filter\n"
    "    Processor: process (stores: [])\n"
    "      --> none\n"
    "      <-- process-mapValues\n"
    "    Sink: reduce-groupByKey-repartition-sink (topic: reduce-groupByKey-repartition)\n"
    "      <-- reduce-groupByKey-repartition-filter\n"
    "\n"
    "  Sub-topology: 1\n"
    "    Source: count-groupByKey-repartition-source (topics: [count-groupByKey-repartition])\n"
    "      --> count\n"
    "    Processor: count (stores: [count-store])\n"
    "      --> count-toStream\n"
    "      <-- count-groupByKey-repartition-source\n"
    "    Processor: count-toStream (stores: [])\n"
    "      --> join-other-windowed, count-to\n"
    "      <-- count\n"
    "    Source: join-left-repartition-source (topics: [join-left-repartition])\n"
    "      --> join-this-windowed\n"
    "    Processor: join-other-windowed (stores: [other-join-store])\n"
    "      --> join-other-join\n"
    "      <-- count-toStream\n"
    "    Processor: join-this-windowed (stores: [join-store])\n"
    "      --> join-this-join\n"
    "      <-- join-left-repartition-source\n"
    "    Processor: join-other-join (stores: [join-store])\n"
    "      --> join-merge\n"
    "      <-- join-other-windowed\n"
    "    Processor: join-this-join (stores: [other-join-store])\n"
    "      --> join-merge\n"
    "      <-- join-this-windowed\n"
    "    Processor: join-merge (stores: [])\n"
    "      --> join-to\n"
    "      <-- join-this-join, join-other-join\n"
    "    Sink: count-to (topic: outputTopic_0)\n"
    "      <-- count-toStream\n"
    "    Sink: join-to (topic: joinedOutputTopic)\n"
    "      <-- join-merge\n"
    "\n"
    "  Sub-topology: 2\n"
    "    Source: aggregate-groupByKey-repartition-source (topics: [aggregate-groupByKey-repartition])\n"
    "      --> aggregate\n"
    "    Processor: aggregate (stores: [aggregate-store])\n"
    "      --> aggregate-toStream\n"
    "      <-- aggregate-groupByKey-repartition-source\n"
    "    Processor: aggregate-toStream (stores: [])\n"
    "      --> reduce-to\n"
    "      <-- aggregate\n"
    "    Sink: reduce-to (topic: outputTopic_1)\n"
    "      <-- aggregate-toStream\n"
    "\n"
    "  Sub-topology: 3\n"
    "    Source: reduce-groupByKey-repartition-source (topics: [reduce-groupByKey-repartition])\n"
    "      --> reducer\n"
    "    Processor: reducer (stores: [reduce-store])\n"
    "      --> reduce-toStream\n"
    "      <-- reduce-groupByKey-repartition-source\n"
    "    Processor: reduce-toStream (stores: [])\n"
    "      --> KSTREAM-SINK-0000000023\n"
    "      <-- reducer\n"
    "    Sink: KSTREAM-SINK-0000000023 (topic: outputTopic_2)\n"
    "      <-- reduce-toStream\n"
    "\n"
)


def _join_stores(text: str) -> str:
    # Kafka's test hands StreamJoined explicit window store suppliers named "join-store"
    # and "other-join-store"; without them (our API has no store suppliers for joins)
    # Kafka names the stores after the generated join processors (KStreamImplJoin).
    return (text.replace("[join-store]", "[KSTREAM-JOINTHIS-0000000030-store]")
            .replace("[other-join-store]", "[KSTREAM-JOINOTHER-0000000031-store]"))


def _repartition_topics(description: str) -> int:
    # RepartitionOptimizingTest#getCountOfRepartitionTopicsFound
    return len(re.findall(r"Sink: .*-repartition", description))


def _merge_topology(config: dict[str, str]) -> object:
    """RepartitionWithMergeOptimizingTest#runTest's topology."""
    b = StreamsBuilder()
    a = b.stream("inputA", key_serde=S, value_serde=S, name="sourceAStream")
    other = b.stream("inputB", key_serde=S, value_serde=S, name="sourceBStream")
    mapped_a = a.map(lambda k, v: (v.split(":")[0], v), name="mappedAStream")
    mapped_b = other.map(lambda k, v: (v.split(":")[0], v), name="mappedBStream")
    merged = mapped_a.merge(mapped_b, name="mergedStream")
    (merged.group_by_key(name="long-groupByKey")
     .count(name="long-count", store=Materialized(store_name="long-store", store_type="in_memory"))
     .to_stream(name="long-toStream")
     .to("outputTopic_0", key_serde=S, value_serde=Serdes.long(), name="long-to"))
    (merged.group_by_key(name="string-groupByKey")
     .count(name="string-count",
            store=Materialized(store_name="string-store", store_type="in_memory"))
     .to_stream(name="string-toStream")
     .map_values(str, name="string-mapValues")
     .to("outputTopic_1", key_serde=S, value_serde=S, name="string-to"))
    return b.build(config)


@pytest.mark.parametrize("value,expected,topics", [
    ("all", MERGE_OPTIMIZED, 1),
    ("none", MERGE_UNOPTIMIZED, 2),
])
def test_repartition_topics_merged_after_a_merge_of_key_changes(value: str, expected: str,
                                                               topics: int) -> None:
    # RepartitionWithMergeOptimizingTest#shouldSendCorrectRecords_OPTIMIZED / _NO_OPTIMIZATION
    topology = _merge_topology({"topology.optimization": value})
    description = str(topology.describe())
    assert description == expected
    assert _repartition_topics(description) == topics
    with TopologyTestDriver(topology, CONFIG) as driver:
        for name in ("inputA", "inputB"):
            topic = driver.create_input_topic(name, S, S)
            topic.pipe_key_value_list([(k, v) for k in "XYZ"
                                       for v in ("A:foo", "B:foo", "C:foo")])
        counts = driver.create_output_topic("outputTopic_0", S, Serdes.long())
        strings = driver.create_output_topic("outputTopic_1", S, S)
        assert counts.read_key_values_to_map() == {"A": 6, "B": 6, "C": 6}
        assert strings.read_key_values_to_map() == {"A": "6", "B": "6", "C": "6"}


class _Collect(Processor):
    def __init__(self, sink: list[str]) -> None:
        self.sink = sink

    def process(self, record: object) -> None:
        self.sink.append(record.value)  # type: ignore[attr-defined]


def _repartition_optimizing_topology(optimize: bool, collected: list[str]) -> object:
    """RepartitionOptimizingTest#runTest's topology."""
    b = StreamsBuilder()
    source = b.stream("input", key_serde=S, value_serde=S, name="sourceStream")
    mapped = source.map(lambda k, v: (k.upper(), v), name="source-map")
    (mapped.filter(lambda k, v: k == "B", name="process-filter")
     .map_values(str.upper, name="process-mapValues")
     .process(lambda: _Collect(collected), name="process"))
    count_stream = (
        mapped.group_by_key(name="count-groupByKey")
        .count(name="count", store=Materialized(store_name="count-store", store_type="in_memory",
                                                key_serde=S, value_serde=Serdes.long()))
        .to_stream(name="count-toStream"))
    count_stream.to("outputTopic_0", key_serde=S, value_serde=Serdes.long(), name="count-to")
    (mapped.group_by_key(name="aggregate-groupByKey")
     .aggregate(lambda: 0, lambda k, v, agg: agg + len(v), name="aggregate",
                store=Materialized(store_name="aggregate-store", store_type="in_memory",
                                   key_serde=S, value_serde=Serdes.integer()))
     .to_stream(name="aggregate-toStream")
     .to("outputTopic_1", key_serde=S, value_serde=Serdes.integer(), name="reduce-to"))
    (mapped.filter(lambda k, v: True, name="reduce-filter")
     .peek(lambda k, v: None, name="reduce-peek")
     .group_by_key(name="reduce-groupByKey")
     .reduce(lambda v1, v2: v1 + ":" + v2, name="reducer",
             store=Materialized(store_name="reduce-store", store_type="in_memory"))
     .to_stream(name="reduce-toStream")
     .to("outputTopic_2", key_serde=S, value_serde=S))
    (mapped.filter(lambda k, v: k == "A", name="join-filter")
     .join(count_stream, lambda v1, v2: f"{v1}:{v2}",
           JoinWindows.of_time_difference_with_no_grace(5000), name="join", key_serde=S,
           value_serde=S, other_value_serde=Serdes.long())
     .to("joinedOutputTopic", key_serde=S, value_serde=S, name="join-to"))
    return b.build(optimize=optimize)


@pytest.mark.parametrize("optimize,expected,topics", [
    (True, OPTIMIZED, 1),
    (False, UNOPTIMIZED, 4),
])
def test_repartition_topics_of_one_key_change_merged(optimize: bool, expected: str,
                                                     topics: int) -> None:
    # RepartitionOptimizingTest#shouldSendCorrectRecords_OPTIMIZED / _NO_OPTIMIZATION
    collected: list[str] = []
    topology = _repartition_optimizing_topology(optimize, collected)
    description = str(topology.describe())
    assert description == _join_stores(expected)
    assert _repartition_topics(description) == topics
    with TopologyTestDriver(topology, CONFIG) as driver:
        driver.create_input_topic("input", S, S).pipe_key_value_list(
            [(k, v) for k in "abc" for v in ("foo", "bar", "baz")])
        assert collected == ["FOO", "BAR", "BAZ"]
        out = {name: driver.create_output_topic(name, S, serde) for name, serde in (
            ("outputTopic_0", Serdes.long()), ("outputTopic_1", Serdes.integer()),
            ("outputTopic_2", S), ("joinedOutputTopic", S))}
        assert out["outputTopic_0"].read_key_values_to_map() == {"A": 3, "B": 3, "C": 3}
        assert out["outputTopic_1"].read_key_values_to_map() == {"A": 9, "B": 9, "C": 9}
        assert out["outputTopic_2"].read_key_values_to_map() == {
            "A": "foo:bar:baz", "B": "foo:bar:baz", "C": "foo:bar:baz"}
        # expectedJoinKeyValues A: foo:3, bar:3, baz:3, compared as a map (the last)
        assert out["joinedOutputTopic"].read_key_values_to_map() == {"A": "baz:3"}


def test_optimize_flag_and_config_value_all_agree() -> None:
    assert str(_merge_topology({"topology.optimization": "all"}).describe()) == MERGE_OPTIMIZED
    # no optimization asked: the same as none (StreamsBuilderTest
    # #shouldNotThrowNullPointerIfOptimizationsNotSpecified)
    assert str(_merge_topology({}).describe()) == MERGE_UNOPTIMIZED
    collected: list[str] = []
    assert (str(_repartition_optimizing_topology(True, collected).describe())
            == _join_stores(OPTIMIZED))


def test_merge_only_leaves_table_changelogs() -> None:
    topology = _merge_topology({"topology.optimization": "merge.repartition.topics"})
    assert str(topology.describe()) == MERGE_OPTIMIZED
    b = StreamsBuilder()
    b.table("topic", store="store")
    built = b.build({"topology.optimization": "merge.repartition.topics"})
    assert [t.name for t in built.internal_topics("appId")] == ["appId-store-changelog"]


def test_reuse_only_keeps_every_repartition_topic() -> None:
    topology = _merge_topology({"topology.optimization": "reuse.ktable.source.topics"})
    assert str(topology.describe()) == MERGE_UNOPTIMIZED


@pytest.mark.parametrize("value", ["all,none", "none, merge.repartition.topics", "everything"])
def test_invalid_optimization_values_rejected(value: str) -> None:
    # StreamsConfig#verifyTopologyOptimizationConfigs
    b = StreamsBuilder()
    b.stream("in").to("out")
    with pytest.raises(ValueError):
        b.build({"topology.optimization": value})


def test_single_store_self_join_is_not_supported_alone() -> None:
    b = StreamsBuilder()
    b.stream("in").to("out")
    with pytest.raises(NotImplementedError):
        b.build({"topology.optimization": "single.store.self.join"})


def test_source_topic_reused_as_changelog_when_optimized() -> None:
    # StreamsBuilderTest#shouldReuseSourceTopicAsChangelogsWithOptimization20
    b = StreamsBuilder()
    b.table("topic", store="store", key_serde=Serdes.long(), value_serde=S)
    topology = b.build(optimize=True)
    sub = topology.build_subtopology(0, "appId")
    assert sub.source_changelogs == {"store": "topic"}
    assert sub.changelog_topics == {}
    assert [s.name for s in sub.stores] == ["store"]
    assert not sub.stores[0].logging_enabled
    assert topology.internal_topics("appId") == []


def test_repartition_topic_not_reused_as_changelog() -> None:
    # StreamsBuilderTest#shouldNotReuseRepartitionTopicAsChangelogs
    b = StreamsBuilder()
    b.stream("topic").repartition().to_table(store="store")
    topology = b.build({"topology.optimization": "all"})
    sub = topology.build_subtopology(1, "appId")
    assert sub.changelog_topics == {"store": "appId-store-changelog"}
    assert sub.source_changelogs == {}
    assert sub.stores[0].logging_enabled
    changelogs = [(t.name, t.subtopology_id) for t in topology.internal_topics("appId")
                  if t.kind == "changelog"]
    assert changelogs == [("appId-store-changelog", 1)]


def test_source_topic_not_reused_by_default() -> None:
    # StreamsBuilderTest#shouldNotReuseSourceTopicAsChangelogsByDefault
    b = StreamsBuilder()
    b.table("topic", store="store")
    topology = b.build()
    sub = topology.build_subtopology(0, "appId")
    assert sub.changelog_topics == {"store": "appId-store-changelog"}
    assert sub.source_changelogs == {}
    assert sub.stores[0].logging_enabled


def test_optimized_table_task_restores_from_its_source_topic() -> None:
    # The task lists the source topic as the store's changelog partition, so the
    # engine's restorer reads it; restoring writes the store without logging anything.
    from runtime.exec.clock import MockClock
    from runtime.exec.task import StreamTask

    b = StreamsBuilder()
    b.table("topic", store="store", key_serde=S, value_serde=S)
    topology = b.build(optimize=True)
    sent: list[object] = []

    class Collector:
        def send(self, *args: object, **kwargs: object) -> None:
            sent.append(args)

    task = StreamTask(topology, 0, 3, application_id="appId", collector=Collector(),
                      config={}, clock=MockClock(0))
    assert task.changelog_partitions() == {"store": ("topic", 3)}
    task.restore("store", [(b"k", b"v1", 5), (b"k", b"v2", 7), (b"j", b"x", 8),
                           (b"j", None, 9)])
    store = task.get_store("store")
    assert store.get("k").value == "v2" and store.get("k").timestamp == 7
    assert store.get("j") is None
    assert sent == []
    task.close()


def test_user_repartition_topics_are_never_merged() -> None:
    # KStream#repartition makes an UnoptimizableRepartitionNode: its topic stays under
    # topology.optimization=all, while the two groupings share the first one's topic.
    b = StreamsBuilder()
    mapped = b.stream("in").map(lambda k, v: (v, k))
    mapped.repartition(name="mine").to("a")
    mapped.group_by_key(name="g1").count().to_stream().to("b")
    mapped.group_by_key(name="g2").count().to_stream().to("c")
    description = str(b.build(optimize=True).describe())
    assert "topic: mine-repartition" in description
    assert "topic: g1-repartition" in description
    assert "g2-repartition" not in description


def _merge_nodes(optimize: bool) -> str:
    b = StreamsBuilder()
    parent = b.stream("input_topic", key_serde=Serdes.integer(),
                      value_serde=Serdes.integer()).select_key(lambda k, v: k + v)
    child1 = parent.map_values(lambda v: v + 1)
    child2 = parent.map_values(lambda v: v + 2)
    child3 = parent.map_values(lambda v: v + 3)
    child1.merge(child2).merge(child3).to("output_topic")
    return str(b.build(optimize=optimize).describe())


def test_several_merge_nodes_with_common_key_changing_parent() -> None:
    # StreamsGraphTest#shouldOptimizeSeveralMergeNodesWithCommonKeyChangingParent: its
    # expectedMergeOptimizedTopology is the unoptimized text that
    # tests/runtime/topology/test_describe.py checks (no repartition to merge).
    assert _merge_nodes(True) == _merge_nodes(False)
    assert "repartition" not in _merge_nodes(True)


def _values_changed_after_key_change(value: str) -> str:
    from runtime import TimeWindows

    b = StreamsBuilder()
    mapped = b.stream("input").select_key(lambda k, v: k + v)
    mapped.map_values(str.upper).group_by_key().count().to_stream().to("output")
    (mapped.flat_map_values(str.split).group_by_key()
     .windowed_by(TimeWindows.of_size_with_no_grace(5000)).count().to_stream()
     .to("windowed-output"))
    return str(b.build({"topology.optimization": value}).describe())


def test_no_merge_when_values_change_after_the_key_change() -> None:
    # StreamsGraphTest#shouldNotOptimizeWithValueOrKeyChangingOperatorsAfterInitialKeyChange
    optimized = _values_changed_after_key_change("all")
    assert optimized == _values_changed_after_key_change("none")
    assert _repartition_topics(optimized) == 2


def _with_repartition_operation(value: str) -> str:
    from runtime import TimeWindows

    b = StreamsBuilder()
    keyed = b.stream("input").select_key(lambda k, v: k + v)
    keyed.repartition().group_by_key().count().to_stream().to("output")
    (keyed.repartition().group_by_key()
     .windowed_by(TimeWindows.of_size_with_no_grace(5000)).count().to_stream()
     .to("windowed-output"))
    return str(b.build({"topology.optimization": value}).describe())


def test_no_merge_of_repartition_operations() -> None:
    # StreamsGraphTest#shouldNotOptimizeWhenRepartitionOperationIsDone
    optimized = _with_repartition_operation("all")
    assert optimized == _with_repartition_operation("none")
    assert _repartition_topics(optimized) == 2
