"""User-defined functions and processors: registered by code or by Python entry points,
usable by name in expressions and in Process nodes, compiled like the DSL's process()."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime import Serdes, Stores, StreamsBuilder
from runtime.processor import Processor, Record
from runtime.spec import (
    ExpressionError,
    ExpressionRuntimeError,
    SpecError,
    compile_document,
    compile_expression,
    function_reference,
    load_document,
    node_catalog,
    validate,
)
from runtime.spec import udf
from runtime.testing import TopologyTestDriver


class RunningCount(Processor):
    """Counts records per key in the store 'counts' and forwards the count as the value."""

    def init(self, context: Any) -> None:
        self.context = context
        self.store = context.get_state_store("counts")

    def process(self, record: Record) -> None:
        count = (self.store.get(record.key) or 0) + 1
        self.store.put(record.key, count)
        self.context.forward(record.with_value(count))


class KeyByValue(Processor):
    """Makes each record's value its key (a key-changing processor)."""

    def init(self, context: Any) -> None:
        self.context = context

    def process(self, record: Record) -> None:
        self.context.forward(record.with_key(record.value))


@pytest.fixture
def registered() -> Iterator[None]:
    udf.register_function("shout", lambda text: text.upper() + "!")
    udf.register_processor("running_count", RunningCount)
    udf.register_processor("key_by_value", KeyByValue)
    yield
    udf.unregister_function("shout")
    udf.unregister_processor("running_count")
    udf.unregister_processor("key_by_value")


# --- functions in expressions ---------------------------------------------------------------

def test_a_registered_function_is_callable_by_name(registered: None) -> None:
    assert compile_expression("shout(value)", "value_mapper")("hi") == "HI!"
    assert compile_expression('[shout(w) for w in value.split()]', "value_mapper")("a b") == ["A!", "B!"]


def test_an_unregistered_name_is_still_unknown() -> None:
    with pytest.raises(ExpressionError, match="unknown name 'shout'"):
        compile_expression("shout(value)", "value_mapper")


def test_unregistering_invalidates_compiled_expressions(registered: None) -> None:
    assert compile_expression("shout(value)", "value_mapper")("x") == "X!"
    udf.unregister_function("shout")
    with pytest.raises(ExpressionError, match="unknown name 'shout'"):
        compile_expression("shout(value)", "value_mapper")
    udf.register_function("shout", lambda text: text + "?")
    assert compile_expression("shout(value)", "value_mapper")("x") == "x?"


@pytest.mark.parametrize(("name", "message"), [
    ("len", "'len' is already a name of the expression language"),
    ("re_split", "'re_split' is already a name of the expression language"),
    ("value", "'value' is already a name of the expression language"),
    ("agg", "'agg' is already a name of the expression language"),
    ("_secret", "'_secret' is not a valid function name"),
    ("lambda", "'lambda' is not a valid function name"),
    ("two words", "'two words' is not a valid function name"),
])
def test_names_of_the_language_and_invalid_names_are_refused(name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        udf.register_function(name, str.upper)


def test_a_name_is_registered_once(registered: None) -> None:
    with pytest.raises(ValueError, match=r"a function 'shout' is already registered \(register_function\(\)\)"):
        udf.register_function("shout", str.lower)
    with pytest.raises(TypeError, match="must be callable"):
        udf.register_function("not_callable", 42)  # type: ignore[arg-type]


@pytest.mark.parametrize("source", [
    "shout.__globals__",
    "shout(value).__class__",
    "shout.__call__(value)",
    "getattr(shout, 'x')",
    "[shout for shout in value]",
])
def test_the_sandbox_still_rejects_everything_else(registered: None, source: str) -> None:
    with pytest.raises(ExpressionError):
        compile_expression(source, "value_mapper")


def test_what_a_function_returns_is_still_guarded(registered: None) -> None:
    class Opaque:
        def upper(self) -> str:
            return "escaped"

    udf.register_function("opaque", lambda: Opaque())
    try:
        with pytest.raises(ExpressionRuntimeError, match="Opaque has no allowed method 'upper'"):
            compile_expression("opaque().upper()", "value_mapper")("x")
    finally:
        udf.unregister_function("opaque")


def test_errors_inside_a_function_name_the_expression(registered: None) -> None:
    with pytest.raises(ExpressionRuntimeError, match=r"AttributeError: .* in expression 'shout\(value\)'"):
        compile_expression("shout(value)", "value_mapper")(42)


def test_the_function_reference_lists_registered_functions(registered: None) -> None:
    [entry] = [f for f in function_reference() if f["name"] == "shout"]
    assert entry["user_defined"] is True
    assert entry["signature"] == "shout(text)"
    assert entry["origin"] == "register_function()"


def test_a_document_uses_a_registered_function_like_a_built_in(registered: None) -> None:
    data = chain(SOURCE, n("loud", "stream.map_values", mapper="shout(value)"),
                 n("out", "sink.topic", topic="output"))
    doc = load_document(data)
    assert validate(doc) == []
    with TopologyTestDriver(compile_document(doc)) as driver:
        driver.create_input_topic("input", Serdes.string(), Serdes.string()).pipe_value_list(["hey", "you"])
        out = driver.create_output_topic("output", Serdes.string(), Serdes.string())
        assert out.read_values_to_list() == ["HEY!", "YOU!"]


def test_a_document_using_an_unregistered_function_names_node_and_param() -> None:
    data = chain(SOURCE, n("loud", "stream.map_values", mapper="shout(value)"),
                 n("out", "sink.topic", topic="output"))
    assert [(p.node_id, p.path, p.message) for p in validate(load_document(data)) if p.severity == "error"] == [(
        "loud", "params.mapper",
        "unknown name 'shout' (this expression sees value and the listed functions) (line 1, column 1)",
    )]


def test_the_public_names_are_exported() -> None:
    import runtime.spec as spec

    assert spec.register_function is udf.register_function
    assert spec.register_processor is udf.register_processor
    assert spec.UdfError is udf.UdfError


# --- entry points ---------------------------------------------------------------------------

@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A distribution with entry points, found by importlib.metadata on sys.path."""
    module = f"riffle_udfs_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text(textwrap.dedent('''
        from runtime.processor import Processor


        def initials(text):
            """The first letter of each word, upper case."""
            return "".join(w[0].upper() for w in text.split())


        class Tagged(Processor):
            def init(self, context):
                self.context = context

            def process(self, record):
                self.context.forward(record.with_value("tagged:" + record.value))

        NOT_CALLABLE = 42
    '''), encoding="utf-8")
    dist = tmp_path / "riffle_test_udfs-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: riffle-test-udfs\nVersion: 1.0\n",
                                   encoding="utf-8")
    (dist / "entry_points.txt").write_text(textwrap.dedent(f"""
        [riffle.functions]
        initials = {module}:initials
        missing_module = {module}_nowhere:fn
        not_callable = {module}:NOT_CALLABLE
        len = {module}:initials

        [riffle.processors]
        tagged = {module}:Tagged
        ghost = {module}:Ghost
    """), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    udf.reload_entry_points()
    yield module
    monkeypatch.undo()
    sys.modules.pop(module, None)
    udf.reload_entry_points()


def test_an_entry_point_function_is_callable_in_expressions(installed: str) -> None:
    assert compile_expression("initials(value)", "value_mapper")("kafka streams rocks") == "KSR"
    [entry] = [f for f in function_reference() if f["name"] == "initials"]
    assert entry["description"] == "The first letter of each word, upper case."
    assert entry["origin"] == f"entry point initials = {installed}:initials of riffle-test-udfs 1.0"


def test_broken_entry_points_are_named_and_the_others_still_work(installed: str) -> None:
    errors = udf.entry_point_errors()
    origin = "of riffle-test-udfs 1.0 (group riffle.{})"
    assert errors == [
        f"entry point len = {installed}:initials {origin.format('functions')}: "
        "'len' is already a name of the expression language; choose another name",
        f"entry point missing_module = {installed}_nowhere:fn {origin.format('functions')} failed to load: "
        f"ModuleNotFoundError: No module named '{installed}_nowhere'",
        f"entry point not_callable = {installed}:NOT_CALLABLE {origin.format('functions')} is a int, "
        "not a function",
        f"entry point ghost = {installed}:Ghost {origin.format('processors')} failed to load: "
        f"AttributeError: module '{installed}' has no attribute 'Ghost'",
    ]
    with pytest.raises(ExpressionError, match="the function 'missing_module' cannot be used: entry point "
                                              "missing_module = .* failed to load: ModuleNotFoundError"):
        compile_expression("missing_module(value)", "value_mapper")
    # A loop variable may still use the name of a broken entry point.
    assert compile_expression("[missing_module for missing_module in value]", "value_mapper")("ab") == ["a", "b"]
    # The built-in len is untouched by the entry point that tried to take its name.
    assert compile_expression("len(value)", "value_mapper")("abc") == 3


def test_an_entry_point_processor_compiles_and_runs(installed: str) -> None:
    doc = load_document(chain(SOURCE, n("tag", "stream.process", processor="tagged"),
                              n("out", "sink.topic", topic="output")))
    with TopologyTestDriver(compile_document(doc)) as driver:
        driver.create_input_topic("input", Serdes.string(), Serdes.string()).pipe_input("k", "v")
        out = driver.create_output_topic("output", Serdes.string(), Serdes.string())
        assert out.read_key_values_to_list() == [("k", "tagged:v")]


def test_a_broken_processor_entry_point_is_a_validation_error_naming_it(installed: str) -> None:
    doc = load_document(chain(SOURCE, n("p", "stream.process", processor="ghost"), SINK))
    [problem] = [p for p in validate(doc) if p.severity == "error"]
    assert (problem.node_id, problem.path) == ("p", "params.processor")
    assert problem.message.startswith(f"the processor 'ghost' cannot be used: entry point ghost = {installed}:Ghost")


# --- Process nodes --------------------------------------------------------------------------

def n(node_id: str, type_: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "params": params}


def chain(*nodes: dict[str, Any]) -> dict[str, Any]:
    edges = [
        {"id": f"e{i}", "source": a["id"], "source_port": "out", "target": b["id"], "target_port": "in"}
        for i, (a, b) in enumerate(zip(nodes, nodes[1:]), 1)
    ]
    return {"format_version": 1, "name": "t", "nodes": list(nodes), "edges": edges}


SOURCE = n("in", "source.stream", topics=["input"])
SINK = n("out", "sink.topic", topic="output", value_serde="long")
COUNTS = {"name": "counts", "type": "in_memory", "key_serde": "string", "value_serde": "long"}


def counting_document(store: dict[str, Any] = COUNTS) -> dict[str, Any]:
    return chain(SOURCE, n("count", "stream.process", processor="running_count", stores=[store]), SINK)


def hand_written_counting(persistent: bool = False) -> Any:
    b = StreamsBuilder()
    supplier = (Stores.persistent_key_value_store("counts") if persistent
                else Stores.in_memory_key_value_store("counts"))
    b.add_state_store(Stores.key_value_store_builder(supplier, Serdes.string(), Serdes.long()))
    (b.stream("input", key_serde=Serdes.string(), value_serde=Serdes.string(), name="in")
     .process(RunningCount, "counts", name="count")
     .to("output", key_serde=Serdes.string(), value_serde=Serdes.long(), name="out"))
    return b.build()


def test_the_process_node_is_in_the_catalog() -> None:
    [entry] = [e for e in node_catalog() if e["type"] == "stream.process"]
    assert entry["category"] == "processors"
    assert entry["key_changing"] is True  # KStream#process: repartitionRequired
    assert entry["params_schema"]["properties"]["processor"]["x-registry"] == "processors"
    assert entry["params_schema"]["required"] == ["processor"]


def test_a_process_node_describes_like_the_hand_written_program(registered: None) -> None:
    compiled = compile_document(load_document(counting_document()))
    text = str(compiled.describe())
    assert text == str(hand_written_counting().describe())
    assert "Processor: count (stores: [counts])" in text


@pytest.mark.parametrize(("store_type", "persistent"), [("rocks_db", True), ("in_memory", False)])
def test_the_store_type_picks_the_stores_factory(registered: None, store_type: str, persistent: bool,
                                                 tmp_path: Path) -> None:
    compiled = compile_document(load_document(counting_document({**COUNTS, "type": store_type})))
    assert str(compiled.describe()) == str(hand_written_counting(persistent=persistent).describe())
    # describe() does not show the store type; the store the driver builds does.
    with TopologyTestDriver(compiled, config={"state.dir": str(tmp_path)}) as driver:
        assert driver.get_key_value_store("counts").persistent is persistent


def test_an_exported_process_node_looks_its_processor_up_by_name(registered: None) -> None:
    from runtime.spec import export_python

    program = export_python(load_document(counting_document()))
    assert "processor_factory('running_count')" in program
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(program, "<exported>", "exec"), namespace)  # our generated code
    assert str(namespace["build_topology"]().describe()) == str(hand_written_counting().describe())


def test_a_compiled_process_node_runs_in_the_test_driver(registered: None) -> None:
    with TopologyTestDriver(compile_document(load_document(counting_document()))) as driver:
        source = driver.create_input_topic("input", Serdes.string(), Serdes.string())
        source.pipe_key_value_list([("a", "x"), ("b", "y"), ("a", "z")])
        out = driver.create_output_topic("output", Serdes.string(), Serdes.long())
        assert out.read_key_values_to_list() == [("a", 1), ("b", 1), ("a", 2)]
        assert driver.get_key_value_store("counts").get("a") == 2


def test_a_grouping_after_a_process_node_repartitions_as_in_kafka_streams(registered: None) -> None:
    data = chain(SOURCE, n("rekey", "stream.process", processor="key_by_value"),
                 n("g", "stream.group_by_key"), n("c", "grouped.count"), n("s", "table.to_stream"), SINK)
    doc = load_document(data)
    assert [(p.node_id, p.message) for p in validate(doc) if p.severity == "warning"] == [
        ("g", "a repartition topic will be created here, because 'rekey' (Process (custom)) may "
              "change the key before this step"),
    ]
    b = StreamsBuilder()
    (b.stream("input", key_serde=Serdes.string(), value_serde=Serdes.string(), name="in")
     .process(KeyByValue, name="rekey")
     .group_by_key(key_serde=Serdes.string(), value_serde=Serdes.string(), name="g")
     .count(name="c", store="c-store")
     .to_stream(name="s")
     .to("output", key_serde=Serdes.string(), value_serde=Serdes.long(), name="out"))
    text = str(compile_document(doc).describe())
    assert text == str(b.build().describe())
    assert "Sink: g-repartition-sink (topic: g-repartition)" in text
    with TopologyTestDriver(compile_document(doc)) as driver:
        driver.create_input_topic("input", Serdes.string(), Serdes.string()).pipe_key_value_list(
            [("1", "red"), ("2", "blue"), ("3", "red")])
        out = driver.create_output_topic("output", Serdes.string(), Serdes.long())
        assert out.read_key_values_to_list() == [("red", 1), ("blue", 1), ("red", 2)]


def test_an_unknown_processor_lists_the_registered_ones(registered: None) -> None:
    doc = load_document(chain(SOURCE, n("p", "stream.process", processor="runing_count"), SINK))
    assert [(p.node_id, p.path, p.message) for p in validate(doc) if p.severity == "error"] == [(
        "p", "params.processor",
        "no processor called 'runing_count' is registered; registered processors: key_by_value, running_count",
    )]
    with pytest.raises(SpecError, match="no processor called 'runing_count'"):
        compile_document(doc)


def test_an_unknown_processor_when_none_is_registered() -> None:
    doc = load_document(chain(SOURCE, n("p", "stream.process", processor="anything"), SINK))
    [problem] = [p for p in validate(doc) if p.severity == "error"]
    assert problem.message == (
        "no processor called 'anything' is registered; no processors are registered (an "
        "administrator installs them as Python entry points in the group 'riffle.processors')")


def test_store_names_of_process_nodes_must_be_unique(registered: None) -> None:
    data = chain(SOURCE, n("p", "stream.process", processor="running_count", stores=[COUNTS, COUNTS]),
                 n("g", "stream.group_by_key"), n("c", "grouped.count", store="counts"),
                 n("s", "table.to_stream"), SINK)
    data["nodes"].append(n("q", "stream.process", processor="running_count", stores=[COUNTS]))
    data["nodes"].append(n("out2", "sink.topic", topic="output2"))
    data["edges"] += [
        {"id": "y1", "source": "in", "source_port": "out", "target": "q", "target_port": "in"},
        {"id": "y2", "source": "q", "source_port": "out", "target": "out2", "target_port": "in"},
    ]
    errors = [(p.node_id, p.path, p.message) for p in validate(load_document(data)) if p.severity == "error"]
    assert errors == [
        ("p", "params.stores.0.name",
         "the state store name 'counts' is also used by 'c'; store names must be unique"),
        ("p", "params.stores.1.name",
         "the state store name 'counts' is also used by 'c'; store names must be unique"),
        ("q", "params.stores.0.name",
         "the state store name 'counts' is also used by 'c'; store names must be unique"),
    ]


def test_a_store_name_used_twice_within_one_node(registered: None) -> None:
    data = counting_document()
    data["nodes"][1]["params"]["stores"] = [COUNTS, {"name": "counts"}]
    errors = [(p.node_id, p.path, p.message) for p in validate(load_document(data)) if p.severity == "error"]
    assert errors == [("count", "params.stores.1.name",
                       "the state store name 'counts' is also used by this node; store names must be unique")]


def test_store_params_are_checked_by_the_schema(registered: None) -> None:
    data = counting_document({"name": "counts", "type": "redis"})
    errors = [(p.node_id, p.path, p.message) for p in validate(load_document(data)) if p.severity == "error"]
    assert errors == [("count", "params.stores.0.type", "'redis' is not one of 'in_memory', 'rocks_db'")]


def test_a_name_defined_by_two_distributions_is_refused_for_both(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module = f"riffle_twice_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{module}.py").write_text("def one(x):\n    return 1\n\ndef two(x):\n    return 2\n",
                                           encoding="utf-8")
    for dist, target in (("first", "one"), ("second", "two")):
        info = tmp_path / f"riffle_{dist}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: riffle-{dist}\nVersion: 1.0\n",
                                       encoding="utf-8")
        (info / "entry_points.txt").write_text(f"[riffle.functions]\nambiguous = {module}:{target}\n",
                                               encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        udf.reload_entry_points()
        [error] = udf.entry_point_errors()
        assert error.startswith("the function 'ambiguous' is defined twice: by entry point ambiguous = ")
        assert "riffle-first 1.0" in error and "riffle-second 1.0" in error
        # Neither wins by installation order.
        with pytest.raises(ExpressionError, match="the function 'ambiguous' cannot be used"):
            compile_expression("ambiguous(value)", "value_mapper")
    finally:
        monkeypatch.undo()
        sys.modules.pop(module, None)
        udf.reload_entry_points()
    assert udf.entry_point_errors() == []


def test_registered_processors_are_listed_for_the_editor(registered: None) -> None:
    listed = {p["name"]: p for p in udf.registered_processors()}
    assert set(listed) >= {"running_count", "key_by_value"}
    assert listed["running_count"]["description"] == (
        "Counts records per key in the store 'counts' and forwards the count as the value.")
