"""Schemathesis over the studio's own OpenAPI schema: no 500s, answers as documented.

The schema is the one `GET /api/schema/` serves. Every operation in it is called, in
process through `studio.wsgi.application`, with requests generated from the schema
(valid ones and invalid ones), as alice: admin of a workspace that holds a topology with
two versions, a running deployment of it and a connection. Each answer must

- not be a 5xx, except the documented 502/503/504 of Kafka or Redis being unavailable;
- have a status code and a content type that the schema documents for the operation;
- have a body that matches the schema documented for that status.

Nothing reaches a real broker or worker: the connection and KAFKA_BOOTSTRAP_SERVERS
point at 127.0.0.1:1 (refused at once; Kafka timeouts cut to a second, librdkafka's
least), every fuzzed change of a connection's address is undone after each request, and
Celery sends to the test Redis under a key prefix of this test. Half of the generated
path ids and body ids (workspace, version) are swapped for the real objects' ids so that
the checks reach past the 404s. The database refuses NUL characters as PostgreSQL does
(`postgres_refuses_nul`), since the tests run on SQLite.

Three tests: schemathesis' generated requests (MAX_EXAMPLES per operation, positive and
negative, derandomized, no deadline, no shrinking); a sweep of hostile values that random
generation seldom reaches (ids past 2^63, NUL, invalid UTF-8, non-object and non-JSON
bodies, odd content types, documents with one leaf spoiled); and the refusals
(anonymous 401, a viewer's 403) of every operation. About two minutes on a shared
2-core machine, mostly Kafka calls failing after their second.
"""

from __future__ import annotations

import collections
import functools
import itertools
import json
import os
import time
from typing import Any
from urllib.parse import quote

import hypothesis.strategies as st
import pytest
import schemathesis
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from studio.accounts.models import ApiToken
from studio.connections import kafka
from studio.connections.models import Connection
from studio.deployments import lag
from studio.deployments.reprocessing import comparison, reset, side_by_side
from studio.deployments.reprocessing import common as reprocessing_common
from studio.deployments.models import Deployment
from studio.topologies.models import Topology
from studio.workspaces.models import Membership, Role, Workspace

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.slow]

# Per operation; RIFFLE_FUZZ_EXAMPLES=500 for a deeper run by hand.
MAX_EXAMPLES = int(os.environ.get("RIFFLE_FUZZ_EXAMPLES", "25"))
UNREACHABLE = "127.0.0.1:1"
# Documented answers of a service being unavailable: Kafka (502/504), Redis (503).
SERVICE_STATUSES = {502, 503, 504}
# Body fields that hold ids: half of the generated bodies get the real objects' ids.
BODY_IDS = {"workspace": "workspace_id", "version": "version_id", "connection": "connection_id"}


@pytest.fixture
def fuzz_world(settings: Any, celery_queues: Any, wordcount: Topology, alice: User, team: Workspace,
               monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The objects the fuzzed requests may reach, and the token they authenticate with."""
    settings.KAFKA_BOOTSTRAP_SERVERS = UNREACHABLE
    monkeypatch.setattr(kafka, "TIMEOUT_S", 1.0)  # librdkafka's least
    monkeypatch.setattr(kafka, "READ_DEADLINE_S", 1.5)
    monkeypatch.setattr(lag, "deployment_lag", functools.partial(lag.deployment_lag, timeout=1.0))
    # Each reprocessing module imports the timeouts by name.
    for module in (reprocessing_common, comparison, reset, side_by_side):
        for name, value in (("TIMEOUT_S", 1.0), ("READ_TIMEOUT_S", 1.5)):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, value)
    settings.RIFFLE_REPROCESS_STOP_TIMEOUT_S = 1
    version = wordcount.versions.get(number=1)
    wordcount.add_version(version.document, message="second", created_by=alice)
    nowhere = Connection.objects.create(workspace=team, name="nowhere", bootstrap_servers=UNREACHABLE,
                                        created_by=alice)
    deployment = Deployment.create_running(version, connection=nowhere, actor=alice)
    _, token = ApiToken.objects.create(alice)
    return {
        "token": token,
        "document": version.document,
        "ids": {
            "version_id": version.pk, "token_id": "abcdefgh",
            "workspace_id": team.pk, "user_id": alice.pk, "topology_id": wordcount.pk, "number": 1,
            "deployment_id": deployment.pk, "connection_id": nowhere.pk, "store_name": "counts-store",
            "topic": "text-lines",
        },
    }


def _load_schema(token: str) -> Any:
    from studio.wsgi import application

    return schemathesis.openapi.from_wsgi(
        "/api/schema/", application,
        headers={"Authorization": f"Token {token}", "Accept": "application/vnd.oai.openapi+json"},
    )


def test_every_operation_answers_as_documented(fuzz_world: dict[str, Any], postgres_refuses_nul: None) -> None:
    schema = _load_schema(fuzz_world["token"])
    headers = {"Authorization": f"Token {fuzz_world['token']}"}
    failures: list[str] = []
    examples: dict[str, int] = {}
    statuses: collections.Counter[tuple[str, int]] = collections.Counter()
    started = time.monotonic()
    for result in schema.get_all_operations():
        operation = result.ok()
        label = operation.label
        examples[label] = 0
        strategy = st.one_of(operation.as_strategy(GenerationMode.POSITIVE),
                             operation.as_strategy(GenerationMode.NEGATIVE))

        @given(case=strategy, real_ids=st.booleans())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
        def run(case: Any, real_ids: bool) -> None:
            examples[label] += 1
            call(case, real_ids)

        def call(case: Any, real_ids: bool) -> None:
            if real_ids and case.path_parameters and case.method.upper() != "DELETE":
                for name in case.path_parameters:
                    if name in fuzz_world["ids"]:
                        case.path_parameters[name] = fuzz_world["ids"][name]
            if real_ids and isinstance(case.body, dict):
                # Creates name the workspace or version they go in: make them real ones.
                for field, real in BODY_IDS.items():
                    if field in case.body:
                        case.body[field] = fuzz_world["ids"][real]
            response = case.call(headers=headers)
            statuses[(label, response.status_code)] += 1
            try:
                case.validate_response(
                    response, headers=headers,
                    checks=[status_code_conformance, content_type_conformance, response_schema_conformance],
                )
                if response.status_code not in SERVICE_STATUSES:
                    case.validate_response(response, headers=headers, checks=[not_a_server_error])
            finally:
                # A fuzzed update may have pointed a connection somewhere: back to nowhere.
                Connection.objects.exclude(bootstrap_servers=UNREACHABLE).update(bootstrap_servers=UNREACHABLE)

        try:
            run()
        except Exception as exc:  # noqa: BLE001 - every operation's failure is reported
            failures.append(f"{label}: {exc}")
    elapsed = time.monotonic() - started
    print(f"{len(examples)} operations, {sum(examples.values())} examples in {elapsed:.0f} s")
    for (op, code), n in sorted(statuses.items()):
        print(f"  {op} {code} x{n}")
    assert len(examples) >= 40, sorted(examples)
    assert not failures, "\n\n".join(failures)


# -- hostile inputs, every operation ---------------------------------------------------
#
# Values that random generation seldom reaches, sent to every operation on the real
# objects: integers past 64 bits in paths, queries and bodies; NUL characters;
# invalid UTF-8; bodies that are JSON but not objects, or not JSON at all. Each answer
# must be documented for its operation, never a 500. The database is made to refuse NUL
# characters as PostgreSQL does (tests run on SQLite, which stores them).

HUGE = 2**64
HOSTILE_PATH_INTS = [str(2**63), str(HUGE), "9" * 40, "9" * 5000, "0", "-1"]
# Sent as they are (not percent-encoded again): invalid UTF-8, an encoded slash.
RAW_PATH_STRINGS = ["%FF%FE", "a%2Fb", "%C0%80"]
HOSTILE_STRINGS = ["a\x00b", "\x00", "x" * 5000, "\udcff"[:0] + "é\u2028\U0001f600"]
HOSTILE_QUERY_VALUES = ["9" * 40, str(-(2**63) - 1), "a\x00b", "%FF", "", "1e999", "NaN"]
HOSTILE_JSON_VALUES: list[Any] = [HUGE, -HUGE, 2**63, 10**40, 1e308, "a\x00b", ["a\x00b"], {"a\x00": "b"}, None,
                                  True, [], {}]
# Content types a body may come with besides plain JSON: odd charsets, not JSON at all.
CONTENT_TYPES = ["application/json; charset=rot13", "application/json; charset=utf-16",
                 "application/json; charset=x-nonsense", "text/plain", "application/x-www-form-urlencoded",
                 "multipart/form-data; boundary=x", ""]
RAW_BODIES = [b"[]", b'"text"', b"7", b"null", b"\xff\xfe\xfd", b"{", b'{"a": NaN}',
              b"[" * 5000 + b"]" * 5000, b'{"\\u0000": 1}']


def _baselines(world: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    """A valid body per operation (on the real objects) for the hostile values to spoil."""
    ids = world["ids"]
    document = world["document"]
    connection = {"workspace": ids["workspace_id"], "name": "elsewhere", "bootstrap_servers": UNREACHABLE}
    return {
        ("POST", "/api/tokens/"): {"description": "fuzz"},
        ("POST", "/api/workspaces/"): {"name": "other"},
        ("PATCH", "/api/workspaces/{workspace_id}/"): {"name": "team"},
        ("POST", "/api/workspaces/{workspace_id}/members/"): {"username": "alice", "role": "viewer"},
        ("PATCH", "/api/workspaces/{workspace_id}/members/{user_id}/"): {"role": "admin"},
        ("POST", "/api/topologies/"): {"workspace": ids["workspace_id"], "name": "other"},
        ("PATCH", "/api/topologies/{topology_id}/"): {"name": "word count"},
        ("POST", "/api/topologies/{topology_id}/versions/"): {"document": document, "message": "m"},
        ("POST", "/api/validate/"): {"document": document},
        ("POST", "/api/export/"): {"document": document},
        ("POST", "/api/expressions/check/"): {"source": 'value["amount"] > 1', "kind": "predicate"},
        ("POST", "/api/try/"): {"workspace": ids["workspace_id"], "document": document,
                                "steps": [{"record": {"value": "a b"}}]},
        ("POST", "/api/deployments/"): {"version": ids["version_id"]},
        ("POST", "/api/deployments/{deployment_id}/scale/"): {"replicas": 1},
        ("POST", "/api/deployments/{deployment_id}/restart/"): {},
        ("POST", "/api/connections/"): connection,
        ("PUT", "/api/connections/{connection_id}/"): connection,
        ("PATCH", "/api/connections/{connection_id}/"): connection,
        ("POST", "/api/connections/{connection_id}/topics/"): {"name": "fuzz"},
        ("POST", "/api/connections/{connection_id}/topics/{topic}/records/"): {"value": "v"},
    }


DOCUMENT_LEAF_VALUES: list[Any] = ["a\x00b", 10**40, 1e308, None]
# Operations whose body holds a topology document, and where.
DOCUMENT_BODIES = {("POST", "/api/topologies/"), ("POST", "/api/topologies/{topology_id}/versions/"),
                   ("POST", "/api/validate/"), ("POST", "/api/export/"), ("POST", "/api/try/")}


def _spoiled_documents(document: Any, path: tuple[Any, ...] = ()) -> Any:
    """The document with one leaf (a string or a number) replaced by each hostile value."""
    if isinstance(document, dict):
        items = list(document.items())
    elif isinstance(document, list):
        items = list(enumerate(document))
    else:
        for value in DOCUMENT_LEAF_VALUES:
            yield path, value
        return
    for key, child in items:
        yield from _spoiled_documents(child, (*path, key))


def _replaced(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[path[0]] = _replaced(document[path[0]], path[1:], value)
    return copy


def _real_id(world: dict[str, Any], name: str) -> Any:
    """The real object's id for a path parameter; 1 for ids of objects the world lacks."""
    return world["ids"].get(name, 1 if name.endswith("_id") else "x")


def _body_properties(schema: dict[str, Any], operation: dict[str, Any]) -> list[str]:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in body:
        body = schema["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]
    return sorted(body.get("properties", {}))


def _requests(schema: dict[str, Any], world: dict[str, Any]) -> Any:
    """(method, path template, url, body) of every hostile request: the body is None,
    JSON bytes, or (content type, bytes)."""
    baselines = _baselines(world)
    sent_names = itertools.count()
    for template, item in schema["paths"].items():
        for method, operation in item.items():
            method = method.upper()
            names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            real = {name: quote(str(_real_id(world, name)), safe="") for name in names}
            base_url = template.format(**real)
            baseline = baselines.get((method, template))
            base_body = json.dumps(baseline).encode() if baseline is not None else None
            # Path parameters, one at a time.
            for name in names:
                values = HOSTILE_PATH_INTS if isinstance(_real_id(world, name), int) else HOSTILE_STRINGS
                for value in values:
                    yield method, template, template.format(**{**real, name: quote(value, safe="")}), base_body
                if not isinstance(_real_id(world, name), int):
                    for raw_value in RAW_PATH_STRINGS:
                        yield method, template, template.format(**{**real, name: raw_value}), base_body
            # Query parameters, one at a time.
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                for value in HOSTILE_QUERY_VALUES:
                    encoded = value if value.startswith("%") else quote(value, safe="")
                    yield method, template, f"{base_url}?{parameter['name']}={encoded}", base_body
            if "requestBody" not in operation:
                continue
            for raw in RAW_BODIES:
                yield method, template, base_url, raw
            for content_type in CONTENT_TYPES:
                yield method, template, base_url, (content_type, base_body or b"{}")
            if (method, template) in DOCUMENT_BODIES:
                for leaf, value in _spoiled_documents(world["document"]):
                    spoiled = {**(baseline or {}), "document": _replaced(world["document"], leaf, value)}
                    if method == "POST" and template == "/api/topologies/":
                        spoiled["name"] = f"spoiled {sent_names.__next__()}"
                    yield method, template, base_url, json.dumps(spoiled).encode()
            for name in _body_properties(schema, operation):
                for value in HOSTILE_JSON_VALUES:
                    yield method, template, base_url, json.dumps({**(baseline or {}), name: value}).encode()


def test_hostile_inputs_to_every_operation(fuzz_world: dict[str, Any], postgres_refuses_nul: None) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Token {fuzz_world['token']}")
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    failures: list[str] = []
    sent = 0
    started = time.monotonic()
    for method, template, url, body in _requests(schema, fuzz_world):
        sent += 1
        kwargs: dict[str, Any] = {}
        if isinstance(body, tuple):
            content_type, body = body
            kwargs = {"data": body, "content_type": content_type}
        elif body is not None:
            kwargs = {"data": body, "content_type": "application/json"}
        response = client.generic(method, url, **kwargs)
        documented = schema["paths"][template][method.lower()]["responses"]
        shown = (body or b"")[:120]
        if response.status_code >= 500 and response.status_code not in SERVICE_STATUSES:
            failures.append(f"{method} {url} {shown!r}: {response.status_code} {response.content[:300]!r}")
        elif str(response.status_code) not in documented:
            failures.append(f"{method} {url} {shown!r}: undocumented {response.status_code} "
                            f"{response.content[:200]!r}")
        elif response.status_code >= 400 and "message" not in response.json():
            failures.append(f"{method} {url} {shown!r}: error without a message {response.content[:200]!r}")
        Connection.objects.exclude(bootstrap_servers=UNREACHABLE).update(bootstrap_servers=UNREACHABLE)
    print(f"{sent} hostile requests in {time.monotonic() - started:.0f} s")
    assert not failures, f"{len(failures)} of {sent} requests:\n" + "\n".join(failures)


# -- refusals ---------------------------------------------------------------------------


# Writes any signed-in user may make (their own tokens and workspaces, validation, export).
ANYONES = {("POST", "/api/tokens/"), ("DELETE", "/api/tokens/{token_id}/"), ("POST", "/api/validate/"),
           ("POST", "/api/export/"), ("POST", "/api/expressions/check/"), ("POST", "/api/workspaces/")}


def test_refusals_are_documented_for_every_operation(fuzz_world: dict[str, Any]) -> None:
    """Anonymous requests (401) and a viewer's writes (403), on the real objects, answer
    as the schema says, body included."""
    bob = User.objects.create_user("bob", password="bob-password-1")
    Membership.objects.create(workspace_id=fuzz_world["ids"]["workspace_id"], user=bob, role=Role.VIEWER)
    _, viewer_token = ApiToken.objects.create(bob)
    schema = _load_schema(fuzz_world["token"])
    baselines = _baselines(fuzz_world)
    checks = [status_code_conformance, content_type_conformance, response_schema_conformance]
    failures: list[str] = []
    seen: collections.Counter[int] = collections.Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        names = [p.name for p in operation.path_parameters]
        kwargs: dict[str, Any] = {"path_parameters": {n: _real_id(fuzz_world, n) for n in names}}
        if operation.body:
            kwargs.update(body=baselines.get((operation.method.upper(), operation.path), {}),
                          media_type="application/json")
        for who, headers in [("anonymous", {}), ("viewer", {"Authorization": f"Token {viewer_token}"})]:
            case = operation.Case(**kwargs)
            response = case.call(headers=headers)
            seen[response.status_code] += 1
            try:
                case.validate_response(response, headers=headers, checks=checks)
                if who == "anonymous":
                    assert response.status_code == 401, response.status_code
                elif operation.method.upper() != "GET" and (operation.method.upper(), operation.path) not in ANYONES:
                    assert response.status_code == 403, response.status_code
            except Exception as exc:  # noqa: BLE001 - every operation's failure is reported
                failures.append(f"{who} {operation.label}: {exc}")
            Connection.objects.exclude(bootstrap_servers=UNREACHABLE).update(bootstrap_servers=UNREACHABLE)
    print(f"refusals: {dict(sorted(seen.items()))}")
    assert not failures, "\n\n".join(failures)
