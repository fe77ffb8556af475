"""``str(topology.describe())`` against Kafka Streams' own expected texts.

Expected strings are Kafka's (4.0) test expectations and documented output, cited per
test; the programs are the same programs written with our DSL.
"""

from __future__ import annotations

import itertools
import re

import pytest

from runtime import Materialized, Serdes, StreamsBuilder, Stores, Topology
from runtime.processor import Processor, Record
from runtime.topology.internals.java_order import java_hash_set_order

# The word count of the issue: text-lines → flat_map_values → select_key → filter →
# group_by_key → count → to_stream → to("word-counts").
#
# Names follow Kafka Streams 4.0: one index counter for processors and stores, so the
# unnamed count's store takes index 4 (KSTREAM-AGGREGATE-STATE-STORE-0000000004,
# MaterializedInternal) before the aggregate node (5); the repartition topic is named
# after the store and always uses up three indexes, sink, filter, source in that order
# (KStreamImpl#createRepartitionedSource). Compare the tutorial's word count
# (docs/streams/tutorial.html: KSTREAM-FILTER-0000000005 → KSTREAM-SINK-0000000004,
# KSTREAM-SOURCE-0000000006 → KSTREAM-AGGREGATE-0000000003) and, for the exact text
# format, TopologyTest#kGroupedStreamZeroArgCountShouldPreserveTopologyStructure and
# StreamsGraphTest's expected topologies.
WORD_COUNT_DESCRIPTION = (
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: KSTREAM-SOURCE-0000000000 (topics: [text-lines])\n"
    "      --> KSTREAM-FLATMAPVALUES-0000000001\n"
    "    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])\n"
    "      --> KSTREAM-KEY-SELECT-0000000002\n"
    "      <-- KSTREAM-SOURCE-0000000000\n"
    "    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n"
    "      --> KSTREAM-FILTER-0000000003\n"
    "      <-- KSTREAM-FLATMAPVALUES-0000000001\n"
    "    Processor: KSTREAM-FILTER-0000000003 (stores: [])\n"
    "      --> KSTREAM-FILTER-0000000007\n"
    "      <-- KSTREAM-KEY-SELECT-0000000002\n"
    "    Processor: KSTREAM-FILTER-0000000007 (stores: [])\n"
    "      --> KSTREAM-SINK-0000000006\n"
    "      <-- KSTREAM-FILTER-0000000003\n"
    "    Sink: KSTREAM-SINK-0000000006 (topic: KSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition)\n"
    "      <-- KSTREAM-FILTER-0000000007\n"
    "\n"
    "  Sub-topology: 1\n"
    "    Source: KSTREAM-SOURCE-0000000008 (topics: [KSTREAM-AGGREGATE-STATE-STORE-0000000004-repartition])\n"
    "      --> KSTREAM-AGGREGATE-0000000005\n"
    "    Processor: KSTREAM-AGGREGATE-0000000005 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000004])\n"
    "      --> KTABLE-TOSTREAM-0000000009\n"
    "      <-- KSTREAM-SOURCE-0000000008\n"
    "    Processor: KTABLE-TOSTREAM-0000000009 (stores: [])\n"
    "      --> KSTREAM-SINK-0000000010\n"
    "      <-- KSTREAM-AGGREGATE-0000000005\n"
    "    Sink: KSTREAM-SINK-0000000010 (topic: word-counts)\n"
    "      <-- KTABLE-TOSTREAM-0000000009\n"
    "\n"
)

# The same program with the store named "counts": a user-named repartition prefix gives
# the nodes "<topic>-sink/-filter/-source" (KStreamImpl#createRepartitionedSource, as
# in RepartitionOptimizingTest's "count-groupByKey-repartition-filter").
WORD_COUNT_NAMED_STORE_DESCRIPTION = (
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: KSTREAM-SOURCE-0000000000 (topics: [text-lines])\n"
    "      --> KSTREAM-FLATMAPVALUES-0000000001\n"
    "    Processor: KSTREAM-FLATMAPVALUES-0000000001 (stores: [])\n"
    "      --> KSTREAM-KEY-SELECT-0000000002\n"
    "      <-- KSTREAM-SOURCE-0000000000\n"
    "    Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n"
    "      --> KSTREAM-FILTER-0000000003\n"
    "      <-- KSTREAM-FLATMAPVALUES-0000000001\n"
    "    Processor: KSTREAM-FILTER-0000000003 (stores: [])\n"
    "      --> counts-repartition-filter\n"
    "      <-- KSTREAM-KEY-SELECT-0000000002\n"
    "    Processor: counts-repartition-filter (stores: [])\n"
    "      --> counts-repartition-sink\n"
    "      <-- KSTREAM-FILTER-0000000003\n"
    "    Sink: counts-repartition-sink (topic: counts-repartition)\n"
    "      <-- counts-repartition-filter\n"
    "\n"
    "  Sub-topology: 1\n"
    "    Source: counts-repartition-source (topics: [counts-repartition])\n"
    "      --> KSTREAM-AGGREGATE-0000000004\n"
    "    Processor: KSTREAM-AGGREGATE-0000000004 (stores: [counts])\n"
    "      --> KTABLE-TOSTREAM-0000000008\n"
    "      <-- counts-repartition-source\n"
    "    Processor: KTABLE-TOSTREAM-0000000008 (stores: [])\n"
    "      --> KSTREAM-SINK-0000000009\n"
    "      <-- KSTREAM-AGGREGATE-0000000004\n"
    "    Sink: KSTREAM-SINK-0000000009 (topic: word-counts)\n"
    "      <-- KTABLE-TOSTREAM-0000000008\n"
    "\n"
)


def word_count(store: str | None = None) -> Topology:
    b = StreamsBuilder()
    (b.stream("text-lines", key_serde=Serdes.string(), value_serde=Serdes.string())
     .flat_map_values(lambda line: re.split(r"\W+", line.lower()))
     .select_key(lambda _key, word: word)
     .filter(lambda _key, word: word != "")
     .group_by_key()
     .count(store=store)
     .to_stream()
     .to("word-counts", key_serde=Serdes.string(), value_serde=Serdes.long()))
    return b.build()


def test_word_count_description_is_kafka_streams_text() -> None:
    assert str(word_count().describe()) == WORD_COUNT_DESCRIPTION


def test_word_count_with_named_store_description() -> None:
    assert str(word_count("counts").describe()) == WORD_COUNT_NAMED_STORE_DESCRIPTION


def test_tutorial_word_count_with_group_by() -> None:
    # docs/streams/tutorial.html: flatMapValues → groupBy → count("counts-store") →
    # toStream → to; indexes 0..8 as in the tutorial, repartition nodes named after
    # the store as Kafka 4.0 does.
    b = StreamsBuilder()
    (b.stream("streams-plaintext-input")
     .flat_map_values(lambda v: v.lower().split())
     .group_by(lambda _k, v: v)
     .count(store="counts-store")
     .to_stream()
     .to("streams-wordcount-output"))
    text = str(b.build().describe())
    assert "Processor: KSTREAM-KEY-SELECT-0000000002 (stores: [])\n" \
           "      --> counts-store-repartition-filter\n" in text
    assert "Processor: KSTREAM-AGGREGATE-0000000003 (stores: [counts-store])\n" \
           "      --> KTABLE-TOSTREAM-0000000007\n" \
           "      <-- counts-store-repartition-source\n" in text
    assert "Sink: KSTREAM-SINK-0000000008 (topic: streams-wordcount-output)\n" in text


def test_group_by_key_count_zero_arg() -> None:
    # TopologyTest#kGroupedStreamZeroArgCountShouldPreserveTopologyStructure
    b = StreamsBuilder()
    b.stream("input-topic").group_by_key().count()
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"
        "      --> KSTREAM-AGGREGATE-0000000002\n"
        "    Processor: KSTREAM-AGGREGATE-0000000002 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000001])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000000\n\n")


def test_group_by_key_count_named_store() -> None:
    # TopologyTest#kGroupedStreamNamedMaterializedCountShouldPreserveTopologyStructure
    b = StreamsBuilder()
    b.stream("input-topic").group_by_key().count(store=Materialized("count-store",
                                                                    store_type="in_memory"))
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"
        "      --> KSTREAM-AGGREGATE-0000000001\n"
        "    Processor: KSTREAM-AGGREGATE-0000000001 (stores: [count-store])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000000\n\n")


def test_group_by_key_count_anonymous_materialized_burns_an_index() -> None:
    # TopologyTest#kGroupedStreamAnonymousMaterializedCountShouldPreserveTopologyStructure
    b = StreamsBuilder()
    b.stream("input-topic").group_by_key().count(store=Materialized(value_serde=Serdes.long()))
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input-topic])\n"
        "      --> KSTREAM-AGGREGATE-0000000003\n"
        "    Processor: KSTREAM-AGGREGATE-0000000003 (stores: [KSTREAM-AGGREGATE-STATE-STORE-0000000002])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000000\n\n")


def test_successor_and_predecessor_order_follows_kafkas_tree_sets() -> None:
    # StreamsGraphTest#shouldOptimizeSeveralMergeNodesWithCommonKeyChangingParent
    # (expectedMergeOptimizedTopology). Note "<-- KSTREAM-MERGE-0000000005,
    # KSTREAM-MAPVALUES-0000000004": not sorted by name, because Kafka orders the set
    # while node sizes are still being computed.
    b = StreamsBuilder()
    parent = b.stream("input_topic", key_serde=Serdes.integer(), value_serde=Serdes.integer()) \
        .select_key(lambda k, v: k + v)
    child1 = parent.map_values(lambda v: v + 1)
    child2 = parent.map_values(lambda v: v + 2)
    child3 = parent.map_values(lambda v: v + 3)
    child1.merge(child2).merge(child3).to("output_topic")
    assert str(b.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [input_topic])\n"
        "      --> KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-KEY-SELECT-0000000001 (stores: [])\n"
        "      --> KSTREAM-MAPVALUES-0000000002, KSTREAM-MAPVALUES-0000000003, KSTREAM-MAPVALUES-0000000004\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-MAPVALUES-0000000002 (stores: [])\n"
        "      --> KSTREAM-MERGE-0000000005\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-MAPVALUES-0000000003 (stores: [])\n"
        "      --> KSTREAM-MERGE-0000000005\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-MAPVALUES-0000000004 (stores: [])\n"
        "      --> KSTREAM-MERGE-0000000006\n"
        "      <-- KSTREAM-KEY-SELECT-0000000001\n"
        "    Processor: KSTREAM-MERGE-0000000005 (stores: [])\n"
        "      --> KSTREAM-MERGE-0000000006\n"
        "      <-- KSTREAM-MAPVALUES-0000000002, KSTREAM-MAPVALUES-0000000003\n"
        "    Processor: KSTREAM-MERGE-0000000006 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000007\n"
        "      <-- KSTREAM-MERGE-0000000005, KSTREAM-MAPVALUES-0000000004\n"
        "    Sink: KSTREAM-SINK-0000000007 (topic: output_topic)\n"
        "      <-- KSTREAM-MERGE-0000000006\n\n")


def test_empty_topology() -> None:
    # TopologyTest#shouldDescribeEmptyTopology: the header alone, with its trailing space.
    assert str(Topology().describe()) == "Topologies:\n "


@pytest.mark.parametrize(
    "printed",
    [
        # Store sets exactly as Kafka's TopologyTest prints them (stream-stream joins).
        ["KSTREAM-OUTEROTHER-0000000005-store", "KSTREAM-OUTERSHARED-0000000004-store"],
        ["KSTREAM-OUTERTHIS-0000000004-store", "KSTREAM-OUTERSHARED-0000000004-store"],
        ["custom-name-outer-other-join-store", "custom-name-left-shared-join-store"],
        ["custom-name-this-join-store", "custom-name-left-shared-join-store"],
        ["in-memory-join-store-other", "in-memory-join-store-left-shared-join-store"],
        ["in-memory-join-store", "in-memory-join-store-left-shared-join-store"],
        ["in-memory-join-store-outer-shared-join-store", "in-memory-join-store"],
    ],
)
def test_store_names_print_in_java_hash_set_order(printed: list[str]) -> None:
    # These land in different buckets, so the order does not depend on insertion.
    for inserted in itertools.permutations(printed):
        assert java_hash_set_order(list(inserted)) == printed


def test_names_in_one_hash_bucket_keep_insertion_order() -> None:
    # Both hash to bucket 8 of 16; Kafka prints "[KSTREAM-JOINTHIS-0000000004-store,
    # KSTREAM-OUTERSHARED-0000000004-store]" where the join store was connected first.
    pair = ["KSTREAM-JOINTHIS-0000000004-store", "KSTREAM-OUTERSHARED-0000000004-store"]
    assert java_hash_set_order(pair) == pair
    assert java_hash_set_order(pair[::-1]) == pair[::-1]


class _Noop(Processor):
    def process(self, record: Record) -> None:
        self.context.forward(record)


def test_processor_api_topology() -> None:
    # Sources are never united with anything: two sources feeding one processor share a
    # sub-topology only through that processor; a store shared by two processors unites
    # them (TopologyTest#processorsWithSharedStateShouldHaveSameSubtopology).
    t = Topology()
    t.add_source("source-1", "topic-1").add_source("source-2", "topic-2")
    t.add_processor("p1", _Noop, "source-1").add_processor("p2", _Noop, "source-2")
    t.add_state_store(Stores.key_value_store_builder(Stores.in_memory_key_value_store("s")),
                      "p1", "p2")
    t.add_source("source-3", "topic-3").add_processor("p3", _Noop, "source-3")
    t.add_sink("sink", "out", "p3")
    assert t.sub_topology_ids() == [0, 1]
    assert t.source_topics(0, "app") == ["topic-1", "topic-2"]
    text = str(t.describe())
    assert "  Sub-topology: 1\n    Source: source-3 (topics: [topic-3])\n      --> p3\n" in text
    assert "Processor: p1 (stores: [s])" in text and "Processor: p2 (stores: [s])" in text
    internal = t.internal_topics("app")
    assert [(s.name, s.kind, s.subtopology_id) for s in internal] == [
        ("app-s-changelog", "changelog", 0)]
    assert internal[0].config["cleanup.policy"] == "compact"


def test_multi_topic_source_prints_topics_in_hash_set_order() -> None:
    b = StreamsBuilder()
    b.stream(["topic-b", "topic-a"]).to("out")
    text = str(b.build().describe())
    expected = java_hash_set_order(["topic-b", "topic-a"])
    assert f"(topics: [{', '.join(expected)}])" in text


def test_internal_topics_of_word_count() -> None:
    topology = word_count("counts")
    specs = {s.name: s for s in topology.internal_topics("wc")}
    assert set(specs) == {"wc-counts-repartition", "wc-counts-changelog"}
    repartition, changelog = specs["wc-counts-repartition"], specs["wc-counts-changelog"]
    assert (repartition.kind, repartition.subtopology_id, repartition.num_partitions) == \
        ("repartition", 1, None)
    # Kafka's RepartitionTopicConfig / UnwindowedUnversionedChangelogTopicConfig defaults
    assert repartition.config == {"cleanup.policy": "delete", "segment.bytes": "52428800",
                                  "retention.ms": "-1", "message.timestamp.type": "CreateTime"}
    assert (changelog.kind, changelog.subtopology_id) == ("changelog", 1)
    assert changelog.config == {"cleanup.policy": "compact",
                                "message.timestamp.type": "CreateTime"}
    assert topology.source_topics(0, "wc") == ["text-lines"]
    assert topology.source_topics(1, "wc") == ["wc-counts-repartition"]
    assert topology.sink_topics("wc") == ["word-counts"]


def test_description_is_plain_data() -> None:
    description = word_count("counts").describe()
    data = description.to_dict()
    assert [s["id"] for s in data["subtopologies"]] == [0, 1]
    first = data["subtopologies"][0]["nodes"][0]
    assert first == {"kind": "source", "name": "KSTREAM-SOURCE-0000000000",
                     "predecessors": [], "successors": ["KSTREAM-FLATMAPVALUES-0000000001"],
                     "topics": ["text-lines"], "topic_pattern": None}
