"""Live view of one deployment over a websocket.

Server to client: a "snapshot" on connect, then "metrics" (per replica, once a second)
and "deployment" (state changes). Close codes: 4401 not logged in, 4404 no such
deployment. The socket is accepted before refusing so that the browser sees the code.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from studio.deployments.models import Deployment
from studio.monitoring import keys
from studio.monitoring.connections import async_redis

logger = logging.getLogger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_FOUND = 4404


class DeploymentConsumer(AsyncJsonWebsocketConsumer):
    group: str | None = None

    async def connect(self) -> None:
        await self.accept()
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        deployment_id = int(self.scope["url_route"]["kwargs"]["deployment_id"])
        deployment = await load_deployment(deployment_id)
        if deployment is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        # Join before reading the snapshot, so no update falls between the two.
        self.group = keys.group(deployment_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({
            "type": "snapshot",
            "deployment": deployment,
            "metrics": await latest_metrics(deployment_id),
        })

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The feed is one-way; clients have nothing to say yet.
        return None

    async def metrics_update(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "metrics", "replica": event["replica"], "metrics": event["metrics"]})

    async def deployment_update(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "deployment", "deployment": event["deployment"]})


@database_sync_to_async
def load_deployment(deployment_id: int) -> dict[str, Any] | None:
    deployment = Deployment.objects.select_related("version", "connection").filter(pk=deployment_id).first()
    return dict(deployment.to_dict()) if deployment is not None else None


async def latest_metrics(deployment_id: int) -> dict[str, Any]:
    """The latest snapshot of every replica that reported within the metrics TTL."""
    client = async_redis()
    try:
        names = [name async for name in client.scan_iter(match=keys.metrics_pattern(deployment_id))]
        values = await client.mget(names) if names else []
    except Exception:
        logger.warning("cannot read metrics of deployment %s from Redis", deployment_id, exc_info=True)
        return {}
    finally:
        await client.aclose()
    found: dict[str, Any] = {}
    for name, value in zip(names, values):
        if value is not None:
            found[keys.replica_of_metrics_key(name)] = json.loads(value)
    return found
