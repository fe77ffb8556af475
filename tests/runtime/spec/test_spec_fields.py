"""validate(doc, fields=...): expressions reading fields that the sampled records of
their input lack get a warning naming the fields that exist."""

from __future__ import annotations

from typing import Any

from runtime.spec import load_document, load_example, validate

ORDERS = {"orders": ["id", "amount", "country", "customer"]}


def n(node_id: str, type_: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "params": params}


def doc(*nodes: dict[str, Any], edges: list[tuple[str, str, str]] | None = None) -> Any:
    """Nodes in a line (or the given (source, target, target_port) edges)."""
    if edges is None:
        edges = [(a["id"], b["id"], "in") for a, b in zip(nodes, nodes[1:])]
    return load_document({
        "format_version": 1, "name": "t", "settings": {"default_value_serde": "json"},
        "nodes": list(nodes),
        "edges": [{"id": f"e{i}", "source": s, "source_port": "out", "target": t, "target_port": p}
                  for i, (s, t, p) in enumerate(edges)]})


def field_warnings(document: Any, fields: dict[str, list[str]]) -> list[tuple[str | None, str, str]]:
    return [(p.node_id, p.path, p.message) for p in validate(document, fields=fields)
            if "sampled" in p.message]


SOURCE = n("in", "source.stream", topics=["orders"])
SINK = n("out", "sink.topic", topic="big-orders")


def test_a_misspelt_field_is_a_warning_with_the_fields_that_exist() -> None:
    found = field_warnings(doc(SOURCE, n("big", "stream.filter", predicate='value["amout"] > 100'), SINK),
                           ORDERS)
    assert found == [("big", "params.predicate",
                      "value['amout'] (line 1, column 1): the records sampled from orders have no "
                      "field 'amout' (their fields: amount, country, customer, id); "
                      "did you mean 'amount'?")]
    problems = validate(doc(SOURCE, n("big", "stream.filter", predicate='value["amout"] > 100'), SINK),
                        fields=ORDERS)
    assert {p.severity for p in problems if "sampled" in p.message} == {"warning"}


def test_existing_fields_and_no_fields_given_are_quiet() -> None:
    document = doc(SOURCE, n("big", "stream.filter", predicate='value["amount"] > 100'), SINK)
    assert field_warnings(document, ORDERS) == []
    typo = doc(SOURCE, n("big", "stream.filter", predicate='value["amout"] > 100'), SINK)
    assert [p for p in validate(typo) if "sampled" in p.message] == []       # nothing known
    assert field_warnings(typo, {"payments": ["amout"]}) == []                # not this topic


def test_fields_follow_the_records_through_steps_that_keep_values() -> None:
    document = doc(SOURCE, n("eu", "stream.filter", predicate='value["country"] == "FR"'),
                   n("rekey", "stream.select_key", mapper='value["customer"]'),
                   n("g", "stream.group_by_key"),
                   n("w", "grouped.windowed_by", window="tumbling", size_ms=1000),
                   n("sum", "windowed.aggregate", initializer="0", aggregator='agg + value["amonut"]'),
                   n("s", "table.to_stream"), SINK)
    assert [(node, path) for node, path, _ in field_warnings(document, ORDERS)] == [
        ("sum", "params.aggregator")]


def test_a_step_that_computes_new_values_ends_what_is_known() -> None:
    document = doc(SOURCE, n("slim", "stream.map_values", mapper='{"cents": value["amount"] * 100}'),
                   n("big", "stream.filter", predicate='value["cents"] > 100'), SINK)
    assert field_warnings(document, ORDERS) == []   # 'cents' is not in the sample, but is computed


def test_each_field_is_reported_once_at_its_first_read() -> None:
    document = doc(SOURCE, n("m", "stream.map_values",
                             mapper='value["x"] + value["x"] + value.get("y") + json_get(value, "z.a")'),
                   SINK)
    found = field_warnings(document, ORDERS)
    assert [message.split(":")[0] for _, _, message in found] == [
        "value['x'] (line 1, column 1)", "value['y'] (line 1, column 27)",
        "value['z'] (line 1, column 44)"]


def test_a_comprehension_that_rebinds_the_name_is_not_checked() -> None:
    document = doc(SOURCE, n("m", "stream.flat_map_values",
                             mapper='[value["sku"] for value in value["lines"]]'), SINK)
    assert field_warnings(document, {"orders": ["lines"]}) == []


def test_only_json_values_have_fields() -> None:
    source = n("in", "source.stream", topics=["orders"], value_serde="string")
    document = doc(source, n("big", "stream.filter", predicate='value["amout"] > 100'), SINK)
    assert field_warnings(document, ORDERS) == []


def test_a_merge_knows_the_fields_of_every_input() -> None:
    document = doc(n("a", "source.stream", topics=["orders"]), n("b", "source.stream", topics=["refunds"]),
                   n("m", "stream.merge"), n("f", "stream.filter", predicate='value["reason"] or value["nope"]'),
                   SINK, edges=[("a", "m", "in"), ("b", "m", "in"), ("m", "f", "in"), ("f", "out", "in")])
    found = field_warnings(document, {**ORDERS, "refunds": ["id", "reason"]})
    assert [(node, message.split(":")[0]) for node, _, message in found] == [
        ("f", "value['nope'] (line 1, column 20)")]
    assert "sampled from orders, refunds" in found[0][2]


def test_a_join_checks_each_side_against_its_own_input() -> None:
    document = doc(n("views", "source.stream", topics=["views"]),
                   n("users", "source.table", topic="users"),
                   n("j", "join.stream_table", join="left",
                     joiner='{"page": left["page"], "name": right["nmae"] if right else None}'),
                   SINK, edges=[("views", "j", "left"), ("users", "j", "right"), ("j", "out", "in")])
    found = field_warnings(document, {"views": ["page", "user"], "users": ["name", "tier"]})
    assert [(node, path) for node, path, _ in found] == [("j", "params.joiner")]
    assert "right['nmae']" in found[0][2] and "sampled from users" in found[0][2]
    assert "did you mean 'name'?" in found[0][2]


def test_split_branch_predicates_are_checked_at_their_path() -> None:
    document = doc(SOURCE, n("route", "stream.split", branches=[
        {"name": "big", "predicate": 'value["amount"] > 100'},
        {"name": "fr", "predicate": 'value["contry"] == "FR"'}]),
        edges=[("in", "route", "in")])
    found = field_warnings(document, ORDERS)
    assert [(node, path) for node, path, _ in found] == [("route", "params.branches.1.predicate")]


def test_the_stock_example_against_its_own_fields() -> None:
    example = load_example("stocks")
    assert field_warnings(example, {"stock-trades": ["ticker", "ts", "price"]}) == []
    renamed = field_warnings(example, {"stock-trades": ["ticker", "ts", "prize"]})
    assert {(node, path) for node, path, _ in renamed} == {("trade-stats", "params.aggregator")}
    assert len(renamed) == 1 and "did you mean 'price'?" not in renamed[0][2]
    assert "value['price']" in renamed[0][2] and "did you mean 'prize'?" in renamed[0][2]

