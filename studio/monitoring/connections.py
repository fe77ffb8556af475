"""Redis clients for the studio's own keys (not the channel layer's, not Celery's)."""

from __future__ import annotations

import functools

import redis
import redis.asyncio
from django.conf import settings


def sync_redis() -> redis.Redis:
    return _sync_client(settings.REDIS_URL)


def async_redis() -> redis.asyncio.Redis:
    # An asyncio client is bound to the event loop it first runs on; make one per use.
    return redis.asyncio.Redis.from_url(settings.REDIS_URL, decode_responses=True)


@functools.lru_cache(maxsize=4)
def _sync_client(url: str) -> redis.Redis:
    # Short timeouts: a Redis outage must surface as an error within seconds, never
    # stall a replica's heartbeat loop or a metrics callback on an engine thread.
    return redis.Redis.from_url(
        url, decode_responses=True, socket_timeout=3, socket_connect_timeout=3,
        health_check_interval=30,
    )
