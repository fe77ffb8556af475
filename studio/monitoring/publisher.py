"""Push what replicas observe to Redis and to the deployment's websocket group.

Everything here is fire-and-forget: a Redis hiccup or a full channel costs a metrics
frame, never a stalled engine thread or a failed replica.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from studio.monitoring import history, keys
from studio.monitoring.access import feed_groups_of
from studio.monitoring.connections import sync_redis

logger = logging.getLogger(__name__)

_WARN_EVERY_S = 30.0


class MetricsPublisher:
    """The `on_metrics` callback of one replica's StreamsApp.

    Stores each snapshot as the replica's latest (`keys.metrics`, TTL 30 s), adds a point
    to the deployment's history when a history step has passed since the last one (by the
    snapshots' own timestamps), and relays it to websocket clients of the deployment.
    Called from an engine thread once a second.
    """

    def __init__(self, deployment_id: int, replica_id: int) -> None:
        self.deployment_id = deployment_id
        self.replica_id = replica_id
        self.latest: dict[str, Any] | None = None
        self._last_warning = 0.0
        self._last_history_ms: int | None = None

    def __call__(self, snapshot: dict[str, Any]) -> None:
        self.latest = snapshot
        try:
            sync_redis().set(
                keys.metrics(self.deployment_id, self.replica_id),
                json.dumps(snapshot),
                ex=keys.METRICS_TTL_S,
            )
        except Exception as exc:
            self._warn("cannot store metrics in Redis: %s", exc)
        self._write_history(snapshot)
        replica = str(self.replica_id)
        try:
            # The frame goes out encoded: every dashboard socket of the deployment sends
            # these bytes as they are, rather than each decoding and re-encoding the
            # whole snapshot (the load suite's finding: 200 sockets, 1 core).
            group_send(keys.group(self.deployment_id), {
                "type": "metrics.update", "replica": replica,
                "text": json.dumps({"type": "metrics", "replica": replica, "metrics": snapshot}),
            })
        except Exception as exc:
            self._warn("cannot relay metrics to websocket clients: %s", exc)

    def _write_history(self, snapshot: dict[str, Any]) -> None:
        t = int(snapshot.get("timestamp") or 0)
        last = self._last_history_ms
        if last is not None and last <= t < last + history.step_s() * 1000:
            return
        self._last_history_ms = t  # a failed write waits for the next step too
        try:
            history.write(self.deployment_id, self.replica_id, snapshot)
        except Exception as exc:
            self._warn("cannot add to the metrics history in Redis: %s", exc)

    def _warn(self, message: str, exc: Exception) -> None:
        # Once a second for every replica would drown the log during an outage.
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_S:
            self._last_warning = now
            logger.warning("deployment %s replica %s: " + message,
                           self.deployment_id, self.replica_id, exc)


def publish_deployment(deployment_id: int, deployment: dict[str, Any]) -> None:
    """Tell websocket clients that the deployment's state changed (best effort): its own
    socket's group and the deployments feed's groups that may see it."""
    try:
        group_send(keys.group(deployment_id), {"type": "deployment.update", "deployment": deployment})
        for group in feed_groups_of(dict(deployment)):
            group_send(group, {"type": "feed.deployment", "deployment": deployment})
    except Exception:
        logger.warning("cannot broadcast deployment %s", deployment_id, exc_info=True)


def publish_operation(deployment_id: int, operation: dict[str, Any]) -> None:
    """Tell the deployment's websocket clients how a reset or discard is going (best
    effort; the operations endpoint has the same state)."""
    try:
        group_send(keys.group(deployment_id), {"type": "operation.update", "operation": operation})
    except Exception:
        logger.warning("cannot broadcast operation %s", operation.get("id"), exc_info=True)


def group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    async_to_sync(layer.group_send)(group, message)
