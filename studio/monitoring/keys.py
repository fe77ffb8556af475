"""Redis key names and lifetimes shared by replicas, the reconciler and websockets.

The layout is part of docs/internals.md ("Redis keys"); values are JSON only. The first
part is settings.RIFFLE_KEY_PREFIX ("riffle").
"""

from __future__ import annotations

from django.conf import settings

HEARTBEAT_TTL_S = 15
METRICS_TTL_S = 30
# Interactive queries: a request list outlives a replica that stopped reading it by this
# much; an answer waits this long for the API to read it.
QUERY_REQUESTS_TTL_S = 30
QUERY_REPLY_TTL_S = 30


def _prefix() -> str:
    return settings.RIFFLE_KEY_PREFIX


def heartbeat(replica_id: int | str) -> str:
    return f"{_prefix()}:replica:{replica_id}:hb"


def metrics(deployment_id: int | str, replica_id: int | str) -> str:
    return f"{_prefix()}:deployment:{deployment_id}:metrics:{replica_id}"


def history(deployment_id: int | str) -> str:
    """Sorted set of the deployment's metrics history (studio.monitoring.history)."""
    return f"{_prefix()}:deployment:{deployment_id}:history"


def metrics_pattern(deployment_id: int | str) -> str:
    return f"{_prefix()}:deployment:{deployment_id}:metrics:*"


def replica_of_metrics_key(key: str) -> str:
    return key.rsplit(":", 1)[-1]


def query_requests(replica_id: int | str) -> str:
    """The list a replica BLPOPs interactive-query requests from (JSON)."""
    return f"{_prefix()}:replica:{replica_id}:queries"


def query_reply(request_id: str) -> str:
    """The list every replica asked by one API request pushes its answer to (JSON)."""
    return f"{_prefix()}:query:{request_id}:reply"


def metrics_key_parts(key: str) -> tuple[str, str]:
    """(deployment id, replica id) of a `metrics` key."""
    parts = key.rsplit(":", 3)
    return parts[-3], parts[-1]


def reconcile_lock() -> str:
    return f"{_prefix()}:reconcile:lock"


def group(deployment_id: int | str) -> str:
    """The Channels group that a deployment's websocket clients join."""
    return f"deployment-{deployment_id}"
