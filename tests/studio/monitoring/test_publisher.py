from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import redis
from studio.monitoring import keys
from studio.monitoring.publisher import MetricsPublisher, publish_deployment
from tests.studio.monitoring.group_listener import GroupListener

pytestmark = pytest.mark.redis

SNAPSHOT = {"application_id": "wc", "timestamp": 1732500000000, "state": "RUNNING", "tasks": ["0_0"],
            "nodes": {}, "partitions": [], "samples": [], "errors": [],
            "totals": {"records-in": 3, "records-out": 8}}


def test_it_stores_the_latest_snapshot_and_relays_it(studio_redis: redis.Redis,
                                                     listen: Callable[[str], GroupListener]) -> None:
    listener = listen(keys.group(7))
    MetricsPublisher(deployment_id=7, replica_id=3)(SNAPSHOT)
    key = keys.metrics(7, 3)
    assert json.loads(studio_redis.get(key)) == SNAPSHOT
    assert 0 < studio_redis.ttl(key) <= keys.METRICS_TTL_S
    message = listener.receive()
    # the frame travels encoded, once for every socket of the deployment
    assert (message["type"], message["replica"]) == ("metrics.update", "3")
    assert json.loads(message["text"]) == {"type": "metrics", "replica": "3", "metrics": SNAPSHOT}


def test_deployment_changes_go_to_the_group(studio_redis: redis.Redis,
                                            listen: Callable[[str], GroupListener]) -> None:
    listener = listen(keys.group(8))
    publish_deployment(8, {"id": 8, "observed_state": "running"})
    assert listener.receive() == {
        "type": "deployment.update", "deployment": {"id": 8, "observed_state": "running"},
    }


def test_a_redis_outage_costs_a_frame_not_the_engine_thread(settings: Any, studio_redis: redis.Redis) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
                                           "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}
    MetricsPublisher(deployment_id=9, replica_id=1)(SNAPSHOT)  # must not raise
