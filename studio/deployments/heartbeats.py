"""Replica heartbeats in Redis: `riffle:replica:{id}:hb`, JSON, TTL 15 s.

A heartbeat that has expired means the replica's worker is gone (killed, hung or cut
off); the reconciler then replaces the replica.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from typing import Iterable, TypedDict

from studio.monitoring import keys
from studio.monitoring.connections import sync_redis

logger = logging.getLogger(__name__)


class HeartbeatDict(TypedDict):
    host: str
    pid: int
    task_id: str
    state: str            # the StreamsApp state, e.g. "RUNNING"
    ts: int               # epoch milliseconds
    ready: bool           # the app has reached RUNNING at least once
    tasks: list[str]      # stream tasks ("0_1") assigned at the last metrics snapshot


def beat(replica_id: int, *, task_id: str, state: str, ready: bool, tasks: list[str]) -> None:
    payload: HeartbeatDict = {
        "host": socket.gethostname(), "pid": os.getpid(), "task_id": task_id,
        "state": state, "ts": int(time.time() * 1000), "ready": ready, "tasks": tasks,
    }
    sync_redis().set(keys.heartbeat(replica_id), json.dumps(payload), ex=keys.HEARTBEAT_TTL_S)


def read(replica_ids: Iterable[int]) -> dict[int, HeartbeatDict]:
    """The live heartbeats among `replica_ids` (expired ones are absent)."""
    ids = list(replica_ids)
    if not ids:
        return {}
    values = sync_redis().mget([keys.heartbeat(i) for i in ids])
    return {i: json.loads(v) for i, v in zip(ids, values) if v is not None}


def clear(replica_id: int) -> None:
    sync_redis().delete(keys.heartbeat(replica_id))

