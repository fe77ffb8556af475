"""validate(doc, topics=...): co-partitioned joins and missing source topics.

Each co-partitioning case is also checked against the engine: the document is
compiled and the engine's own topic planning (runtime.exec.internal_topics, which
follows Kafka Streams' CopartitionedTopicsEnforcer) must refuse exactly the
documents that validation reports.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from runtime.exec.internal_topics import layout_of, plan_topics
from runtime.kafka import InternalTopicError
from runtime.processor import Processor, Record
from runtime.spec import compile_document, load_document, load_example, validate
from runtime.spec import udf


def n(node_id: str, type_: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": type_, "params": params}


def e(source: str, target: str, target_port: str = "in") -> dict[str, Any]:
    return {"id": f"{source}->{target}:{target_port}", "source": source, "source_port": "out",
            "target": target, "target_port": target_port}


def document(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format_version": 1, "name": "t", "nodes": nodes, "edges": edges}


def stream_table_join(*steps: dict[str, Any], table_topic: str = "users") -> dict[str, Any]:
    """clicks → steps… → join(left) ← users table; join → out."""
    nodes = [n("clicks", "source.stream", topics=["clicks"]), *steps,
             n("users", "source.table", topic=table_topic),
             n("j", "join.stream_table", joiner="[left, right]"),
             n("out", "sink.topic", topic="enriched")]
    ids = ["clicks", *(s["id"] for s in steps)]
    edges = [e(a, b) for a, b in zip(ids, ids[1:])]
    edges += [e(ids[-1], "j", "left"), e("users", "j", "right"), e("j", "out")]
    return document(nodes, edges)


def copartition_errors(data: dict[str, Any], topics: dict[str, int]) -> list[tuple[str | None, str]]:
    return [(p.node_id, p.message) for p in validate(load_document(data), topics)
            if p.severity == "error"]


def engine_refuses(data: dict[str, Any], topics: dict[str, int]) -> bool:
    layout = layout_of(compile_document(load_document(data)), "app")
    try:
        plan_topics(layout, topics)
    except InternalTopicError as exc:
        assert "co-partitioned" in str(exc)
        return True
    return False


class KeepKey(Processor):
    def init(self, context: Any) -> None:
        self.context = context

    def process(self, record: Record) -> None:
        self.context.forward(record)


@pytest.fixture
def keep_key() -> Iterator[None]:
    udf.register_processor("keep_key", KeepKey)
    yield
    udf.unregister_processor("keep_key")


def test_a_stream_table_join_of_topics_with_different_counts() -> None:
    data = stream_table_join()
    topics = {"clicks": 6, "users": 4}
    assert copartition_errors(data, topics) == [(
        "j", "topics not co-partitioned: 'clicks' (6 partitions), 'users' (4 partitions); a join "
             "reads its inputs side by side, partition by partition, so their topics need the same "
             "number of partitions (give them the same count, or repartition one side first)",
    )]
    assert engine_refuses(data, topics)


def test_equal_counts_are_fine() -> None:
    data = stream_table_join()
    assert copartition_errors(data, {"clicks": 4, "users": 4}) == []
    assert not engine_refuses(data, {"clicks": 4, "users": 4})


def test_key_preserving_steps_keep_the_requirement() -> None:
    data = stream_table_join(n("f", "stream.filter", predicate="True"),
                             n("mv", "stream.map_values", mapper="value"),
                             n("p", "stream.peek"))
    topics = {"clicks": 3, "users": 4}
    assert [node for node, _ in copartition_errors(data, topics)] == ["j"]
    assert engine_refuses(data, topics)


@pytest.mark.parametrize("step", [
    n("rekey", "stream.select_key", key="value"),
    n("rekey", "stream.map", mapper="(value, value)"),
])
def test_a_key_change_before_the_join_repartitions_so_counts_may_differ(step: dict[str, Any]) -> None:
    data = stream_table_join(step)
    topics = {"clicks": 6, "users": 4}
    assert copartition_errors(data, topics) == []
    assert not engine_refuses(data, topics)


def test_a_process_node_before_the_join_repartitions_too(keep_key: None) -> None:
    # KStream#process marks its output repartitionRequired, whatever the processor does.
    data = stream_table_join(n("p", "stream.process", processor="keep_key"))
    topics = {"clicks": 6, "users": 4}
    assert copartition_errors(data, topics) == []
    assert not engine_refuses(data, topics)


def test_merged_streams_bring_all_their_topics() -> None:
    nodes = [n("a", "source.stream", topics=["a"]), n("b", "source.stream", topics=["b"]),
             n("m", "stream.merge"), n("users", "source.table", topic="users"),
             n("j", "join.stream_table", joiner="left"), n("out", "sink.topic", topic="o")]
    edges = [e("a", "m"), e("b", "m"), e("m", "j", "left"), e("users", "j", "right"), e("j", "out")]
    data = document(nodes, edges)
    topics = {"a": 4, "b": 6, "users": 4}
    [(node_id, message)] = copartition_errors(data, topics)
    assert node_id == "j"
    assert message.startswith("topics not co-partitioned: 'a' (4 partitions), 'b' (6 partitions), "
                              "'users' (4 partitions);")
    assert engine_refuses(data, topics)


def stream_stream_join(left_steps: list[dict[str, Any]]) -> dict[str, Any]:
    nodes = [n("views", "source.stream", topics=["views"]), *left_steps,
             n("searches", "source.stream", topics=["searches"]),
             n("j", "join.stream_stream", joiner="[left, right]", time_difference_ms=1000),
             n("out", "sink.topic", topic="o")]
    ids = ["views", *(s["id"] for s in left_steps)]
    edges = [e(a, b) for a, b in zip(ids, ids[1:])]
    edges += [e(ids[-1], "j", "left"), e("searches", "j", "right"), e("j", "out")]
    return document(nodes, edges)


@pytest.mark.parametrize(("steps", "refused"), [
    ([], True),
    ([n("f", "stream.filter_not", predicate="False")], True),
    ([n("k", "stream.select_key", key="value")], False),
])
def test_a_stream_stream_join(steps: list[dict[str, Any]], refused: bool) -> None:
    data = stream_stream_join(steps)
    topics = {"views": 2, "searches": 3}
    assert bool(copartition_errors(data, topics)) is refused
    assert engine_refuses(data, topics) is refused


def aggregated_table_join(grouping: dict[str, Any]) -> dict[str, Any]:
    """A table counted from 'orders' joined by a stream of 'payments'."""
    nodes = [n("orders", "source.stream", topics=["orders"]), grouping, n("c", "grouped.count"),
             n("payments", "source.stream", topics=["payments"]),
             n("j", "join.stream_table", joiner="[left, right]", value_serde="string"),
             n("out", "sink.topic", topic="o")]
    edges = [e("orders", grouping["id"]), e(grouping["id"], "c"), e("payments", "j", "left"),
             e("c", "j", "right"), e("j", "out")]
    return document(nodes, edges)


def test_a_table_aggregated_without_repartition_keeps_its_source_topic() -> None:
    data = aggregated_table_join(n("g", "stream.group_by_key"))
    topics = {"orders": 8, "payments": 4}
    assert [node for node, _ in copartition_errors(data, topics)] == ["j"]
    assert "'orders' (8 partitions), 'payments' (4 partitions)" in copartition_errors(data, topics)[0][1]
    assert engine_refuses(data, topics)


def test_a_table_aggregated_after_group_by_reads_a_repartition_topic() -> None:
    data = aggregated_table_join(n("g", "stream.group_by", key="value"))
    topics = {"orders": 8, "payments": 4}
    assert copartition_errors(data, topics) == []
    assert not engine_refuses(data, topics)


def two_inputs(join: dict[str, Any], left: dict[str, Any], right: dict[str, Any],
               *left_steps: dict[str, Any], out: str = "sink.topic") -> dict[str, Any]:
    nodes = [left, *left_steps, right, join]
    ids = [left["id"], *(s["id"] for s in left_steps)]
    edges = [e(a, b) for a, b in zip(ids, ids[1:])]
    edges += [e(ids[-1], join["id"], "left"), e(right["id"], join["id"], "right")]
    if join["type"] in ("join.table_table", "join.foreign_key"):
        nodes += [n("ts", "table.to_stream"), n("out", out, topic="o")]
        edges += [e(join["id"], "ts"), e("ts", "out")]
    else:
        nodes.append(n("out", out, topic="o"))
        edges.append(e(join["id"], "out"))
    return document(nodes, edges)


TABLE_A = n("a", "source.table", topic="a")
TABLE_B = n("b", "source.table", topic="b")


def test_a_table_table_join_needs_co_partitioned_topics() -> None:
    data = two_inputs(n("j", "join.table_table", joiner="[left, right]"), TABLE_A, TABLE_B)
    topics = {"a": 2, "b": 5}
    assert [node for node, _ in copartition_errors(data, topics)] == ["j"]
    assert engine_refuses(data, topics)


def test_a_foreign_key_join_does_not_need_co_partitioned_topics() -> None:
    data = two_inputs(n("j", "join.foreign_key", foreign_key='value["b"]', joiner="[left, right]"),
                      TABLE_A, TABLE_B)
    topics = {"a": 2, "b": 5}
    assert copartition_errors(data, topics) == []
    assert not engine_refuses(data, topics)


def test_a_foreign_key_join_result_is_partitioned_like_its_left_table() -> None:
    # (a FK-join b) joined with c: Kafka co-partitions the result's left-table sources, so
    # 'a' and 'c' must match while 'b' does not matter.
    nodes = [TABLE_A, TABLE_B, n("c", "source.table", topic="c"),
             n("fk", "join.foreign_key", foreign_key='value["b"]', joiner="[left, right]"),
             n("j", "join.table_table", joiner="[left, right]"), n("ts", "table.to_stream"),
             n("out", "sink.topic", topic="o")]
    edges = [e("a", "fk", "left"), e("b", "fk", "right"), e("fk", "j", "left"), e("c", "j", "right"),
             e("j", "ts"), e("ts", "out")]
    data = document(nodes, edges)
    assert copartition_errors(data, {"a": 3, "b": 7, "c": 3}) == []
    assert not engine_refuses(data, {"a": 3, "b": 7, "c": 3})
    [(node_id, message)] = copartition_errors(data, {"a": 3, "b": 7, "c": 4})
    assert node_id == "j" and "'a' (3 partitions), 'c' (4 partitions)" in message
    assert engine_refuses(data, {"a": 3, "b": 7, "c": 4})


def test_a_global_table_join_never_needs_co_partitioning() -> None:
    data = two_inputs(n("j", "join.stream_global_table", key_selector="value", joiner="[left, right]"),
                      n("s", "source.stream", topics=["s"]), n("g", "source.global_table", topic="g"))
    topics = {"s": 2, "g": 5}
    assert copartition_errors(data, topics) == []
    assert not engine_refuses(data, topics)


def test_a_repartition_without_a_count_takes_the_other_sides() -> None:
    data = stream_table_join(n("k", "stream.select_key", key="value"), n("r", "stream.repartition"))
    assert copartition_errors(data, {"clicks": 6, "users": 4}) == []
    assert not engine_refuses(data, {"clicks": 6, "users": 4})


def test_a_repartition_with_a_different_count_than_the_other_side() -> None:
    data = stream_table_join(n("r", "stream.repartition", num_partitions=3))
    topics = {"clicks": 6, "users": 4}
    assert copartition_errors(data, topics) == [(
        "j", "the repartition topic 'r-repartition' is set to 3 partitions, but this join reads it "
             "side by side with 'users' (4 partitions); give both the same number",
    )]
    assert engine_refuses(data, topics)
    data["nodes"][1]["params"]["num_partitions"] = 4
    assert copartition_errors(data, topics) == []
    assert not engine_refuses(data, topics)


def test_two_repartitions_with_different_counts() -> None:
    # Kafka's enforcer: "Following topics do not have the same number of partitions".
    data = stream_stream_join([n("r1", "stream.repartition", num_partitions=2)])
    data["nodes"].insert(3, n("r2", "stream.repartition", num_partitions=3))
    data["edges"] = [x for x in data["edges"] if x["source"] != "searches"]
    data["edges"] += [e("searches", "r2"), e("r2", "j", "right")]
    assert copartition_errors(data, {"views": 4, "searches": 4}) == [(
        "j", "repartition topics not co-partitioned: 'r1-repartition' (2 partitions), "
             "'r2-repartition' (3 partitions); a join reads them side by side, so they need the "
             "same number of partitions",
    )]
    assert engine_refuses(data, {"views": 4, "searches": 4})


def test_missing_source_topics_are_warnings_at_their_param() -> None:
    data = stream_table_join()
    data["nodes"][0]["params"]["topics"] = ["clicks", "clicks-eu"]
    found = [(p.node_id, p.path, p.severity, p.message) for p in validate(load_document(data), {"clicks": 4})]
    assert ("clicks", "params.topics.1", "warning",
            "the topic 'clicks-eu' does not exist in the cluster; the application will stop at "
            "start-up until it is created") in found
    assert ("users", "params.topic", "warning",
            "the topic 'users' does not exist in the cluster; the application will stop at "
            "start-up until it is created") in found
    # A topic without metadata is not guessed at for co-partitioning.
    assert [p for p in found if p[2] == "error"] == []


def test_without_topic_metadata_nothing_is_checked() -> None:
    data = stream_table_join()
    assert validate(load_document(data)) == validate(load_document(data), None)
    assert not any("co-partitioned" in p.message or "does not exist" in p.message
                   for p in validate(load_document(data)))


def test_the_examples_are_co_partitioned_when_their_topics_are() -> None:
    for name in ("wordcount", "stocks", "clickstream"):
        doc = load_example(name)
        sources = {t for node in doc.nodes for t in node.params.get("topics", [node.params.get("topic")])
                   if node.type.startswith("source.") and t}
        assert [p for p in validate(doc, {t: 4 for t in sources}) if p.severity == "error"] == [], name
