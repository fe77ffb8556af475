"""POST /api/try/: run an unsaved document on sample records with the test driver and see
what every node passed on, what reached the output topics, and what failed where."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from runtime.processor import Processor, PunctuationType, Record
from runtime.spec import udf
from studio.topologies import trybench
from studio.workspaces.models import Membership, Workspace
from tests.studio.conftest import post_json


def _try(client: Client, body: dict[str, Any]) -> Any:
    return post_json(client, "/api/try/", body)


def _lines(*lines: str, topic: str | None = "text-lines") -> list[dict[str, Any]]:
    return [{"record": {"value": line, **({"topic": topic} if topic else {})}} for line in lines]


def _pairs(node: dict[str, Any]) -> list[tuple[Any, Any]]:
    return [(r["key"], r["value"]) for r in node["records"]]


def _node(node_id: str, node_type: str, **params: Any) -> dict[str, Any]:
    return {"id": node_id, "type": node_type, "params": params}


def _chain(*ids: str) -> list[dict[str, Any]]:
    return [{"id": f"e{i}", "source": a, "source_port": "out", "target": b, "target_port": "in"}
            for i, (a, b) in enumerate(zip(ids, ids[1:]))]


def _document(nodes: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format_version": 1, "name": "trial", "nodes": nodes,
            "edges": _chain(*(n["id"] for n in nodes))}


# -- word count ----------------------------------------------------------------------------


def test_word_count_shows_what_each_node_passes_on(
    api: Client, team: Workspace, wordcount_document: dict[str, Any]
) -> None:
    response = _try(api, {"workspace": team.pk, "document": wordcount_document,
                          "steps": _lines("Hello world hello", "hello again", topic=None)})
    assert response.status_code == 200, response.content
    answer = response.json()
    nodes = answer["nodes"]
    assert set(nodes) == {n["id"] for n in wordcount_document["nodes"]}
    assert [r["value"] for r in nodes["lines"]["records"]] == ["Hello world hello", "hello again"]
    # flat-map-values: one record per word, lower-cased, keys untouched (null)
    assert _pairs(nodes["split-words"]) == [(None, "hello"), (None, "world"), (None, "hello"),
                                            (None, "hello"), (None, "again")]
    assert [r["step"] for r in nodes["split-words"]["records"]] == [0, 0, 0, 1, 1]
    assert _pairs(nodes["key-by-word"]) == [("hello", "hello"), ("world", "world"), ("hello", "hello"),
                                            ("hello", "hello"), ("again", "again")]
    # the grouping repartitions (the key changed); what it passes on is the repartitioned stream
    assert _pairs(nodes["group-by-word"]) == _pairs(nodes["key-by-word"])
    assert {r["processor"] for r in nodes["group-by-word"]["records"]} == {"group-by-word-repartition-source"}
    # Kafka Streams' count without a record cache: every update, counting up per word
    counts = [("hello", 1), ("world", 1), ("hello", 2), ("hello", 3), ("again", 1)]
    assert _pairs(nodes["count-words"]) == counts
    assert _pairs(nodes["counts-to-stream"]) == counts
    assert _pairs(nodes["to-word-counts"]) == counts
    # read back from the output topic with the sink's serdes (long values)
    assert _pairs(answer["outputs"]["word-counts"]) == counts
    assert set(answer["outputs"]) == {"word-counts"}  # no repartition or changelog topic
    assert answer["errors"] == []
    assert answer["steps_run"] == 2
    assert not any(n["truncated"] for n in nodes.values())
    # the warnings validation gives come along
    assert [(p["node_id"], p["severity"]) for p in answer["problems"]] == [("group-by-word", "warning")]


def test_timestamps_default_to_the_wall_clock_and_drive_stream_time(
    api: Client, team: Workspace, wordcount_document: dict[str, Any]
) -> None:
    steps = [{"record": {"value": "a", "timestamp": 5000}},
             {"advance_wall_clock_ms": 250},
             {"record": {"value": "b"}}]
    response = _try(api, {"workspace": team.pk, "document": wordcount_document, "steps": steps,
                          "initial_wall_clock_ms": 1000})
    assert response.status_code == 200, response.content
    answer = response.json()
    assert [(r["value"], r["timestamp"], r["step"]) for r in answer["nodes"]["lines"]["records"]] == [
        ("a", 5000, 0), ("b", 1250, 2)]
    # a late record does not move stream time back
    assert (answer["stream_time_ms"], answer["wall_clock_ms"]) == (5000, 1250)


# -- windows and suppression -------------------------------------------------------------------


def _final_counts_document() -> dict[str, Any]:
    return _document([
        _node("clicks", "source.stream", topics=["clicks"], key_serde="string", value_serde="json"),
        _node("by-user", "stream.group_by_key"),
        _node("ten-seconds", "grouped.windowed_by", window="tumbling", size_ms=10_000, grace_ms=5_000),
        _node("count", "windowed.count"),
        _node("final", "table.suppress", until="window_closes"),
        _node("updates", "table.to_stream"),
        _node("unwindow", "stream.map", mapper='(key.key + "@" + str(key.window.start), value)'),
        _node("sink", "sink.topic", topic="final-counts", key_serde="string", value_serde="long"),
    ])


def _click(user: str, timestamp: int) -> dict[str, Any]:
    return {"record": {"topic": "clicks", "key": user, "value": {"page": "/"}, "timestamp": timestamp}}


def test_suppress_holds_window_results_until_stream_time_passes_end_plus_grace(
    api: Client, team: Workspace
) -> None:
    steps = [_click("a", 1_000), _click("a", 2_000), _click("b", 9_999),
             # stream time 14 999 < window end 10 000 + grace 5 000: still open
             _click("a", 14_999),
             # stream time 15 000: window [0, 10 000) closes, its final counts come out
             _click("c", 15_000)]
    response = _try(api, {"workspace": team.pk, "document": _final_counts_document(), "steps": steps})
    assert response.status_code == 200, response.content
    nodes = response.json()["nodes"]
    window0 = {"start": 0, "end": 10_000}
    window1 = {"start": 10_000, "end": 20_000}
    # the windowed count updates on every record
    assert [(r["key"], r["value"], r["step"]) for r in nodes["count"]["records"]] == [
        ({"key": "a", "window": window0}, 1, 0), ({"key": "a", "window": window0}, 2, 1),
        ({"key": "b", "window": window0}, 1, 2), ({"key": "a", "window": window1}, 1, 3),
        ({"key": "c", "window": window1}, 1, 4)]
    # the suppression emits each closed window once, with its final count, when it closes
    assert [(r["key"], r["value"], r["timestamp"], r["step"]) for r in nodes["final"]["records"]] == [
        ({"key": "a", "window": window0}, 2, 2_000, 4), ({"key": "b", "window": window0}, 1, 9_999, 4)]
    assert _pairs(response.json()["outputs"]["final-counts"]) == [("a@0", 2), ("b@0", 1)]
    # nodes that compile to no processor show the records they pass on: their input's
    assert nodes["ten-seconds"]["same_as"] == "clicks"
    assert len(nodes["ten-seconds"]["records"]) == 5


def test_records_inside_the_grace_period_emit_nothing(api: Client, team: Workspace) -> None:
    steps = [_click("a", 1_000), _click("a", 12_000)]
    response = _try(api, {"workspace": team.pk, "document": _final_counts_document(), "steps": steps})
    assert response.status_code == 200
    answer = response.json()
    assert answer["nodes"]["final"]["records"] == []
    assert answer["outputs"] == {}
    assert answer["stream_time_ms"] == 12_000


# -- wall clock ------------------------------------------------------------------------------------


class EveryWallSecond(Processor):
    """Holds records back and, every second of wall-clock time, forwards how many came."""

    def init(self, context: Any) -> None:
        self.context = context
        self.held = 0
        context.schedule(1000, PunctuationType.WALL_CLOCK_TIME, self.punctuate)

    def process(self, record: Record) -> None:
        self.held += 1

    def punctuate(self, now: int) -> None:
        if self.held:
            self.context.forward(Record("held", self.held, now))
            self.held = 0


@pytest.fixture
def every_wall_second() -> Iterator[str]:
    udf.register_processor("test_every_wall_second", EveryWallSecond)
    yield "test_every_wall_second"
    udf.unregister_processor("test_every_wall_second")


def test_wall_clock_steps_run_wall_clock_punctuators(
    api: Client, team: Workspace, every_wall_second: str
) -> None:
    document = _document([
        _node("in", "source.stream", topics=["in"], value_serde="json"),
        _node("batch", "stream.process", processor=every_wall_second),
        _node("out", "sink.topic", topic="batches", key_serde="string", value_serde="long"),
    ])
    steps = [{"record": {"value": 1}}, {"record": {"value": 2}},
             {"advance_wall_clock_ms": 999}, {"advance_wall_clock_ms": 1}, {"record": {"value": 3}}]
    response = _try(api, {"workspace": team.pk, "document": document, "steps": steps})
    assert response.status_code == 200, response.content
    answer = response.json()
    # scheduled at wall clock 0, due at 1000: only the second advance reaches it
    assert [(r["key"], r["value"], r["timestamp"], r["step"]) for r in answer["nodes"]["batch"]["records"]] == [
        ("held", 2, 1000, 3)]
    assert _pairs(answer["outputs"]["batches"]) == [("held", 2)]
    assert answer["wall_clock_ms"] == 1000


# -- errors ------------------------------------------------------------------------------------------


def test_a_value_the_source_serde_refuses_is_a_400_naming_the_step_and_field(
    api: Client, team: Workspace
) -> None:
    document = _document([
        _node("amounts", "source.stream", topics=["amounts"], key_serde="string", value_serde="long"),
        _node("out", "sink.topic", topic="copy", key_serde="string", value_serde="long"),
    ])
    steps = [{"record": {"key": "k", "value": 5}}, {"record": {"key": "k", "value": "five"}},
             {"record": {"key": {"id": 1}, "value": 6}}]
    response = _try(api, {"workspace": team.pk, "document": document, "steps": steps})
    assert response.status_code == 400
    problems = response.json()["problems"]
    assert [(p["path"], p["node_id"]) for p in problems] == [
        ("steps.1.record.value", "amounts"), ("steps.2.record.key", "amounts")]
    assert problems[0]["message"].startswith("step 1: the value cannot be written")
    assert "long" in problems[0]["message"]


def test_a_json_source_takes_any_json_value(api: Client, team: Workspace) -> None:
    document = _document([
        _node("events", "source.stream", topics=["events"], key_serde="json", value_serde="json"),
        _node("out", "sink.topic", topic="copy", key_serde="json", value_serde="json"),
    ])
    values = [{"a": [1, 2.5, None]}, "text", 3, None, True]
    steps = [{"record": {"key": {"id": i}, "value": v}} for i, v in enumerate(values)]
    response = _try(api, {"workspace": team.pk, "document": document, "steps": steps})
    assert response.status_code == 200, response.content
    assert _pairs(response.json()["outputs"]["copy"]) == [({"id": i}, v) for i, v in enumerate(values)]


def test_a_topic_the_document_does_not_read_is_a_400(
    api: Client, team: Workspace, wordcount_document: dict[str, Any]
) -> None:
    response = _try(api, {"workspace": team.pk, "document": wordcount_document,
                          "steps": _lines("fine") + _lines("lost", topic="elsewhere")})
    assert response.status_code == 400
    [problem] = response.json()["problems"]
    assert problem["path"] == "steps.1.record.topic"
    assert "text-lines" in problem["message"] and "elsewhere" in problem["message"]


def _failing_wordcount(document: dict[str, Any]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    # compiles, and fails on any word that is not a number
    next(n for n in document["nodes"] if n["id"] == "drop-empty")["params"]["predicate"] = "int(key) > 0"
    return document


def test_an_expression_failing_at_run_time_stops_the_run_with_the_node_and_step(
    api: Client, team: Workspace, wordcount_document: dict[str, Any]
) -> None:
    response = _try(api, {"workspace": team.pk, "document": _failing_wordcount(wordcount_document),
                          "steps": _lines("7 up", "more")})
    assert response.status_code == 200, response.content
    answer = response.json()
    [error] = answer["errors"]
    assert (error["step"], error["node_id"], error["kind"], error["decision"]) == (
        0, "drop-empty", "ProcessingError", "failed")
    assert "ValueError" in error["message"] or "int" in error["message"]
    assert answer["steps_run"] == 0
    # "7" went through the filter before "up" failed; the repartitioned "7" was still
    # queued for the counting sub-topology, which a failed task never gets to
    assert _pairs(answer["nodes"]["drop-empty"]) == [("7", "7")]
    assert answer["nodes"]["count-words"]["records"] == []
    assert [r["value"] for r in answer["nodes"]["lines"]["records"]] == ["7 up"]


def test_on_error_continue_skips_failing_records_and_goes_on(
    api: Client, team: Workspace, wordcount_document: dict[str, Any]
) -> None:
    response = _try(api, {"workspace": team.pk, "document": _failing_wordcount(wordcount_document),
                          "steps": _lines("7 up", "more 7"), "on_error": "continue"})
    assert response.status_code == 200, response.content
    answer = response.json()
    assert [(e["step"], e["node_id"], e["decision"]) for e in answer["errors"]] == [
        (0, "drop-empty", "continued"), (1, "drop-empty", "continued")]
    assert answer["steps_run"] == 2
    assert _pairs(answer["outputs"]["word-counts"]) == [("7", 1), ("7", 2)]


# -- limits --------------------------------------------------------------------------------------------


def test_each_node_keeps_at_most_the_cap(
    api: Client, team: Workspace, wordcount_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trybench, "LIMITS", dataclasses.replace(
        trybench.LIMITS, records_per_node=3, records_per_topic=2))
    response = _try(api, {"workspace": team.pk, "document": wordcount_document,
                          "steps": _lines("a b", "c d")})
    assert response.status_code == 200
    answer = response.json()
    assert [r["value"] for r in answer["nodes"]["split-words"]["records"]] == ["a", "b", "c"]
    assert answer["nodes"]["split-words"]["truncated"] is True
    assert answer["nodes"]["lines"]["truncated"] is False
    assert len(answer["outputs"]["word-counts"]["records"]) == 2
    assert answer["outputs"]["word-counts"]["truncated"] is True


def test_a_run_past_its_cpu_time_stops_with_an_error(
    api: Client, team: Workspace, wordcount_document: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(trybench, "LIMITS", dataclasses.replace(trybench.LIMITS, cpu_limit_s=0.0))
    response = _try(api, {"workspace": team.pk, "document": wordcount_document,
                          "steps": _lines("a", "b", "c")})
    assert response.status_code == 200
    answer = response.json()
    assert answer["steps_run"] == 1
    [error] = answer["errors"]
    assert (error["step"], error["kind"], error["node_id"]) == (0, "CpuLimit", None)
    assert "CPU time" in error["message"]


def test_more_steps_than_the_limit_are_refused(
    api: Client, team: Workspace, wordcount_document: dict[str, Any]
) -> None:
    response = _try(api, {"workspace": team.pk, "document": wordcount_document,
                          "steps": _lines(*["x"] * (trybench.MAX_STEPS + 1))})
    assert response.status_code == 400
    assert response.json()["problems"][0]["path"] == "steps"


@pytest.mark.parametrize(("step", "path"), [
    ({"record": {"value": "x"}, "advance_wall_clock_ms": 5}, "steps.0"),
    ({"advance_wall_clock_ms": -1}, "steps.0.advance_wall_clock_ms"),
    ({"advance_wall_clock_ms": True}, "steps.0.advance_wall_clock_ms"),
    ({"record": {"value": "x", "timestamp": 1.5}}, "steps.0.record.timestamp"),
    ({"record": {"value": "x", "partition": 1}}, "steps.0.record.partition"),
    ({"record": {"value": "x", "headers": [{"key": "h"}]}}, "steps.0.record.headers"),
    ({"record": "x"}, "steps.0.record"),
    ("x", "steps.0"),
])
def test_malformed_steps_are_a_400_naming_the_step(
    api: Client, team: Workspace, wordcount_document: dict[str, Any], step: Any, path: str
) -> None:
    response = _try(api, {"workspace": team.pk, "document": wordcount_document, "steps": [step]})
    assert response.status_code == 400
    assert [p["path"] for p in response.json()["problems"]] == [path]


def test_a_document_with_errors_is_a_400_with_its_problems(
    api: Client, team: Workspace, wordcount_document: dict[str, Any]
) -> None:
    document = copy.deepcopy(wordcount_document)
    next(n for n in document["nodes"] if n["id"] == "drop-empty")["params"]["predicate"] = "value.nope > 1"
    response = _try(api, {"workspace": team.pk, "document": document, "steps": _lines("x")})
    assert response.status_code == 400
    errors = [p for p in response.json()["problems"] if p["severity"] == "error"]
    assert [(p["node_id"], p["path"]) for p in errors] == [("drop-empty", "params.predicate")]


# -- who may try -------------------------------------------------------------------------------------


@pytest.fixture
def people(team: Workspace) -> dict[str, User]:
    found = {}
    for role in ("viewer", "editor"):
        found[role] = User.objects.create(username=f"{role}-user")
        Membership.objects.create(workspace=team, user=found[role], role=role)
    found["outsider"] = User.objects.create(username="outsider")
    return found


def _as(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_an_editor_may_try_a_viewer_may_not(
    people: dict[str, User], team: Workspace, wordcount_document: dict[str, Any]
) -> None:
    body = {"workspace": team.pk, "document": wordcount_document, "steps": _lines("x")}
    assert _try(_as(people["editor"]), body).status_code == 200
    refused = _try(_as(people["viewer"]), body)
    assert refused.status_code == 403
    assert "Trying a document needs the editor role in workspace 'team'; you are a viewer." in refused.json()["message"]


def test_an_outsider_is_told_the_workspace_does_not_exist(
    people: dict[str, User], team: Workspace, wordcount_document: dict[str, Any]
) -> None:
    response = _try(_as(people["outsider"]), {"workspace": team.pk, "document": wordcount_document,
                                              "steps": _lines("x")})
    assert response.status_code == 400
    assert [p["path"] for p in response.json()["problems"]] == ["workspace"]
    assert f"There is no workspace {team.pk}." in response.json()["message"]


def test_anonymous_is_401(anonymous: Client, team: Workspace, wordcount_document: dict[str, Any]) -> None:
    response = _try(anonymous, {"workspace": team.pk, "document": wordcount_document, "steps": []})
    assert response.status_code == 401
