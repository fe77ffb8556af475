"""The node types that cover the rest of the DSL: catalog entries, compilation, behaviour.

Each new node type is compiled from a small document and its ``describe()`` compared
with the same topology written by hand with the DSL (node ids passed as names). Some
run in the TopologyTestDriver, with expected records worked out from Kafka Streams'
documented semantics, not from this engine's output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from runtime import BufferConfig, Materialized, Serdes, StreamsBuilder, Suppressed, TimeWindows
from runtime.spec import compile_document, load_document, node_catalog, validate
from runtime.spec.catalog import NODE_TYPES
from runtime.spec.catalog.branching import output_ports
from runtime.spec.compiler import HANDLERS
from runtime.spec.document import Document
from runtime.spec.errors import Problem
from runtime.testing import TopologyTestDriver

NEW_TYPES = {
    "stream.foreach", "stream.split", "stream.repartition", "stream.to_table",
    "table.filter_not", "table.suppress", "table.group_by", "grouped_table.count",
    "grouped_table.reduce", "grouped_table.aggregate", "join.stream_global_table",
    "join.table_table", "join.foreign_key",
}
CATALOG = {entry["type"]: entry for entry in node_catalog()}


def document(nodes: list[tuple[str, str, dict[str, Any]]], edges: list[tuple[str, str]],
             **settings: str) -> Document:
    """A document from (id, type, params) nodes and "source[:port]" → "target[:port]" edges."""
    def edge(i: int, source: str, target: str) -> dict[str, Any]:
        data: dict[str, Any] = {"id": f"e{i}", "source": source.split(":")[0],
                                "target": target.split(":")[0]}
        if ":" in source:
            data["source_port"] = source.split(":")[1]
        if ":" in target:
            data["target_port"] = target.split(":")[1]
        return data

    data: dict[str, Any] = {
        "format_version": 1, "name": "operators",
        "nodes": [{"id": i, "type": t, "params": p} for i, t, p in nodes],
        "edges": [edge(i, s, t) for i, (s, t) in enumerate(edges)],
    }
    if settings:
        data["settings"] = settings
    return load_document(data)


def described(topology: Any) -> str:
    return str(topology.describe())


def problems(doc: Document, severity: str) -> list[tuple[str | None, str, str]]:
    return [(p.node_id, p.path, p.message) for p in validate(doc) if p.severity == severity]


def _noop(*_: Any) -> Any:
    return None


# -- the catalog --------------------------------------------------------------------------

def test_the_catalog_covers_the_dsl_operators_with_a_handler_each() -> None:
    assert NEW_TYPES <= set(CATALOG)
    assert NEW_TYPES <= set(HANDLERS)
    assert len(CATALOG) == 43  # with stream.process (H2), grouped.cogroup and sink.topic_chooser (H4)


@pytest.mark.parametrize("type_", sorted(NEW_TYPES))
def test_new_entries_have_valid_schemas_and_valid_examples(type_: str) -> None:
    entry = CATALOG[type_]
    schema = entry["params_schema"]
    Draft202012Validator.check_schema(schema)
    assert list(Draft202012Validator(schema).iter_errors(entry["example"]["params"])) == []
    assert entry["title"] and entry["description"] and entry["example"]["note"]
    for name, prop in schema["properties"].items():
        assert prop.get("description"), f"{type_}.{name} has no help text"
    # The example is a valid node too: it compiles its expressions without problems.
    node = [(type_.replace(".", "-"), type_, entry["example"]["params"])]
    doc = document(node, [])
    assert [p for p in validate(doc) if p.severity == "error" and p.path.startswith("params")] == []


def test_enum_params_document_their_defaults() -> None:
    props = CATALOG["join.table_table"]["params_schema"]["properties"]
    assert props["join"]["default"] == "inner" and props["join"]["enum"] == ["inner", "left", "outer"]
    assert CATALOG["join.foreign_key"]["params_schema"]["properties"]["join"]["enum"] == ["inner", "left"]
    assert CATALOG["table.suppress"]["params_schema"]["properties"]["until"]["default"] == "window_closes"
    assert CATALOG["stream.foreach"]["params_schema"]["properties"]["level"]["default"] == "info"


def test_split_branches_are_validated_by_the_schema() -> None:
    validator = Draft202012Validator(CATALOG["stream.split"]["params_schema"])
    assert not list(validator.iter_errors({"branches": [{"name": "a", "predicate": "True"}]}))
    assert list(validator.iter_errors({"branches": []}))
    assert list(validator.iter_errors({"branches": [{"name": "a"}]}))
    assert list(validator.iter_errors({"branches": [{"name": "a b", "predicate": "True"}]}))
    item = CATALOG["stream.split"]["params_schema"]["properties"]["branches"]["items"]
    assert item["properties"]["predicate"]["x-expression"]["kind"] == "predicate"


def test_suppress_until_a_time_limit_needs_the_limit() -> None:
    validator = Draft202012Validator(CATALOG["table.suppress"]["params_schema"])
    assert not list(validator.iter_errors({"until": "window_closes"}))
    assert not list(validator.iter_errors({"until": "time_limit", "time_limit_ms": 0}))
    errors = [e.message for e in validator.iter_errors({"until": "time_limit"})]
    assert errors == ["'time_limit_ms' is a required property"]
    assert list(validator.iter_errors({"until": "time_limit", "time_limit_ms": 5, "max_records": 0}))


def test_port_kinds_follow_kafka_streams_types() -> None:
    def kinds(type_: str, side: str) -> list[str]:
        return [p["kind"] for p in CATALOG[type_][side]]

    assert kinds("table.group_by", "inputs") == ["table"]
    assert kinds("table.group_by", "outputs") == ["grouped_table"]
    for aggregation in ("grouped_table.count", "grouped_table.reduce", "grouped_table.aggregate"):
        assert kinds(aggregation, "inputs") == ["grouped_table"]
        assert kinds(aggregation, "outputs") == ["table"]
    assert kinds("stream.to_table", "outputs") == ["table"]
    assert kinds("join.stream_global_table", "inputs") == ["stream", "global_table"]
    assert kinds("join.table_table", "inputs") == ["table", "table"]
    assert kinds("join.foreign_key", "outputs") == ["table"]
    assert kinds("stream.foreach", "outputs") == []
    assert kinds("stream.split", "outputs") == []  # one per branch, from the params


def test_split_output_ports_are_the_branches_then_the_default() -> None:
    params = {"branches": [{"name": "big", "predicate": "True"}, {"name": "small", "predicate": "True"}],
              "default_branch": "rest"}
    ports = output_ports(NODE_TYPES["stream.split"], params)
    assert [(p.name, p.kind) for p in ports] == [("big", "stream"), ("small", "stream"), ("rest", "stream")]
    assert output_ports(NODE_TYPES["stream.split"], {"branches": "nonsense"}) == ()
    assert output_ports(NODE_TYPES["stream.filter"], {}) == NODE_TYPES["stream.filter"].outputs


# -- describe() equals the hand-written DSL program ------------------------------------------

ORDERS = ("orders", "source.stream", {"topics": ["orders"], "value_serde": "json"})


def hand_orders(b: StreamsBuilder) -> Any:
    return b.stream("orders", key_serde=Serdes.string(), value_serde=Serdes.json(), name="orders")


def hand_table(b: StreamsBuilder, name: str) -> Any:
    return b.table(name, key_serde=Serdes.string(), value_serde=Serdes.json(),
                   store=f"{name}-store", name=name)


def table_node(name: str) -> tuple[str, str, dict[str, Any]]:
    return (name, "source.table", {"topic": name, "value_serde": "json"})


def sink_node(topic: str = "out") -> tuple[str, str, dict[str, Any]]:
    return ("out", "sink.topic", {"topic": topic, "value_serde": "json"})


def hand_sink(stream: Any, topic: str = "out") -> None:
    stream.to(topic, key_serde=Serdes.string(), value_serde=Serdes.json(), name="out")


def split_doc() -> Document:
    return document(
        [ORDERS,
         ("route", "stream.split", {"branches": [
             {"name": "big", "predicate": 'value["amount"] > 100'},
             {"name": "medium", "predicate": 'value["amount"] > 10'}],
             "default_branch": "small"}),
         ("to-big", "sink.topic", {"topic": "big", "value_serde": "json"}),
         ("to-medium", "sink.topic", {"topic": "medium", "value_serde": "json"}),
         ("to-small", "sink.topic", {"topic": "small", "value_serde": "json"})],
        [("orders", "route"), ("route:big", "to-big"), ("route:medium", "to-medium"),
         ("route:small", "to-small")],
    )


def hand_split() -> Any:
    b = StreamsBuilder()
    branches = (hand_orders(b).split(name="route")
                .branch(lambda k, v: v["amount"] > 100, name="-big")
                .branch(lambda k, v: v["amount"] > 10, name="-medium")
                .default_branch(name="-small"))
    for branch in ("big", "medium", "small"):
        branches[f"route-{branch}"].to(branch, key_serde=Serdes.string(), value_serde=Serdes.json(),
                                       name=f"to-{branch}")
    return b.build()


def hand_split_without_default() -> Any:
    b = StreamsBuilder()
    branches = hand_orders(b).split(name="route").branch(_noop, name="-big").no_default_branch()
    hand_sink(branches["route-big"])
    return b.build()


def hand_foreach() -> Any:
    b = StreamsBuilder()
    hand_orders(b).foreach(_noop, name="log")
    return b.build()


def hand_repartition() -> Any:
    b = StreamsBuilder()
    rekeyed = hand_orders(b).select_key(_noop, name="by-user")
    hand_sink(rekeyed.repartition(value_serde=Serdes.json(), num_partitions=4, name="shuffle"))
    return b.build()


def hand_to_table() -> Any:
    b = StreamsBuilder()
    table = hand_orders(b).to_table(name="latest", store="latest-store")
    hand_sink(table.filter_not(_noop, name="open").to_stream(name="changes"))
    return b.build()


def hand_table_group_by(aggregation: str) -> Callable[[], Any]:
    def build() -> Any:
        b = StreamsBuilder()
        grouped = hand_table(b, "users").group_by(_noop, key_serde=Serdes.string(),
                                                  value_serde=Serdes.json(), name="by-region")
        if aggregation == "count":
            table = grouped.count(name="agg", store="agg-store")
        elif aggregation == "reduce":
            table = grouped.reduce(_noop, _noop, name="agg",
                                   store=Materialized(store_name="agg-store", value_serde=Serdes.long()))
        else:
            table = grouped.aggregate(_noop, _noop, _noop, name="agg", store="agg-store",
                                      value_serde=Serdes.long())
        hand_sink(table.to_stream(name="changes"))
        return b.build()
    return build


def table_group_by_doc(aggregation: str) -> Document:
    params: dict[str, Any] = {
        "count": {},
        "reduce": {"adder": "agg + value", "subtractor": "agg - value", "value_serde": "long"},
        "aggregate": {"initializer": "0", "adder": 'agg + value["amount"]',
                      "subtractor": 'agg - value["amount"]', "value_serde": "long"},
    }[aggregation]
    return document(
        [table_node("users"),
         ("by-region", "table.group_by", {"selector": '(value["region"], value)', "value_serde": "json"}),
         ("agg", f"grouped_table.{aggregation}", {**params, "store": "agg-store"}),
         ("changes", "table.to_stream", {}), ("out", "sink.topic", {"topic": "out", "value_serde": "long"})],
        [("users", "by-region"), ("by-region", "agg"), ("agg", "changes"), ("changes", "out")],
    )


def suppress_doc(params: dict[str, Any]) -> Document:
    return document(
        [ORDERS,
         ("by-key", "stream.group_by_key", {"value_serde": "json"}),
         ("windows", "grouped.windowed_by", {"window": "tumbling", "size_ms": 10_000, "grace_ms": 0}),
         ("count", "windowed.count", {}),
         ("final", "table.suppress", params),
         ("changes", "table.to_stream", {}),
         ("readable", "stream.map", {"mapper": '(key.key + "@" + str(key.window.start), value)'}),
         ("out", "sink.topic", {"topic": "out", "value_serde": "long"})],
        [("orders", "by-key"), ("by-key", "windows"), ("windows", "count"), ("count", "final"),
         ("final", "changes"), ("changes", "readable"), ("readable", "out")],
    )


def hand_suppress(suppressed: Suppressed) -> Callable[[], Any]:
    def build() -> Any:
        b = StreamsBuilder()
        counts = (hand_orders(b).group_by_key(key_serde=Serdes.string(), value_serde=Serdes.json(),
                                              name="by-key")
                  .windowed_by(TimeWindows.of_size_and_grace(10_000, 0))
                  .count(name="count", store="count-store"))
        (counts.suppress(suppressed, name="final").to_stream(name="changes")
         .map(_noop, name="readable")
         .to("out", key_serde=Serdes.string(), value_serde=Serdes.long(), name="out"))
        return b.build()
    return build


def table_time_limit_doc(params: dict[str, Any]) -> Document:
    return document(
        [ORDERS, ("by-key", "stream.group_by_key", {}), ("count", "grouped.count", {}),
         ("limit", "table.suppress", params), ("changes", "table.to_stream", {}),
         ("out", "sink.topic", {"topic": "out", "value_serde": "long"})],
        [("orders", "by-key"), ("by-key", "count"), ("count", "limit"), ("limit", "changes"),
         ("changes", "out")],
    )


def global_join_doc(join: str) -> Document:
    return document(
        [ORDERS, ("zips", "source.global_table", {"topic": "zips", "value_serde": "json"}),
         ("enrich", "join.stream_global_table",
          {"join": join, "key_selector": 'value["zip"]',
           "joiner": '{**left, "city": right["city"] if right else None}'}),
         sink_node()],
        [("orders", "enrich:left"), ("zips", "enrich:right"), ("enrich", "out")],
    )


def hand_global_join(join: str) -> Callable[[], Any]:
    def build() -> Any:
        b = StreamsBuilder()
        orders = hand_orders(b)
        zips = b.global_table("zips", key_serde=Serdes.string(), value_serde=Serdes.json(),
                              store="zips-store", name="zips")
        method = orders.join if join == "inner" else orders.left_join
        hand_sink(method(zips, _noop, _noop, name="enrich"))
        return b.build()
    return build


def table_join_doc(join: str, store: str | None = None) -> Document:
    params: dict[str, Any] = {"join": join, "joiner": '{"user": left, "address": right}'}
    if store:
        params["store"] = store
    return document(
        [table_node("users"), table_node("addresses"), ("joined", "join.table_table", params),
         ("changes", "table.to_stream", {}), sink_node()],
        [("users", "joined:left"), ("addresses", "joined:right"), ("joined", "changes"),
         ("changes", "out")],
    )


def hand_table_join(join: str, store: str | None = None) -> Callable[[], Any]:
    def build() -> Any:
        b = StreamsBuilder()
        users, addresses = hand_table(b, "users"), hand_table(b, "addresses")
        method = {"inner": users.join, "left": users.left_join, "outer": users.outer_join}[join]
        kwargs = {"store": store} if store else {}
        hand_sink(method(addresses, _noop, name="joined", **kwargs).to_stream(name="changes"))
        return b.build()
    return build


def fk_join_doc(join: str, store: str | None = None) -> Document:
    params: dict[str, Any] = {"join": join, "foreign_key": 'value["customer"]',
                              "joiner": '{**left, "name": right["name"] if right else None}'}
    if store:
        params["store"] = store
    return document(
        [table_node("orders-table"), table_node("customers"), ("fk", "join.foreign_key", params),
         ("changes", "table.to_stream", {}), sink_node()],
        [("orders-table", "fk:left"), ("customers", "fk:right"), ("fk", "changes"),
         ("changes", "out")],
    )


def hand_fk_join(join: str, store: str | None = None) -> Callable[[], Any]:
    def build() -> Any:
        b = StreamsBuilder()
        orders, customers = hand_table(b, "orders-table"), hand_table(b, "customers")
        method = orders.join if join == "inner" else orders.left_join
        kwargs = {"store": store} if store else {}
        hand_sink(method(customers, _noop, _noop, name="fk", **kwargs).to_stream(name="changes"))
        return b.build()
    return build


SAME_AS_DSL: dict[str, tuple[Callable[[], Document], Callable[[], Any]]] = {
    "split": (split_doc, hand_split),
    "split-without-default": (
        lambda: document([ORDERS, ("route", "stream.split", {"branches": [{"name": "big", "predicate": "True"}]}),
                          sink_node()], [("orders", "route"), ("route:big", "out")]),
        hand_split_without_default),
    "foreach": (lambda: document([ORDERS, ("log", "stream.foreach", {"level": "debug"})],
                                 [("orders", "log")]), hand_foreach),
    "repartition": (
        lambda: document([ORDERS, ("by-user", "stream.select_key", {"key": 'value["user"]'}),
                          ("shuffle", "stream.repartition", {"value_serde": "json", "num_partitions": 4}),
                          sink_node()],
                         [("orders", "by-user"), ("by-user", "shuffle"), ("shuffle", "out")]),
        hand_repartition),
    "to_table-and-filter_not": (
        lambda: document([ORDERS, ("latest", "stream.to_table", {}),
                          ("open", "table.filter_not", {"predicate": 'value["closed"]'}),
                          ("changes", "table.to_stream", {}), sink_node()],
                         [("orders", "latest"), ("latest", "open"), ("open", "changes"),
                          ("changes", "out")]),
        hand_to_table),
    "table-group_by-count": (lambda: table_group_by_doc("count"), hand_table_group_by("count")),
    "table-group_by-reduce": (lambda: table_group_by_doc("reduce"), hand_table_group_by("reduce")),
    "table-group_by-aggregate": (lambda: table_group_by_doc("aggregate"),
                                 hand_table_group_by("aggregate")),
    "suppress-until-window-closes": (
        lambda: suppress_doc({"until": "window_closes"}),
        hand_suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))),
    "suppress-until-time-limit": (
        lambda: suppress_doc({"until": "time_limit", "time_limit_ms": 500, "max_records": 10}),
        hand_suppress(Suppressed.until_time_limit(500, BufferConfig.max_records(10)))),
    "global-join": (lambda: global_join_doc("inner"), hand_global_join("inner")),
    "global-left-join": (lambda: global_join_doc("left"), hand_global_join("left")),
    "table-join": (lambda: table_join_doc("inner"), hand_table_join("inner")),
    "table-left-join": (lambda: table_join_doc("left"), hand_table_join("left")),
    "table-outer-join-materialized": (lambda: table_join_doc("outer", "joined-store"),
                                      hand_table_join("outer", "joined-store")),
    "fk-join": (lambda: fk_join_doc("inner"), hand_fk_join("inner")),
    "fk-left-join-materialized": (lambda: fk_join_doc("left", "fk-store"),
                                  hand_fk_join("left", "fk-store")),
}


@pytest.mark.parametrize("case", sorted(SAME_AS_DSL))
def test_compiled_document_describes_like_the_hand_written_dsl(case: str) -> None:
    make_doc, hand_written = SAME_AS_DSL[case]
    doc = make_doc()
    assert problems(doc, "error") == []
    assert described(compile_document(doc)) == described(hand_written())


def test_every_new_type_is_in_a_describe_comparison() -> None:
    covered = {node.type for make_doc, _ in SAME_AS_DSL.values() for node in make_doc().nodes}
    assert NEW_TYPES <= covered


def test_names_come_from_node_ids_and_store_params() -> None:
    text = described(compile_document(table_group_by_doc("aggregate")))
    # KGroupedTableImpl: sink and source named after the aggregation, topic after the grouping.
    assert "Sink: agg-sink (topic: by-region-repartition)" in text
    assert "Processor: agg (stores: [agg-store])" in text
    text = described(compile_document(split_doc()))
    for branch in ("big", "medium", "small"):
        assert f"Processor: route-{branch} (stores: [])\n      --> to-{branch}\n      <-- route\n" in text
    text = described(compile_document(suppress_doc({"until": "window_closes"})))
    assert "Processor: final (stores: [final-store])" in text
    text = described(SAME_AS_DSL["repartition"][1]())
    assert "Sink: shuffle-repartition-sink (topic: shuffle-repartition)" in text
    text = described(compile_document(SAME_AS_DSL["to_table-and-filter_not"][0]()))
    assert "Processor: latest (stores: [latest-store])" in text


# -- behaviour in the test driver ----------------------------------------------------------

def test_split_sends_each_record_to_the_first_matching_branch() -> None:
    with TopologyTestDriver(compile_document(split_doc())) as driver:
        orders = driver.create_input_topic("orders", Serdes.string(), Serdes.json())
        outs = {name: driver.create_output_topic(name, Serdes.string(), Serdes.json())
                for name in ("big", "medium", "small")}
        for key, amount in [("a", 150), ("b", 50), ("c", 5), ("d", 101), ("e", 10)]:
            orders.pipe_input(key, {"amount": amount})
        got = {name: [k for k, _ in out.read_key_values_to_list()] for name, out in outs.items()}
    # 150 and 101 also satisfy "> 10", but a record goes to the first branch only.
    assert got == {"big": ["a", "d"], "medium": ["b"], "small": ["c", "e"]}


def test_split_without_default_branch_drops_unmatched_records() -> None:
    doc = document(
        [ORDERS, ("route", "stream.split", {"branches": [{"name": "big", "predicate": 'value["amount"] > 100'}]}),
         sink_node()],
        [("orders", "route"), ("route:big", "out")])
    with TopologyTestDriver(compile_document(doc)) as driver:
        orders = driver.create_input_topic("orders", Serdes.string(), Serdes.json())
        out = driver.create_output_topic("out", Serdes.string(), Serdes.json())
        orders.pipe_input("a", {"amount": 1})
        orders.pipe_input("b", {"amount": 200})
        assert out.read_key_values_to_list() == [("b", {"amount": 200})]


def run_users(doc: Document, updates: list[tuple[str, Any]], value_serde: Any) -> list[tuple[Any, Any]]:
    with TopologyTestDriver(compile_document(doc)) as driver:
        users = driver.create_input_topic("users", Serdes.string(), Serdes.json())
        out = driver.create_output_topic("out", Serdes.string(), value_serde)
        for key, value in updates:
            users.pipe_input(key, value)
        return out.read_key_values_to_list()


USER_UPDATES: list[tuple[str, Any]] = [
    ("alice", {"region": "eu", "amount": 10}),
    ("bob", {"region": "eu", "amount": 5}),
    ("alice", {"region": "us", "amount": 10}),  # moves: subtract from eu, then add to us
    ("bob", {"region": "eu", "amount": 7}),     # same group: one update (KIP-904)
    ("alice", None),                            # deleted: subtracted from us
]


def test_table_group_by_aggregate_subtracts_old_values() -> None:
    updates = run_users(table_group_by_doc("aggregate"), USER_UPDATES, Serdes.long())
    # KGroupedTable.aggregate: the old value is subtracted from its group before the
    # new one is added to its group; a group that empties keeps its aggregate (0).
    assert updates == [("eu", 10), ("eu", 15), ("eu", 5), ("us", 10), ("eu", 7), ("us", 0)]


def test_table_group_by_count_moves_rows_between_groups() -> None:
    updates = run_users(table_group_by_doc("count"), USER_UPDATES, Serdes.long())
    assert updates == [("eu", 1), ("eu", 2), ("eu", 1), ("us", 1), ("eu", 1), ("us", 0)]


def test_table_group_by_reduce_uses_adder_and_subtractor() -> None:
    doc = document(
        [table_node("users"),
         ("by-region", "table.group_by", {"selector": '(value["region"], value["amount"])',
                                          "value_serde": "long"}),
         ("agg", "grouped_table.reduce", {"adder": "agg + value", "subtractor": "agg - value",
                                          "value_serde": "long"}),
         ("changes", "table.to_stream", {}), ("out", "sink.topic", {"topic": "out", "value_serde": "long"})],
        [("users", "by-region"), ("by-region", "agg"), ("agg", "changes"), ("changes", "out")],
    )
    updates = run_users(doc, USER_UPDATES[:4], Serdes.long())
    # reduce: a group's first value starts its aggregate (no initializer).
    assert updates == [("eu", 10), ("eu", 15), ("eu", 5), ("us", 10), ("eu", 7)]


def test_foreign_key_join_follows_both_tables() -> None:
    with TopologyTestDriver(compile_document(fk_join_doc("inner"))) as driver:
        orders = driver.create_input_topic("orders-table", Serdes.string(), Serdes.json())
        customers = driver.create_input_topic("customers", Serdes.string(), Serdes.json())
        out = driver.create_output_topic("out", Serdes.string(), Serdes.json())
        customers.pipe_input("c1", {"name": "Ann"})
        assert out.is_empty()  # no order refers to c1 yet
        orders.pipe_input("o1", {"customer": "c1"})
        assert out.read_key_values_to_list() == [("o1", {"customer": "c1", "name": "Ann"})]
        orders.pipe_input("o2", {"customer": "c2"})
        assert out.is_empty()  # inner join: no customer c2
        customers.pipe_input("c2", {"name": "Bob"})
        customers.pipe_input("c1", {"name": "Anna"})
        assert out.read_key_values_to_list() == [("o2", {"customer": "c2", "name": "Bob"}),
                                                 ("o1", {"customer": "c1", "name": "Anna"})]
        # A new foreign key without a match retracts the old result; so does a delete.
        orders.pipe_input("o1", {"customer": "c9"})
        orders.pipe_input("o2", None)
        assert out.read_key_values_to_list() == [("o1", None), ("o2", None)]


def test_foreign_key_left_join_keeps_rows_without_a_match() -> None:
    with TopologyTestDriver(compile_document(fk_join_doc("left"))) as driver:
        orders = driver.create_input_topic("orders-table", Serdes.string(), Serdes.json())
        customers = driver.create_input_topic("customers", Serdes.string(), Serdes.json())
        out = driver.create_output_topic("out", Serdes.string(), Serdes.json())
        orders.pipe_input("o1", {"customer": "c1"})
        customers.pipe_input("c1", {"name": "Ann"})
        assert out.read_key_values_to_list() == [("o1", {"customer": "c1", "name": None}),
                                                 ("o1", {"customer": "c1", "name": "Ann"})]


def run_counts(doc: Document, records: list[tuple[str, int]]) -> list[tuple[Any, Any]]:
    with TopologyTestDriver(compile_document(doc)) as driver:
        orders = driver.create_input_topic("orders", Serdes.string(), Serdes.json())
        out = driver.create_output_topic("out", Serdes.string(), Serdes.long())
        for key, timestamp in records:
            orders.pipe_input(key, {}, timestamp=timestamp)
        return out.read_key_values_to_list()


def test_suppress_until_window_closes_emits_only_final_counts() -> None:
    records = [("a", 1000), ("a", 2000), ("b", 5000), ("a", 9999)]
    assert run_counts(suppress_doc({"until": "window_closes"}), records) == []
    # Stream time 10000 = end of [0, 10000) + grace 0: that window closes and each key's
    # final count is emitted once; the new window [10000, 20000) stays open.
    assert run_counts(suppress_doc({"until": "window_closes"}), [*records, ("c", 10_000)]) == [
        ("a@0", 3), ("b@0", 1)]


def test_suppress_until_time_limit_emits_a_keys_latest_value_after_the_limit() -> None:
    doc = table_time_limit_doc({"until": "time_limit", "time_limit_ms": 1000})
    # a is first buffered at 0; later updates keep that place (Kafka's non-resetting
    # buffer) and the latest count leaves once stream time reaches 0 + 1000.
    records = [("a", 0), ("a", 500), ("b", 600), ("a", 1000), ("c", 1600)]
    assert run_counts(doc, records) == [("a", 3), ("b", 1)]


def test_suppress_with_a_full_buffer_emits_the_oldest_early() -> None:
    doc = table_time_limit_doc({"until": "time_limit", "time_limit_ms": 60_000, "max_records": 1})
    # BufferConfig.max_records(1) is eager: a second key pushes out the oldest.
    assert run_counts(doc, [("a", 0), ("b", 100), ("a", 200)]) == [("a", 1), ("b", 1)]


def test_global_table_join_looks_up_a_key_computed_from_the_record() -> None:
    for join, expected in [
        ("inner", [("o1", {"zip": "1000", "city": "Brussels"})]),
        ("left", [("o1", {"zip": "1000", "city": "Brussels"}), ("o2", {"zip": "9999", "city": None})]),
    ]:
        with TopologyTestDriver(compile_document(global_join_doc(join))) as driver:
            zips = driver.create_input_topic("zips", Serdes.string(), Serdes.json())
            orders = driver.create_input_topic("orders", Serdes.string(), Serdes.json())
            out = driver.create_output_topic("out", Serdes.string(), Serdes.json())
            zips.pipe_input("1000", {"city": "Brussels"})
            orders.pipe_input("o1", {"zip": "1000"})
            orders.pipe_input("o2", {"zip": "9999"})
            assert out.read_key_values_to_list() == expected, join


def test_table_left_join_updates_from_both_sides() -> None:
    with TopologyTestDriver(compile_document(table_join_doc("left"))) as driver:
        users = driver.create_input_topic("users", Serdes.string(), Serdes.json())
        addresses = driver.create_input_topic("addresses", Serdes.string(), Serdes.json())
        out = driver.create_output_topic("out", Serdes.string(), Serdes.json())
        users.pipe_input("alice", "A")
        addresses.pipe_input("alice", "Main St")
        addresses.pipe_input("bob", "Elm St")  # no user bob: a left join emits nothing
        addresses.pipe_input("alice", None)
        assert out.read_key_values_to_list() == [
            ("alice", {"user": "A", "address": None}),
            ("alice", {"user": "A", "address": "Main St"}),
            ("alice", {"user": "A", "address": None}),
        ]


def test_to_table_keeps_the_latest_value_and_filter_not_deletes_rows() -> None:
    doc, _ = SAME_AS_DSL["to_table-and-filter_not"]
    with TopologyTestDriver(compile_document(doc())) as driver:
        orders = driver.create_input_topic("orders", Serdes.string(), Serdes.json())
        out = driver.create_output_topic("out", Serdes.string(), Serdes.json())
        orders.pipe_input("o1", {"closed": False})
        orders.pipe_input("o1", {"closed": True})  # now filtered out: a tombstone downstream
        assert out.read_key_values_to_list() == [("o1", {"closed": False}), ("o1", None)]
        assert driver.get_key_value_store("latest-store").get("o1") is not None


def test_foreach_logs_the_message(caplog: pytest.LogCaptureFixture) -> None:
    doc = document([ORDERS, ("log", "stream.foreach", {"message": '"amount " + str(value["amount"])'})],
                   [("orders", "log")])
    with caplog.at_level("INFO"), TopologyTestDriver(compile_document(doc)) as driver:
        driver.create_input_topic("orders", Serdes.string(), Serdes.json()).pipe_input("a", {"amount": 3})
    assert "log: amount 3" in caplog.text


# -- validation of the new nodes ---------------------------------------------------------

def test_an_edge_from_an_unknown_branch_names_the_branches() -> None:
    doc = document(
        [ORDERS, ("route", "stream.split", {"branches": [{"name": "big", "predicate": "True"}],
                                            "default_branch": "rest"}),
         sink_node()],
        [("orders", "route"), ("route:huge", "out")])
    assert ("route", "edges.1.source_port",
            "'route' (Split) has no output 'huge' (outputs: 'big', 'rest'); a split's outputs are "
            "named after its branches") in problems(doc, "error")


def test_branch_names_must_be_unique_and_predicates_must_compile() -> None:
    doc = document(
        [ORDERS, ("route", "stream.split", {"branches": [
            {"name": "a", "predicate": "True"}, {"name": "a", "predicate": "__import__('os')"}],
            "default_branch": "a"}),
         sink_node()],
        [("orders", "route"), ("route:a", "out")])
    errors = problems(doc, "error")
    paths = [(node, path) for node, path, _ in errors]
    assert ("route", "params.branches.1.name") in paths
    assert ("route", "params.branches.1.predicate") in paths
    assert ("route", "params.default_branch") in paths
    assert all(node == "route" for node, _ in paths)


def test_a_branch_processor_name_must_not_be_another_nodes_id() -> None:
    doc = document(
        [ORDERS, ("route", "stream.split", {"branches": [{"name": "big", "predicate": "True"}]}),
         ("route-big", "stream.peek", {}), sink_node()],
        [("orders", "route"), ("route:big", "route-big"), ("route-big", "out")])
    assert problems(doc, "error") == [
        ("route", "params.branches.0.name", "the branch 'big' would name its processor "
         "'route-big', which is the id of another node; rename the branch or that node")]


def test_an_unconnected_branch_is_a_warning() -> None:
    doc = document(
        [ORDERS, ("route", "stream.split", {"branches": [{"name": "a", "predicate": "True"},
                                                         {"name": "b", "predicate": "True"}]}),
         sink_node()],
        [("orders", "route"), ("route:a", "out")])
    assert problems(doc, "warning") == [
        ("route", "params.branches.1", "the branch 'b' is not connected; its records are dropped")]


def test_suppress_until_window_closes_needs_a_windowed_aggregation() -> None:
    doc = table_time_limit_doc({"until": "window_closes"})
    assert problems(doc, "error") == [
        ("limit", "inputs.in", "suppressing until the window closes needs a windowed aggregation "
         "upstream (Count, Reduce or Aggregate per window): only windows close; use 'until a time "
         "limit' for other tables")]
    doc = suppress_doc({"until": "window_closes", "time_limit_ms": 5})
    assert problems(doc, "error") == []
    assert ("final", "params.time_limit_ms",
            "time_limit_ms is used only when suppressing until a time limit") in problems(doc, "warning")


def test_repartition_and_key_changes() -> None:
    def warnings_of(nodes: list[tuple[str, str, dict[str, Any]]], edges: list[tuple[str, str]]) -> list[str]:
        return [f"{n}: {m}" for n, _, m in problems(document(nodes, edges), "warning")]

    rekey = ("rekey", "stream.select_key", {"key": 'value["user"]'})
    to_table = ("latest", "stream.to_table", {})
    changes = [("changes", "table.to_stream", {}), sink_node()]
    # to_table after a key change repartitions (KStreamImpl.toTable), ...
    found = warnings_of([ORDERS, rekey, to_table, *changes],
                        [("orders", "rekey"), ("rekey", "latest"), ("latest", "changes"), ("changes", "out")])
    assert any(w.startswith("latest: a repartition topic will be created here, because 'rekey'")
               for w in found)
    # ... but not after an explicit repartition, which partitions by the new key.
    shuffle = ("shuffle", "stream.repartition", {})
    found = warnings_of([ORDERS, rekey, shuffle, to_table, *changes],
                        [("orders", "rekey"), ("rekey", "shuffle"), ("shuffle", "latest"),
                         ("latest", "changes"), ("changes", "out")])
    assert not any("repartition topic" in w for w in found)
    # A global table join does not repartition, so a key change before it still counts,
    # and so does one before a split.
    zips = ("zips", "source.global_table", {"topic": "zips"})
    enrich = ("enrich", "join.stream_global_table", {"key_selector": "key", "joiner": "left"})
    route = ("route", "stream.split", {"branches": [{"name": "all", "predicate": "True"}]})
    found = warnings_of([ORDERS, zips, rekey, enrich, route, to_table, *changes],
                        [("orders", "rekey"), ("rekey", "enrich:left"), ("zips", "enrich:right"),
                         ("enrich", "route"), ("route:all", "latest"), ("latest", "changes"),
                         ("changes", "out")])
    assert any(w.startswith("latest: a repartition topic will be created here, because 'rekey'")
               for w in found)


def test_table_group_by_warns_about_its_repartition_topic() -> None:
    found = problems(table_group_by_doc("count"), "warning")
    assert ("by-region", "", "a repartition topic will be created here: grouping a table by a new "
            "key sends every update (old and new value) through an internal topic") in found


def test_store_names_of_new_nodes_must_be_unique() -> None:
    doc = document(
        [ORDERS, ("latest", "stream.to_table", {"store": "shared"}),
         ("by-region", "table.group_by", {"selector": "(key, value)"}),
         ("agg", "grouped_table.count", {"store": "shared"}),
         ("changes", "table.to_stream", {}), sink_node()],
        [("orders", "latest"), ("latest", "by-region"), ("by-region", "agg"), ("agg", "changes"),
         ("changes", "out")])
    assert ("agg", "params.store", "the state store name 'shared' is also used by 'latest'; store "
            "names must be unique") in problems(doc, "error")


def test_wrong_port_kinds_get_a_hint() -> None:
    doc = document(
        [table_node("users"), ("agg", "grouped.count", {}), ("changes", "table.to_stream", {}),
         sink_node()],
        [("users", "agg"), ("agg", "changes"), ("changes", "out")])
    errors: list[Problem] = [p for p in validate(doc) if p.severity == "error"]
    assert [p.message for p in errors] == [
        "input 'in' of 'agg' (Count) takes a grouped stream, but 'users' (Table) gives a table; "
        "turn the table into a stream with 'To stream' and group that"]
    doc = document(
        [table_node("users"), ("by", "table.group_by", {"selector": "(key, value)"}),
         ("agg", "grouped.count", {}), ("changes", "table.to_stream", {}), sink_node()],
        [("users", "by"), ("by", "agg"), ("agg", "changes"), ("changes", "out")])
    assert [p.message for p in validate(doc) if p.severity == "error"] == [
        "input 'in' of 'agg' (Count) takes a grouped stream, but 'by' (Group table by) gives a "
        "grouped table; a grouped table takes table aggregations (Count rows, Reduce rows, "
        "Aggregate rows)"]
