from __future__ import annotations

from django.test import Client


def test_the_openapi_schema_lists_every_endpoint(api: Client) -> None:
    response = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in [
        "/api/me/", "/api/catalog/", "/api/document-schema/", "/api/functions/",
        "/api/processors/", "/api/try/", "/api/topologies/", "/api/topologies/{topology_id}/",
        "/api/topologies/{topology_id}/versions/", "/api/deployments/",
        "/api/deployments/{deployment_id}/", "/api/deployments/{deployment_id}/start/",
        "/api/deployments/{deployment_id}/stop/", "/api/validate/", "/api/export/", "/api/expressions/check/",
        "/api/topologies/{topology_id}/versions/{number}/describe/",
        "/api/topologies/{topology_id}/versions/{number}/export/",
        "/api/topologies/{topology_id}/diff/", "/api/deployments/{deployment_id}/scale/",
        "/api/deployments/{deployment_id}/restart/", "/api/deployments/{deployment_id}/lag/",
        "/api/deployments/{deployment_id}/errors/", "/api/deployments/{deployment_id}/samples/",
        "/api/deployments/{deployment_id}/metrics/",
        "/api/audit/",
        "/api/deployments/{deployment_id}/stores/",
        "/api/deployments/{deployment_id}/stores/{store_name}/",
        "/api/connections/",
        "/api/connections/{connection_id}/", "/api/connections/{connection_id}/test/",
        "/api/connections/{connection_id}/topics/",
        "/api/connections/{connection_id}/topics/{topic}/records/",
        "/api/deployments/{deployment_id}/reset/", "/api/deployments/{deployment_id}/operations/",
        "/api/deployments/{deployment_id}/operations/{operation_id}/",
        "/api/deployments/{deployment_id}/side-by-side/", "/api/deployments/{deployment_id}/comparison/",
        "/api/deployments/{deployment_id}/promote/", "/api/deployments/{deployment_id}/discard/",
        "/api/topologies/{topology_id}/live/",
    ]:
        assert path in paths, path
    reset = paths["/api/deployments/{deployment_id}/reset/"]["post"]["responses"]
    assert {"200", "202", "400", "404", "409", "502"} <= set(reset)
    assert "input_partitions" in reset["200"]["content"]["application/json"]["schema"]["properties"]
    assert "state" in reset["202"]["content"]["application/json"]["schema"]["properties"]
    side = paths["/api/deployments/{deployment_id}/side-by-side/"]["post"]["requestBody"]["content"]["application/json"]
    assert side["schema"] == {"$ref": "#/components/schemas/SideBySideRequest"}
    comparison = paths["/api/deployments/{deployment_id}/comparison/"]["get"]
    assert "limit" in {p["name"] for p in comparison["parameters"]}
    assert "topics" in comparison["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    created = paths["/api/deployments/"]["post"]["responses"]["201"]["content"]["application/json"]["schema"]
    assert "application_id" in created["properties"]
    scale = paths["/api/deployments/{deployment_id}/scale/"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert scale == {"$ref": "#/components/schemas/Scale"}
    lag = paths["/api/deployments/{deployment_id}/lag/"]["get"]["responses"]
    assert {"200", "404", "409", "502", "504"} <= set(lag)
    assert "total_lag" in lag["200"]["content"]["application/json"]["schema"]["properties"]
    errors = paths["/api/deployments/{deployment_id}/errors/"]["get"]["responses"]
    assert {"200", "404", "503"} <= set(errors)
    assert "decision" in errors["200"]["content"]["application/json"]["schema"]["properties"]["results"]["items"]["properties"]
    samples = paths["/api/deployments/{deployment_id}/samples/"]["get"]
    assert "node" in {p["name"] for p in samples["parameters"]}
    query = paths["/api/deployments/{deployment_id}/stores/{store_name}/"]["get"]
    assert {"200", "404", "409", "504"} <= set(query["responses"])
    assert {"key", "from", "to", "limit", "time_from", "time_to"} <= {p["name"] for p in query["parameters"]}
    # Secrets are write-only: in the request body, never in an answer.
    connection = paths["/api/connections/{connection_id}/"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert "password_set" in connection["properties"]
    assert "password" not in connection["properties"] and "ssl_key_pem" not in connection["properties"]


def test_anonymous_cannot_read_the_schema(anonymous: Client, db: None) -> None:
    assert anonymous.get("/api/schema/").status_code == 401


def test_the_topology_tools_have_response_schemas(api: Client) -> None:
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]

    def answer(path: str, method: str = "get", media: str = "application/json") -> dict:
        return paths[path][method]["responses"]["200"]["content"][media]["schema"]

    assert "problems" in answer("/api/validate/", "post")["properties"]
    described = answer("/api/topologies/{topology_id}/versions/{number}/describe/")
    assert {"text", "subtopologies", "global_stores"} <= set(described["properties"])
    exported = "/api/topologies/{topology_id}/versions/{number}/export/"
    assert {"filename", "source"} <= set(answer(exported)["properties"])
    assert answer(exported, media="text/x-python")["type"] == "string"
    diff = answer("/api/topologies/{topology_id}/diff/")
    assert {"added_nodes", "changed_nodes", "moved_nodes", "added_edges", "settings"} <= set(diff["properties"])
    parameters = {p["name"] for p in paths["/api/topologies/{topology_id}/diff/"]["get"]["parameters"]}
    assert {"from", "to"} <= parameters
    for path in ["/api/topologies/{topology_id}/versions/{number}/describe/", exported,
                 "/api/topologies/{topology_id}/diff/"]:
        assert "404" in paths[path]["get"]["responses"], path


def test_the_metrics_history_has_its_parameters_and_errors(api: Client) -> None:
    operation = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()[
        "paths"]["/api/deployments/{deployment_id}/metrics/"]["get"]
    assert {"since", "until", "step", "series"} <= {p["name"] for p in operation["parameters"]}
    assert {"200", "400", "404", "503"} <= set(operation["responses"])


def test_every_operation_documents_the_errors_it_may_answer(api: Client) -> None:
    paths = api.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    for path, item in paths.items():
        for method, operation in item.items():
            responses = set(operation["responses"])
            assert "401" in responses, (method, path)
            if method != "get" or "{" in path:
                assert "403" in responses, (method, path)
            if "requestBody" in operation:
                assert {"400", "413", "415"} <= responses, (method, path)
    assert "409" in paths["/api/topologies/"]["post"]["responses"]
    for paged in ["/api/topologies/", "/api/deployments/", "/api/connections/", "/api/audit/",
                  "/api/topologies/{topology_id}/versions/", "/api/connections/{connection_id}/topics/"]:
        operation = paths[paged]["get"]
        assert {"page", "page_size"} <= {p["name"] for p in operation["parameters"]}, paged
        assert "404" in operation["responses"], paged
    assert "workspace" in {p["name"] for p in paths["/api/connections/"]["get"]["parameters"]}
    assert "409" in paths["/api/workspaces/{workspace_id}/members/"]["post"]["responses"]
    refused = paths["/api/me/"]["get"]["responses"]["401"]["content"]["application/json"]["schema"]
    assert refused == {"$ref": "#/components/schemas/Error"}
