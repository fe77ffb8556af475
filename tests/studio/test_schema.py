from __future__ import annotations

from django.test import Client


def test_the_openapi_schema_lists_every_endpoint(api: Client) -> None:
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/me/", "/api/catalog/", "/api/document-schema/", "/api/functions/",
        "/api/processors/", "/api/topologies/", "/api/topologies/{topology_id}/",
        "/api/topologies/{topology_id}/versions/", "/api/deployments/",
        "/api/deployments/{deployment_id}/", "/api/deployments/{deployment_id}/start/",
        "/api/deployments/{deployment_id}/stop/", "/api/connections/",
        "/api/connections/{connection_id}/", "/api/connections/{connection_id}/test/",
        "/api/connections/{connection_id}/topics/",
        "/api/connections/{connection_id}/topics/{topic}/records/",
    ]:
        assert path in paths, path
    created = paths["/api/deployments/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert "application_id" in created["properties"]
    # Secrets are write-only: in the request body, never in an answer.
    connection = paths["/api/connections/{connection_id}/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "password_set" in connection["properties"]
    assert "password" not in connection["properties"] and "ssl_key_pem" not in connection["properties"]


def test_anonymous_cannot_read_the_schema(anonymous: Client, db: None) -> None:
    assert anonymous.get("/api/schema/").status_code == 403
