"""Global tables and stream-global-table joins, against Kafka Streams' own tests:
KStreamGlobalKTableJoinTest / KStreamGlobalKTableLeftJoinTest (results and timestamps),
StreamsBuilderTest / KStreamImplTest (names, serdes, repartitioning) and TopologyTest
(describe() of global stores)."""

from __future__ import annotations

from typing import Any

import pytest

from runtime import GlobalKTable, Materialized, Serdes, StreamsBuilder, Stores, Topology
from runtime.errors import ProcessingError, TopologyError
from runtime.processor import Processor
from runtime.processors.table import KTableSource
from runtime.testing import TopologyTestDriver

S = Serdes.string()
I = Serdes.integer()  # noqa: E741
KEYS = [0, 1, 2, 3]


def tostring_joiner(left: Any, right: Any) -> str:
    """MockValueJoiner.TOSTRING_JOINER: Java prints None as "null"."""
    return f"{'null' if left is None else left}+{'null' if right is None else right}"


def key_mapper(key: Any, value: str) -> str | None:
    # The tests' keyMapper: the value's second comma-separated token, if any.
    tokens = value.split(",")
    return tokens[1] if len(tokens) > 1 else None


class _Harness:
    """The setUp of KStreamGlobalKTable(Left)JoinTest: both input topics start at 0 and
    auto-advance by 1 ms; the join result goes to an output topic."""

    def __init__(self, left: bool) -> None:
        builder = StreamsBuilder()
        stream = builder.stream("streamTopic", key_serde=I, value_serde=S)
        table = builder.global_table("globalTableTopic", key_serde=S, value_serde=S)
        join = stream.left_join if left else stream.join
        join(table, key_mapper, tostring_joiner).to("output", key_serde=I, value_serde=S)
        self.builder = builder
        self.topology = builder.build()
        self.driver = TopologyTestDriver(self.topology)
        self.stream = self.driver.create_input_topic("streamTopic", I, S, start_timestamp=0,
                                                     auto_advance=1)
        self.table = self.driver.create_input_topic("globalTableTopic", S, S,
                                                    start_timestamp=0, auto_advance=1)
        self.output = self.driver.create_output_topic("output", I, S)

    def push_to_stream(self, count: int, prefix: str, foreign_key: bool,
                       null_key: bool = False) -> None:
        for i in KEYS[:count]:
            value = f"{prefix}{i}" + (f",FKey{i}" if foreign_key else "")
            self.stream.pipe_input(None if null_key and i == 0 else i, value)

    def push_to_table(self, count: int, prefix: str | None) -> None:
        for i in KEYS[:count]:
            self.table.pipe_input(f"FKey{i}", None if prefix is None else f"{prefix}{i}")

    def results(self) -> list[tuple[Any, Any, int]]:
        return [(r.key, r.value, r.timestamp) for r in self.output.read_records_to_list()]


@pytest.fixture
def inner() -> Any:
    harness = _Harness(left=False)
    yield harness
    harness.driver.close()


@pytest.fixture
def left() -> Any:
    harness = _Harness(left=True)
    yield harness
    harness.driver.close()


# -- KStreamGlobalKTableJoinTest ----------------------------------------------------------

def test_inner_no_join_with_empty_global_table(inner: _Harness) -> None:
    # shouldNotJoinWithEmptyGlobalTableOnStreamUpdates
    inner.push_to_stream(2, "X", True)
    assert inner.results() == []


def test_inner_no_join_on_global_table_updates(inner: _Harness) -> None:
    # shouldNotJoinOnGlobalTableUpdates
    inner.push_to_stream(2, "X", True)
    assert inner.results() == []
    inner.push_to_table(2, "Y")
    assert inner.results() == []
    inner.push_to_stream(4, "X", True)
    assert inner.results() == [(0, "X0,FKey0+Y0", 2), (1, "X1,FKey1+Y1", 3)]
    inner.push_to_table(4, "YY")
    assert inner.results() == []
    inner.push_to_stream(4, "X", True)
    assert inner.results() == [(0, "X0,FKey0+YY0", 6), (1, "X1,FKey1+YY1", 7),
                               (2, "X2,FKey2+YY2", 8), (3, "X3,FKey3+YY3", 9)]
    inner.push_to_table(4, "YYY")
    assert inner.results() == []


def test_inner_joins_only_on_match(inner: _Harness) -> None:
    # shouldJoinOnlyIfMatchFoundOnStreamUpdates
    inner.push_to_table(2, "Y")
    inner.push_to_stream(4, "X", True)
    assert inner.results() == [(0, "X0,FKey0+Y0", 0), (1, "X1,FKey1+Y1", 1)]


def test_inner_tombstone_clears_global_entry(inner: _Harness) -> None:
    # shouldClearGlobalTableEntryOnNullValueUpdates
    inner.push_to_table(4, "Y")
    inner.push_to_stream(4, "X", True)
    assert inner.results() == [(0, "X0,FKey0+Y0", 0), (1, "X1,FKey1+Y1", 1),
                               (2, "X2,FKey2+Y2", 2), (3, "X3,FKey3+Y3", 3)]
    inner.push_to_table(2, None)
    assert inner.results() == []
    inner.push_to_stream(4, "XX", True)
    assert inner.results() == [(2, "XX2,FKey2+Y2", 6), (3, "XX3,FKey3+Y3", 7)]


def test_inner_no_join_on_null_mapped_key(inner: _Harness) -> None:
    # shouldNotJoinOnNullKeyMapperValues
    inner.push_to_table(4, "Y")
    inner.push_to_stream(4, "XXX", False)
    assert inner.results() == []
    assert inner.driver.tasks[1].task_metrics()["dropped-records-total"] == 4


def test_inner_null_stream_key_joins_on_mapped_key(inner: _Harness) -> None:
    # shouldJoinOnNullKeyWithNonNullKeyMapperValues
    inner.push_to_table(2, "Y")
    inner.push_to_stream(4, "X", True, null_key=True)
    assert inner.results() == [(None, "X0,FKey0+Y0", 0), (1, "X1,FKey1+Y1", 1)]


# -- KStreamGlobalKTableLeftJoinTest ------------------------------------------------------

def test_left_empty_global_table(left: _Harness) -> None:
    # shouldNotJoinWithEmptyGlobalTableOnStreamUpdates
    left.push_to_stream(2, "X", True)
    assert left.results() == [(0, "X0,FKey0+null", 0), (1, "X1,FKey1+null", 1)]


def test_left_no_join_on_global_table_updates(left: _Harness) -> None:
    # shouldNotJoinOnGlobalTableUpdates
    left.push_to_stream(2, "X", True)
    assert left.results() == [(0, "X0,FKey0+null", 0), (1, "X1,FKey1+null", 1)]
    left.push_to_table(2, "Y")
    assert left.results() == []
    left.push_to_stream(4, "X", True)
    assert left.results() == [(0, "X0,FKey0+Y0", 2), (1, "X1,FKey1+Y1", 3),
                              (2, "X2,FKey2+null", 4), (3, "X3,FKey3+null", 5)]
    left.push_to_table(4, "YY")
    assert left.results() == []
    left.push_to_stream(4, "X", True)
    assert left.results() == [(0, "X0,FKey0+YY0", 6), (1, "X1,FKey1+YY1", 7),
                              (2, "X2,FKey2+YY2", 8), (3, "X3,FKey3+YY3", 9)]
    left.push_to_table(4, "YYY")
    assert left.results() == []


def test_left_joins_regardless_of_match(left: _Harness) -> None:
    # shouldJoinRegardlessIfMatchFoundOnStreamUpdates
    left.push_to_table(2, "Y")
    left.push_to_stream(4, "X", True)
    assert left.results() == [(0, "X0,FKey0+Y0", 0), (1, "X1,FKey1+Y1", 1),
                              (2, "X2,FKey2+null", 2), (3, "X3,FKey3+null", 3)]


def test_left_tombstone_clears_global_entry(left: _Harness) -> None:
    # shouldClearGlobalTableEntryOnNullValueUpdates
    left.push_to_table(4, "Y")
    left.push_to_stream(4, "X", True)
    assert left.results() == [(0, "X0,FKey0+Y0", 0), (1, "X1,FKey1+Y1", 1),
                              (2, "X2,FKey2+Y2", 2), (3, "X3,FKey3+Y3", 3)]
    left.push_to_table(2, None)
    assert left.results() == []
    left.push_to_stream(4, "XX", True)
    assert left.results() == [(0, "XX0,FKey0+null", 4), (1, "XX1,FKey1+null", 5),
                              (2, "XX2,FKey2+Y2", 6), (3, "XX3,FKey3+Y3", 7)]


def test_left_no_join_on_null_mapped_key(left: _Harness) -> None:
    # shouldNotJoinOnNullKeyMapperValues
    left.push_to_table(4, "Y")
    left.push_to_stream(4, "XXX", False)
    assert left.results() == []


def test_left_null_stream_key_joins_on_mapped_key(left: _Harness) -> None:
    # shouldJoinOnNullKeyWithNonNullKeyMapperValues
    left.push_to_table(4, "Y")
    left.push_to_stream(4, "X", True, null_key=True)
    assert left.results() == [(None, "X0,FKey0+Y0", 0), (1, "X1,FKey1+Y1", 1),
                              (2, "X2,FKey2+Y2", 2), (3, "X3,FKey3+Y3", 3)]


def test_no_copartitioning_needed(left: _Harness) -> None:
    # shouldNotRequireCopartitioning
    assert left.topology.copartition_groups("app") == []


def test_null_stream_values_are_dropped(left: _Harness) -> None:
    # KStreamKTableJoinProcessor#maybeDropRecord: a None value is never joined
    left.push_to_table(1, "Y")
    left.stream.pipe_input(0, None)
    assert left.results() == []


def test_failing_key_selector_is_a_processing_error() -> None:
    builder = StreamsBuilder()
    table = builder.global_table("g", key_serde=S, value_serde=S)
    builder.stream("s", key_serde=S, value_serde=S).join(
        table, lambda k, v: 1 / 0, tostring_joiner).to("out")
    with TopologyTestDriver(builder.build()) as driver:
        with pytest.raises(ProcessingError):
            driver.create_input_topic("s", S, S).pipe_input("k", "v")


# -- names, describe, stores ---------------------------------------------------------------

def test_global_table_and_join_names() -> None:
    # StreamsBuilder#globalTable: the store name is drawn before the source and processor
    # names; KStreamImpl#globalTableJoin: KSTREAM-JOIN- / KSTREAM-LEFTJOIN-, no stores.
    # Kafka's text for a global store: TopologyDescription.GlobalStore#toString.
    builder = StreamsBuilder()
    stream = builder.stream("streamTopic")
    table = builder.global_table("globalTopic")
    stream.join(table, lambda k, v: v, lambda v, g: v).to("out")
    stream.left_join(table, lambda k, v: v, lambda v, g: v)
    assert isinstance(table, GlobalKTable)
    assert table.queryable_store_name is None
    assert str(builder.build().describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000000 (topics: [streamTopic])\n"
        "      --> KSTREAM-JOIN-0000000004, KSTREAM-LEFTJOIN-0000000006\n"
        "    Processor: KSTREAM-JOIN-0000000004 (stores: [])\n"
        "      --> KSTREAM-SINK-0000000005\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Processor: KSTREAM-LEFTJOIN-0000000006 (stores: [])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000000\n"
        "    Sink: KSTREAM-SINK-0000000005 (topic: out)\n"
        "      <-- KSTREAM-JOIN-0000000004\n"
        "\n"
        "  Sub-topology: 1 for global store (will not generate tasks)\n"
        "    Source: KSTREAM-SOURCE-0000000002 (topics: [globalTopic])\n"
        "      --> KTABLE-SOURCE-0000000003\n"
        "    Processor: KTABLE-SOURCE-0000000003 (stores: [globalTopic-STATE-STORE-0000000001])\n"
        "      --> none\n"
        "      <-- KSTREAM-SOURCE-0000000002\n")


def test_named_global_table_source() -> None:
    # StreamsBuilderTest#shouldUseSpecifiedNameForGlobalTableSourceProcessor
    builder = StreamsBuilder()
    builder.global_table("stream-topic", name="source-processor")
    builder.global_table("stream-topic-two")
    topology = builder.build()
    stores = [s.name for sid in topology.global_sub_topology_ids()
              for s in topology.build_subtopology(sid, "app").stores]
    assert stores == ["stream-topic-STATE-STORE-0000000000",
                      "stream-topic-two-STATE-STORE-0000000003"]
    nodes = [n.name for n in topology.build_subtopology(0, "app").nodes]
    assert nodes == ["source-processor-source", "source-processor"]
    assert topology.sub_topology_ids() == []
    assert topology.global_topics() == ["stream-topic", "stream-topic-two"]


def test_global_table_with_materialized_serdes() -> None:
    # StreamsBuilderTest#shouldUseSerdesDefinedInMaterializedToConsumeGlobalTable
    builder = StreamsBuilder()
    table = builder.global_table("topic", store=Materialized(
        store_name="store", key_serde=Serdes.long(), value_serde=S))
    assert table.queryable_store_name == "store"
    with TopologyTestDriver(builder.build()) as driver:
        topic = driver.create_input_topic("topic", Serdes.long(), S)
        topic.pipe_input(1, "value1")
        topic.pipe_input(2, "value2")
        store = driver.get_key_value_store("store")
        assert store.get(1) == "value1"
        assert store.get(2) == "value2"
        stamped = driver.get_timestamped_key_value_store("store").get(2)
        assert stamped.value == "value2"


def test_global_store_has_no_changelog_topic() -> None:
    # InternalStreamsBuilder#globalTable disables logging: the topic is the changelog
    builder = StreamsBuilder()
    builder.global_table("topic", store="store")
    builder.stream("in").to("out")
    topology = builder.build()
    assert topology.internal_topics("app") == []
    assert topology.build_subtopology(0, "app").source_changelogs == {"store": "topic"}


def test_repartition_flag_survives_global_join() -> None:
    # KStreamImplTest#shouldPropagateRepartitionFlagAfterGlobalKTableJoin
    builder = StreamsBuilder()
    table = builder.global_table("globalTopic")
    (builder.stream("topic").select_key(lambda k, v: v)
     .join(table, lambda k, v: k + v, lambda v1, v2: v1 + v2)
     .group_by_key().count())
    assert "-repartition" in str(builder.build().describe())


def test_global_join_after_key_change_does_not_repartition() -> None:
    builder = StreamsBuilder()
    table = builder.global_table("g", key_serde=S, value_serde=S)
    (builder.stream("s", key_serde=S, value_serde=S).map(lambda k, v: (v, k))
     .join(table, lambda k, v: k, tostring_joiner).to("out"))
    assert "repartition" not in str(builder.build().describe())


# -- Processor API global stores (TopologyTest) ---------------------------------------------

def _global_store(name: str) -> Any:
    return Stores.key_value_store_builder(Stores.in_memory_key_value_store(name),
                                          S, S).with_logging_disabled()


class _StoreUpdater(Processor):
    def __init__(self, store: str) -> None:
        self.store_name = store

    def init(self, context: Any) -> None:
        self.store = context.get_state_store(self.store_name)

    def process(self, record: Any) -> None:
        self.store.put(record.key, record.value)


def test_describe_global_store_topology() -> None:
    # TopologyTest#shouldDescribeGlobalStoreTopology
    topology = Topology()
    topology.add_global_store(_global_store("globalStore"), "source", "globalTopic",
                              "processor", lambda: _StoreUpdater("globalStore"))
    assert str(topology.describe()) == (
        "Topologies:\n"
        "   Sub-topology: 0 for global store (will not generate tasks)\n"
        "    Source: source (topics: [globalTopic])\n"
        "      --> processor\n"
        "    Processor: processor (stores: [globalStore])\n"
        "      --> none\n"
        "      <-- source\n")


def test_describe_multiple_global_stores() -> None:
    # TopologyTest#shouldDescribeMultipleGlobalStoreTopology
    topology = Topology()
    for i in (1, 2):
        topology.add_global_store(_global_store(f"globalStore{i}"), f"source{i}",
                                  f"globalTopic{i}", f"processor{i}",
                                  lambda i=i: _StoreUpdater(f"globalStore{i}"))
    description = topology.describe()
    assert [g.id for g in description.global_stores] == [0, 1]
    assert str(description) == (
        "Topologies:\n"
        "   Sub-topology: 0 for global store (will not generate tasks)\n"
        "    Source: source1 (topics: [globalTopic1])\n"
        "      --> processor1\n"
        "    Processor: processor1 (stores: [globalStore1])\n"
        "      --> none\n"
        "      <-- source1\n"
        "  Sub-topology: 1 for global store (will not generate tasks)\n"
        "    Source: source2 (topics: [globalTopic2])\n"
        "      --> processor2\n"
        "    Processor: processor2 (stores: [globalStore2])\n"
        "      --> none\n"
        "      <-- source2\n")


def test_global_store_readable_by_any_processor() -> None:
    # Global stores need no connecting (ProcessorContext#getStateStore from any task)
    seen: list[Any] = []

    class Lookup(Processor):
        def init(self, context: Any) -> None:
            self.store = context.get_state_store("globalStore")

        def process(self, record: Any) -> None:
            seen.append(self.store.get(record.value))

    topology = Topology()
    topology.add_global_store(_global_store("globalStore"), "gsource", "globalTopic",
                              "gprocessor", lambda: _StoreUpdater("globalStore"),
                              key_serde=S, value_serde=S)
    topology.add_source("source", "input", key_serde=S, value_serde=S)
    topology.add_processor("lookup", Lookup, "source")
    with TopologyTestDriver(topology) as driver:
        driver.create_input_topic("globalTopic", S, S).pipe_input("a", "A")
        driver.create_input_topic("input", S, S).pipe_input("x", "a")
        driver.create_input_topic("input", S, S).pipe_input("x", "b")
        assert driver.get_key_value_store("globalStore").get("a") == "A"
    assert seen == ["A", None]


def test_global_store_argument_checks() -> None:
    # InternalTopologyBuilder#validateGlobalStoreArguments / connectProcessorAndStateStore
    topology = Topology()
    logged = Stores.key_value_store_builder(Stores.in_memory_key_value_store("logged"))
    with pytest.raises(TopologyError, match="for global table must not have logging enabled"):
        topology.add_global_store(logged, "s", "t", "p", lambda: _StoreUpdater("logged"))
    with pytest.raises(TopologyError, match="sourceName and processorName must be different"):
        topology.add_global_store(_global_store("g0"), "same", "t0", "same",
                                  lambda: _StoreUpdater("g0"))
    topology.add_global_store(_global_store("g"), "s", "t", "p", lambda: _StoreUpdater("g"))
    with pytest.raises(TopologyError, match="GlobalStateStore has already been added"):
        topology.add_global_store(_global_store("g"), "s2", "t2", "p2",
                                  lambda: _StoreUpdater("g"))
    topology.add_source("in", "input")
    topology.add_processor("proc", lambda: _StoreUpdater("g"), "in")
    with pytest.raises(TopologyError, match="can be used by a Processor without being"):
        topology.connect_processor_and_state_stores("proc", "g")
    with pytest.raises(TopologyError, match="already been registered"):
        topology.add_source("again", "t")


def test_global_table_source_is_kafkas_table_source() -> None:
    # The global store is fed by a KTableSource whose queryable name is the store name
    builder = StreamsBuilder()
    builder.global_table("t", store="st")
    topology = builder.build()
    processor = topology.build_subtopology(0, "app").nodes[1]
    assert isinstance(processor.supplier, KTableSource)  # type: ignore[union-attr]
    assert processor.supplier.queryable_name == "st"  # type: ignore[union-attr]
