"""Cogroup nodes and sinks whose topic is chosen per record (issue 5, H4).

Compiled documents describe like the same topology written by hand with the DSL, run
in the TopologyTestDriver with expected records worked out from Kafka Streams'
documented semantics (not from this engine's output), validate with messages a user
understands, and export to programs building the same topology.

Kafka references: KGroupedStream#cogroup and CogroupedKStream javadoc (one store shared
by all inputs, each record updating the aggregate with its own stream's aggregator),
KStreamAggregate (the result's timestamp is the max of the record's and the previous
aggregate's), KStreamWindowAggregate (a record is dropped when its window end is not
after stream time minus grace), KStream#to(TopicNameExtractor).
"""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator

from runtime import ProcessingError, Serdes, SessionWindows, StreamsBuilder, TimeWindows
from runtime.spec import (
    TopicChooser,
    compile_document,
    compile_expression,
    export_python,
    node_catalog,
    validate,
)
from runtime.spec.compiler import HANDLERS
from runtime.spec.document import Document
from runtime.testing import TopologyTestDriver
from tests.runtime.spec.test_spec_catalog_operators import described, document, problems
from tests.runtime.spec.test_spec_export import run_program

S, J = Serdes.string(), Serdes.json()
CATALOG = {entry["type"]: entry for entry in node_catalog()}
NEW_TYPES = ("grouped.cogroup", "sink.topic_chooser")

CLICK = '{**agg, "clicks": agg["clicks"] + 1}'
VIEW = '{**agg, "seconds": agg["seconds"] + value["seconds"]}'
INIT = '{"clicks": 0, "seconds": 0}'
ROUTE = '"orders-" + value["region"]'


# -- documents and their hand-written DSL programs --------------------------------------------

def cogroup_doc(cogroup_params: dict[str, Any] | None = None, *, edges_reversed: bool = False,
                windowed_keys: bool = False) -> Document:
    """clicks → group by key, views → group by (the page's user) → cogroup → stream → out."""
    params = cogroup_params if cogroup_params is not None else {
        "aggregators": [{"input": "clicks-by-user", "aggregator": CLICK},
                        {"input": "views-by-user", "aggregator": VIEW}],
        "initializer": INIT, "value_serde": "json"}
    into_cogroup = [("clicks-by-user", "stats"), ("views-by-user", "stats")]
    if edges_reversed:
        into_cogroup.reverse()
    nodes = [("clicks", "source.stream", {"topics": ["clicks"], "value_serde": "json"}),
             ("views", "source.stream", {"topics": ["views"], "value_serde": "json"}),
             ("clicks-by-user", "stream.group_by_key", {"value_serde": "json"}),
             ("views-by-user", "stream.group_by", {"key": 'value["user"]', "value_serde": "json"}),
             ("stats", "grouped.cogroup", params),
             ("changes", "table.to_stream", {})]
    edges = [("clicks", "clicks-by-user"), ("views", "views-by-user"), *into_cogroup, ("stats", "changes")]
    if windowed_keys:
        # Windowed keys are written as "<key>@<start>/<end>" (Kafka's Windowed.toString
        # without the brackets) so that a string serde can.
        nodes.append(("flat-keys", "stream.map",
                      {"mapper": '(f"{key.key}@{key.window.start}/{key.window.end}", value)'}))
        edges += [("changes", "flat-keys"), ("flat-keys", "out")]
    else:
        edges.append(("changes", "out"))
    nodes.append(("out", "sink.topic", {"topic": "stats", "value_serde": "json"}))
    return document(nodes, edges)


def hand_cogroup(windows: Any = None, merger: Any = None, *, windowed_keys: bool = False,
                 store: Any = "stats-store") -> Any:
    b = StreamsBuilder()
    clicks = b.stream("clicks", key_serde=S, value_serde=J, name="clicks") \
        .group_by_key(key_serde=S, value_serde=J, name="clicks-by-user")
    views = b.stream("views", key_serde=S, value_serde=J, name="views") \
        .group_by(lambda k, v: v["user"], key_serde=S, value_serde=J, name="views-by-user")
    cogrouped = clicks.cogroup(lambda k, v, a: a).cogroup(views, lambda k, v, a: a)
    if windows is not None:
        cogrouped = cogrouped.windowed_by(windows)
    args = [lambda: None] + ([merger] if merger is not None else [])
    changes = cogrouped.aggregate(*args, name="stats", store=store, value_serde=J).to_stream(name="changes")
    if windowed_keys:
        changes = changes.map(lambda k, v: (k, v), name="flat-keys")
    changes.to("stats", key_serde=S, value_serde=J, name="out")
    return b.build()


def windowed_params(**window: Any) -> dict[str, Any]:
    return {"aggregators": [{"input": "clicks-by-user", "aggregator": CLICK},
                            {"input": "views-by-user", "aggregator": VIEW}],
            "initializer": INIT, "value_serde": "json", **window}


def chooser_doc(expression: str = ROUTE) -> Document:
    return document([("orders", "source.stream", {"topics": ["orders"], "value_serde": "json"}),
                     ("route", "sink.topic_chooser", {"topic_expression": expression, "value_serde": "json"})],
                    [("orders", "route")])


def hand_chooser() -> Any:
    b = StreamsBuilder()
    b.stream("orders", key_serde=S, value_serde=J, name="orders") \
        .to(TopicChooser(compile_expression(ROUTE, "topic_chooser")), key_serde=S, value_serde=J, name="route")
    return b.build()


SAME_AS_DSL = {
    "cogroup": (cogroup_doc, hand_cogroup),
    "cogroup-tumbling": (lambda: cogroup_doc(windowed_params(window="tumbling", size_ms=100),
                                             windowed_keys=True),
                         lambda: hand_cogroup(TimeWindows.of_size_with_no_grace(100), windowed_keys=True)),
    "cogroup-hopping-with-grace": (
        lambda: cogroup_doc(windowed_params(window="hopping", size_ms=100, advance_ms=50, grace_ms=10),
                            windowed_keys=True),
        lambda: hand_cogroup(TimeWindows.of_size_and_grace(100, 10).advance_by(50), windowed_keys=True)),
    "cogroup-session": (
        lambda: cogroup_doc(windowed_params(window="session", gap_ms=100,
                                            merger='{"clicks": agg1["clicks"] + agg2["clicks"], '
                                                   '"seconds": agg1["seconds"] + agg2["seconds"]}'),
                            windowed_keys=True),
        lambda: hand_cogroup(SessionWindows.of_inactivity_gap_with_no_grace(100), lambda k, a, b: a,
                             windowed_keys=True)),
    "topic-chooser": (chooser_doc, hand_chooser),
}


# -- the catalog ---------------------------------------------------------------------------

def test_both_types_are_in_the_catalog_with_a_handler() -> None:
    assert set(NEW_TYPES) <= set(CATALOG) and set(NEW_TYPES) <= set(HANDLERS)
    cogroup = CATALOG["grouped.cogroup"]
    assert [(p["name"], p["kind"], p["multiple"]) for p in cogroup["inputs"]] == [("in", "grouped_stream", True)]
    assert [p["kind"] for p in cogroup["outputs"]] == ["table"]
    entry = cogroup["params_schema"]["properties"]["aggregators"]["items"]
    assert entry["properties"]["input"]["x-connected-input"] == "in"
    assert entry["properties"]["aggregator"]["x-expression"]["kind"] == "aggregator"
    chooser = CATALOG["sink.topic_chooser"]
    assert [p["kind"] for p in chooser["inputs"]] == ["stream"] and chooser["outputs"] == []
    expression = chooser["params_schema"]["properties"]["topic_expression"]["x-expression"]
    assert expression == {"kind": "topic_chooser", "variables": ["key", "value"]}


@pytest.mark.parametrize("type_", NEW_TYPES)
def test_schemas_and_examples_are_valid_and_documented(type_: str) -> None:
    entry = CATALOG[type_]
    schema = entry["params_schema"]
    Draft202012Validator.check_schema(schema)
    assert list(Draft202012Validator(schema).iter_errors(entry["example"]["params"])) == []
    assert entry["title"] and entry["description"] and entry["example"]["note"]
    for name, prop in schema["properties"].items():
        assert prop.get("description"), f"{type_}.{name} has no help text"


def test_the_cogroup_example_compiles_once_its_inputs_exist() -> None:
    example = CATALOG["grouped.cogroup"]["example"]["params"]
    inputs = [a["input"] for a in example["aggregators"]]
    nodes = [(f"src-{i}", "source.stream", {"topics": [f"t{i}"], "value_serde": "json"}) for i in inputs]
    nodes += [(i, "stream.group_by_key", {}) for i in inputs]
    nodes += [("agg", "grouped.cogroup", example), ("s", "table.to_stream", {}),
              ("out", "sink.topic", {"topic": "out", "value_serde": "json"})]
    edges = [(f"src-{i}", i) for i in inputs] + [(i, "agg") for i in inputs] + [("agg", "s"), ("s", "out")]
    doc = document(nodes, edges)
    assert problems(doc, "error") == []
    assert "agg-cogroup-merge" in described(compile_document(doc))


def test_the_cogroup_schema_requires_an_input_and_an_aggregator_per_entry() -> None:
    validator = Draft202012Validator(CATALOG["grouped.cogroup"]["params_schema"])
    assert list(validator.iter_errors({"aggregators": [], "initializer": "0"}))
    assert list(validator.iter_errors({"aggregators": [{"input": "a"}], "initializer": "0"}))
    assert list(validator.iter_errors({"aggregators": [{"input": "a b", "aggregator": "agg"}],
                                       "initializer": "0"}))
    # window durations are required by window type, as on Window nodes
    errors = [e.message for e in validator.iter_errors(
        {"aggregators": [{"input": "a", "aggregator": "agg"}], "initializer": "0", "window": "hopping",
         "size_ms": 10})]
    assert errors == ["'advance_ms' is a required property"]


# -- describe() equals the hand-written DSL program ------------------------------------------

@pytest.mark.parametrize("case", sorted(SAME_AS_DSL))
def test_compiled_document_describes_like_the_hand_written_dsl(case: str) -> None:
    make_doc, hand_written = SAME_AS_DSL[case]
    doc = make_doc()
    assert problems(doc, "error") == []
    assert described(compile_document(doc)) == described(hand_written())


def test_the_aggregators_order_decides_and_the_edges_order_does_not() -> None:
    reordered = {"aggregators": [{"input": "views-by-user", "aggregator": VIEW},
                                 {"input": "clicks-by-user", "aggregator": CLICK}],
                 "initializer": INIT, "value_serde": "json"}
    first = described(compile_document(cogroup_doc(reordered)))
    assert described(compile_document(cogroup_doc(reordered, edges_reversed=True))) == first
    # The list's first input starts the cogroup: the views' aggregate node is number 0.
    assert "Processor: stats-cogroup-agg-0 (stores: [stats-store])\n      --> stats-cogroup-merge\n" \
           "      <-- views-by-user-repartition-source" in first
    assert "Processor: stats-cogroup-agg-1 (stores: [stats-store])\n      --> stats-cogroup-merge\n" \
           "      <-- clicks" in first


def test_a_store_param_and_a_key_serde_name_the_store() -> None:
    params = {**windowed_params(), "store": "user-stats", "key_serde": "string"}
    text = described(compile_document(cogroup_doc(params)))
    assert "(stores: [user-stats])" in text and "stats-store" not in text


# -- behaviour in the TopologyTestDriver --------------------------------------------------------

def test_a_cogroup_folds_both_streams_into_one_aggregate_per_key() -> None:
    with TopologyTestDriver(compile_document(cogroup_doc())) as driver:
        clicks = driver.create_input_topic("clicks", S, J)
        views = driver.create_input_topic("views", S, J)
        out = driver.create_output_topic("stats", S, J)
        clicks.pipe_input("u1", {"page": "home"}, 10)
        views.pipe_input("v1", {"user": "u1", "seconds": 30}, 20)
        clicks.pipe_input("u2", {"page": "home"}, 30)
        clicks.pipe_input("u1", {"page": "cart"}, 15)  # out of order: the aggregate keeps ts 20
        views.pipe_input("v2", {"user": "u2", "seconds": 5}, 40)
        records = [(r.key, r.value, r.timestamp) for r in out.read_records_to_list()]
    # Kafka's cogroup: every record updates its key's single aggregate with its own
    # stream's aggregator and emits the new aggregate (the driver has no cache); the
    # timestamp is the max of the record's and the previous aggregate's.
    assert records == [
        ("u1", {"clicks": 1, "seconds": 0}, 10),
        ("u1", {"clicks": 1, "seconds": 30}, 20),
        ("u2", {"clicks": 1, "seconds": 0}, 30),
        ("u1", {"clicks": 2, "seconds": 30}, 20),
        ("u2", {"clicks": 1, "seconds": 5}, 40),
    ]


def test_a_tumbling_window_cogroup_aggregates_per_window_and_drops_late_records() -> None:
    doc = cogroup_doc(windowed_params(window="tumbling", size_ms=100), windowed_keys=True)
    with TopologyTestDriver(compile_document(doc)) as driver:
        clicks = driver.create_input_topic("clicks", S, J)
        views = driver.create_input_topic("views", S, J)
        out = driver.create_output_topic("stats", S, J)
        clicks.pipe_input("u1", {}, 10)
        views.pipe_input("v", {"user": "u1", "seconds": 7}, 50)
        clicks.pipe_input("u1", {}, 120)
        views.pipe_input("v", {"user": "u1", "seconds": 3}, 130)
        # window [0, 100) ends at 100; with no grace it closed once stream time passed 100
        views.pipe_input("v", {"user": "u1", "seconds": 1000}, 60)
        records = out.read_key_values_to_list()
    assert records == [
        ("u1@0/100", {"clicks": 1, "seconds": 0}),
        ("u1@0/100", {"clicks": 1, "seconds": 7}),
        ("u1@100/200", {"clicks": 1, "seconds": 0}),
        ("u1@100/200", {"clicks": 1, "seconds": 3}),
    ]


def test_a_session_cogroup_merges_sessions_with_the_merger() -> None:
    doc = SAME_AS_DSL["cogroup-session"][0]()
    with TopologyTestDriver(compile_document(doc)) as driver:
        clicks = driver.create_input_topic("clicks", S, J)
        views = driver.create_input_topic("views", S, J)
        out = driver.create_output_topic("stats", S, J)
        clicks.pipe_input("u1", {}, 0)
        views.pipe_input("v", {"user": "u1", "seconds": 5}, 50)   # within the 100 ms gap
        clicks.pipe_input("u1", {}, 300)                          # a new session
        records = out.read_key_values_to_list()
    # KStreamSessionWindowAggregate: the sessions a record touches are merged (starting
    # from the initializer, merger(key, agg, session) for each), removed with a
    # tombstone, and the record's aggregator applied to the merged aggregate.
    assert records == [
        ("u1@0/0", {"clicks": 1, "seconds": 0}),
        ("u1@0/0", None),                          # [0, 0] removed ...
        ("u1@0/50", {"clicks": 1, "seconds": 5}),  # ... merged into [0, 50]
        ("u1@300/300", {"clicks": 1, "seconds": 0}),
    ]


def test_records_go_to_the_topics_the_expression_names() -> None:
    orders = [("o1", {"region": "eu", "n": 1}), ("o2", {"region": "us", "n": 2}),
              ("o3", {"region": "eu", "n": 3})]
    with TopologyTestDriver(compile_document(chooser_doc())) as driver:
        source = driver.create_input_topic("orders", S, J)
        for key, value in orders:
            source.pipe_input(key, value, 5)
        assert driver.produced_topic_names() == {"orders-eu", "orders-us"}
        for region in ("eu", "us"):
            got = driver.create_output_topic(f"orders-{region}", S, J).read_key_values_to_list()
            assert got == [(k, v) for k, v in orders if v["region"] == region]


@pytest.mark.parametrize("expression", ['value["region"]', '"orders " + value["region"]', '""'])
def test_a_value_that_is_no_topic_name_stops_processing(expression: str) -> None:
    # Kafka's producer refuses a null or illegal topic name and the task fails.
    with TopologyTestDriver(compile_document(chooser_doc(expression))) as driver:
        source = driver.create_input_topic("orders", S, J)
        with pytest.raises(ProcessingError, match="not a legal topic name"):
            source.pipe_input("o1", {"region": None if expression.startswith("value") else "eu"}, 5)


def test_the_chooser_describes_as_its_expression() -> None:
    # Kafka prints the extractor object; ours shows its expression, not an address.
    assert f"Sink: route (extractor class: TopicChooser({ROUTE!r}))\n" in described(compile_document(chooser_doc()))


# -- validation ---------------------------------------------------------------------------

def _cogroup_with(aggregators: list[dict[str, Any]], **extra: Any) -> Document:
    return cogroup_doc({"aggregators": aggregators, "initializer": INIT, "value_serde": "json", **extra})


def test_every_input_needs_an_aggregator() -> None:
    doc = _cogroup_with([{"input": "clicks-by-user", "aggregator": CLICK}])
    assert problems(doc, "error") == [
        ("stats", "params.aggregators",
         "the input 'views-by-user' has no aggregator; add one whose input is 'views-by-user'")]


def test_an_aggregator_must_name_a_connected_input() -> None:
    doc = _cogroup_with([{"input": "clicks-by-user", "aggregator": CLICK},
                         {"input": "views-by-user", "aggregator": VIEW},
                         {"input": "clicks", "aggregator": CLICK}])
    assert problems(doc, "error") == [
        ("stats", "params.aggregators.2.input",
         "'clicks' is not connected to this node; each aggregator must name a grouped stream "
         "(Group by, Group by key) connected to its input")]


def test_an_input_has_one_aggregator_only() -> None:
    doc = _cogroup_with([{"input": "clicks-by-user", "aggregator": CLICK},
                         {"input": "views-by-user", "aggregator": VIEW},
                         {"input": "clicks-by-user", "aggregator": VIEW}])
    assert problems(doc, "error") == [
        ("stats", "params.aggregators.2.input",
         "'clicks-by-user' already has an aggregator (params.aggregators.0); give each input exactly one")]


def test_an_aggregator_that_does_not_compile_is_reported_at_its_entry() -> None:
    doc = _cogroup_with([{"input": "clicks-by-user", "aggregator": CLICK},
                         {"input": "views-by-user", "aggregator": "agg + undefined_name"}])
    found = problems(doc, "error")
    assert [(n, p) for n, p, _ in found] == [("stats", "params.aggregators.1.aggregator")]
    assert "undefined_name" in found[0][2]


def test_session_windows_need_a_merger_and_others_do_not_use_one() -> None:
    doc = cogroup_doc(windowed_params(window="session", gap_ms=100), windowed_keys=True)
    assert problems(doc, "error") == [
        ("stats", "params.merger", "session windows need a merger: how to combine the aggregates of "
                                   "two sessions that grow together")]
    doc = cogroup_doc(windowed_params(window="tumbling", size_ms=100, merger="agg1"), windowed_keys=True)
    assert ("stats", "params.merger", "the merger is used only with session windows") in problems(doc, "warning")


def test_window_params_are_checked_as_on_window_nodes() -> None:
    doc = cogroup_doc(windowed_params(window="hopping", size_ms=100, advance_ms=200), windowed_keys=True)
    assert problems(doc, "error") == [
        ("stats", "params.advance_ms", "the advance (200 ms) must not be larger than the window size (100 ms)")]
    doc = cogroup_doc(windowed_params(size_ms=100))
    assert ("stats", "params.size_ms", "size_ms is used only when aggregating per window (set a window type)") \
        in problems(doc, "warning")


def test_one_input_is_allowed_with_a_warning() -> None:
    doc = document([("clicks", "source.stream", {"topics": ["clicks"], "value_serde": "json"}),
                    ("g", "stream.group_by_key", {}),
                    ("stats", "grouped.cogroup", {"aggregators": [{"input": "g", "aggregator": CLICK}],
                                                  "initializer": INIT, "value_serde": "json"}),
                    ("s", "table.to_stream", {}), ("out", "sink.topic", {"topic": "out"})],
                   [("clicks", "g"), ("g", "stats"), ("stats", "s"), ("s", "out")])
    assert problems(doc, "error") == []
    assert ("stats", "inputs.in", "input 'in' has one connection; cogrouping is meant for two or more "
                                  "(with one, Aggregate does the same)") in problems(doc, "warning")


def test_the_cogroup_store_name_must_be_unique() -> None:
    params = {**windowed_params(), "store": "clicks-by-user-store"}
    doc = cogroup_doc(params)
    doc_with_clash = document(
        [*[(n.id, n.type, n.params) for n in doc.nodes],
         ("count", "grouped.count", {"store": "clicks-by-user-store"})],
        [*[(e.source, e.target) for e in doc.edges], ("clicks-by-user", "count")])
    assert ("count", "params.store",
            "the state store name 'clicks-by-user-store' is also used by 'stats'; store names must be unique") \
        in problems(doc_with_clash, "error")


def test_cogrouped_topics_must_be_co_partitioned_unless_repartitioned() -> None:
    # Both inputs grouped by their key: Kafka co-partitions clicks and views
    # (CopartitionedTopicsEnforcer), so different partition counts fail at start-up.
    doc = cogroup_doc()
    data_nodes = [(n.id, n.type, n.params) for n in doc.nodes]
    data_nodes[3] = ("views-by-user", "stream.group_by_key", {"value_serde": "json"})
    by_key = document(data_nodes, [(e.source, e.target) for e in doc.edges])
    found = [(p.node_id, p.message) for p in validate(by_key, {"clicks": 3, "views": 4}) if p.severity == "error"]
    assert found == [("stats", "topics not co-partitioned: 'clicks' (3 partitions), 'views' (4 partitions); "
                               "a cogroup reads its inputs side by side, partition by partition, so their "
                               "topics need the same number of partitions (give them the same count, or "
                               "repartition one side first)")]
    assert [p for p in validate(by_key, {"clicks": 3, "views": 3}) if p.severity == "error"] == []
    # Grouped by a new key, views go through a repartition topic that Kafka sizes to match.
    assert [p for p in validate(doc, {"clicks": 3, "views": 4}) if p.severity == "error"] == []


def test_a_topic_chooser_warns_that_its_topics_are_known_only_at_run_time() -> None:
    assert problems(chooser_doc(), "warning") == [
        ("route", "params.topic_expression",
         "the output topics are chosen per record at run time, so they are not known in advance: they "
         "are not checked against the input topics (a record could loop back through Kafka), and each "
         "must exist or be created automatically by the broker")]
    bad = problems(chooser_doc("value["), "error")
    assert [(n, p) for n, p, _ in bad] == [("route", "params.topic_expression")]


# -- export -------------------------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(SAME_AS_DSL))
def test_each_document_exports_to_a_program_building_the_same_topology(case: str) -> None:
    make_doc, hand_written = SAME_AS_DSL[case]
    doc = make_doc()
    source = export_python(doc)
    built = run_program(source)["build_topology"]()
    assert described(built) == described(compile_document(doc)) == described(hand_written())
    # Expressions stay in the sandbox: compiled by name and kind, never written as code.
    assert "lambda" not in source
    if case == "topic-chooser":
        assert "TopicChooser(chooser=compile_expression(" in source
    else:
        assert ".cogroup(" in source and "'aggregator')" in source
