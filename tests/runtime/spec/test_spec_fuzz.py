"""Malformed documents, generated: every one is refused with problems (SpecError from
load_document, problems from validate, SpecError from compile_document or
export_python), and none makes any of them raise anything else.

The generator starts from the catalog (real node types and param names, so documents
get past the first checks often enough to reach the later ones) and then breaks things:
unknown types and ports, params of the wrong JSON type, missing and extra params,
expressions that are not Python or not allowed, dangling and duplicate edges, cycles,
wrong format versions and wrong top-level shapes.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime.spec import (
    SpecError,
    compile_document,
    export_python,
    load_document,
    node_catalog,
    validate,
)

CATALOG = node_catalog()
TYPES = [entry["type"] for entry in CATALOG]
PARAMS = {entry["type"]: sorted(entry["params_schema"].get("properties", {})) for entry in CATALOG}
EXAMPLES = {entry["type"]: entry["example"].get("params", {}) for entry in CATALOG}
PORTS = sorted({p["name"] for e in CATALOG for p in e["inputs"] + e["outputs"]} | {"nope"})

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                         st.floats(allow_nan=False), st.text(max_size=20))
json_values = st.recursive(json_scalars,
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=3),
                           max_leaves=6)
expressions = st.sampled_from([
    'value["amount"] > 100', "value", "(key, value)", "key +", "__import__('os')",
    "().__class__.__bases__", "9**9**9", "[0]*10**9", "lambda: 1", "value.nope()",
    "re_split(r'(', value)", "", "   ", "agg + 1", "{'count': 0}",
])
good_ids = st.sampled_from(["a", "b", "c", "d", "in", "out", "e-1", "f.2"])
bad_ids = st.sampled_from(["a b", "", "x" * 120, "-x", "ü"])


@st.composite
def nodes(draw: st.DrawFn) -> dict[str, Any]:
    type_ = draw(st.sampled_from(TYPES) if draw(st.integers(0, 19)) else st.just("no.such.type"))
    # the catalog's own example params (valid), then some of them broken
    params: dict[str, Any] = dict(EXAMPLES.get(type_, {}))
    for name in draw(st.lists(st.sampled_from(PARAMS.get(type_) or ["x"]), max_size=2)):
        choice = draw(st.integers(0, 2))
        if choice == 0:
            params.pop(name, None)
        else:
            params[name] = draw(expressions if choice == 1 else json_values)
    if draw(st.integers(0, 9)) == 0:
        params[draw(st.text(min_size=1, max_size=8))] = draw(json_values)
    node_id = draw(good_ids if draw(st.integers(0, 9)) else bad_ids)
    node: dict[str, Any] = {"id": node_id, "type": type_, "params": params}
    if draw(st.integers(0, 19)) == 0:
        node["position"] = draw(json_values)   # usually the wrong shape
    return node


@st.composite
def documents(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 19)) == 0:
        return draw(json_values)   # not even an object
    drawn = draw(st.lists(nodes(), max_size=6))
    ids = [n["id"] for n in drawn] + ["ghost"]
    edges = [{"id": f"e{i}" if draw(st.integers(0, 9)) else "e0",
              "source": draw(st.sampled_from(ids)), "source_port": draw(st.sampled_from(PORTS)),
              "target": draw(st.sampled_from(ids)), "target_port": draw(st.sampled_from(PORTS))}
             for i in range(draw(st.integers(0, 6)))]
    version = 1 if draw(st.integers(0, 9)) else draw(st.sampled_from([0, 2, "1", None, 1.5]))
    doc: dict[str, Any] = {"format_version": version, "name": draw(st.text(min_size=1, max_size=10)) if draw(st.integers(0, 9)) else "",
                           "nodes": drawn, "edges": edges}
    if draw(st.integers(0, 4)) == 0:
        doc["settings"] = draw(st.dictionaries(
            st.sampled_from(["default_key_serde", "default_value_serde", "other"]),
            st.sampled_from(["string", "json", "avro", 3, None]), max_size=3))
    return doc


def refuse_or_accept(data: Any) -> None:
    """What the studio does with a saved document; only SpecError may come out."""
    try:
        doc = load_document(data)
    except SpecError as exc:
        assert exc.problems, "a refused document must say why"
        return
    problems = validate(doc)
    assert all(p.severity in ("error", "warning") and p.message for p in problems)
    has_errors = any(p.severity == "error" for p in problems)
    try:
        compile_document(doc)
    except SpecError as exc:
        assert exc.problems
    else:
        assert not has_errors, "a document with errors compiled"
    try:
        export_python(doc)
    except SpecError as exc:
        assert exc.problems


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_malformed_documents_get_problems_never_a_crash(data: Any) -> None:
    refuse_or_accept(data)
