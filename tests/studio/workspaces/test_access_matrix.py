"""Every URL pattern is refused to anonymous users (except login and health), and every
API endpoint checks the role it needs in the object's workspace.

The table ROLES names, for each API route and method, the role it needs. A route missing
from the table fails `test_every_api_route_is_in_the_role_table`, so a new endpoint
cannot ship without deciding who may call it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from studio.connections.models import Connection
from studio.deployments.models import Deployment, ReprocessOperation
from studio.topologies.models import Topology
from studio.workspaces.models import Membership, Workspace

SIGNED_IN = "signed-in"  # any authenticated user: the answer holds no workspace's data

# route -> {method: needed role}. "service" routes call Kafka, Redis or the replicas
# when allowed, so only their refusals are checked here (their own tests cover the
# answers).
ROLES: dict[str, dict[str, str]] = {
    "api/me/": {"GET": SIGNED_IN},
    "api/tokens/": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "api/tokens/<str:token_id>/": {"DELETE": SIGNED_IN},
    "api/workspaces/": {"GET": SIGNED_IN, "POST": SIGNED_IN},
    "api/workspaces/<int:workspace_id>/": {"GET": "viewer", "PATCH": "admin", "DELETE": "admin"},
    "api/workspaces/<int:workspace_id>/members/": {"GET": "viewer", "POST": "admin"},
    "api/workspaces/<int:workspace_id>/members/<int:user_id>/": {"PATCH": "admin", "DELETE": "admin"},
    "api/catalog/": {"GET": SIGNED_IN},
    "api/document-schema/": {"GET": SIGNED_IN},
    "api/port-kinds/": {"GET": SIGNED_IN},
    "api/functions/": {"GET": SIGNED_IN},
    "api/processors/": {"GET": SIGNED_IN},
    "api/validate/": {"POST": SIGNED_IN},
    "api/export/": {"POST": SIGNED_IN},
    "api/try/": {"POST": "editor"},
    "api/expressions/check/": {"POST": SIGNED_IN},
    "api/topologies/": {"GET": SIGNED_IN, "POST": "editor"},
    "api/topologies/<int:topology_id>/": {"GET": "viewer", "PATCH": "editor", "DELETE": "editor"},
    "api/topologies/<int:topology_id>/versions/": {"GET": "viewer", "POST": "editor"},
    "api/topologies/<int:topology_id>/versions/<int:number>/": {"GET": "viewer"},
    "api/topologies/<int:topology_id>/versions/<int:number>/describe/": {"GET": "viewer"},
    "api/topologies/<int:topology_id>/versions/<int:number>/export/": {"GET": "viewer"},
    "api/topologies/<int:topology_id>/diff/": {"GET": "viewer"},
    "api/deployments/": {"GET": SIGNED_IN, "POST": "operator"},
    "api/deployments/<int:deployment_id>/": {"GET": "viewer"},
    "api/deployments/<int:deployment_id>/start/": {"POST": "operator"},
    "api/deployments/<int:deployment_id>/stop/": {"POST": "operator"},
    "api/deployments/<int:deployment_id>/scale/": {"POST": "operator"},
    "api/deployments/<int:deployment_id>/restart/": {"POST": "operator"},
    "api/deployments/<int:deployment_id>/lag/": {"GET": "viewer service"},
    "api/deployments/<int:deployment_id>/stores/": {"GET": "viewer"},
    "api/deployments/<int:deployment_id>/metrics/": {"GET": "viewer service"},
    "api/deployments/<int:deployment_id>/errors/": {"GET": "viewer service"},
    "api/deployments/<int:deployment_id>/samples/": {"GET": "viewer service"},
    "api/deployments/<int:deployment_id>/stores/<str:store_name>/": {"GET": "viewer service"},
    "api/deployments/<int:deployment_id>/reset/": {"POST": "operator service"},
    "api/deployments/<int:deployment_id>/operations/": {"GET": "viewer"},
    "api/deployments/<int:deployment_id>/operations/<int:operation_id>/": {"GET": "viewer"},
    "api/deployments/<int:deployment_id>/side-by-side/": {"POST": "operator service"},
    "api/deployments/<int:deployment_id>/comparison/": {"GET": "viewer service"},
    "api/deployments/<int:deployment_id>/promote/": {"POST": "operator"},
    "api/deployments/<int:deployment_id>/discard/": {"POST": "operator"},
    "api/topologies/<int:topology_id>/live/": {"GET": "viewer"},
    "api/audit/": {"GET": SIGNED_IN},
    "api/connections/": {"GET": SIGNED_IN, "POST": "admin"},
    "api/connections/<int:connection_id>/": {"GET": "viewer", "PUT": "admin", "PATCH": "admin", "DELETE": "admin"},
    "api/connections/<int:connection_id>/test/": {"POST": "editor service"},
    "api/connections/<int:connection_id>/topics/": {"GET": "viewer service", "POST": "operator service"},
    "api/connections/<int:connection_id>/topics/<str:topic>/records/": {
        "GET": "viewer service", "POST": "operator service",
    },
}

# Routes that answer without a login, and why.
PUBLIC = {
    "login/": "the login form",
    "healthz": "load balancers and supervisors probe it",
}

RANKS = ["viewer", "editor", "operator", "admin"]


def api_routes() -> list[str]:
    def walk(patterns: list[Any], prefix: str) -> Any:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                yield prefix + str(p.pattern)
    return [r for r in walk(get_resolver().url_patterns, "") if r.startswith("api/") and r != "^api/"]


def test_every_api_route_is_in_the_role_table() -> None:
    routes = set(api_routes()) - {"api/schema/"}
    assert routes - set(ROLES) == set(), "decide the role these endpoints need, in ROLES"
    assert set(ROLES) - routes == set(), "ROLES names routes that no longer exist"


@pytest.fixture
def world(db: None, alice: User, team: Workspace, wordcount_document: dict[str, Any]) -> dict[str, Any]:
    """A workspace with one of everything, a member of each role, and an outsider."""
    people = {"admin": alice}
    for role in ("viewer", "editor", "operator"):
        people[role] = User.objects.create(username=f"{role}-user")
        Membership.objects.create(workspace=team, user=people[role], role=role)
    people["outsider"] = User.objects.create(username="outsider")
    Workspace.objects.create(name="outsiders' own", slug="own")  # they have somewhere to be
    topology = Topology.objects.create(workspace=team, name="wc", created_by=alice)
    version = topology.add_version(wordcount_document, created_by=alice)
    topology.add_version(wordcount_document, message="again", created_by=alice)
    connection = Connection.objects.create(workspace=team, name="c", bootstrap_servers="127.0.0.1:1")
    deployment = Deployment.create_running(version, connection=connection, actor=alice)
    operation = ReprocessOperation.begin(deployment, "reset", actor=alice, request={"to": "earliest"})
    ids = {"workspace_id": team.pk, "user_id": people["viewer"].pk, "topology_id": topology.pk,
           "number": 1, "deployment_id": deployment.pk, "connection_id": connection.pk,
           "topic": "t", "token_id": "nope", "store_name": "counts", "operation_id": operation.pk}
    bodies = {
        ("api/topologies/", "POST"): {"workspace": team.pk, "name": "new"},
        ("api/connections/", "POST"): {"workspace": team.pk, "name": "new", "bootstrap_servers": "a:1"},
        ("api/deployments/", "POST"): {"version": version.pk},
        ("api/try/", "POST"): {"workspace": team.pk, "document": wordcount_document,
                               "steps": [{"record": {"value": "a b a"}}]},
    }
    return {"people": people, "ids": ids, "bodies": bodies}


def concrete(route: str, ids: dict[str, Any]) -> str:
    path = "/" + route
    for name, value in ids.items():
        for kind in ("int", "str"):
            path = path.replace(f"<{kind}:{name}>", str(value))
    assert "<" not in path, f"no test value for a parameter of {route}"
    return path


def call(client: Client, method: str, path: str, body: Any = None) -> Any:
    return client.generic(method, path, data=json.dumps(body or {}), content_type="application/json")


def cases() -> list[tuple[str, str, str]]:
    return [(route, method, needed) for route, methods in ROLES.items() for method, needed in methods.items()]


@pytest.mark.parametrize(("route", "method", "needed"), cases(), ids=lambda v: str(v))
def test_the_role_is_checked(world: dict[str, Any], route: str, method: str, needed: str) -> None:
    path = concrete(route, world["ids"])
    body = world["bodies"].get((route, method))
    role = needed.split()[0]
    anonymous = call(Client(), method, path, body)
    assert anonymous.status_code == 401, f"{method} {path} answered {anonymous.status_code} to nobody"
    if role == SIGNED_IN:
        return
    outsider = Client()
    outsider.force_login(world["people"]["outsider"])
    response = call(outsider, method, path, body)
    if body is None:
        assert response.status_code == 404, f"{method} {path}: an outsider got {response.status_code}"
    else:
        # A create names its workspace (or version) in the body: unknown to an outsider,
        # it is a bad field (400), as for an id that does not exist.
        assert response.status_code == 400, f"{method} {path}: an outsider got {response.status_code}"
        assert response.json()["problems"][0]["path"] in ("workspace", "version")
    for lower in RANKS[:RANKS.index(role)]:
        client = Client()
        client.force_login(world["people"][lower])
        response = call(client, method, path, body)
        assert response.status_code == 403, f"{method} {path}: a {lower} got {response.status_code}"
        message = response.json()["message"]
        assert f"needs the {role} role in workspace 'team'; you are a" in message and lower in message
    if "service" in needed:
        return
    allowed = Client()
    allowed.force_login(world["people"][role])
    response = call(allowed, method, path, body)
    assert response.status_code not in (401, 403, 404), (
        f"{method} {path}: a {role} was refused: {response.status_code} {response.content[:200]!r}"
    )


def test_every_other_route_needs_a_login(db: None) -> None:
    def walk(patterns: list[Any], prefix: str) -> Any:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern)
    client = Client()
    checked = 0
    for route in walk(get_resolver().url_patterns, ""):
        if route.startswith("admin/") or route in PUBLIC or route.startswith("api/") and route != "^api/":
            continue
        path = {"^(?!api/|ws/|static/|admin/|healthz)": "/some/page", "^api/": "/api/nothing-here/",
                "logout/": "/logout/", "api/schema/": "/api/schema/"}.get(route, "/" + route)
        answer = client.get(path)
        assert answer.status_code in (302, 401, 405), f"{route} answered {answer.status_code} to nobody"
        if answer.status_code == 302:
            assert answer["Location"].startswith("/login/")
        checked += 1
    assert checked >= 3
    assert Client().get("/api/schema/").status_code == 401
