"""A web process cut off from Redis gets its sockets' frames again when Redis is back,
without the sockets reconnecting: the pub/sub channel layer resubscribes them."""

from __future__ import annotations

import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import redis

from studio.monitoring import keys
from studio.monitoring.publisher import MetricsPublisher
from tests.studio.monitoring.group_listener import GroupListener
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.redis


def test_a_subscribed_socket_gets_frames_again_after_a_redis_outage(
    settings: Any, studio_redis: redis.Redis, redis_url: str, key_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    target = urlsplit(redis_url)
    proxy = TcpProxy(target.hostname or "127.0.0.1", target.port or 6379)
    settings.CHANNEL_LAYERS = {"default": {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [f"redis://{proxy.address}{target.path}"], "prefix": f"{key_prefix}:asgi"},
    }}
    publisher = MetricsPublisher(deployment_id=31, replica_id=1)
    listener = GroupListener(keys.group(31))
    try:
        publisher({"timestamp": 1, "seq": 1})
        assert _seq(listener.receive()) == 1

        with proxy.outage(), caplog.at_level(logging.ERROR, logger="channels_redis.pubsub"):
            publisher({"timestamp": 2, "seq": 2})   # lost with the connection; must not raise
            time.sleep(4)
        # The layer's receive loop fails once a second meanwhile; the settings' throttle
        # lets one of those tracebacks through a minute.
        assert len([r for r in caplog.records if r.name == "channels_redis.pubsub"]) <= 1, caplog.text[-2000:]

        # The listener's subscription comes back by itself; the first publish after the
        # cut may still meet a dead pooled connection, so keep publishing a while.
        deadline, seen = time.monotonic() + 20, None
        while seen != 3 and time.monotonic() < deadline:
            publisher({"timestamp": 3, "seq": 3})
            try:
                seen = _seq(listener.receive(timeout=1))
            except TimeoutError:
                continue
        assert seen == 3, "no frame reached the subscribed channel after Redis came back"
    finally:
        listener.close()
        proxy.close()


def _seq(message: dict[str, Any]) -> int:
    return int(json.loads(message["text"])["metrics"]["seq"])
