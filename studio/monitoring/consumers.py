"""Live views of deployments over websockets.

`/ws/deployments/<id>/` (DeploymentConsumer), one deployment. Server to client, JSON
frames with a "type" (docs/internals.md, "Websocket"):

- "snapshot", on connect: ``deployment``, ``metrics`` (replica -> latest snapshot),
  ``samples`` (node -> latest few samples, newest first), ``errors`` (latest record
  errors, newest first) and ``status`` (replica -> latest status change);
- "metrics": ``replica``, ``metrics``, once a second per replica;
- "deployment": ``deployment``, when its state changes;
- "records": ``replica``, ``samples`` and ``errors``, what one replica gathered in about
  half a second (studio.monitoring.samples.LiveFeed), oldest first. A sample = {replica,
  node, task, topic, partition, offset, timestamp, key, value, truncated, headers}: a
  record as the node passed it on (a few per second per node); topic/partition/offset
  are the input record's, null in a punctuation. An error = {replica, node, task, topic,
  partition, offset, timestamp, key, value, truncated, kind, type, message, decision,
  dead_letter_topic, at}: a record an exception handler decided on (decision
  "continued", "dlq" or "failed"); key and value are the raw source record's;
- "sample" and "error", one ``sample`` or ``error`` each: what replicas of the previous
  release send instead of "records";
- "operation": ``operation`` (as GET .../operations/{id}/), when a reset or discard of
  the deployment is asked for, starts and ends (pending, running, done or failed);
- "status": ``status`` = {replica, scope ("app" or "replica"), state, previous, reason,
  at, dropped}: an app state change (REBALANCING, RUNNING, ERROR, ...) or the replica's
  end ("stopped", "failed"); ``dropped`` counts frames the replica could not relay.

Keys and values are JSON renderings capped at 4 KB (studio.monitoring.samples); a
``truncated`` list names the ones cut.

`/ws/deployments/` (FeedConsumer), every deployment the user may see. Server to client:
`{"type": "snapshot", "deployments": [{"deployment", "summary"}]}` on connect, then
`{"type": "deployment", "deployment"}` when one changes state and, every
`RIFFLE_FEED_SUMMARY_INTERVAL_S`, `{"type": "summary", "summaries": {id: summary}}` where
summary = `{input_rate, total_lag, errors, replicas}` from the replicas' latest metrics
(null where no replica reports).

Close codes: 4401 not logged in, 4404 no such deployment. The socket is accepted before
refusing so that the browser sees the code.

Back-pressure: handlers never wait for the client. Frames go to an `Outbox` that keeps,
per key, only the latest frames not yet sent (the latest metrics per replica, the latest
state per deployment, the latest RECORD_FRAMES_KEPT "records" frames per replica), so a
slow client gets recent frames when it resumes and never a backlog; meanwhile the
consumer keeps draining its channel (the pub/sub layer's in-process queue), so that
queue stays short and no other socket waits for this one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from studio.monitoring import history, keys
from studio.monitoring.access import (
    accept_signed_in,
    deployment_for,
    feed_groups,
    visible_deployments,
)
from studio.monitoring.connections import async_redis
from studio.monitoring.samples import latest_samples

logger = logging.getLogger(__name__)

CLOSE_NOT_FOUND = 4404
#: "records" frames of one replica a slow socket keeps (about 5 s of them)
RECORD_FRAMES_KEPT = 10


Frame = dict[str, Any] | str  # a str is a frame encoded already (one encoding for all sockets)


class Outbox:
    """Frames waiting for a websocket, the latest `keep` per key, sent by one task in
    order of their key's last update (a key's frames in the order offered); `offer`
    never waits."""

    def __init__(self, send: Callable[[Frame], Awaitable[None]]) -> None:
        self._send = send
        self._pending: dict[str, deque[Frame]] = {}
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._run())
        self.superseded = 0  # frames replaced before they could be sent

    def offer(self, key: str, frame: Frame, keep: int = 1) -> None:
        frames = self._pending.pop(key, None) or deque(maxlen=keep)
        if len(frames) == frames.maxlen:
            self.superseded += 1
        frames.append(frame)
        self._pending[key] = frames
        self._wake.set()

    async def close(self) -> None:
        self._task.cancel()
        # A send that failed (the client went away) ended the task already: nothing to add.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self._task

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                key = next(iter(self._pending))
                frames = self._pending[key]
                frame = frames.popleft()
                if not frames:
                    del self._pending[key]
                await self._send(frame)


class RelayConsumer(AsyncJsonWebsocketConsumer):
    """A websocket that relays its groups' messages to an outbox.

    Channels closes stale database connections before every handler it dispatches, by a
    hop to a worker thread and back. The handlers named in RELAYS only offer a frame to
    the outbox and never touch the database, so they skip it: with 200 dashboards on one
    deployment that hop, once per frame and socket, was over half of the web process's
    CPU (py-spy during tests/studio/ops/test_load.py). Connect, receive and disconnect,
    which read the database, keep it.
    """

    RELAYS: frozenset[str] = frozenset()

    async def dispatch(self, message: dict[str, Any]) -> None:
        if message.get("type") in self.RELAYS:
            await getattr(self, get_handler_name(message))(message)
        else:
            await super().dispatch(message)


class DeploymentConsumer(RelayConsumer):
    RELAYS = frozenset({"metrics.update", "deployment.update", "records.batch", "sample.record", "error.record",
                        "operation.update", "status.update"})
    group: str | None = None
    outbox: Outbox | None = None

    async def connect(self) -> None:
        user = await accept_signed_in(self)
        if user is None:
            return
        deployment_id = int(self.scope["url_route"]["kwargs"]["deployment_id"])
        deployment = await load_deployment(user, deployment_id)
        if deployment is None:
            await self.close(code=CLOSE_NOT_FOUND)
            return
        # Join before reading the snapshot, so no update falls between the two: the row
        # read above decided access; the one sent is read after joining.
        self.group = keys.group(deployment_id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send_json({
            "type": "snapshot",
            "deployment": await load_deployment(user, deployment_id) or deployment,
            "metrics": await latest_metrics(deployment_id),
            **await latest_samples(deployment_id),
        })
        self.outbox = Outbox(self.send_frame)

    async def send_frame(self, frame: Frame) -> None:
        if isinstance(frame, str):
            await self.send(text_data=frame)
        else:
            await self.send_json(frame)

    async def disconnect(self, code: int) -> None:
        if self.group is not None:
            await self.channel_layer.group_discard(self.group, self.channel_name)
        if self.outbox is not None:
            await self.outbox.close()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # The feed is one-way; clients have nothing to say yet.
        return None

    # Replicas send their frames encoded ("text"); the dict forms are what replicas of the
    # previous release send, still running while a new web process takes over.
    async def metrics_update(self, event: dict[str, Any]) -> None:
        if self.outbox is not None:
            self.outbox.offer(f"metrics:{event['replica']}", event.get("text") or
                              {"type": "metrics", "replica": event["replica"], "metrics": event["metrics"]})

    async def deployment_update(self, event: dict[str, Any]) -> None:
        if self.outbox is not None:
            self.outbox.offer("deployment", {"type": "deployment", "deployment": event["deployment"]})

    # Live records: a slow client gets the latest RECORD_FRAMES_KEPT "records" frames per
    # replica (a previous release's replica: the latest sample and error per node), and
    # the latest status per replica (GET .../samples/ and .../errors/ have the lists).
    async def records_batch(self, event: dict[str, Any]) -> None:
        if self.outbox is not None:
            self.outbox.offer(f"records:{event['replica']}", event["text"], keep=RECORD_FRAMES_KEPT)

    async def sample_record(self, event: dict[str, Any]) -> None:
        sample = event["sample"]
        if self.outbox is not None:
            self.outbox.offer(f"sample:{sample.get('replica')}:{sample.get('node')}",
                              event.get("text") or {"type": "sample", "sample": sample})

    async def error_record(self, event: dict[str, Any]) -> None:
        error = event["error"]
        if self.outbox is not None:
            self.outbox.offer(f"error:{error.get('replica')}:{error.get('node')}",
                              event.get("text") or {"type": "error", "error": error})

    async def operation_update(self, event: dict[str, Any]) -> None:
        operation = event["operation"]
        if self.outbox is not None:
            self.outbox.offer(f"operation:{operation.get('id')}", {"type": "operation", "operation": operation})

    async def status_update(self, event: dict[str, Any]) -> None:
        status = event["status"]
        if self.outbox is not None:
            self.outbox.offer(f"status:{status.get('replica')}", event.get("text") or {"type": "status", "status": status})


class FeedConsumer(RelayConsumer):
    RELAYS = frozenset({"feed.deployment"})
    groups_joined: tuple[str, ...] = ()
    outbox: Outbox | None = None
    ticker: asyncio.Task[None] | None = None

    async def connect(self) -> None:
        user = await accept_signed_in(self)
        if user is None:
            return
        self.groups_joined = tuple(await database_sync_to_async(feed_groups)(user))
        for group in self.groups_joined:
            await self.channel_layer.group_add(group, self.channel_name)
        deployments = await load_visible_deployments(user)
        self.deployment_ids = {d["id"] for d in deployments}
        summaries = await latest_summaries(self.deployment_ids)
        await self.send_json({
            "type": "snapshot",
            "deployments": [{"deployment": d, "summary": summaries[d["id"]]} for d in deployments],
        })
        self.outbox = Outbox(self.send_json)
        self.ticker = asyncio.create_task(self._summaries())

    async def disconnect(self, code: int) -> None:
        for group in self.groups_joined:
            await self.channel_layer.group_discard(group, self.channel_name)
        if self.ticker is not None:
            self.ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.ticker
        if self.outbox is not None:
            await self.outbox.close()

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        return None

    async def feed_deployment(self, event: dict[str, Any]) -> None:
        deployment = event["deployment"]
        self.deployment_ids.add(deployment["id"])
        if self.outbox is not None:
            self.outbox.offer(f"deployment:{deployment['id']}", {"type": "deployment", "deployment": deployment})

    async def _summaries(self) -> None:
        while True:
            await asyncio.sleep(float(settings.RIFFLE_FEED_SUMMARY_INTERVAL_S))
            summaries = await latest_summaries(self.deployment_ids)
            if self.outbox is not None:
                self.outbox.offer("summary", {"type": "summary",
                                              "summaries": {str(k): v for k, v in sorted(summaries.items())}})


@database_sync_to_async
def load_deployment(user: Any, deployment_id: int) -> dict[str, Any] | None:
    deployment = deployment_for(user, deployment_id)
    return dict(deployment.to_dict()) if deployment is not None else None


@database_sync_to_async
def load_visible_deployments(user: Any) -> list[dict[str, Any]]:
    return [dict(d.to_dict()) for d in visible_deployments(user).order_by("id")]


async def latest_metrics(deployment_id: int) -> dict[str, Any]:
    """The latest snapshot of every replica that reported within the metrics TTL."""
    found = await _latest(keys.metrics_pattern(deployment_id))
    return {replica: snapshot for (_d, replica), snapshot in found.items()}


async def latest_summaries(deployment_ids: set[int]) -> dict[int, dict[str, Any]]:
    """summary (history.summary_of) of each deployment from its replicas' latest metrics."""
    found = await _latest(keys.metrics_pattern("*"))
    by_deployment: dict[int, list[dict[str, Any]]] = {i: [] for i in deployment_ids}
    for (deployment, _replica), snapshot in found.items():
        if deployment.isdigit() and int(deployment) in by_deployment:
            by_deployment[int(deployment)].append(snapshot)
    return {i: history.summary_of(snapshots) for i, snapshots in by_deployment.items()}


async def _latest(pattern: str) -> dict[tuple[str, str], Any]:
    client = async_redis()
    try:
        names = [name async for name in client.scan_iter(match=pattern, count=1000)]
        values = await client.mget(names) if names else []
    except Exception:
        logger.warning("cannot read metrics (%s) from Redis", pattern, exc_info=True)
        return {}
    finally:
        await client.aclose()
    found: dict[tuple[str, str], Any] = {}
    for name, value in zip(names, values):
        if value is not None:
            found[keys.metrics_key_parts(name)] = json.loads(value)
    return found
