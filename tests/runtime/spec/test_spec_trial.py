"""runtime.spec.trial: a document run on sample steps, read node by node through the
engine's sampling hook (the studio's "Try it" answers from it)."""

from __future__ import annotations

import pytest

from runtime.spec import SpecError, load_example
from runtime.spec.trial import AdvanceWallClock, PipeRecord, document_node_for, source_topics, trial_run
from tests.runtime.spec.test_spec_catalog_operators import document
from tests.runtime.spec.test_spec_cogroup_and_chooser import chooser_doc, cogroup_doc


def pairs(output: object) -> list[tuple[object, object]]:
    return [(r.key, r.value) for r in output.records]  # type: ignore[attr-defined]


def test_processor_names_map_to_the_longest_node_id() -> None:
    ids = ["count", "count-words", "group"]
    assert document_node_for("count-words", ids) == "count-words"
    assert document_node_for("count-words-store", ids) == "count-words"
    assert document_node_for("group-repartition-source", ids) == "group"
    assert document_node_for("counter", ids) is None
    assert document_node_for("KSTREAM-FILTER-0000000003", ids) is None


def test_a_split_shows_each_record_once_with_the_branch_that_took_it() -> None:
    doc = document(
        [("in", "source.stream", {"topics": ["in"], "value_serde": "long"}),
         ("size", "stream.split", {"branches": [{"name": "big", "predicate": "value > 100"}],
                                   "default_branch": "small"}),
         ("big-out", "sink.topic", {"topic": "big", "value_serde": "long"}),
         ("small-out", "sink.topic", {"topic": "small", "value_serde": "long"})],
        [("in", "size"), ("size:big", "big-out"), ("size:small", "small-out")])
    result = trial_run(doc, [PipeRecord("in", None, v, 1) for v in (5, 500, 7)])
    assert [(r.value, r.processor) for r in result.nodes["size"].records] == [
        (5, "size-small"), (500, "size-big"), (7, "size-small")]
    assert pairs(result.outputs["big"]) == [(None, 500)]
    assert pairs(result.outputs["small"]) == [(None, 5), (None, 7)]


def test_a_cogroup_shows_its_merged_aggregate() -> None:
    result = trial_run(cogroup_doc(), [PipeRecord("clicks", "u1", {"page": "/"}, 1),
                                       PipeRecord("views", None, {"user": "u1", "seconds": 5}, 2)])
    assert pairs(result.nodes["stats"]) == [("u1", {"clicks": 1, "seconds": 0}),
                                            ("u1", {"clicks": 1, "seconds": 5})]
    assert {r.processor for r in result.nodes["stats"].records} == {"stats-cogroup-merge"}
    # the group-by re-keys by the view's user and repartitions
    assert pairs(result.nodes["views-by-user"]) == [("u1", {"user": "u1", "seconds": 5})]
    assert result.nodes["clicks-by-user"].same_as == "clicks"


def test_a_topic_chooser_writes_to_the_topics_it_names() -> None:
    result = trial_run(chooser_doc(), [PipeRecord("orders", "k", {"region": "eu"}, 1),
                                       PipeRecord("orders", "k", {"region": "us"}, 2)])
    assert {topic: pairs(out) for topic, out in result.outputs.items()} == {
        "orders-eu": [("k", {"region": "eu"})], "orders-us": [("k", {"region": "us"})]}
    assert [r.step for r in result.outputs["orders-us"].records] == [1]


def test_steps_the_sources_cannot_take_are_refused_before_anything_runs() -> None:
    with pytest.raises(SpecError) as caught:
        trial_run(load_example("wordcount"), [PipeRecord(None, None, "ok"), PipeRecord("nope", None, "x"),
                                              PipeRecord(None, 3, "x"), AdvanceWallClock(-5)])
    assert [(p.path, p.node_id) for p in caught.value.problems] == [
        ("steps.1.record.topic", None), ("steps.2.record.key", "lines"),
        ("steps.3.advance_wall_clock_ms", None)]


def test_source_topics_in_document_order() -> None:
    assert source_topics(load_example("clickstream")) == ["page-views", "user-profiles", "searches"]
