from __future__ import annotations

import asyncio

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from studio.lib.devservices import Probe, probe_kafka, probe_redis
from studio.ops import services

# Each check answers within its own budget so that a dead service shows as a failed
# probe instead of a hung health check (load balancers time out too).
DATABASE_TIMEOUT = 3.0
REDIS_TIMEOUT = 1.0
KAFKA_TIMEOUT = 2.0


async def _bounded(awaitable: object, timeout: float, what: str) -> Probe:
    try:
        return await asyncio.wait_for(awaitable, timeout)  # type: ignore[arg-type]
    except asyncio.TimeoutError:
        return Probe(False, f"{what} did not answer within {timeout:.0f} s")


@never_cache
@login_not_required
@require_GET
async def healthz(request: HttpRequest) -> JsonResponse:
    database, redis, kafka = await asyncio.gather(
        # The request's own sync thread: Django manages that connection's life.
        _bounded(sync_to_async(services.probe_database)(), DATABASE_TIMEOUT, "the database"),
        asyncio.to_thread(probe_redis, services.redis_url(), REDIS_TIMEOUT),
        asyncio.to_thread(probe_kafka, services.kafka_bootstrap(), KAFKA_TIMEOUT),
    )
    body = {"database": database.as_dict(), "redis": redis.as_dict(), "kafka": kafka.as_dict()}
    ok = database.ok and redis.ok and kafka.ok
    body["ok"] = ok
    return JsonResponse(body, status=200 if ok else 503)
