from __future__ import annotations

import copy
import json
from typing import Any

from django.test import Client

from studio.deployments.models import AuditEvent
from studio.topologies.models import Topology


def post_version(client: Client, topology: Topology, body: Any) -> Any:
    return client.post(f"/api/topologies/{topology.pk}/versions/", data=json.dumps(body),
                       content_type="application/json")


def test_a_valid_document_becomes_the_next_version(
    api: Client, wordcount: Topology, wordcount_document: dict[str, Any]
) -> None:
    document = copy.deepcopy(wordcount_document)
    document["nodes"][0]["position"] = {"x": 40, "y": 80}
    response = post_version(api, wordcount, {"document": document, "message": "moved a node"})
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"] == 2 and body["message"] == "moved a node"
    assert body["created_by"] == "alice" and body["document"] == document
    assert body["describe"].startswith("Topologies:")
    assert wordcount.latest_version.number == 2
    event = AuditEvent.objects.get(verb="version.create")
    assert event.actor.username == "alice" and event.object_id == str(body["id"])


def test_an_invalid_document_is_refused_with_problems_naming_nodes(
    api: Client, wordcount: Topology, wordcount_document: dict[str, Any]
) -> None:
    document = copy.deepcopy(wordcount_document)
    # An edge to a node that does not exist, and a source without its topics.
    source = next(n for n in document["nodes"] if n["type"] == "source.stream")
    del source["params"]["topics"]
    document["edges"].append({"id": "dangling", "source": source["id"], "source_port": "out",
                              "target": "nowhere", "target_port": "in"})
    response = post_version(api, wordcount, {"document": document})
    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith("The document has ")
    assert body["message"].endswith("; it was not saved.")
    errors = [p for p in body["problems"] if p["severity"] == "error"]
    assert any(p["node_id"] == source["id"] and "topics" in (p["path"] + p["message"]) for p in errors)
    assert any("nowhere" in p["message"] or p["path"].startswith("edges") for p in errors)
    assert wordcount.versions.count() == 1


def test_a_body_without_a_document_names_the_field(api: Client, wordcount: Topology) -> None:
    response = post_version(api, wordcount, {"message": "x"})
    assert response.status_code == 400
    assert response.json() == {
        "message": "document: This field is required.",
        "problems": [{"node_id": None, "path": "document", "severity": "error",
                      "message": "This field is required."}],
    }


def test_a_document_that_is_not_an_object_is_refused(api: Client, wordcount: Topology) -> None:
    response = post_version(api, wordcount, {"document": [1, 2]})
    assert response.status_code == 400
    assert response.json()["problems"][0]["message"] == "The document must be a JSON object."


def test_an_unknown_topology_is_404(api: Client, wordcount_document: dict[str, Any], db: None) -> None:
    response = api.post("/api/topologies/9999/versions/", data=json.dumps({"document": wordcount_document}),
                        content_type="application/json")
    assert response.status_code == 404


def test_anonymous_is_refused(anonymous: Client, wordcount: Topology, wordcount_document: dict[str, Any]) -> None:
    assert post_version(anonymous, wordcount, {"document": wordcount_document}).status_code == 401
    assert wordcount.versions.count() == 1


def test_the_csrf_header_is_required_for_browsers(
    alice: Any, wordcount: Topology, wordcount_document: dict[str, Any]
) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)
    assert post_version(browser, wordcount, {"document": wordcount_document}).status_code == 403
    page = browser.get("/topologies/1")  # any SPA page sets the cookie
    token = page.cookies["csrftoken"].value
    response = browser.post(f"/api/topologies/{wordcount.pk}/versions/",
                            data=json.dumps({"document": wordcount_document}),
                            content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201
