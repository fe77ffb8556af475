from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from studio.monitoring import keys
from studio.monitoring.publisher import MetricsPublisher, publish_deployment

pytestmark = pytest.mark.redis

SNAPSHOT = {"application_id": "wc", "timestamp": 1732500000000, "state": "RUNNING", "tasks": ["0_0"],
            "nodes": {}, "partitions": [], "samples": [], "errors": [],
            "totals": {"records-in": 3, "records-out": 8}}


def listen(group: str) -> tuple[Any, str]:
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group, channel)
    return layer, channel


def test_it_stores_the_latest_snapshot_and_relays_it(studio_redis: redis.Redis) -> None:
    layer, channel = listen(keys.group(7))
    MetricsPublisher(deployment_id=7, replica_id=3)(SNAPSHOT)
    key = keys.metrics(7, 3)
    assert json.loads(studio_redis.get(key)) == SNAPSHOT
    assert 0 < studio_redis.ttl(key) <= keys.METRICS_TTL_S
    message = async_to_sync(layer.receive)(channel)
    assert message == {"type": "metrics.update", "replica": "3", "metrics": SNAPSHOT}


def test_deployment_changes_go_to_the_group(studio_redis: redis.Redis) -> None:
    layer, channel = listen(keys.group(8))
    publish_deployment(8, {"id": 8, "observed_state": "running"})
    assert async_to_sync(layer.receive)(channel) == {
        "type": "deployment.update", "deployment": {"id": 8, "observed_state": "running"},
    }


def test_a_redis_outage_costs_a_frame_not_the_engine_thread(settings: Any, studio_redis: redis.Redis) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                           "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}
    MetricsPublisher(deployment_id=9, replica_id=1)(SNAPSHOT)  # must not raise
