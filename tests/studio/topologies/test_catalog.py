from __future__ import annotations

from django.test import Client

from runtime import spec


def test_it_serves_the_runtime_node_catalog(api: Client) -> None:
    response = api.get("/api/catalog/")
    assert response.status_code == 200
    assert response.json() == spec.node_catalog()
    types = {entry["type"] for entry in response.json()}
    assert {"source.stream"} <= types


def test_anonymous_is_refused(anonymous: Client, db: None) -> None:
    assert anonymous.get("/api/catalog/").status_code == 403
