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
        "/api/deployments/{deployment_id}/stop/", "/api/deployments/{deployment_id}/scale/",
        "/api/deployments/{deployment_id}/restart/", "/api/deployments/{deployment_id}/lag/",
        "/api/audit/",
    ]:
        assert path in paths, path
    created = paths["/api/deployments/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert "application_id" in created["properties"]
    scale = paths["/api/deployments/{deployment_id}/scale/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert scale == {"$ref": "#/components/schemas/Scale"}
    lag = paths["/api/deployments/{deployment_id}/lag/"]["get"]["responses"]
    assert {"200", "404", "409", "502", "504"} <= set(lag)
    assert "total_lag" in lag["200"]["content"]["application/json"]["schema"]["properties"]


def test_anonymous_cannot_read_the_schema(anonymous: Client, db: None) -> None:
    assert anonymous.get("/api/schema/").status_code == 403
