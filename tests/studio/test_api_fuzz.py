"""Schemathesis over the studio's own OpenAPI schema: no 500s, answers as documented.

The schema is the one `GET /api/schema/` serves. Every operation in it is called, in
process through `studio.wsgi.application`, with requests generated from the schema
(valid ones and invalid ones), as alice: admin of a workspace that holds a topology with
two versions, a running deployment of it and a connection. Each answer must

- not be a 5xx, except the documented 502/503/504 of Kafka or Redis being unavailable;
- have a status code and a content type that the schema documents for the operation;
- have a body that matches the schema documented for that status.

Nothing reaches a real broker or worker: the connection and KAFKA_BOOTSTRAP_SERVERS
point at 127.0.0.1:1 (refused at once; Kafka timeouts cut to half a second), and Celery
sends to the test Redis under a key prefix of this test. Half of the generated path ids
are swapped for the real objects' ids so that the checks reach past the 404s.

Bounded and repeatable: MAX_EXAMPLES per operation, derandomized, no deadline.
"""

from __future__ import annotations

import collections
import functools
import time
from typing import Any

import hypothesis.strategies as st
import pytest
import schemathesis
from schemathesis.generation import GenerationMode
from django.contrib.auth.models import User
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from studio.accounts.models import ApiToken
from studio.connections import kafka
from studio.connections.models import Connection
from studio.deployments import lag
from studio.deployments.models import Deployment
from studio.topologies.models import Topology
from studio.workspaces.models import Workspace

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.redis, pytest.mark.slow]

MAX_EXAMPLES = 25
UNREACHABLE = "127.0.0.1:1"
# Documented answers of a service being unavailable: Kafka (502/504), Redis (503).
SERVICE_STATUSES = {502, 503, 504}


@pytest.fixture
def fuzz_world(settings: Any, celery_queues: Any, wordcount: Topology, alice: User, team: Workspace,
               monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """The objects the fuzzed requests may reach, and the token they authenticate with."""
    settings.KAFKA_BOOTSTRAP_SERVERS = UNREACHABLE
    monkeypatch.setattr(kafka, "TIMEOUT_S", 0.5)
    monkeypatch.setattr(kafka, "READ_DEADLINE_S", 1.0)
    monkeypatch.setattr(lag, "deployment_lag", functools.partial(lag.deployment_lag, timeout=0.5))
    version = wordcount.versions.get(number=1)
    wordcount.add_version(version.document, message="second", created_by=alice)
    deployment = Deployment.create_running(version, actor=alice)
    connection = Connection.objects.create(workspace=team, name="nowhere", bootstrap_servers=UNREACHABLE,
                                           created_by=alice)
    _, token = ApiToken.objects.create(alice)
    return {
        "token": token,
        "ids": {
            "workspace_id": team.pk, "user_id": alice.pk, "topology_id": wordcount.pk, "number": 1,
            "deployment_id": deployment.pk, "connection_id": connection.pk, "store_name": "counts",
            "topic": "text-lines",
        },
    }


def _load_schema(token: str) -> Any:
    from studio.wsgi import application

    return schemathesis.openapi.from_wsgi(
        "/api/schema/", application,
        headers={"Authorization": f"Token {token}", "Accept": "application/vnd.oai.openapi+json"},
    )


def test_every_operation_answers_as_documented(fuzz_world: dict[str, Any]) -> None:
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
