from __future__ import annotations

from collections.abc import Iterator

import jsonschema
import pytest
from django.test import Client

from runtime import spec
from runtime.processor import Processor, Record
from runtime.spec import udf


def test_it_serves_the_runtime_node_catalog(api: Client) -> None:
    response = api.get("/api/catalog/")
    assert response.status_code == 200
    assert response.json() == spec.node_catalog()
    types = {entry["type"] for entry in response.json()}
    assert {"source.stream"} <= types


def test_it_serves_the_document_schema_that_accepts_the_examples(api: Client) -> None:
    response = api.get("/api/document-schema/")
    assert response.status_code == 200
    schema = response.json()
    assert schema == spec.document_schema()
    for name in spec.list_examples():
        jsonschema.validate(spec.dump_document(spec.load_example(name)), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"format_version": 1, "nodes": "not a list"}, schema)


class Passthrough(Processor):
    def init(self, context: object) -> None:
        self.context = context

    def process(self, record: Record) -> None:
        self.context.forward(record)  # type: ignore[attr-defined]


@pytest.fixture
def installed() -> Iterator[None]:
    udf.register_function("shout", lambda text: text.upper() + "!", description="loud text")
    udf.register_processor("passthrough", Passthrough, description="forwards every record")
    yield
    udf.unregister_function("shout")
    udf.unregister_processor("passthrough")


def test_it_serves_the_functions_expressions_may_call_with_user_defined_ones(
        api: Client, installed: None) -> None:
    names = [f["name"] for f in api.get("/api/functions/").json()]
    assert "re_split" in names and "json_get" in names
    assert names[-1] == "shout"   # the built-ins first, then what an administrator installed


def test_it_serves_the_installed_processors(api: Client, installed: None) -> None:
    body = api.get("/api/processors/").json()
    assert [p["name"] for p in body["processors"]] == ["passthrough"]
    assert body["broken"] == []


def test_it_serves_port_kinds_covering_every_catalog_port(api: Client) -> None:
    body = api.get("/api/port-kinds/").json()
    used = {port["kind"] for entry in spec.node_catalog() for port in entry["inputs"] + entry["outputs"]}
    assert used <= set(body["kinds"])
    assert body["kinds"]["grouped_stream"] == "a grouped stream"
    # the hint validation gives for a stream fed into Count is the one the editor shows
    hint = next(h for h in body["hints"] if (h["expected"], h["given"]) == ("grouped_stream", "stream"))
    doc = spec.load_document({
        "format_version": 1, "name": "t",
        "nodes": [{"id": "s", "type": "source.stream", "params": {"topics": ["a"]}},
                  {"id": "c", "type": "grouped.count", "params": {}}],
        "edges": [{"id": "e", "source": "s", "source_port": "out", "target": "c", "target_port": "in"}]})
    messages = [p.message for p in spec.validate(doc) if p.path == "inputs.in"]
    assert any(m.endswith(hint["hint"]) and "takes a grouped stream" in m for m in messages)


@pytest.mark.parametrize("path", ["/api/catalog/", "/api/document-schema/", "/api/functions/", "/api/port-kinds/",
                                  "/api/processors/"])
def test_anonymous_is_refused(anonymous: Client, db: None, path: str) -> None:
    assert anonymous.get(path).status_code == 401
