"""validate(): one test per kind of problem, each with the message a user sees."""

from __future__ import annotations

from typing import Any

import pytest

from runtime.spec import Problem, compile_document, dataflow, dump_document, load_document, load_example, validate


def wordcount() -> dict[str, Any]:
    return dump_document(load_example("wordcount"))


def node(data: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in data["nodes"] if n["id"] == node_id)


def problems(data: dict[str, Any]) -> list[Problem]:
    return validate(load_document(data))


def errors(data: dict[str, Any]) -> list[tuple[str | None, str, str]]:
    return [(p.node_id, p.path, p.message) for p in problems(data) if p.severity == "error"]


def warnings(data: dict[str, Any]) -> list[tuple[str | None, str, str]]:
    return [(p.node_id, p.path, p.message) for p in problems(data) if p.severity == "warning"]


def chain(*nodes: dict[str, Any]) -> dict[str, Any]:
    """A document whose nodes are connected in a line, left to right."""
    edges = [
        {"id": f"e{i}", "source": a["id"], "source_port": "out", "target": b["id"], "target_port": "in"}
        for i, (a, b) in enumerate(zip(nodes, nodes[1:]), 1)
    ]
    return {"format_version": 1, "name": "t", "nodes": list(nodes), "edges": edges}


def n(node_id: str, type_: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "params": params}


SOURCE = n("in", "source.stream", topics=["input"])
SINK = n("out", "sink.topic", topic="output")


def test_the_word_count_example_has_no_errors_and_one_repartition_warning() -> None:
    assert errors(wordcount()) == []
    assert warnings(wordcount()) == [(
        "group-by-word", "inputs.in",
        "a repartition topic will be created here, because 'key-by-word' (Map) may change the "
        "key before this step",
    )]


@pytest.mark.parametrize("name", ["stocks", "clickstream"])
def test_the_other_examples_have_no_errors(name: str) -> None:
    assert [p for p in validate(load_example(name)) if p.severity == "error"] == []


def test_a_param_of_the_wrong_type_is_reported_at_its_path() -> None:
    data = wordcount()
    node(data, "lines")["params"]["topics"] = "text-lines"
    assert errors(data) == [("lines", "params.topics", "'text-lines' is not of type 'array'")]


def test_a_param_inside_a_list_is_reported_at_its_index() -> None:
    data = wordcount()
    node(data, "lines")["params"]["topics"] = ["ok", "not ok!"]
    [(node_id, path, message)] = errors(data)
    assert (node_id, path) == ("lines", "params.topics.1")
    assert message.startswith("'not ok!' is not a valid name")


def test_a_missing_required_param_is_named() -> None:
    data = wordcount()
    del node(data, "drop-empty")["params"]["predicate"]
    assert errors(data) == [("drop-empty", "params.predicate", "missing required parameter 'predicate'")]


def test_an_unknown_param_is_named() -> None:
    data = wordcount()
    node(data, "drop-empty")["params"]["predicat"] = "True"
    assert errors(data) == [("drop-empty", "params", "unknown parameter 'predicat'")]


def test_an_unknown_serde_lists_the_known_ones() -> None:
    data = wordcount()
    node(data, "to-word-counts")["params"]["value_serde"] = "avro"
    assert errors(data) == [(
        "to-word-counts", "params.value_serde",
        "'avro' is not one of 'string', 'bytes', 'integer', 'long', 'double', 'json'",
    )]


def test_an_unknown_default_serde_in_the_settings() -> None:
    data = wordcount()
    data["settings"]["default_value_serde"] = "xml"
    assert errors(data) == [(
        None, "settings.default_value_serde",
        "unknown serde 'xml'; use one of string, bytes, integer, long, double, json",
    )]


def test_an_unknown_node_type() -> None:
    data = chain(SOURCE, n("mystery", "stream.teleport"), SINK)
    assert errors(data) == [("mystery", "type", "unknown node type 'stream.teleport'")]


def test_an_expression_that_does_not_compile_gets_the_compilers_message() -> None:
    data = wordcount()
    node(data, "drop-empty")["params"]["predicate"] = "len(kee) > 0"
    assert errors(data) == [(
        "drop-empty", "params.predicate",
        "unknown name 'kee' (this expression sees key, value and the listed functions) (line 1, column 5)",
    )]


def test_an_unsafe_expression_is_an_error() -> None:
    data = wordcount()
    node(data, "key-by-word")["params"]["mapper"] = "(value.__class__, value)"
    [(node_id, path, message)] = errors(data)
    assert (node_id, path) == ("key-by-word", "params.mapper")
    assert "names starting with '_' are not allowed" in message


def test_duplicate_node_ids() -> None:
    data = chain(SOURCE, n("f", "stream.filter", predicate="True"), n("f", "stream.filter", predicate="False"), SINK)
    assert ("f", "id", "the id 'f' is used by 2 nodes; ids must be unique") in errors(data)


def test_an_invalid_node_id() -> None:
    data = chain(SOURCE, n("my filter", "stream.filter", predicate="True"), SINK)
    [(node_id, path, message)] = errors(data)
    assert (node_id, path) == ("my filter", "id")
    assert message.startswith("'my filter' is not a valid id: use letters, digits")


def test_duplicate_edge_ids() -> None:
    data = chain(SOURCE, n("f", "stream.filter", predicate="True"), SINK)
    data["edges"][1]["id"] = "e1"
    assert errors(data) == [
        (None, "edges.0.id", "the edge id 'e1' is used by 2 edges"),
        (None, "edges.1.id", "the edge id 'e1' is used by 2 edges"),
    ]


def test_an_edge_from_or_to_a_missing_node() -> None:
    data = wordcount()
    data["edges"].append({"id": "e99", "source": "ghost", "source_port": "out",
                          "target": "nowhere", "target_port": "in"})
    assert errors(data) == [
        (None, "edges.7.source", "edge 'e99' starts at 'ghost', which is not a node of this document"),
        (None, "edges.7.target", "edge 'e99' ends at 'nowhere', which is not a node of this document"),
    ]


def test_an_edge_to_a_port_the_node_does_not_have() -> None:
    data = wordcount()
    data["edges"][0]["target_port"] = "left"
    data["edges"][1]["source_port"] = "result"
    found = errors(data)
    assert ("split-words", "edges.0.target_port",
            "'split-words' (Flat map values) has no input 'left' (inputs: 'in')") in found
    assert ("split-words", "edges.1.source_port",
            "'split-words' (Flat map values) has no output 'result' (outputs: 'out')") in found
    # The port the edge should have used is now unconnected.
    assert ("split-words", "inputs.in", "input 'in' is not connected; it takes a stream") in found


def test_a_grouped_stream_into_a_sink_is_the_wrong_port_kind() -> None:
    data = chain(SOURCE, n("grouped", "stream.group_by_key"), SINK)
    assert errors(data) == [(
        "out", "inputs.in",
        "input 'in' of 'out' (To topic) takes a stream, but 'grouped' (Group by key) gives a "
        "grouped stream; add an aggregation such as Count, then 'To stream'",
    )]


def test_a_table_into_a_stream_step_is_the_wrong_port_kind() -> None:
    table = n("t", "source.table", topic="profiles")
    data = chain(table, n("f", "stream.filter", predicate="True"), SINK)
    assert errors(data) == [(
        "f", "inputs.in",
        "input 'in' of 'f' (Filter) takes a stream, but 't' (Table) gives a table; add 'To stream' between them",
    )]


def test_an_unconnected_input() -> None:
    data = chain(n("f", "stream.filter", predicate="True"), SINK)
    assert errors(data) == [("f", "inputs.in", "input 'in' is not connected; it takes a stream")]


def test_two_connections_into_a_single_input() -> None:
    data = chain(SOURCE, SINK)
    data["nodes"].append(n("in2", "source.stream", topics=["input2"]))
    data["edges"].append({"id": "e9", "source": "in2", "source_port": "out", "target": "out", "target_port": "in"})
    assert errors(data) == [(
        "out", "inputs.in",
        "input 'in' has 2 connections ('in', 'in2'); it takes one (use Merge to combine streams)",
    )]


def test_the_same_connection_twice() -> None:
    data = chain(SOURCE, SINK)
    data["edges"].append({**data["edges"][0], "id": "e2"})
    assert ("out", "edges.0", "'in' is connected to 'out' twice") in errors(data)


def test_a_cycle() -> None:
    data = chain(SOURCE, n("a", "stream.filter", predicate="True"), n("b", "stream.merge"), SINK)
    data["edges"].append({"id": "back", "source": "b", "source_port": "out", "target": "b", "target_port": "in"})
    data["edges"].append({"id": "back2", "source": "b", "source_port": "out", "target": "a", "target_port": "in"})
    found = errors(data)
    assert ("b", "", "this node is part of a cycle (b → b); records cannot flow back to an earlier step") in found
    assert ("a", "", "this node is part of a cycle (a → b → a); records cannot flow back to an earlier step") in found


def test_an_unused_output_is_a_warning() -> None:
    data = chain(SOURCE, n("f", "stream.filter", predicate="True"))
    assert errors(data) == []
    assert warnings(data) == [
        ("f", "", "the output of this node is not used (connect it to a next step or a sink)"),
    ]


def test_a_merge_of_one_stream_is_a_warning() -> None:
    data = chain(SOURCE, n("m", "stream.merge"), SINK)
    assert warnings(data) == [("m", "inputs.in", "input 'in' has one connection; merging needs two or more")]


def test_group_by_always_warns_about_its_repartition_topic() -> None:
    data = chain(SOURCE, n("g", "stream.group_by", key="value"), n("c", "grouped.count"),
                 n("s", "table.to_stream"), SINK)
    assert warnings(data) == [(
        "g", "", "a repartition topic will be created here: grouping by a new key sends every "
        "record through an internal topic",
    )]


def test_no_repartition_warning_without_a_key_change() -> None:
    data = chain(SOURCE, n("mv", "stream.map_values", mapper="value"), n("g", "stream.group_by_key"),
                 n("c", "grouped.count"), n("s", "table.to_stream"), SINK)
    assert warnings(data) == []


def test_a_key_change_before_a_join_warns_through_a_filter() -> None:
    data = chain(SOURCE, n("rekey", "stream.select_key", key='value["user"]'),
                 n("keep", "stream.filter", predicate="True"))
    data["nodes"] += [n("t", "source.table", topic="users"),
                      n("j", "join.stream_table", joiner="left"), SINK]
    data["edges"] += [
        {"id": "x1", "source": "keep", "source_port": "out", "target": "j", "target_port": "left"},
        {"id": "x2", "source": "t", "source_port": "out", "target": "j", "target_port": "right"},
        {"id": "x3", "source": "j", "source_port": "out", "target": "out", "target_port": "in"},
    ]
    assert errors(data) == []
    assert warnings(data) == [(
        "j", "inputs.left",
        "a repartition topic will be created here, because 'rekey' (Select key) may change the key before this step",
    )]


def test_two_stores_with_one_name() -> None:
    data = chain(SOURCE, n("g", "stream.group_by_key"), n("c1", "grouped.count", store="shared"),
                 n("s", "table.to_stream"), SINK)
    data["nodes"].append(n("c2", "grouped.count", store="shared"))
    data["nodes"].append(n("s2", "table.to_stream"))
    data["nodes"].append(n("out2", "sink.topic", topic="out2"))
    data["edges"] += [
        {"id": "y1", "source": "g", "source_port": "out", "target": "c2", "target_port": "in"},
        {"id": "y2", "source": "c2", "source_port": "out", "target": "s2", "target_port": "in"},
        {"id": "y3", "source": "s2", "source_port": "out", "target": "out2", "target_port": "in"},
    ]
    assert errors(data) == [(
        "c2", "params.store", "the state store name 'shared' is also used by 'c1'; store names must be unique",
    )]


def test_a_default_store_name_can_clash_with_a_given_one() -> None:
    data = chain(SOURCE, n("g", "stream.group_by_key"), n("c", "grouped.count"),
                 n("t", "table.to_stream"), SINK)
    data["nodes"].append(n("profiles", "source.table", topic="p", store="c-store"))
    data["nodes"].append(n("p2", "table.to_stream"))
    data["nodes"].append(n("out2", "sink.topic", topic="out2"))
    data["edges"] += [
        {"id": "y1", "source": "profiles", "source_port": "out", "target": "p2", "target_port": "in"},
        {"id": "y2", "source": "p2", "source_port": "out", "target": "out2", "target_port": "in"},
    ]
    assert [e for e in errors(data) if e[1] == "params.store"] == [(
        "profiles", "params.store",
        "the state store name 'c-store' is also used by 'c'; store names must be unique",
    )]


def window_doc(**window: Any) -> dict[str, Any]:
    return chain(SOURCE, n("g", "stream.group_by_key"), n("w", "grouped.windowed_by", **window),
                 n("c", "windowed.count"), n("s", "table.to_stream"), SINK)


def test_a_window_missing_its_size() -> None:
    assert errors(window_doc(window="tumbling")) == [("w", "params.size_ms", "missing required parameter 'size_ms'")]


def test_a_window_kind_of_the_wrong_json_type_is_a_schema_error() -> None:
    # found by tests/runtime/spec/test_spec_fuzz.py: a list here once raised TypeError
    found = errors(window_doc(window=["tumbling"], size_ms=5))
    assert {(node_id, path) for node_id, path, _ in found} == {("w", "params.window")}
    assert "['tumbling'] is not of type 'string'" in [message for *_, message in found]


def test_a_hopping_window_advancing_more_than_its_size() -> None:
    assert errors(window_doc(window="hopping", size_ms=1000, advance_ms=5000)) == [(
        "w", "params.advance_ms", "the advance (5000 ms) must not be larger than the window size (1000 ms)",
    )]


def test_a_window_param_the_window_type_does_not_use() -> None:
    assert warnings(window_doc(window="tumbling", size_ms=1000, gap_ms=10)) == [
        ("w", "params.gap_ms", "gap_ms is not used by tumbling windows"),
    ]


def test_a_negative_duration() -> None:
    assert errors(window_doc(window="tumbling", size_ms=1000, grace_ms=-1)) == [
        ("w", "params.grace_ms", "-1 is less than the minimum of 0"),
    ]


def test_session_windows_need_a_merger() -> None:
    data = chain(SOURCE, n("g", "stream.group_by_key"), n("w", "grouped.windowed_by", window="session", gap_ms=100),
                 n("a", "windowed.aggregate", initializer="0", aggregator="agg + 1"),
                 n("s", "table.to_stream"), SINK)
    assert errors(data) == [(
        "a", "params.merger",
        "session windows need a merger: how to combine the aggregates of two sessions that grow together",
    )]


def test_a_topic_read_by_two_sources() -> None:
    data = chain(SOURCE, SINK)
    data["nodes"].append(n("again", "source.stream", topics=["other", "input"]))
    data["nodes"].append(n("out2", "sink.topic", topic="output2"))
    data["edges"].append({"id": "e9", "source": "again", "source_port": "out", "target": "out2", "target_port": "in"})
    assert errors(data) == [(
        "again", "params.topics.1",
        "the topic 'input' is already read by 'in'; read each topic with one source and connect more steps to it",
    )]


def test_a_sink_writing_to_an_input_topic_is_a_warning() -> None:
    data = chain(SOURCE, n("f", "stream.filter", predicate="True"), n("out", "sink.topic", topic="input"))
    assert warnings(data) == [
        ("out", "params.topic", "writes to 'input', which 'in' reads: records will loop through Kafka"),
    ]


def test_every_problem_is_reported_at_once() -> None:
    data = wordcount()
    node(data, "lines")["params"]["topics"] = []
    node(data, "split-words")["params"]["mapper"] = "re_split(value)"
    node(data, "drop-empty")["type"] = "stream.nope"
    data["edges"].pop()  # the sink loses its input
    found = errors(data)
    assert [(node_id, path) for node_id, path, _ in found] == [
        ("lines", "params.topics"),
        ("split-words", "params.mapper"),
        ("drop-empty", "type"),
        ("to-word-counts", "inputs.in"),
    ]


def test_the_benchmarks_200_node_document_validates_without_errors() -> None:
    # bench/spec_bench.py times this document (issue 5: under 100 ms); here only its
    # validity is checked, so that the benchmark never measures an error path.
    from bench.spec_bench import generated_document, topic_metadata

    doc = load_document(generated_document())
    assert len(doc.nodes) == 200
    found = validate(doc, topic_metadata())
    assert [p for p in found if p.severity == "error"] == []
    # The only advice: each pipeline's select-key makes its group-by-key repartition.
    assert sorted({(p.path, p.message.split(",")[0]) for p in found}) == [
        ("inputs.in", "a repartition topic will be created here"),
    ]
    assert len(found) == 20
    assert "Sub-topology: 39" in str(compile_document(doc).describe())  # two per pipeline


def test_dataflow_names_regroupings_key_changes_and_stores() -> None:
    doc = load_document({
        "format_version": 1, "name": "flow",
        "nodes": [
            {"id": "orders", "type": "source.stream", "params": {"topics": ["orders"]}},
            {"id": "rekey", "type": "stream.select_key", "params": {"mapper": "value"}},
            {"id": "by-key", "type": "stream.group_by_key", "params": {}},
            {"id": "count", "type": "grouped.count", "params": {}},
            {"id": "by-new", "type": "stream.group_by", "params": {"key": "value"}},
            {"id": "sum", "type": "grouped.reduce", "params": {"reducer": "agg", "store": "sums"}},
            {"id": "direct", "type": "stream.group_by_key", "params": {}},
            {"id": "count-direct", "type": "grouped.count", "params": {}},
        ],
        "edges": [
            {"id": "e1", "source": "orders", "source_port": "out", "target": "rekey", "target_port": "in"},
            {"id": "e2", "source": "rekey", "source_port": "out", "target": "by-key", "target_port": "in"},
            {"id": "e3", "source": "by-key", "source_port": "out", "target": "count", "target_port": "in"},
            {"id": "e4", "source": "orders", "source_port": "out", "target": "by-new", "target_port": "in"},
            {"id": "e5", "source": "by-new", "source_port": "out", "target": "sum", "target_port": "in"},
            {"id": "e6", "source": "orders", "source_port": "out", "target": "direct", "target_port": "in"},
            {"id": "e7", "source": "direct", "source_port": "out", "target": "count-direct", "target_port": "in"},
        ],
    })
    flow = dataflow(doc)
    # Kafka Streams: groupByKey after selectKey repartitions; groupBy always does;
    # groupByKey straight off a source does not.
    assert [(r["node_id"], r["port"]) for r in flow["repartitions"]] == [("by-key", "in"), ("by-new", None)]
    assert flow["stores"] == [
        {"node_id": "count", "store": "count-store"},
        {"node_id": "sum", "store": "sums"},
        {"node_id": "count-direct", "store": "count-direct-store"},
    ]
