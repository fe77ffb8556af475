"""Foreign-key table-table joins (KIP-213), against Kafka Streams' tests and a
brute-force join."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import Materialized, Serdes, StreamsBuilder
from runtime.dsl.internals.fk_join import foreign_key_join
from runtime.processors.fk_join.murmur3 import _hash128_py, hash128
from runtime.serdes.internals.fk_serdes import (
    CombinedKeySchema,
    Instruction,
    ResponseWrapper,
    ResponseWrapperSerde,
    SubscriptionWrapper,
    SubscriptionWrapperSerde,
)
from runtime.testing import TestRecord, TopologyTestDriver

S = Serdes.string()
LEFT, RIGHT, OUTPUT = "left_table", "right_table", "output-topic"


def extract_fk(value: str) -> str:
    return value.split("|")[1]


def fk_or_none(value: str) -> str | None:
    part = extract_fk(value)
    return None if part == "none" else part


def joiner(left: str, right: str | None) -> str:
    return f"({left},{'null' if right is None else right})"


# KStreamImplTest#shouldSupportForeignKeyTableTableJoinWithKTableFromKStream
FK_JOIN_FROM_STREAMS = (
    "Topologies:\n"
    "   Sub-topology: 0\n"
    "    Source: KTABLE-SOURCE-0000000016 (topics: [KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic])\n"
    "      --> KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017\n"
    "    Source: KSTREAM-SOURCE-0000000000 (topics: [input1])\n"
    "      --> KSTREAM-TOTABLE-0000000001\n"
    "    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"
    "      --> KTABLE-FK-JOIN-OUTPUT-0000000018\n"
    "      <-- KTABLE-SOURCE-0000000016\n"
    "    Processor: KSTREAM-TOTABLE-0000000001 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000002])\n"
    "      --> KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007\n"
    "      <-- KSTREAM-SOURCE-0000000000\n"
    "    Processor: KTABLE-FK-JOIN-OUTPUT-0000000018 (stores: [])\n"
    "      --> KTABLE-TOSTREAM-0000000020\n"
    "      <-- KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-RESOLVER-PROCESSOR-0000000017\n"
    "    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007 (stores: [])\n"
    "      --> KTABLE-SINK-0000000008\n"
    "      <-- KSTREAM-TOTABLE-0000000001\n"
    "    Processor: KTABLE-TOSTREAM-0000000020 (stores: [])\n"
    "      --> KSTREAM-SINK-0000000021\n"
    "      <-- KTABLE-FK-JOIN-OUTPUT-0000000018\n"
    "    Sink: KSTREAM-SINK-0000000021 (topic: output)\n"
    "      <-- KTABLE-TOSTREAM-0000000020\n"
    "    Sink: KTABLE-SINK-0000000008 (topic: KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic)\n"
    "      <-- KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000007\n"
    "\n"
    "  Sub-topology: 1\n"
    "    Source: KSTREAM-SOURCE-0000000003 (topics: [input2])\n"
    "      --> KSTREAM-TOTABLE-0000000004\n"
    "    Source: KTABLE-SOURCE-0000000009 (topics: [KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic])\n"
    "      --> KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011\n"
    "    Processor: KSTREAM-TOTABLE-0000000004 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000005])\n"
    "      --> KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013\n"
    "      <-- KSTREAM-SOURCE-0000000003\n"
    "    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011 (stores: [KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010])\n"
    "      --> KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012\n"
    "      <-- KTABLE-SOURCE-0000000009\n"
    "    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012 (stores: [KSTREAM-TOTABLE-STATE-STORE-0000000005])\n"
    "      --> KTABLE-SINK-0000000015\n"
    "      <-- KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000011\n"
    "    Processor: KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013 (stores: [KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010])\n"
    "      --> KTABLE-SINK-0000000015\n"
    "      <-- KSTREAM-TOTABLE-0000000004\n"
    "    Sink: KTABLE-SINK-0000000015 (topic: KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic)\n"
    "      <-- KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000012, KTABLE-FK-JOIN-SUBSCRIPTION-PROCESSOR-0000000013\n\n")


def test_describe_matches_kafka() -> None:
    # KStreamImplTest#shouldSupportForeignKeyTableTableJoinWithKTableFromKStream
    b = StreamsBuilder()
    left = b.stream("input1", key_serde=S, value_serde=S).to_table()
    right = b.stream("input2", key_serde=S, value_serde=S).to_table()
    left.join(right, extract_fk, joiner).to_stream().to("output")
    assert str(b.build().describe()) == FK_JOIN_FROM_STREAMS


def test_direct_call_builds_the_same_topology() -> None:
    b = StreamsBuilder()
    left = b.stream("input1", key_serde=S, value_serde=S).to_table()
    right = b.stream("input2", key_serde=S, value_serde=S).to_table()
    foreign_key_join(left, right, extract_fk, joiner, left=False, name=None,
                     store=None).to_stream().to("output")
    assert str(b.build().describe()) == FK_JOIN_FROM_STREAMS


def test_generated_internal_topic_names() -> None:
    # KTableKTableForeignKeyJoinScenarioTest#shouldUseExpectedTopicsWithSerde: the
    # subscription topic takes index 6, the response topic 14 (after two tables).
    b = StreamsBuilder()
    left = b.table(LEFT, key_serde=S, value_serde=S)
    right = b.table(RIGHT, key_serde=S, value_serde=S)
    left.join(right, extract_fk, joiner).to_stream().to(OUTPUT, value_serde=S)
    app = "ktable-ktable-joinOnForeignKey"
    with TopologyTestDriver(b.build(), {"application.id": app}) as driver:
        driver.create_input_topic(LEFT, S, S).pipe_input("2", "lhsValue1|1")
        driver.create_input_topic(RIGHT, S, S).pipe_input("1", "rhsValue1")
        assert driver.produced_topic_names() == {
            f"{app}-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic",
            f"{app}-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic",
            f"{app}-KTABLE-FK-JOIN-SUBSCRIPTION-STATE-STORE-0000000010-changelog",
            f"{app}-left_table-STATE-STORE-0000000000-changelog",
            f"{app}-right_table-STATE-STORE-0000000003-changelog",
            OUTPUT,
        }


def test_named_join_internal_topic_names() -> None:
    # TopologyTestDriverTest#shouldCaptureInternalTopicNamesIfWrittenInto
    b = StreamsBuilder()
    t1 = b.stream("source1", key_serde=S, value_serde=S).select_key(lambda k, v: v) \
        .group_by_key().count(store="table1")
    b.table("source2", key_serde=S, value_serde=S, store="table2") \
        .join(t1, lambda v: v, lambda v1, v2: v2, name="join")
    app = "test-app"
    with TopologyTestDriver(b.build(), {"application.id": app}) as driver:
        driver.create_input_topic("source1", S, S).pipe_input("key1", "value1")
        assert driver.produced_topic_names() == {f"{app}-table1-repartition",
                                                 f"{app}-table1-changelog"}
        driver.create_input_topic("source2", S, S).pipe_input("key1", "value1")
        assert driver.produced_topic_names() == {
            f"{app}-table1-repartition",
            f"{app}-table1-changelog",
            f"{app}-table2-changelog",
            f"{app}-join-subscription-registration-topic",
            f"{app}-join-subscription-store-changelog",
            f"{app}-join-subscription-response-topic",
        }


def test_named_join_node_names() -> None:
    # KTableImpl#doJoinOnForeignKey: with a name every node is "<name>-<role>"
    b = StreamsBuilder()
    left = b.table(LEFT, key_serde=S, value_serde=S)
    right = b.table(RIGHT, key_serde=S, value_serde=S)
    left.left_join(right, extract_fk, joiner, name="fk")
    text = str(b.build().describe())
    for node in ("fk-subscription-registration-processor", "fk-subscription-registration-sink",
                 "fk-subscription-registration-source", "fk-subscription-receive",
                 "fk-subscription-join-foreign", "fk-foreign-join-subscription",
                 "fk-subscription-response-sink", "fk-subscription-response-source",
                 "fk-subscription-response-resolver", "fk-result",
                 "(topic: fk-subscription-registration-topic)",
                 "(topics: [fk-subscription-response-topic])",
                 "(stores: [fk-subscription-store])"):
        assert node in text


# -- KTableKTableForeignKeyJoinIntegrationTest ---------------------------------------------

def topology(left_join: bool, store: str | None, extractor=extract_fk, optimize: bool = False):
    b = StreamsBuilder()
    left = b.table(LEFT, key_serde=S, value_serde=S)
    right = b.table(RIGHT, key_serde=S, value_serde=S)
    mat = None if store is None else Materialized(store, value_serde=S)
    join = left.left_join if left_join else left.join
    join(right, extractor, joiner, store=mat).to_stream().to(OUTPUT, key_serde=S, value_serde=S)
    return b.build(optimize=optimize)


class Fixture:
    def __init__(self, driver: TopologyTestDriver, materialized: bool) -> None:
        self.left = driver.create_input_topic(LEFT, S, S)
        self.right = driver.create_input_topic(RIGHT, S, S)
        self.output = driver.create_output_topic(OUTPUT, S, S)
        self.store = driver.get_key_value_store("store") if materialized else None

    def check(self, expected_output: dict, expected_store: dict | None = None) -> None:
        assert self.output.read_key_values_to_map() == expected_output
        if self.store is not None and expected_store is not None:
            assert dict(self.store.all()) == expected_store


# Kafka runs these with topology.optimization "all" and "none" (source topics reused
# as the tables' changelogs, or not)
CASES = [(lj, m, o) for lj in (False, True) for m in (False, True) for o in (False, True)]


@pytest.mark.parametrize("left_join,materialized,optimize", CASES)
def test_join_from_left_then_delete_left_entity(left_join: bool, materialized: bool,
                                                optimize: bool) -> None:
    # KTableKTableForeignKeyJoinIntegrationTest#doJoinFromLeftThenDeleteLeftEntity
    with TopologyTestDriver(topology(left_join, "store" if materialized else None,
                                             optimize=optimize)) as d:
        f = Fixture(d, materialized)
        f.right.pipe_input("rhs1", "rhsValue1", 0)
        f.right.pipe_input("rhs2", "rhsValue2", 1)
        f.right.pipe_input("rhs3", "rhsValue3", 2)  # unreferenced: never in a result
        f.check({}, {})
        f.left.pipe_input("lhs1", "lhsValue1|rhs1", 3)
        f.left.pipe_input("lhs2", "lhsValue2|rhs2", 4)
        both = {"lhs1": "(lhsValue1|rhs1,rhsValue1)", "lhs2": "(lhsValue2|rhs2,rhsValue2)"}
        f.check(both, both)
        f.left.pipe_input("lhs3", "lhsValue3|rhs1", 5)
        f.check({"lhs3": "(lhsValue3|rhs1,rhsValue1)"},
                {**both, "lhs3": "(lhsValue3|rhs1,rhsValue1)"})
        f.left.pipe_input("lhs1", None, 6)
        f.check({"lhs1": None},
                {"lhs2": "(lhsValue2|rhs2,rhsValue2)", "lhs3": "(lhsValue3|rhs1,rhsValue1)"})


@pytest.mark.parametrize("left_join,materialized,optimize", CASES)
def test_join_from_right_then_delete_right_entity(left_join: bool, materialized: bool,
                                                optimize: bool) -> None:
    # KTableKTableForeignKeyJoinIntegrationTest#doJoinFromRightThenDeleteRightEntity
    with TopologyTestDriver(topology(left_join, "store" if materialized else None,
                                             optimize=optimize)) as d:
        f = Fixture(d, materialized)
        f.left.pipe_input("lhs1", "lhsValue1|rhs1", 0)
        f.left.pipe_input("lhs2", "lhsValue2|rhs2", 1)
        f.left.pipe_input("lhs3", "lhsValue3|rhs1", 2)
        nulls = {"lhs1": "(lhsValue1|rhs1,null)", "lhs2": "(lhsValue2|rhs2,null)",
                 "lhs3": "(lhsValue3|rhs1,null)"}
        f.check(nulls if left_join else {}, nulls if left_join else {})
        f.right.pipe_input("rhs1", "rhsValue1", 3)
        joined1 = {"lhs1": "(lhsValue1|rhs1,rhsValue1)", "lhs3": "(lhsValue3|rhs1,rhsValue1)"}
        f.check(joined1, {**nulls, **joined1} if left_join else joined1)
        f.right.pipe_input("rhs2", "rhsValue2", 4)
        everything = {**joined1, "lhs2": "(lhsValue2|rhs2,rhsValue2)"}
        f.check({"lhs2": "(lhsValue2|rhs2,rhsValue2)"}, everything)
        f.right.pipe_input("rhs3", "rhsValue3", 5)  # unreferenced
        f.check({}, everything)
        f.right.pipe_input("rhs1", None, 6)
        f.check({"lhs1": "(lhsValue1|rhs1,null)" if left_join else None,
                 "lhs3": "(lhsValue3|rhs1,null)" if left_join else None},
                {"lhs1": "(lhsValue1|rhs1,null)", "lhs2": "(lhsValue2|rhs2,rhsValue2)",
                 "lhs3": "(lhsValue3|rhs1,null)"} if left_join
                else {"lhs2": "(lhsValue2|rhs2,rhsValue2)"})


@pytest.mark.parametrize("left_join,materialized,optimize", CASES)
def test_tombstone_when_deleting_non_joining_records(left_join: bool, materialized: bool,
                                                optimize: bool) -> None:
    # KTableKTableForeignKeyJoinIntegrationTest#shouldEmitTombstoneWhenDeletingNonJoiningRecords:
    # an inner join cannot know whether a result was emitted, so it retracts anyway.
    with TopologyTestDriver(topology(left_join, "store" if materialized else None,
                                             optimize=optimize)) as d:
        f = Fixture(d, materialized)
        f.left.pipe_input("lhs1", "lhsValue1|rhs1", 0)
        expected = {"lhs1": "(lhsValue1|rhs1,null)"} if left_join else {}
        f.check(expected, expected)
        f.left.pipe_input("lhs1", None, 1)
        f.check({"lhs1": None}, {})
        f.left.pipe_input("lhs1", None, 2)  # deleting again is idempotent
        f.check({}, {})


@pytest.mark.parametrize("left_join,materialized,optimize", CASES)
def test_no_tombstone_when_deleting_non_existing_records(left_join: bool,
                                                         materialized: bool, optimize: bool) -> None:
    # KTableKTableForeignKeyJoinIntegrationTest#shouldNotEmitTombstonesWhenDeletingNonExistingRecords
    with TopologyTestDriver(topology(left_join, "store" if materialized else None,
                                             optimize=optimize)) as d:
        f = Fixture(d, materialized)
        f.left.pipe_input("lhs1", None, 0)
        f.check({}, {})


@pytest.mark.parametrize("left_join,materialized,optimize", CASES)
def test_nulls_when_value_has_non_matching_foreign_key(left_join: bool,
                                                        materialized: bool, optimize: bool) -> None:
    # KTableKTableForeignKeyJoinIntegrationTest#joinShouldProduceNullsWhenValueHasNonMatchingForeignKey
    with TopologyTestDriver(topology(left_join, "store" if materialized else None,
                                             optimize=optimize)) as d:
        f = Fixture(d, materialized)
        f.left.pipe_input("lhs1", "lhsValue1|rhs1", 0)
        only = {"lhs1": "(lhsValue1|rhs1,null)"} if left_join else {}
        f.check(only, only)
        # a new foreign key without a match retracts the old result (inner: tombstone)
        f.left.pipe_input("lhs1", "lhsValue1|rhs2", 1)
        f.check({"lhs1": "(lhsValue1|rhs2,null)" if left_join else None},
                {"lhs1": "(lhsValue1|rhs2,null)"} if left_join else {})
        f.left.pipe_input("lhs1", "lhsValue1|rhs3", 2)
        f.check({"lhs1": "(lhsValue1|rhs3,null)" if left_join else None},
                {"lhs1": "(lhsValue1|rhs3,null)"} if left_join else {})
        # rhs1 is no longer referenced
        f.right.pipe_input("rhs1", "rhsValue1", 3)
        f.check({}, {"lhs1": "(lhsValue1|rhs3,null)"} if left_join else {})
        f.left.pipe_input("lhs1", "lhsValue1|rhs1", 4)
        f.check({"lhs1": "(lhsValue1|rhs1,rhsValue1)"}, {"lhs1": "(lhsValue1|rhs1,rhsValue1)"})
        f.left.pipe_input("lhs1", "lhsValue1|rhs2", 5)
        f.check({"lhs1": "(lhsValue1|rhs2,null)" if left_join else None},
                {"lhs1": "(lhsValue1|rhs2,null)"} if left_join else {})


@pytest.mark.parametrize("left_join,materialized,optimize", CASES)
def test_unsubscribe_old_foreign_key_when_left_side_is_updated(left_join: bool,
                                                               materialized: bool, optimize: bool) -> None:
    # KTableKTableForeignKeyJoinIntegrationTest#shouldUnsubscribeOldForeignKeyIfLeftSideIsUpdated
    with TopologyTestDriver(topology(left_join, "store" if materialized else None,
                                             optimize=optimize)) as d:
        f = Fixture(d, materialized)
        f.right.pipe_input("rhs1", "rhsValue1", 0)
        f.right.pipe_input("rhs2", "rhsValue2", 1)
        f.check({}, {})
        f.left.pipe_input("lhs1", "lhsValue1|rhs1", 2)
        f.check({"lhs1": "(lhsValue1|rhs1,rhsValue1)"}, {"lhs1": "(lhsValue1|rhs1,rhsValue1)"})
        f.left.pipe_input("lhs1", "lhsValue1|rhs2", 3)
        f.check({"lhs1": "(lhsValue1|rhs2,rhsValue2)"}, {"lhs1": "(lhsValue1|rhs2,rhsValue2)"})
        # the old foreign key no longer reaches lhs1
        f.right.pipe_input("rhs1", "rhsValue1Delta", 4)
        f.check({}, {"lhs1": "(lhsValue1|rhs2,rhsValue2)"})


@pytest.mark.parametrize("materialized", [False, True])
def test_left_join_emits_on_null_foreign_key(materialized: bool) -> None:
    # KTableKTableForeignKeyJoinIntegrationTest#shouldEmitRecordOnNullForeignKeyForLeftJoins
    topo = topology(True, "store" if materialized else None, extractor=lambda v: None)
    with TopologyTestDriver(topo) as d:
        f = Fixture(d, materialized)
        f.left.pipe_input("lhs1", "lhsValue1|rhs1", 0)
        f.check({"lhs1": "(lhsValue1|rhs1,null)"}, {"lhs1": "(lhsValue1|rhs1,null)"})


def test_inner_join_drops_null_foreign_key() -> None:
    # SubscriptionSendProcessorSupplierTest#innerJoinShouldDropNullForeignKey (and the
    # dropped-records sensor): no subscription, no output
    with TopologyTestDriver(topology(False, None, extractor=lambda v: None)) as d:
        f = Fixture(d, False)
        f.left.pipe_input("lhs1", "lhsValue1|rhs1", 0)
        f.check({})
        assert d.produced_topic_names() == {
            "topology-test-driver-left_table-STATE-STORE-0000000000-changelog"}


def test_left_join_foreign_key_change_to_null_emits_null_join() -> None:
    # KTableKTableForeignKeyJoinIntegrationTest#shouldEmitRecordWhenOldAndNewFkDiffer
    with TopologyTestDriver(topology(True, "store", extractor=fk_or_none)) as d:
        f = Fixture(d, True)
        f.left.pipe_input("lhs1", "lhsValue1|rhs1", 0)
        f.check({"lhs1": "(lhsValue1|rhs1,null)"}, {"lhs1": "(lhsValue1|rhs1,null)"})
        f.left.pipe_input("lhs1", "lhsValue1|none", 1)
        f.check({"lhs1": "(lhsValue1|none,null)"}, {"lhs1": "(lhsValue1|none,null)"})
        # the old subscription is gone: a right update for rhs1 reaches nobody
        f.right.pipe_input("rhs1", "rhsValue1", 2)
        f.check({}, {"lhs1": "(lhsValue1|none,null)"})


SUBSCRIPTION_TOPIC = "topology-test-driver-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic"
DKNP, DKAP = Instruction.DELETE_KEY_NO_PROPAGATE, Instruction.DELETE_KEY_AND_PROPAGATE
PNULL, PONLY = (Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE,
                Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE)


def subscriptions(driver: TopologyTestDriver) -> list[tuple]:
    topic = driver.create_output_topic(SUBSCRIPTION_TOPIC, S, SubscriptionWrapperSerde(S))
    return [(k, w.instruction, w.hash, w.primary_key, w.primary_partition)
            for k, w in topic.read_key_values_to_list()]


def h(value: str) -> tuple[int, int]:
    return hash128(value.encode())


def test_prefix_scan_on_rocksdb_stores(tmp_path) -> None:
    # default.dsl.store=rocksDB: the subscription store (Kafka's SubscriptionStoreFactory
    # follows the DSL store default) is scanned by foreign-key prefix on RocksDB too
    config = {"default.dsl.store": "rocksDB", "state.dir": str(tmp_path)}
    with TopologyTestDriver(topology(False, "store"), config) as d:
        f = Fixture(d, True)
        for i in range(5):
            f.left.pipe_input(f"lhs{i}", f"v{i}|rhs{i % 2}", i)
        f.left.pipe_input("x", "vx|rhs10", 5)  # rhs1's prefix must not reach rhs10
        f.right.pipe_input("rhs1", "one", 6)
        assert f.output.read_key_values_to_map() == {"lhs1": "(v1|rhs1,one)",
                                                     "lhs3": "(v3|rhs1,one)"}


def test_left_join_subscription_instructions() -> None:
    # SubscriptionSendProcessorSupplier#leftJoinInstructions as of KAFKA-16394's fix: the
    # old foreign key is unsubscribed without a response, every change is answered once
    # from the new one (a delete or a null foreign key from the null "key")
    with TopologyTestDriver(topology(True, None, extractor=fk_or_none)) as d:
        f = Fixture(d, False)
        f.left.pipe_input("pk", "a|fk1", 0)
        assert subscriptions(d) == [("fk1", PNULL, h("a|fk1"), "pk", 0)]
        f.left.pipe_input("pk", "b|fk2", 1)
        assert subscriptions(d) == [("fk1", DKNP, h("b|fk2"), "pk", 0),
                                    ("fk2", PNULL, h("b|fk2"), "pk", 0)]
        f.left.pipe_input("pk", "c|fk2", 2)
        assert subscriptions(d) == [("fk2", PNULL, h("c|fk2"), "pk", 0)]
        f.left.pipe_input("pk", "c|none", 3)  # non-null to null foreign key
        assert subscriptions(d) == [("fk2", DKNP, h("c|none"), "pk", 0),
                                    (None, PNULL, h("c|none"), "pk", 0)]
        f.left.pipe_input("pk", "d|fk1", 4)  # null to non-null
        assert subscriptions(d) == [("fk1", PNULL, h("d|fk1"), "pk", 0)]
        f.left.pipe_input("pk", None, 5)
        assert subscriptions(d) == [("fk1", DKNP, None, "pk", 0), (None, PNULL, None, "pk", 0)]
        f.left.pipe_input("pk2", "d|none", 6)
        assert subscriptions(d) == [(None, PNULL, h("d|none"), "pk2", 0)]
        f.left.pipe_input("pk2", None, 7)  # ...ThatHadNullFK
        assert subscriptions(d) == [(None, PNULL, None, "pk2", 0)]
        f.left.pipe_input("pk3", None, 8)  # deleting what never was: nothing
        assert subscriptions(d) == []


def test_inner_join_subscription_instructions() -> None:
    # SubscriptionSendProcessorSupplier#defaultJoinInstructions (KAFKA-16407's fix
    # included): insert and unchanged foreign key only if the right row exists, a changed
    # one unsubscribes silently and retracts through the new one, a foreign key turning
    # null retracts through the old one
    with TopologyTestDriver(topology(False, None, extractor=fk_or_none)) as d:
        f = Fixture(d, False)
        f.left.pipe_input("pk", "a|fk1", 0)
        assert subscriptions(d) == [("fk1", PONLY, h("a|fk1"), "pk", 0)]
        f.left.pipe_input("pk", "b|fk2", 1)
        assert subscriptions(d) == [("fk1", DKNP, h("b|fk2"), "pk", 0),
                                    ("fk2", PNULL, h("b|fk2"), "pk", 0)]
        f.left.pipe_input("pk", "c|fk2", 2)
        assert subscriptions(d) == [("fk2", PONLY, h("c|fk2"), "pk", 0)]
        f.left.pipe_input("pk", "c|none", 3)
        assert subscriptions(d) == [("fk2", DKAP, h("c|none"), "pk", 0)]
        f.left.pipe_input("pk", "d|fk1", 4)
        assert subscriptions(d) == [("fk1", PONLY, h("d|fk1"), "pk", 0)]
        f.left.pipe_input("pk", None, 5)
        assert subscriptions(d) == [("fk1", DKAP, None, "pk", 0)]
        f.left.pipe_input("pk2", "c|none", 6)
        assert subscriptions(d) == []


def test_left_join_result_survives_the_old_foreign_keys_late_answer() -> None:
    # KAFKA-16394: a left value moves from fk1 to fk2; the two subscriptions go to
    # different partitions, so fk2's answer may come back first. Whatever answer the old
    # foreign key sends must not overwrite the new result with a null join.
    app = "late-answer"
    with TopologyTestDriver(topology(True, None), {"application.id": app}) as d:
        f = Fixture(d, False)
        registration = d.create_output_topic(
            f"{app}-KTABLE-FK-JOIN-SUBSCRIPTION-REGISTRATION-0000000006-topic", S,
            SubscriptionWrapperSerde(S))
        f.right.pipe_input("rhs2", "two", 0)
        f.left.pipe_input("lhs1", "v|rhs1", 1)
        f.left.pipe_input("lhs1", "v|rhs2", 2)
        assert f.output.read_key_values_to_list()[-1] == ("lhs1", "(v|rhs2,two)")
        # replay the unsubscription from rhs1 after rhs2's answer, as a slower
        # partition would deliver it
        unsubscribe = [w for k, w in registration.read_key_values_to_list()
                       if k == "rhs1" and w.hash == h("v|rhs2")]
        assert [w.instruction for w in unsubscribe] == [DKNP]
        d.create_input_topic(registration.name, S, SubscriptionWrapperSerde(S)) \
            .pipe_input("rhs1", unsubscribe[0], 3)
        assert f.output.read_key_values_to_list() == []


def test_output_timestamps() -> None:
    # SubscriptionJoinProcessorSupplier: a left-triggered result takes the later of the
    # subscription's and the right row's timestamps; ForeignTableJoinProcessorSupplier:
    # a right-triggered one keeps the right record's timestamp.
    with TopologyTestDriver(topology(True, None)) as d:
        f = Fixture(d, False)
        f.right.pipe_input("rhs1", "r1", 100)
        f.left.pipe_input("lhs1", "l1|rhs1", 50)      # older than the right row
        f.left.pipe_input("lhs2", "l2|rhs1", 150)     # newer
        f.left.pipe_input("lhs3", "l3|rhs9", 40)      # no match (left join)
        f.right.pipe_input("rhs1", "r1b", 60)         # right update, out of order
        f.right.pipe_input("rhs1", None, 70)          # right delete
        f.left.pipe_input("lhs2", None, 200)          # left delete
        assert f.output.read_records_to_list() == [
            TestRecord("lhs1", "(l1|rhs1,r1)", 100),
            TestRecord("lhs2", "(l2|rhs1,r1)", 150),
            TestRecord("lhs3", "(l3|rhs9,null)", 40),
            TestRecord("lhs1", "(l1|rhs1,r1b)", 60),
            TestRecord("lhs2", "(l2|rhs1,r1b)", 60),
            TestRecord("lhs1", "(l1|rhs1,null)", 70),
            TestRecord("lhs2", "(l2|rhs1,null)", 70),
            # SubscriptionSendProcessorSupplier#leftJoinInstructions: a delete
            # unsubscribes the old key silently and is answered once, from the null
            # key, with one tombstone (KAFKA-16394)
            TestRecord("lhs2", None, 200),
        ]


def test_inner_join_output_records_with_tombstones() -> None:
    # SubscriptionSendProcessorSupplier#defaultJoinInstructions: a changed foreign key
    # unsubscribes the old one without output and propagates null if the new one has
    # no match; a delete retracts.
    with TopologyTestDriver(topology(False, None)) as d:
        f = Fixture(d, False)
        f.right.pipe_input("a", "A", 1)
        f.right.pipe_input("b", "B", 2)
        f.left.pipe_input("k", "v|a", 3)
        f.left.pipe_input("k", "v|b", 4)
        f.left.pipe_input("k", "v|c", 5)
        f.right.pipe_input("c", "C", 6)
        f.right.pipe_input("b", "B2", 7)       # k left b: nothing
        f.left.pipe_input("k", None, 8)
        assert f.output.read_records_to_list() == [
            TestRecord("k", "(v|a,A)", 3),
            TestRecord("k", "(v|b,B)", 4),
            TestRecord("k", None, 5),
            TestRecord("k", "(v|c,C)", 6),
            TestRecord("k", None, 8),
        ]


def test_left_table_derived_by_filter_and_map_values() -> None:
    # The left value getter of a table without a store of its own computes through
    # its parents (KTableValueGetterSupplier chain); the filtered-out row retracts.
    b = StreamsBuilder()
    left = b.table(LEFT, key_serde=S, value_serde=S) \
        .filter(lambda k, v: not v.startswith("x")).map_values(lambda v: v.upper())
    right = b.table(RIGHT, key_serde=S, value_serde=S)
    left.join(right, lambda v: v.split("|")[1].lower(), joiner) \
        .to_stream().to(OUTPUT, key_serde=S, value_serde=S)
    with TopologyTestDriver(b.build()) as d:
        f = Fixture(d, False)
        f.right.pipe_input("r", "R", 0)
        f.left.pipe_input("k", "v|r", 1)
        f.left.pipe_input("k", "xv|r", 2)
        assert f.output.read_records_to_list() == [
            TestRecord("k", "(V|R,R)", 1),
            TestRecord("k", None, 2),
        ]


def test_self_join_on_foreign_key() -> None:
    # a table joined with itself (employee -> manager): both sides in one sub-topology
    b = StreamsBuilder()
    people = b.table("people", key_serde=S, value_serde=S)
    people.left_join(people, extract_fk, joiner, store=Materialized("mgr", value_serde=S))
    with TopologyTestDriver(b.build()) as d:
        topic = d.create_input_topic("people", S, S)
        topic.pipe_input("bob", "Bob|ann", 0)
        topic.pipe_input("ann", "Ann|ann", 1)
        topic.pipe_input("ann", "Ann2|ann", 2)
        store = d.get_key_value_store("mgr")
        assert dict(store.all()) == {"bob": "(Bob|ann,Ann2|ann)", "ann": "(Ann2|ann,Ann2|ann)"}


def test_scenario_with_default_serdes_then_equi_join() -> None:
    # KTableKTableForeignKeyJoinScenarioTest#shouldWorkWithDefaultSerdes
    b = StreamsBuilder()
    a = b.table("A")
    bt = b.table("B")
    fk_result = a.join(bt, lambda v: int(v.split("-")[0]), lambda x, y: f"({x},{y})",
                       store="asdf")
    a.join(fk_result, lambda x, y: f"({x},{y})").to_stream().to("output")
    config = {"default.key.serde": Serdes.integer(), "default.value.serde": S}
    with TopologyTestDriver(b.build(), config) as d:
        d.create_input_topic("A", Serdes.integer(), S).pipe_input(1, "999-alpha")
        d.create_input_topic("B", Serdes.integer(), S).pipe_input(999, "beta")
        out = d.create_output_topic("output", Serdes.integer(), S)
        assert out.read_key_values_to_map() == {1: "(999-alpha,(999-alpha,beta))"}
        assert d.get_key_value_store("asdf").get(1) == "(999-alpha,beta)"


def test_same_topology_under_two_default_serde_configs() -> None:
    # serdes left to the defaults follow each run's configuration
    b = StreamsBuilder()
    b.table("A").join(b.table("B"), lambda v: int(v.split("-")[0]), lambda x, y: f"({x},{y})") \
        .to_stream().to("output")
    topology = b.build()
    for key_serde in (Serdes.integer(), Serdes.long()):
        config = {"default.key.serde": key_serde, "default.value.serde": S}
        with TopologyTestDriver(topology, config) as d:
            d.create_input_topic("B", key_serde, S).pipe_input(7, "beta")
            d.create_input_topic("A", key_serde, S).pipe_input(1, "7-alpha")
            assert d.create_output_topic("output", key_serde, S).read_key_values_to_list() \
                == [(1, "(7-alpha,beta)")]


def test_subscription_store_layout_and_queryable_result() -> None:
    # KTableKTableForeignKeyJoinIntegrationTest#subscriptionStoreKey: the store key is
    # {4-byte fk length}{fk}{pk}; the subscription is removed when the fk changes.
    with TopologyTestDriver(topology(False, "store")) as d:
        f = Fixture(d, True)
        f.left.pipe_input("lhs1", "v|rhs1", 0)
        stores = d.get_all_state_stores()
        name = next(n for n in stores if "SUBSCRIPTION-STATE-STORE" in n)
        sub_store = d.get_key_value_store(name)
        key = struct.pack(">i", 4) + b"rhs1" + b"lhs1"
        found = sub_store.get(key)
        assert found is not None and found.primary_key == "lhs1"
        assert found.instruction == Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE
        assert found.hash == hash128(b"v|rhs1")
        f.left.pipe_input("lhs1", "v|rhs2", 1)
        assert sub_store.get(key) is None
        assert sub_store.get(struct.pack(">i", 4) + b"rhs2" + b"lhs1") is not None


def test_stale_response_is_dropped() -> None:
    # ResponseJoinProcessorSupplierTest#shouldNotForwardWhenHashDoesNotMatch and
    # #shouldForwardWhenHashMatches: a response for an older left value is dropped.
    app = "stale"
    with TopologyTestDriver(topology(False, None), {"application.id": app}) as d:
        f = Fixture(d, False)
        f.left.pipe_input("lhs1", "new|rhs1", 0)
        response_topic = f"{app}-KTABLE-FK-JOIN-SUBSCRIPTION-RESPONSE-0000000014-topic"
        responses = d.create_input_topic(response_topic, S, ResponseWrapperSerde(S))
        responses.pipe_input("lhs1", ResponseWrapper(hash128(b"old|rhs1"), "rhsValue"), 5)
        f.check({})
        responses.pipe_input("lhs1", ResponseWrapper(hash128(b"new|rhs1"), "rhsValue"), 6)
        assert f.output.read_records_to_list() == [TestRecord("lhs1", "(new|rhs1,rhsValue)", 6)]


def test_bad_fk_join_arguments() -> None:
    b = StreamsBuilder()
    left = b.table(LEFT, key_serde=S, value_serde=S)
    with pytest.raises(TypeError):
        foreign_key_join(left, "not a table", extract_fk, joiner, left=False, name=None,
                         store=None)
    with pytest.raises(TypeError):
        left.join(b.table(RIGHT), extract_fk, "not callable")
    with pytest.raises(ValueError):
        left.join(b.table("other"), extract_fk, joiner, name="bad name")


def test_extractor_error_follows_the_processing_handler() -> None:
    # a user callable that raises is a processing error (LogAndFail by default), and
    # skipped with the continue handler
    def boom(value: str) -> str:
        raise ValueError("bad value")

    from runtime.errors import ProcessingError

    with TopologyTestDriver(topology(False, None, extractor=boom)) as d:
        f = Fixture(d, False)
        with pytest.raises(ProcessingError):
            f.left.pipe_input("k", "v|a", 0)
    config = {"processing.exception.handler": "log-and-continue"}
    with TopologyTestDriver(topology(False, None, extractor=boom), config) as d:
        f = Fixture(d, False)
        f.left.pipe_input("k", "v|a", 0)
        f.check({})


# -- serdes and hashing ----------------------------------------------------------------------

def test_murmur3_128_vectors() -> None:
    # Murmur3Test#testMurmur3_128 (seed 123)
    cases = {
        b"21": (5857341059704281894, -5288187638297930763),
        b"foobar": (-351361463397418609, 8959716011862540668),
        b"a-little-bit-long-string": (8836256500583638442, -198172363548498523),
        b"a-little-bit-longer-string": (1838346159335108511, 8794688210320490705),
        b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8":
            (-4024021876037397259, -1482317706335141238),
        b"abc": (1489494923063836066, -5440978547625122829),
    }
    for data, expected in cases.items():
        assert hash128(data, 123) == expected
        assert _hash128_py(data, 123) == expected


def test_subscription_wrapper_byte_layout() -> None:
    # SubscriptionWrapperSerde: {version|hash-null bit}{instruction}{16-byte hash}{pk}{partition}
    digest = hash128(bytes([0xFF, 0xAA, 0x00, 0x19]))
    serde = SubscriptionWrapperSerde(S)
    wrapper = SubscriptionWrapper(digest, Instruction.DELETE_KEY_AND_PROPAGATE, "pk", 10)
    raw = serde.serialize(wrapper)
    assert raw == bytes([1, 1]) + struct.pack(">qq", *digest) + b"pk" + struct.pack(">i", 10)
    assert serde.deserialize(raw) == wrapper


def test_subscription_wrapper_null_hash_and_v0() -> None:
    # SubscriptionWrapperSerdeTest#shouldSerdeWithV0IfUpgradeAndNullHashTest-like: a null
    # hash sets the top bit; version 0 has no partition
    serde = SubscriptionWrapperSerde(S)
    wrapper = SubscriptionWrapper(None, Instruction.PROPAGATE_NULL_IF_NO_FK_VAL_AVAILABLE, "pk", 3)
    raw = serde.serialize(wrapper)
    assert raw == bytes([0x81, 2]) + b"pk" + struct.pack(">i", 3)
    assert serde.deserialize(raw) == wrapper
    v0 = bytes([0x80, 3]) + b"key"
    assert serde.deserialize(v0) == SubscriptionWrapper(
        None, Instruction.PROPAGATE_ONLY_IF_FK_VAL_AVAILABLE, "key", None, 0)


def test_response_wrapper_byte_layout() -> None:
    # SubscriptionResponseWrapperSerdeTest: {version|hash-null bit}{16-byte hash}{value}
    digest = hash128(bytes([0x01, 0x9A, 0xFF, 0x00]))
    serde = ResponseWrapperSerde(S)
    raw = serde.serialize(ResponseWrapper(digest, "foreignValue", 4))
    assert raw == bytes([0]) + struct.pack(">qq", *digest) + b"foreignValue"
    # the partition is not serialized
    assert serde.deserialize(raw) == ResponseWrapper(digest, "foreignValue", None)
    assert serde.serialize(ResponseWrapper(None, None)) == bytes([0x80])
    assert serde.deserialize(bytes([0x80])) == ResponseWrapper(None, None)
    assert serde.deserialize(serde.serialize(ResponseWrapper(digest, None))) == \
        ResponseWrapper(digest, None)


def test_combined_key_schema() -> None:
    # CombinedKeySchemaTest#nonNullPrimaryKeySerdeTest / prefixKeySerdeTest
    schema = CombinedKeySchema(S, Serdes.integer())
    raw = schema.to_bytes("someForeignKey", 10)
    assert raw == struct.pack(">i", 14) + b"someForeignKey" + struct.pack(">i", 10)
    assert schema.from_bytes(raw) == ("someForeignKey", 10)
    assert raw.startswith(schema.prefix_bytes("someForeignKey"))
    # the length prefix keeps a longer foreign key out of a shorter one's prefix range
    assert not schema.to_bytes("someForeignKeyX", 10).startswith(
        schema.prefix_bytes("someForeignKey"))


# -- property: the final result is the join of the final tables ------------------------------

KEYS = ["k1", "k2", "k3", "k4"]
FKS = ["a", "b", "c"]

ops = st.lists(st.one_of(
    st.tuples(st.just("L"), st.sampled_from(KEYS),
              st.one_of(st.none(), st.tuples(st.sampled_from(FKS), st.integers(0, 3)))),
    st.tuples(st.just("R"), st.sampled_from(FKS), st.one_of(st.none(), st.integers(0, 3))),
), max_size=40)


@settings(max_examples=60, deadline=None)
@given(ops=ops, left_join=st.booleans())
def test_final_result_equals_brute_force_join(ops: list, left_join: bool) -> None:
    left_rows: dict[str, str] = {}
    right_rows: dict[str, str] = {}
    with TopologyTestDriver(topology(left_join, "store")) as d:
        f = Fixture(d, True)
        for ts, (side, key, payload) in enumerate(ops):
            if side == "L":
                value = None if payload is None else f"v{payload[1]}|{payload[0]}"
                f.left.pipe_input(key, value, ts)
                rows = left_rows
            else:
                value = None if payload is None else f"r{payload}"
                f.right.pipe_input(key, value, ts)
                rows = right_rows
            if value is None:
                rows.pop(key, None)
            else:
                rows[key] = value
        expected = {}
        for key, value in left_rows.items():
            other = right_rows.get(extract_fk(value))
            if other is not None or left_join:
                expected[key] = joiner(value, other)
        assert dict(f.store.all()) == expected
        # the output topic, read as a table, ends in the same state
        final = {k: v for k, v in f.output.read_key_values_to_map().items() if v is not None}
        assert final == expected
