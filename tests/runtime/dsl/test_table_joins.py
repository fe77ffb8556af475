"""KTable-KTable joins (inner, left, outer) against Kafka Streams' own tests: results,
tombstones and timestamps (KTableKTable{Inner,Left,Outer}JoinTest#testJoin), stores
and names (StreamsBuilderTest), and old values checked by a brute-force recomputation."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime import Serdes, StreamsBuilder
from runtime.testing import TopologyTestDriver

S = Serdes.string()
I = Serdes.integer()  # noqa: E741


def tostring_joiner(left: Any, right: Any) -> str:
    """MockValueJoiner.TOSTRING_JOINER: Java prints None as "null"."""
    return f"{'null' if left is None else left}+{'null' if right is None else right}"


def _join_topology(kind: str, **kwargs: Any) -> Any:
    builder = StreamsBuilder()
    t1 = builder.table("topic1", key_serde=I, value_serde=S)
    t2 = builder.table("topic2", key_serde=I, value_serde=S)
    joined = getattr(t1, kind)(t2, tostring_joiner, **kwargs)
    joined.to_stream().to("output", key_serde=I, value_serde=S)
    return builder.build()


# The steps of KTableKTable{Inner,Left,Outer}JoinTest#testJoin (Kafka 4.0) with keys
# 0..3: (topic, [(key, value, timestamp)], expected {kind: [(key, value, ts)]}).
KEYS = [0, 1, 2, 3]
STEPS: list[tuple[str, list[tuple[Any, Any, int]], dict[str, list[tuple[int, Any, int]]]]] = [
    ("topic1", [(0, "X0", 5), (1, "X1", 6), (None, "SomeVal", 42)], {
        "join": [],
        "left_join": [(0, "X0+null", 5), (1, "X1+null", 6)],
        "outer_join": [(0, "X0+null", 5), (1, "X1+null", 6)]}),
    ("topic2", [(0, "Y0", 0), (1, "Y1", 10), (None, "AnotherVal", 73)], {
        "join": [(0, "X0+Y0", 5), (1, "X1+Y1", 10)],
        "left_join": [(0, "X0+Y0", 5), (1, "X1+Y1", 10)],
        "outer_join": [(0, "X0+Y0", 5), (1, "X1+Y1", 10)]}),
    ("topic1", [(k, f"XX{k}", 7) for k in KEYS], {
        "join": [(0, "XX0+Y0", 7), (1, "XX1+Y1", 10)],
        "left_join": [(0, "XX0+Y0", 7), (1, "XX1+Y1", 10), (2, "XX2+null", 7),
                      (3, "XX3+null", 7)],
        "outer_join": [(0, "XX0+Y0", 7), (1, "XX1+Y1", 10), (2, "XX2+null", 7),
                       (3, "XX3+null", 7)]}),
    ("topic2", [(k, f"YY{k}", k * 5) for k in KEYS], {
        kind: [(0, "XX0+YY0", 7), (1, "XX1+YY1", 7), (2, "XX2+YY2", 10), (3, "XX3+YY3", 15)]
        for kind in ("join", "left_join", "outer_join")}),
    ("topic1", [(k, f"XXX{k}", 6) for k in KEYS], {
        kind: [(0, "XXX0+YY0", 6), (1, "XXX1+YY1", 6), (2, "XXX2+YY2", 10),
               (3, "XXX3+YY3", 15)]
        for kind in ("join", "left_join", "outer_join")}),
    # deletes on the right: the inner join's results disappear as tombstones
    ("topic2", [(0, None, 5), (1, None, 7)], {
        "join": [(0, None, 6), (1, None, 7)],
        "left_join": [(0, "XXX0+null", 6), (1, "XXX1+null", 7)],
        "outer_join": [(0, "XXX0+null", 6), (1, "XXX1+null", 7)]}),
    ("topic1", [(k, f"XXXX{k}", 13) for k in KEYS], {
        "join": [(2, "XXXX2+YY2", 13), (3, "XXXX3+YY3", 15)],
        "left_join": [(0, "XXXX0+null", 13), (1, "XXXX1+null", 13), (2, "XXXX2+YY2", 13),
                      (3, "XXXX3+YY3", 15)],
        "outer_join": [(0, "XXXX0+null", 13), (1, "XXXX1+null", 13), (2, "XXXX2+YY2", 13),
                       (3, "XXXX3+YY3", 15)]}),
    # deletes on the left
    ("topic1", [(0, None, 0), (1, None, 42), (2, None, 5), (3, None, 20)], {
        "join": [(2, None, 10), (3, None, 20)],
        "left_join": [(0, None, 0), (1, None, 42), (2, None, 10), (3, None, 20)],
        "outer_join": [(0, None, 0), (1, None, 42), (2, "null+YY2", 10),
                       (3, "null+YY3", 20)]}),
]


@pytest.mark.parametrize("kind", ["join", "left_join", "outer_join"])
@pytest.mark.parametrize("materialized", [False, True])
def test_join_results_tombstones_and_timestamps(kind: str, materialized: bool) -> None:
    # KTableKTableInnerJoinTest / LeftJoinTest / OuterJoinTest#testJoin (and
    # #testQueryableJoin for the materialized variant)
    topology = _join_topology(kind, **({"store": "joined"} if materialized else {}))
    # the two source tables are co-partitioned
    assert topology.copartition_groups("app") == [["topic1", "topic2"]]
    with TopologyTestDriver(topology, {"application.id": "app"}) as driver:
        inputs = {t: driver.create_input_topic(t, I, S) for t in ("topic1", "topic2")}
        output = driver.create_output_topic("output", I, S)
        for topic, records, expected in STEPS:
            for key, value, ts in records:
                inputs[topic].pipe_input(key, value, timestamp=ts)
            got = [(r.key, r.value, r.timestamp) for r in output.read_records_to_list()]
            assert got == expected[kind], (topic, records)
        if materialized:
            store = driver.get_key_value_store("joined")
            expected_rows = {"join": {}, "left_join": {},
                             "outer_join": {2: "null+YY2", 3: "null+YY3"}}[kind]
            assert dict(store.all()) == expected_rows


def test_join_name_and_store_in_topology() -> None:
    # KTableImpl#doJoin: <name>, <name>-join-this, <name>-join-other; both join
    # processors look up the other table's store, the merger owns the result store
    builder = StreamsBuilder()
    t1 = builder.table("t1", key_serde=S, value_serde=S)
    t2 = builder.table("t2", key_serde=S, value_serde=S)
    t1.left_join(t2, tostring_joiner, name="lj", store="lj-store")
    expected = (
        "Topologies:\n"
        "   Sub-topology: 0\n"
        "    Source: KSTREAM-SOURCE-0000000001 (topics: [t1])\n"
        "      --> KTABLE-SOURCE-0000000002\n"
        "    Source: KSTREAM-SOURCE-0000000004 (topics: [t2])\n"
        "      --> KTABLE-SOURCE-0000000005\n"
        "    Processor: KTABLE-SOURCE-0000000002 (stores: [t1-STATE-STORE-0000000000])\n"
        "      --> lj-join-this\n"
        "      <-- KSTREAM-SOURCE-0000000001\n"
        "    Processor: KTABLE-SOURCE-0000000005 (stores: [t2-STATE-STORE-0000000003])\n"
        "      --> lj-join-other\n"
        "      <-- KSTREAM-SOURCE-0000000004\n"
        "    Processor: lj-join-other (stores: [t1-STATE-STORE-0000000000])\n"
        "      --> lj\n"
        "      <-- KTABLE-SOURCE-0000000005\n"
        "    Processor: lj-join-this (stores: [t2-STATE-STORE-0000000003])\n"
        "      --> lj\n"
        "      <-- KTABLE-SOURCE-0000000002\n"
        "    Processor: lj (stores: [lj-store])\n"
        "      --> none\n"
        "      <-- lj-join-this, lj-join-other\n\n")
    assert str(builder.build().describe()) == expected


@pytest.mark.parametrize("store", [None, "store"])
def test_stream_joins_a_joined_table(store: str | None) -> None:
    # StreamsBuilderTest#shouldAllowJoinUnmaterializedJoinedKTable /
    # #shouldAllowJoinMaterializedJoinedKTable: an unmaterialized join result is looked
    # up through both source stores; a materialized one through its own store
    builder = StreamsBuilder()
    table1 = builder.table("table-topic1", key_serde=S, value_serde=S)
    table2 = builder.table("table-topic2", key_serde=S, value_serde=S)
    # Java evaluates builder.stream(...) before the join argument: index 6
    stream = builder.stream("stream-topic", key_serde=S, value_serde=S)
    joined = table1.join(table2, tostring_joiner, **({"store": store} if store else {}))
    stream.join(joined, tostring_joiner).to("out", key_serde=S, value_serde=S)
    topology = builder.build()
    text = str(topology.describe())
    if store is None:
        assert ("Processor: KSTREAM-JOIN-0000000010 (stores: [table-topic1-STATE-STORE-"
                "0000000000, table-topic2-STATE-STORE-0000000003])") in text
        assert "Processor: KTABLE-MERGE-0000000007 (stores: [])" in text
    else:
        assert "Processor: KSTREAM-JOIN-0000000010 (stores: [store])" in text
        assert "Processor: KTABLE-MERGE-0000000007 (stores: [store])" in text
    with TopologyTestDriver(topology, {"application.id": "app"}) as driver:
        driver.create_input_topic("table-topic1", S, S).pipe_input("k", "a", timestamp=1)
        driver.create_input_topic("table-topic2", S, S).pipe_input("k", "b", timestamp=2)
        driver.create_input_topic("stream-topic", S, S).pipe_input("k", "s", timestamp=3)
        out = driver.create_output_topic("out", S, S)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("k", "s+a+b", 3)]


def test_materialized_join_result_joins_again() -> None:
    builder = StreamsBuilder()
    a = builder.table("a", key_serde=S, value_serde=S)
    b = builder.table("b", key_serde=S, value_serde=S)
    c = builder.table("c", key_serde=S, value_serde=S)
    ab = a.join(b, tostring_joiner, store="ab")
    ab.left_join(c, tostring_joiner).to_stream().to("out", key_serde=S, value_serde=S)
    with TopologyTestDriver(builder.build(), {"application.id": "app"}) as driver:
        ins = {t: driver.create_input_topic(t, S, S) for t in "abc"}
        out = driver.create_output_topic("out", S, S)
        ins["a"].pipe_input("k", "a1", timestamp=1)
        ins["c"].pipe_input("k", "c1", timestamp=5)
        ins["b"].pipe_input("k", "b1", timestamp=3)
        ins["b"].pipe_input("k", None, timestamp=7)
        assert [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()] == [
            ("k", "a1+b1+c1", 5), ("k", None, 7)]
        assert driver.get_key_value_store("ab").get("k") is None


def test_join_rejects_bad_arguments() -> None:
    builder = StreamsBuilder()
    t1 = builder.table("t1")
    with pytest.raises(TypeError):
        t1.join(builder.stream("s"), tostring_joiner)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        t1.outer_join(builder.table("t2"), "not callable")  # type: ignore[arg-type]


# -- old values: a join result regrouped and counted must track the join exactly ---------
updates = st.lists(st.tuples(st.sampled_from(["l", "r"]), st.sampled_from(["k1", "k2", "k3"]),
                             st.one_of(st.none(), st.sampled_from(["a", "b", "c"]))),
                   max_size=30)


def _joined_rows(kind: str, left: dict[str, str], right: dict[str, str]) -> dict[str, str]:
    keys = set(left) | set(right)
    rows = {}
    for k in keys:
        lv, rv = left.get(k), right.get(k)
        if (kind == "join" and lv is not None and rv is not None) or \
                (kind == "left_join" and lv is not None) or kind == "outer_join":
            rows[k] = tostring_joiner(lv, rv)
    return rows


@pytest.mark.parametrize("kind", ["join", "left_join", "outer_join"])
@settings(max_examples=25, deadline=None)
@given(steps=updates)
def test_join_sends_old_values_downstream(kind: str, steps: list[Any]) -> None:
    """Counting the join result by its value needs the join's old values; after every
    update the counts equal a recount of the join of the current tables."""
    builder = StreamsBuilder()
    lt = builder.table("l", key_serde=S, value_serde=S)
    rt = builder.table("r", key_serde=S, value_serde=S)
    joined = getattr(lt, kind)(rt, tostring_joiner)
    joined.group_by(lambda k, v: (v, k), key_serde=S, value_serde=S).count(store="counts")
    tables: dict[str, dict[str, str]] = {"l": {}, "r": {}}
    with TopologyTestDriver(builder.build(), {"application.id": "app"}) as driver:
        inputs = {t: driver.create_input_topic(t, S, S) for t in ("l", "r")}
        store = driver.get_key_value_store("counts")
        for ts, (side, key, value) in enumerate(steps):
            inputs[side].pipe_input(key, value, timestamp=ts)
            if value is None:
                tables[side].pop(key, None)
            else:
                tables[side][key] = value
            expected = Counter(_joined_rows(kind, tables["l"], tables["r"]).values())
            got = {k: v for k, v in store.all() if v != 0}
            assert got == dict(expected)
