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


@pytest.mark.parametrize("path", ["/api/catalog/", "/api/document-schema/", "/api/functions/",
                                  "/api/processors/"])
def test_anonymous_is_refused(anonymous: Client, db: None, path: str) -> None:
    assert anonymous.get(path).status_code == 401
