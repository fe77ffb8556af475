"""Interactive queries, replica side: a small daemon thread next to the replica's
StreamsApp that BLPOPs JSON requests from the replica's list
(`keys.query_requests`), answers them through ``StreamsApp.store`` (which runs each read
on the owning stream thread) and RPUSHes a JSON answer, with a short expiry, to the
reply list the request names. JSON only: requests and answers never carry pickles.

Answer: ``{"id", "replica", "ok": true, "entries": [...]}`` where an entry has ``key``,
``value``, ``timestamp`` (None for stores without), window entries ``start`` and ``end``,
and ``order`` (hex text that sorts as the store does: serialized key bytes, for windows
after the start, for sessions after end and start); or ``{"ok": false, "error": class
name, "message", "retriable"}``.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import threading
import time
from typing import Any

from runtime import QueryableStoreTypes, StoreQueryParameters
from runtime.errors import InvalidStateStoreError
from studio.deployments.queries import StoreInfo, key_value
from studio.monitoring import keys
from studio.monitoring.connections import sync_redis

logger = logging.getLogger(__name__)

WAIT_S = 1.0   # BLPOP timeout: how soon the thread notices it should stop


def to_json(value: Any) -> Any:
    """A store's key or value as JSON: bytes as base64, non-finite floats as text,
    other non-JSON objects as their text."""
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return str(value)


class QueryServer(threading.Thread):
    def __init__(self, replica_id: int, app: Any, stores: dict[str, StoreInfo], key_serdes: dict[str, Any]) -> None:
        super().__init__(name=f"replica-{replica_id}-queries", daemon=True)
        self.replica_id = replica_id
        self.app = app
        self.stores = stores
        self.key_serdes = key_serdes   # store -> the runtime Serde of its keys (for ``order``)
        self._stopping = threading.Event()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        redis = sync_redis()
        requests = keys.query_requests(self.replica_id)
        while not self._stopping.is_set():
            try:
                popped = redis.blpop([requests], timeout=WAIT_S)
            except Exception as exc:   # a Redis blip must not end the thread
                logger.warning("replica %s: reading query requests failed: %s", self.replica_id, exc)
                self._stopping.wait(WAIT_S)
                continue
            if popped is None:
                continue
            try:
                request = json.loads(popped[1])
                reply = str(request["reply"])
            except (ValueError, KeyError, TypeError):
                logger.warning("replica %s: ignoring a malformed query request", self.replica_id)
                continue
            if int(request.get("deadline") or 0) < time.time() * 1000:
                continue   # the API has stopped waiting
            answer = {"id": request.get("id"), "replica": self.replica_id, **self.answer(request)}
            try:
                pipe = redis.pipeline()
                pipe.rpush(reply, json.dumps(answer))
                pipe.expire(reply, keys.QUERY_REPLY_TTL_S)
                pipe.execute()
            except Exception as exc:
                logger.warning("replica %s: answering a query failed: %s", self.replica_id, exc)
        try:
            redis.delete(requests)
        except Exception:
            logger.debug("replica %s: cannot delete its query requests", self.replica_id, exc_info=True)

    def answer(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            return {"ok": True, "entries": self._entries(request)}
        except InvalidStateStoreError as exc:
            return {"ok": False, "error": type(exc).__name__, "message": str(exc), "retriable": exc.retriable}
        except Exception as exc:
            logger.exception("replica %s: query %s failed", self.replica_id, request.get("op"))
            return {"ok": False, "error": type(exc).__name__, "message": f"the query failed: {exc}",
                    "retriable": False}

    def _entries(self, request: dict[str, Any]) -> list[dict[str, Any]]:
        info = self.stores[str(request["store"])]
        op = request["op"]
        limit = int(request.get("limit") or 0) + 1   # one more: the API tells "truncated"
        serde = self.key_serdes[info.name]

        def order(key: Any) -> str:
            return (serde.serialize(key) or b"").hex()

        if info.kind == "key-value":
            qtype = (QueryableStoreTypes.timestamped_key_value_store() if info.timestamped
                     else QueryableStoreTypes.key_value_store())
            view = self.app.store(StoreQueryParameters.from_name_and_type(info.name, qtype))
            if op == "get":
                key = key_value(info.key_serde, request["key"])
                found = view.get(key)
                return [] if found is None else [self._entry(key, found, info, order(key))]
            rows = view.range(self._key(info, request.get("from")), self._key(info, request.get("to")),
                              limit=limit)
            return [self._entry(k, v, info, order(k)) for k, v in rows]
        if info.kind == "window":
            qtype = (QueryableStoreTypes.timestamped_window_store() if info.timestamped
                     else QueryableStoreTypes.window_store())
            view = self.app.store(StoreQueryParameters.from_name_and_type(info.name, qtype))
            time_from, time_to = request.get("time_from"), request.get("time_to")
            if request.get("key") is not None:
                key = key_value(info.key_serde, request["key"])
                found = view.fetch(key, time_from, time_to, limit=limit)
                size = view.window_size() if found else 0
                rows = [(key, start, start + size, v) for start, v in found]
            else:
                rows = [(w.key, w.window.start, w.window.end, v)
                        for w, v in view.fetch_all(time_from, time_to, limit=limit)]
            return [{**self._entry(k, v, info, f"{start + 2**63:020d}{order(k)}"), "start": start, "end": end}
                    for k, start, end, v in rows]
        view = self.app.store(StoreQueryParameters.from_name_and_type(info.name, QueryableStoreTypes.session_store()))
        key = key_value(info.key_serde, request["key"])
        return [{**self._entry(key, v, info, f"{w.window.end + 2**63:020d}{w.window.start + 2**63:020d}"),
                 "start": w.window.start, "end": w.window.end}
                for w, v in view.fetch(key, limit=limit)]

    @staticmethod
    def _key(info: StoreInfo, value: Any) -> Any:
        return None if value is None else key_value(info.key_serde, value)

    @staticmethod
    def _entry(key: Any, value: Any, info: StoreInfo, order: str) -> dict[str, Any]:
        timestamp = None
        if info.timestamped and value is not None and hasattr(value, "timestamp"):
            value, timestamp = value.value, value.timestamp
        return {"key": to_json(key), "value": to_json(value), "timestamp": timestamp, "order": order}
