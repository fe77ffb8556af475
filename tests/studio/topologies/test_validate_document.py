"""POST /api/validate/: problems of an unsaved document, optionally against the cluster's topics."""

from __future__ import annotations

import copy
import json
from typing import Any, Callable

import pytest
from django.contrib.auth.models import User
from django.test import Client

from runtime.spec import dump_document, load_example
from studio.connections.models import Connection
from studio.workspaces.models import Workspace
from tests.studio.conftest import post_json


def _validate(client: Client, body: Any) -> Any:
    return post_json(client, "/api/validate/", body)


def _clickstream() -> dict[str, Any]:
    return dump_document(load_example("clickstream"))


def test_a_sound_document_gets_only_its_warnings(
    api: Client, wordcount_document: dict[str, Any]
) -> None:
    response = _validate(api, {"document": wordcount_document})
    assert response.status_code == 200
    problems = response.json()["problems"]
    # Kafka Streams repartitions before grouping a stream whose key a map may have changed.
    assert [(p["node_id"], p["severity"]) for p in problems] == [("group-by-word", "warning")]
    assert "repartition" in problems[0]["message"]
    assert set(problems[0]) == {"node_id", "path", "severity", "message"}


def test_it_says_where_repartition_topics_and_stores_appear(
    api: Client, wordcount_document: dict[str, Any]
) -> None:
    dataflow = _validate(api, {"document": wordcount_document}).json()["dataflow"]
    # groupByKey after a map repartitions on its input; the count owns the named store.
    assert [(r["node_id"], r["port"]) for r in dataflow["repartitions"]] == [("group-by-word", "in")]
    assert "'key-by-word' (Map) may change the key" in dataflow["repartitions"][0]["reason"]
    assert dataflow["stores"] == [{"node_id": "count-words", "store": "counts-store"}]


def test_errors_come_back_with_node_ids_and_paths(
    api: Client, wordcount_document: dict[str, Any]
) -> None:
    document = copy.deepcopy(wordcount_document)
    next(n for n in document["nodes"] if n["id"] == "drop-empty")["params"]["predicate"] = "value.nope > 1"
    response = _validate(api, {"document": document})
    assert response.status_code == 200
    errors = [p for p in response.json()["problems"] if p["severity"] == "error"]
    assert [(p["node_id"], p["path"]) for p in errors] == [("drop-empty", "params.predicate")]
    assert "nope" in errors[0]["message"]


def test_given_topics_it_checks_co_partitioning_and_missing_topics(api: Client, db: None) -> None:
    response = _validate(api, {"document": _clickstream(),
                               "topics": {"page-views": 3, "user-profiles": 5}})
    assert response.status_code == 200
    problems = response.json()["problems"]
    errors = {p["node_id"] for p in problems if p["severity"] == "error"}
    # Both joins read page-views (3 partitions) with user-profiles (5) upstream.
    assert errors == {"views-with-profile", "views-with-search"}
    assert any("co-partitioned" in p["message"] for p in problems)
    missing = [p for p in problems if "does not exist" in p["message"]]
    assert [(p["node_id"], p["severity"]) for p in missing] == [("searches", "warning")]


def test_without_topics_co_partitioning_is_not_checked(api: Client, db: None) -> None:
    response = _validate(api, {"document": _clickstream()})
    assert response.status_code == 200
    assert not [p for p in response.json()["problems"] if p["severity"] == "error"]


def test_given_fields_it_warns_about_fields_the_records_lack(api: Client, db: None) -> None:
    response = _validate(api, {"document": _clickstream(), "fields": {"searches": ["term"]}})
    assert response.status_code == 200
    warnings = [p for p in response.json()["problems"] if p["path"] == "params.joiner"]
    assert [p["node_id"] for p in warnings] == ["views-with-search"]
    assert "'query'" in warnings[0]["message"] and "term" in warnings[0]["message"]


def test_a_document_that_cannot_be_loaded_is_400_with_the_reasons(api: Client, db: None) -> None:
    response = _validate(api, {"document": {"name": 3, "nodes": []}})
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "The document cannot be loaded."
    paths = {p["path"] for p in body["problems"]}
    assert {"format_version", "edges", "name"} <= paths


def test_bad_request_fields_are_400_naming_the_field(
    api: Client, wordcount_document: dict[str, Any]
) -> None:
    cases = [
        ({}, "document", "required"),
        ({"document": [1]}, "document", "JSON object"),
        ({"document": wordcount_document, "topics": {"text-lines": "many"}}, "topics.text-lines", "integer"),
        ({"document": wordcount_document, "topics": {"text-lines": 0}}, "topics.text-lines", "greater than or equal to 1"),
        ({"document": wordcount_document, "topics": ["text-lines"]}, "topics", "dictionary"),
        ({"document": wordcount_document, "fields": {"text-lines": "word"}}, "fields.text-lines", "list"),
    ]
    for body, path, words in cases:
        response = _validate(api, body)
        assert response.status_code == 400, body
        problems = response.json()["problems"]
        assert [p["path"] for p in problems] == [path], body
        assert words in problems[0]["message"], problems
        assert response.json()["message"].startswith(f"{path}: ")


def test_a_body_that_is_not_json_is_400(api: Client, db: None) -> None:
    response = api.post("/api/validate/", data="{nope", content_type="application/json")
    assert response.status_code == 400
    assert "JSON parse error" in response.json()["message"]


def test_anonymous_is_refused(anonymous: Client, wordcount_document: dict[str, Any], db: None) -> None:
    assert _validate(anonymous, {"document": wordcount_document}).status_code == 401


def test_the_csrf_header_is_required_for_browsers(alice: User, wordcount_document: dict[str, Any]) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    body = json.dumps({"document": wordcount_document})
    assert browser.post("/api/validate/", data=body, content_type="application/json").status_code == 403
    token = browser.get("/topologies/1").cookies["csrftoken"].value
    response = browser.post("/api/validate/", data=body, content_type="application/json",
                            HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200


def _on_topics(document: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """The document reading `names[topic]` wherever it read `topic`."""
    text = json.dumps(document)
    for old, new in names.items():
        text = text.replace(json.dumps(old), json.dumps(new))
    return json.loads(text)


@pytest.mark.kafka
def test_given_a_connection_it_reads_the_cluster_s_topics(
    api: Client, broker_connection: Connection, create_topic: Callable[..., str],
) -> None:
    views, profiles = create_topic("page-views", partitions=3), create_topic("user-profiles", partitions=5)
    document = _on_topics(_clickstream(), {"page-views": views, "user-profiles": profiles})
    response = _validate(api, {"document": document, "connection": broker_connection.pk})
    assert response.status_code == 200
    problems = response.json()["problems"]
    assert {p["node_id"] for p in problems if p["severity"] == "error"} == {"views-with-profile", "views-with-search"}
    assert [p["node_id"] for p in problems if "does not exist" in p["message"]] == ["searches"]


def test_an_unreachable_connection_is_a_warning_not_a_failure(
    api: Client, offline_connection: Connection,
) -> None:
    response = _validate(api, {"document": _clickstream(), "connection": offline_connection.pk})
    assert response.status_code == 200
    problems = response.json()["problems"]
    assert problems[0]["path"] == "connection" and problems[0]["severity"] == "warning"
    assert problems[0]["message"].startswith("The topics of connection 'offline' could not be read")
    assert not [p for p in problems if p["severity"] == "error"]


def test_another_workspace_s_connection_is_unknown(api: Client, db: None) -> None:
    theirs = Connection.objects.create(workspace=Workspace.objects.create(name="theirs", slug="theirs"),
                                       name="theirs", bootstrap_servers="a:1")
    response = _validate(api, {"document": _clickstream(), "connection": theirs.pk})
    assert response.status_code == 400
    assert response.json()["problems"] == [
        {"node_id": None, "path": "connection", "severity": "error", "message": f"There is no connection {theirs.pk}."}]
