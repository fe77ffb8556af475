"""GET /api/topologies/<id>/versions/<n>/export/: the version as a Python program;
POST /api/export/: the same for an unsaved document (the editor's draft).

The independent check is the engine: the exported program, executed, must build a
topology whose description equals the one compiled from the saved document.
"""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from runtime.spec import compile_document, load_document
from studio.topologies.models import Topology


def _export(client: Client, topology: Topology, number: int = 1, query: str = "") -> Any:
    return client.get(f"/api/topologies/{topology.pk}/versions/{number}/export/{query}")


def test_it_exports_a_program_that_builds_the_same_topology(
    api: Client, wordcount: Topology, wordcount_document: dict[str, Any]
) -> None:
    response = _export(api, wordcount)
    assert response.status_code == 200
    body = response.json()
    assert body["filename"] == "word_count.py"  # the topology is named "word count"
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(body["source"], body["filename"], "exec"), namespace)  # noqa: S102 - our own export
    built = namespace["build_topology"]()
    expected = compile_document(load_document(wordcount_document))
    assert str(built.describe()) == str(expected.describe())


def test_download_answers_the_program_as_an_attachment(api: Client, wordcount: Topology) -> None:
    source = _export(api, wordcount).json()["source"]
    for flag in ("1", "true"):
        response = _export(api, wordcount, query=f"?download={flag}")
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/x-python")
        assert response["Content-Disposition"] == 'attachment; filename="word_count.py"'
        assert response.content.decode() == source
    assert _export(api, wordcount, query="?download=0")["Content-Type"] == "application/json"


def test_a_bad_download_flag_is_400(api: Client, wordcount: Topology) -> None:
    response = _export(api, wordcount, query="?download=yes")
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "download: expected 1, true, 0 or false, not 'yes'."
    assert [p["path"] for p in body["problems"]] == ["download"]


def test_a_version_with_errors_is_400_with_its_problems(
    api: Client, wordcount: Topology, wordcount_document: dict[str, Any]
) -> None:
    broken = {**wordcount_document, "edges": wordcount_document["edges"][1:]}  # lines feeds nothing
    wordcount.add_version(broken, allow_errors=True)
    response = _export(api, wordcount, 2)
    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith("Version 2 has ")
    assert "split-words" in {p["node_id"] for p in body["problems"] if p["severity"] == "error"}


def test_a_name_without_letters_still_gets_a_filename(api: Client, wordcount: Topology) -> None:
    Topology.objects.filter(pk=wordcount.pk).update(name="!!!")
    assert _export(api, wordcount).json()["filename"] == "topology.py"


def test_unknown_ids_are_404_with_a_message(api: Client, wordcount: Topology) -> None:
    response = _export(api, wordcount, 3)
    assert response.status_code == 404
    assert response.json()["message"] == f"Topology {wordcount.pk} has no version 3."


def test_anonymous_is_refused(anonymous: Client, wordcount: Topology) -> None:
    assert _export(anonymous, wordcount).status_code == 401
    assert _export(anonymous, wordcount, query="?download=1").status_code == 401


def _run(source: str, filename: str) -> Any:
    namespace: dict[str, Any] = {"__name__": "exported"}
    exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - our own export
    return namespace["build_topology"]()


def test_a_draft_exports_to_a_program_that_builds_its_topology(
    api: Client, wordcount_document: dict[str, Any]
) -> None:
    # a change no saved version has: the draft's program must carry it
    draft = json.loads(json.dumps(wordcount_document))
    sink = next(n for n in draft["nodes"] if n["type"].startswith("sink."))
    sink["params"]["topic"] = "draft-only-counts"
    response = api.post("/api/export/", {"document": {**draft, "name": "Draft: counts"}},
                        content_type="application/json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["filename"] == "draft_counts.py"
    built = _run(body["source"], body["filename"])
    assert str(built.describe()) == str(compile_document(load_document(draft)).describe())
    assert "draft-only-counts" in str(built.describe())


def test_a_draft_with_errors_is_400_with_its_errors(api: Client, wordcount_document: dict[str, Any]) -> None:
    broken = {**wordcount_document, "edges": wordcount_document["edges"][1:]}
    response = api.post("/api/export/", {"document": broken}, content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert body["message"].startswith("The document has ")
    assert "split-words" in {p["node_id"] for p in body["problems"]}
    assert {p["severity"] for p in body["problems"]} == {"error"}


def test_a_body_without_a_document_object_is_400(api: Client) -> None:
    for body in ({}, {"document": []}, {"document": "x"}):
        response = api.post("/api/export/", body, content_type="application/json")
        assert response.status_code == 400, body


def test_anonymous_may_not_export_a_draft(anonymous: Client, wordcount_document: dict[str, Any]) -> None:
    response = anonymous.post("/api/export/", {"document": wordcount_document}, content_type="application/json")
    assert response.status_code == 401
