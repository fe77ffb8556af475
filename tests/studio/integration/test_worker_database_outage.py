"""A running deployment keeps processing while the studio's database is down.

Word count runs in a real Celery worker (with beat, so the reconciler runs too) whose
every database connection goes through a TCP proxy (tests/tcp_proxy.py). The test cuts
the proxy for RIFFLE_OUTAGE_S seconds (10 by default; `make test-reliability` sets 30,
as issue 8 asks): open connections are reset and new ones refused, as when PostgreSQL
crashes or restarts. Meanwhile more lines arrive, and their counts must come out
exactly, before the database is back; the replica keeps its heartbeat; the worker and
beat stay up. When the database is back, the same replica (not a replacement) is still
running, the deployment's rows say so, and the counts of the lines after the outage are
exact too.

PostgreSQL only: SQLite has no server to cut off (the web side's answer to an outage,
a 503, is tested on both in tests/studio/test_database_outage.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from django.db import connections
from django.test import Client

from studio.deployments.models import Deployment
from studio.workspaces.models import Workspace
from tests.studio.integration.outage_drill import outage_drill, via_proxy
from tests.studio.integration.stack import CeleryStack, read_heartbeat
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.reliability, pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow,
              pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

OUTAGE_S = float(os.environ.get("RIFFLE_OUTAGE_S", "10"))


@pytest.fixture
def database_proxy() -> Iterator[TcpProxy]:
    settings_dict = connections["default"].settings_dict
    if connections["default"].vendor != "postgresql":
        pytest.skip("a database outage under a running worker needs a database server to cut off "
                    "(PostgreSQL); SQLite has none")
    proxy = TcpProxy(settings_dict.get("HOST") or "127.0.0.1", int(settings_dict.get("PORT") or 5432))
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def worker_database_url(shared_database: str, database_proxy: TcpProxy) -> str:
    """The shared database, reached by the Celery processes through the proxy only."""
    return via_proxy(shared_database, database_proxy)


def test_a_database_outage_does_not_stop_a_running_deployment(
    api: Client, team: Workspace, celery_stack: CeleryStack, database_proxy: TcpProxy, kafka_bootstrap: str,
    create_topic: Callable[..., str], unique_name: Callable[[str], str], studio_redis: redis.Redis,
    wordcount_document: dict[str, Any],
) -> None:
    with outage_drill(api=api, workspace_id=team.pk, stack=celery_stack, bootstrap=kafka_bootstrap,
                      create_topic=create_topic, unique_name=unique_name, studio_redis=studio_redis,
                      document=wordcount_document, seed=20261204) as drill:
        def still_beating() -> None:
            beat = read_heartbeat(studio_redis, drill.replica)
            assert beat is not None and beat["state"] == "RUNNING", beat

        drill.run_outage(database_proxy, OUTAGE_S, before_restore=still_beating)
        drill.finish()
        assert Deployment.objects.get(pk=drill.deployment_id).last_error in ("", None)
        # The replica did meet the outage (it polls its desired state every second).
        assert "cannot read desired state" in drill.worker.tail(400), drill.worker.tail(60)
    f = drill.figures
    print(f"\ndatabase outage {f['outage']:.1f} s: the {len(drill.during)} lines sent during it were counted "
          f"{f['counted after the cut']:.1f} s after the cut (wait {f['wait for the counts']:.1f} s); "
          f"proxy connections {database_proxy.accepted}")
