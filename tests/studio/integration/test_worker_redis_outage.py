"""A running deployment keeps processing while Redis is down, loses no state, and its
replica (not a replacement) carries on when Redis is back, with metrics flowing again.

Word count runs in a real Celery worker, with beat, whose every Redis connection (the
Celery broker and results, heartbeats, metrics, the channel layer, the engine's state
checkpoints) goes through a TCP proxy (tests/tcp_proxy.py) that the test cuts: open
connections are reset and new ones refused, as when Redis crashes or restarts. The
outage lasts RIFFLE_OUTAGE_S seconds (`make test-reliability`: 30), and always longer
than a replica heartbeat's TTL, so that every heartbeat has expired when Redis comes
back: the reconciler must then wait for the replicas to beat again rather than bury
them all (reconciler.WATCH_TTL_S).

Meanwhile more lines arrive, and their counts must come out exactly before Redis is
back (state checkpoints to Redis fail, the changelog still holds everything). After it,
the same replica runs, its heartbeat is fresh, a dashboard websocket gets its metrics
again, and the counts of the lines sent after the outage are exact too.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.test import Client

from studio.monitoring import keys
from studio.workspaces.models import Workspace
from tests.studio.integration.outage_drill import outage_drill, via_proxy
from tests.studio.integration.stack import CeleryStack, read_heartbeat, wait_for, watch_deployment_socket
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.reliability, pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow,
              pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

# Past a heartbeat's TTL (and the reconciler's watch), whatever RIFFLE_OUTAGE_S says.
OUTAGE_S = max(float(os.environ.get("RIFFLE_OUTAGE_S", "10")), keys.HEARTBEAT_TTL_S + 3.0)
METRICS_S = 30.0


@pytest.fixture
def redis_proxy(redis_url: str) -> Iterator[TcpProxy]:
    parts = urlsplit(redis_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 6379)
    try:
        yield proxy
    finally:
        proxy.close()


@pytest.fixture
def worker_redis_url(redis_url: str, redis_proxy: TcpProxy) -> str:
    """The test's Redis database, reached by the Celery processes through the proxy only."""
    return via_proxy(redis_url, redis_proxy)


def test_a_redis_outage_does_not_stop_a_running_deployment(
    api: Client, alice: User, team: Workspace, celery_stack: CeleryStack, redis_proxy: TcpProxy,
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
    studio_redis: redis.Redis, wordcount_document: dict[str, Any],
) -> None:
    with outage_drill(api=api, workspace_id=team.pk, stack=celery_stack, bootstrap=kafka_bootstrap,
                      create_topic=create_topic, unique_name=unique_name, studio_redis=studio_redis,
                      document=wordcount_document, seed=20261205) as drill:
        replica = drill.replica

        def heartbeat_expired() -> None:
            assert read_heartbeat(studio_redis, replica) is None, "the heartbeat should have expired during the outage"

        drill.run_outage(redis_proxy, OUTAGE_S, before_restore=heartbeat_expired)
        restored_at = time.monotonic()

        # -- Redis is back: the same replica beats again, and its metrics reach a dashboard --
        wait_for("the replica's heartbeat to come back",
                 lambda: ((b := read_heartbeat(studio_redis, replica)) is not None and b["state"] == "RUNNING", b),
                 METRICS_S, check=drill.alive)
        back_in = time.monotonic() - restored_at
        _, frames = async_to_sync(watch_deployment_socket)(drill.deployment_id, alice, {str(replica)}, METRICS_S)
        totals = frames[str(replica)]["metrics"]["totals"]
        assert totals["records-in"] >= len(drill.before) + len(drill.during), totals
        drill.finish()
        # The reconciler met the expired heartbeat and waited instead of replacing it,
        # unless the replica beat again before the reconciler's first run after the outage.
        waited = "has not been watched for a heartbeat TTL yet" in drill.worker.tail(2000)
    f = drill.figures
    print(f"\nRedis outage {f['outage']:.1f} s: the {len(drill.during)} lines sent during it were counted "
          f"{f['counted after the cut']:.1f} s after the cut (wait {f['wait for the counts']:.1f} s); heartbeat "
          f"back {back_in:.1f} s after the restore; the reconciler "
          f"{'held off burying the silent replica' if waited else 'found it beating'}; "
          f"proxy connections {redis_proxy.accepted}")
