"""Live view of one deployment over a websocket.

Server to client, JSON frames with a "type" (docs/internals.md, "Websocket protocol"):

- "snapshot", on connect: ``deployment``, ``metrics`` (replica -> latest snapshot),
  ``samples`` (node -> latest few samples, newest first), ``errors`` (latest record
  errors, newest first) and ``status`` (replica -> latest status change);
- "metrics": ``replica``, ``metrics``, once a second per replica;
- "deployment": ``deployment``, when its state changes;
- "sample": ``sample`` = {replica, node, task, topic, partition, offset, timestamp, key,
  value, truncated, headers}: a record as the node passed it on (a few per second per
  node); topic/partition/offset are the input record's, null in a punctuation;
- "error": ``error`` = {replica, node, task, topic, partition, offset, timestamp, key,
  value, truncated, kind, type, message, decision, dead_letter_topic, at}: a record an
  exception handler decided on (decision "continued", "dlq" or "failed"); key and value
  are the raw source record's;
- "status": ``status`` = {replica, scope ("app" or "replica"), state, previous, reason,
  at, dropped}: an app state change (REBALANCING, RUNNING, ERROR, ...) or the replica's
  end ("stopped", "failed"); ``dropped`` counts frames the replica could not relay.

Keys and values are JSON renderings capped at 4 KB (studio.monitoring.samples); a
``truncated`` list names the ones cut. Close codes: 4401 not logged in, 4404 no such
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
from studio.monitoring.samples import latest_samples

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
            **await latest_samples(deployment_id),
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

    async def sample_record(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "sample", "sample": event["sample"]})

    async def error_record(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "error", "error": event["error"]})

    async def status_update(self, event: dict[str, Any]) -> None:
        await self.send_json({"type": "status", "status": event["status"]})


@database_sync_to_async
def load_deployment(deployment_id: int) -> dict[str, Any] | None:
    deployment = Deployment.objects.select_related("version").filter(pk=deployment_id).first()
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
