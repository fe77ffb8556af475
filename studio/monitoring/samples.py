"""Relay a replica's record samples, record errors and status changes to Redis and to
the deployment's websocket group (docs/internals.md, "Live records").

:class:`LiveFeed` is the ``on_sample``/``on_error``/state-listener side of one replica's
StreamsApp. The engine calls it on its stream threads, so it only converts the record
to JSON (:func:`to_json_safe`, capped) and queues the frame; a thread of its own writes
Redis and sends to the Channels group. When that thread falls behind (a slow Redis or
channel layer), the queue fills and new frames are dropped and counted
(``LiveFeed.dropped``): the engine thread never waits.

The thread gathers what arrives within half a second and relays the samples and errors
among it as one "records" frame: at the default two samples per second per node, a word
count's nine processors made 18 frames a second for every open dashboard, and relaying
them was most of the web processes' CPU under the load suite (200 dashboards on
PostgreSQL, 150 s: HTTP p99 567 ms and fan-out p99 12 s; 63 ms and 116 ms with sampling
off; 97 ms and 133 ms with sampling on, relayed in "records" frames).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import math
import queue
import threading
import time
from collections.abc import Mapping
from typing import Any, TypedDict

from channels.layers import get_channel_layer

from studio.monitoring import keys
from studio.monitoring.connections import async_redis, sync_redis

__all__ = ["MAX_PREVIEW_BYTES", "LiveFeed", "RecordErrorDict", "SampleDict", "latest_samples", "read_errors", "read_samples",
           "read_status", "to_json_safe"]

logger = logging.getLogger(__name__)

#: a key or value whose JSON is longer than this is cut to a string preview of it
MAX_PREVIEW_BYTES = 4096
_MAX_ITEMS = 100
_MAX_DEPTH = 8
_QUEUE_SIZE = 1000
_SEND_TIMEOUT_S = 2.0
#: how long the relay thread gathers frames before it relays them (see the module doc)
LINGER_S = 0.5
_BATCH_MAX = 200
_WARN_EVERY_S = 30.0


class SampleDict(TypedDict):
    """A sample of a "records" frame (and an item of GET /api/deployments/<id>/samples/)."""

    replica: str
    node: str
    task: str
    topic: str | None
    partition: int | None
    offset: int | None
    timestamp: int
    key: Any
    value: Any
    truncated: list[str]
    headers: list[list[Any]]


class RecordErrorDict(TypedDict):
    """A record error of a "records" frame (and an item of GET /api/deployments/<id>/errors/)."""

    replica: str
    node: str | None
    task: str | None
    topic: str | None
    partition: int | None
    offset: int | None
    timestamp: int | None
    key: Any
    value: Any
    truncated: list[str]
    kind: str
    type: str
    message: str
    decision: str
    dead_letter_topic: str | None
    at: int


def to_json_safe(value: Any, max_bytes: int = MAX_PREVIEW_BYTES) -> tuple[Any, bool]:
    """``(rendering, truncated)``: ``value`` as JSON-encodable data for the dashboard.

    Bytes become text when they are UTF-8, else ``"base64:..."``; mappings, sequences and
    sets become objects and lists (at most 100 items each, 8 levels deep); windowed keys
    ``{"key", "window": {"start", "end"}}``; named tuples (``ValueAndTimestamp``, table
    ``Change``) objects of their fields; non-finite floats and other objects their
    ``str()``. When the JSON text of the result is longer than ``max_bytes`` (UTF-8), or
    anything was left out, ``truncated`` is True; a too long result is replaced by the
    first ``max_bytes`` bytes of its JSON text, as a string.
    """
    cut = [False]
    rendered = _render(value, 0, cut)
    text = json.dumps(rendered, ensure_ascii=False, separators=(",", ":"))
    encoded = text.encode("utf-8")
    if len(encoded) > max_bytes:
        return encoded[:max_bytes].decode("utf-8", "ignore"), True
    return rendered, cut[0]


def _render(value: Any, depth: int, cut: list[bool]) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(raw).decode("ascii")
    if depth >= _MAX_DEPTH:
        cut[0] = True
        return str(value)
    window = getattr(value, "window", None)
    if window is not None and hasattr(value, "key") and hasattr(window, "start"):
        return {"key": _render(value.key, depth + 1, cut),
                "window": {"start": window.start, "end": getattr(window, "end", None)}}
    as_dict = getattr(value, "_asdict", None)
    if isinstance(value, tuple) and callable(as_dict):
        value = as_dict()
    if isinstance(value, Mapping):
        items = list(value.items())
        if len(items) > _MAX_ITEMS:
            cut[0] = True
        return {str(k): _render(v, depth + 1, cut) for k, v in items[:_MAX_ITEMS]}
    if isinstance(value, (list, tuple, set, frozenset)):
        seq = list(value)
        if len(seq) > _MAX_ITEMS:
            cut[0] = True
        return [_render(v, depth + 1, cut) for v in seq[:_MAX_ITEMS]]
    return str(value)


def _record_fields(record: Mapping[str, Any]) -> dict[str, Any]:
    key, key_cut = to_json_safe(record.get("key"))
    value, value_cut = to_json_safe(record.get("value"))
    truncated = [name for name, was_cut in (("key", key_cut), ("value", value_cut)) if was_cut]
    return {"key": key, "value": value, "truncated": truncated}


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class LiveFeed:
    """Samples, errors and status changes of one replica, relayed without blocking.

    Call :meth:`start` before the app starts and :meth:`close` after it closed.
    """

    def __init__(self, deployment_id: int, replica_id: int, *, queue_size: int = _QUEUE_SIZE,
                 linger_s: float = LINGER_S) -> None:
        self.deployment_id = deployment_id
        self.replica_id = str(replica_id)
        self.linger_s = linger_s
        self.dropped = 0
        self.sent = 0
        self._queue: queue.Queue[tuple[str, dict[str, Any]] | None] = queue.Queue(maxsize=queue_size)
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"live-feed-{deployment_id}-{replica_id}")
        self._last_warning = 0.0

    # -- engine side (stream threads) ---------------------------------------------------
    def on_sample(self, sample: Mapping[str, Any]) -> None:
        frame = {"replica": self.replica_id, "node": sample.get("node"), "task": sample.get("task"),
                 "topic": sample.get("topic"), "partition": sample.get("partition"),
                 "offset": sample.get("offset"), "timestamp": sample.get("timestamp"),
                 **_record_fields(sample),
                 "headers": [[str(k), to_json_safe(v, 256)[0]] for k, v in sample.get("headers") or ()]}
        self._offer("sample", frame)

    def on_error(self, error: Mapping[str, Any]) -> None:
        frame = {"replica": self.replica_id, "node": error.get("node"), "task": error.get("task"),
                 "topic": error.get("topic"), "partition": error.get("partition"),
                 "offset": error.get("offset"), "timestamp": error.get("timestamp"),
                 **_record_fields(error),
                 "kind": error.get("kind"), "type": error.get("type"),
                 "message": str(error.get("message") or "")[:MAX_PREVIEW_BYTES],
                 "decision": error.get("decision"),
                 "dead_letter_topic": error.get("dead_letter_topic"), "at": _now_ms()}
        self._offer("error", frame)

    def on_state(self, new: str, old: str | None, reason: str | None = None, *, scope: str = "app") -> None:
        """An app state change (StreamsApp's state listener) or, ``scope="replica"``, the
        replica's end (``stopped``/``failed``)."""
        frame = {"replica": self.replica_id, "scope": scope, "state": new, "previous": old,
                 "reason": reason, "at": _now_ms(), "dropped": self.dropped}
        self._offer("status", frame)

    def _offer(self, kind: str, frame: dict[str, Any]) -> None:
        try:
            self._queue.put_nowait((kind, frame))
        except queue.Full:
            self.dropped += 1
            self._warn("live feed queue full; dropping frames (%d so far)", self.dropped)

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued (within ``timeout``), then stop."""
        if not self._thread.is_alive():
            return
        try:
            self._queue.put(None, timeout=timeout)
        except queue.Full:
            return
        self._thread.join(timeout)

    # -- delivery (own thread) -----------------------------------------------------------
    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            while True:
                item = self._queue.get()
                batch: list[tuple[str, dict[str, Any]]] = []
                stop = item is None
                if item is not None:
                    batch.append(item)
                # What arrives meanwhile goes in the same Redis round trip and frame.
                deadline = time.monotonic() + self.linger_s
                while not stop and len(batch) < _BATCH_MAX:
                    try:
                        more = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                    except queue.Empty:
                        break
                    if more is None:
                        stop = True
                    else:
                        batch.append(more)
                if batch:
                    self._store(batch)
                    loop.run_until_complete(self._relay(batch))
                if stop:
                    return
        finally:
            loop.close()

    def _store(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        dep = self.deployment_id
        try:
            pipe = sync_redis().pipeline(transaction=False)
            for kind, frame in batch:
                text = json.dumps(frame)
                if kind == "sample":
                    node = str(frame["node"])
                    pipe.lpush(keys.samples(dep, node), text)
                    pipe.ltrim(keys.samples(dep, node), 0, keys.SAMPLES_PER_NODE - 1)
                    pipe.expire(keys.samples(dep, node), keys.SAMPLES_TTL_S)
                    pipe.sadd(keys.sample_nodes(dep), node)
                    pipe.expire(keys.sample_nodes(dep), keys.SAMPLES_TTL_S)
                elif kind == "error":
                    pipe.lpush(keys.errors(dep), text)
                    pipe.ltrim(keys.errors(dep), 0, keys.ERRORS_KEPT - 1)
                    pipe.expire(keys.errors(dep), keys.ERRORS_TTL_S)
                else:
                    pipe.hset(keys.status(dep), self.replica_id, text)
                    pipe.expire(keys.status(dep), keys.STATUS_TTL_S)
            pipe.execute()
        except Exception as exc:
            self._warn("cannot store live records in Redis: %s", exc)

    async def _relay(self, batch: list[tuple[str, dict[str, Any]]]) -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        group = keys.group(self.deployment_id)
        samples = [frame for kind, frame in batch if kind == "sample"]
        errors = [frame for kind, frame in batch if kind == "error"]
        # Encoded once for every socket (see MetricsPublisher); the replica goes along
        # to key a slow socket's pending frames.
        messages = [({"type": "records.batch", "replica": self.replica_id,
                      "text": json.dumps({"type": "records", "replica": self.replica_id,
                                          "samples": samples, "errors": errors})},
                     len(samples) + len(errors))] if samples or errors else []
        messages += [({"type": "status.update", "status": {"replica": self.replica_id},
                       "text": json.dumps({"type": "status", "status": frame})}, 1)
                     for kind, frame in batch if kind == "status"]
        for message, frames in messages:
            try:
                await asyncio.wait_for(layer.group_send(group, message), _SEND_TIMEOUT_S)
                self.sent += frames
            except Exception as exc:
                self.dropped += frames
                self._warn("cannot relay live records to websocket clients: %s", exc)

    def _warn(self, message: str, detail: Any) -> None:
        now = time.monotonic()
        if now - self._last_warning >= _WARN_EVERY_S:
            self._last_warning = now
            logger.warning("deployment %s replica %s: " + message, self.deployment_id,
                           self.replica_id, detail)


# -- reading (websocket snapshot, REST) ----------------------------------------------------

def _decode(values: list[str | None]) -> list[dict[str, Any]]:
    return [json.loads(v) for v in values if v is not None]


def read_samples(deployment_id: int, node: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """node -> its latest samples, newest first (only ``node``'s when given)."""
    client = sync_redis()
    nodes = [node] if node is not None else sorted(client.smembers(keys.sample_nodes(deployment_id)))
    pipe = client.pipeline(transaction=False)
    for name in nodes:
        pipe.lrange(keys.samples(deployment_id, name), 0, keys.SAMPLES_PER_NODE - 1)
    return {name: _decode(values) for name, values in zip(nodes, pipe.execute()) if values}


def read_errors(deployment_id: int, limit: int = keys.ERRORS_KEPT) -> list[dict[str, Any]]:
    """The latest record errors of every replica, newest first."""
    return _decode(sync_redis().lrange(keys.errors(deployment_id), 0, max(limit, 1) - 1))


def read_status(deployment_id: int) -> dict[str, dict[str, Any]]:
    """replica id -> its latest status change."""
    return {replica: json.loads(text) for replica, text in sync_redis().hgetall(keys.status(deployment_id)).items()}


async def latest_samples(deployment_id: int) -> dict[str, Any]:
    """For the websocket snapshot: samples, errors and status, read in one round trip
    per kind (empty on a Redis failure, which is logged)."""
    client = async_redis()
    try:
        nodes = sorted(await client.smembers(keys.sample_nodes(deployment_id)))
        pipe = client.pipeline(transaction=False)
        for name in nodes:
            pipe.lrange(keys.samples(deployment_id, name), 0, keys.SAMPLES_PER_NODE - 1)
        pipe.lrange(keys.errors(deployment_id), 0, keys.ERRORS_KEPT - 1)
        pipe.hgetall(keys.status(deployment_id))
        results = await pipe.execute()
    except Exception:
        logger.warning("cannot read live records of deployment %s from Redis", deployment_id, exc_info=True)
        return {"samples": {}, "errors": [], "status": {}}
    finally:
        await client.aclose()
    samples = {name: _decode(values) for name, values in zip(nodes, results[:len(nodes)]) if values}
    return {"samples": samples, "errors": _decode(results[len(nodes)]),
            "status": {replica: json.loads(text) for replica, text in results[len(nodes) + 1].items()}}

