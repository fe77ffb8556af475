"""A deployment whose Kafka cluster becomes unreachable says so on the dashboard, does
not crash-loop, and resumes when the cluster is back, losing nothing (issue 8).

Word count runs in a real Celery worker, with beat, on a private development broker
whose advertised address is a TcpProxy: every connection of the replica goes through
it. The test cuts the proxy for RIFFLE_OUTAGE_S seconds (10; `make test-reliability`:
30), as a network partition would, while the broker keeps its data. Meanwhile the
replica's metrics (stored in Redis and relayed to the dashboard's websocket) must say
"broker unreachable" with the error; the worker, beat and the same replica must still
be there at the end of the outage (no restart loop), and afterwards the counts of the
lines sent before and after it must be exact.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis
from asgiref.sync import async_to_sync
from confluent_kafka.admin import AdminClient, NewTopic
from django.contrib.auth.models import User
from django.test import Client

from studio.deployments.models import Replica
from studio.monitoring import keys
from studio.workspaces.models import Workspace
from tests.studio.helpers import with_topics
from tests.studio.integration.stack import (
    CeleryStack,
    CountsReader,
    deploy,
    deployment_running,
    make_lines,
    produce,
    stop_deployment,
    truth,
    wait_for,
    watch_deployment_socket,
)
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.reliability, pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow,
              pytest.mark.django_db(transaction=True), pytest.mark.timeout(600)]

OUTAGE_S = float(os.environ.get("RIFFLE_OUTAGE_S", "10"))
LINES_PER_BATCH = 1000
RUNNING_S = 90.0
COUNTS_S = 90.0
REPORTED_S = 20.0


def test_a_broker_outage_is_reported_and_the_deployment_resumes(
    api: Client, alice: User, team: Workspace, celery_stack: CeleryStack,
    proxied_broker: tuple[str, TcpProxy], unique_name: Callable[[str], str], studio_redis: redis.Redis,
    wordcount_document: dict[str, Any],
) -> None:
    bootstrap, proxy = proxied_broker
    stack = celery_stack
    lines_topic, counts_topic = unique_name("lines"), unique_name("counts")
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(t, num_partitions=2, replication_factor=1)
                                       for t in (lines_topic, counts_topic)]).values():
        future.result(timeout=15)
    rng = random.Random(20261206)
    before, after = make_lines(rng, LINES_PER_BATCH), make_lines(rng, LINES_PER_BATCH)

    worker = stack.start_worker("worker", 2)
    beat = stack.start_beat()
    stack.wait_worker_ready(worker)
    alive = lambda: stack.check_alive(worker, beat)  # noqa: E731
    deployment_id = deploy(api, team.pk, with_topics(wordcount_document, lines_topic, counts_topic),
                           name=unique_name("wc"), bootstrap=bootstrap, application_id=unique_name("wc-broker-outage"))

    def broker_view(replica: int) -> tuple[bool, Any]:
        raw = studio_redis.get(keys.metrics(deployment_id, replica))
        return raw is not None, (json.loads(raw).get("broker") if raw else None)

    reader = CountsReader(bootstrap, counts_topic, unique_name("counts-reader"))
    try:
        wait_for("the deployment to run", deployment_running(deployment_id), RUNNING_S, check=alive)
        [replica] = Replica.objects.filter(deployment_id=deployment_id, state="running").values_list("pk", flat=True)
        produce(bootstrap, lines_topic, before, 0)
        wait_for("the counts of the lines before the outage", reader.equals(truth(before)), COUNTS_S,
                 interval=0, check=alive)
        wait_for("the replica's metrics to say the broker is reachable",
                 lambda: ((v := broker_view(replica)[1]) is not None and v["reachable"] is True, v), REPORTED_S,
                 check=alive)

        # -- the cluster becomes unreachable for the replica (and for this test) --
        proxy.cut()
        cut_at = time.monotonic()
        _, down = wait_for("the replica's metrics to say the broker is unreachable",
                           lambda: ((v := broker_view(replica)[1]) is not None and v["reachable"] is False, v),
                           REPORTED_S, check=alive)
        reported_in = time.monotonic() - cut_at
        assert down["detail"], down
        # What a dashboard receives: the relayed metrics frame says it too.
        _, frames = async_to_sync(watch_deployment_socket)(deployment_id, alice, {str(replica)}, REPORTED_S)
        assert frames[str(replica)]["metrics"]["broker"]["reachable"] is False, frames
        remaining = OUTAGE_S - (time.monotonic() - cut_at)
        if remaining > 0:
            time.sleep(remaining)
        stack.check_alive(worker, beat)
        rows = dict(Replica.objects.filter(deployment_id=deployment_id).values_list("pk", "state"))
        assert rows == {replica: "running"}, f"the replica should wait out the outage, not be replaced: {rows}"
        proxy.restore()
        outage = time.monotonic() - cut_at

        # -- back: the report clears, the same replica counts on --
        back_in, _ = wait_for("the replica's metrics to say the broker is reachable again",
                              lambda: ((v := broker_view(replica)[1]) is not None and v["reachable"] is True, v),
                              60, check=alive)
        produce(bootstrap, lines_topic, after, len(before))
        wait_for("the counts of every line after the outage", reader.equals(truth(before + after)), COUNTS_S,
                 interval=0, check=alive)
        rows = dict(Replica.objects.filter(deployment_id=deployment_id).values_list("pk", "state"))
        assert rows == {replica: "running"}, f"the replica should have run through the outage: {rows}"
    finally:
        reader.close()
        stop_deployment(api, deployment_id)
    print(f"\nbroker outage {outage:.1f} s: reported unreachable {reported_in:.1f} s after the cut "
          f"({down['detail']!r}); reachable again {back_in:.1f} s after the restore; the same replica ran "
          f"throughout; proxy connections {proxy.accepted}")
