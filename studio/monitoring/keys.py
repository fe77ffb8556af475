"""Redis key names and lifetimes shared by replicas, the reconciler and websockets.

The layout is part of docs/internals.md ("Redis keys"); values are JSON only. The first
part is settings.RIFFLE_KEY_PREFIX ("riffle").
"""

from __future__ import annotations

from django.conf import settings

HEARTBEAT_TTL_S = 15
METRICS_TTL_S = 30
# Live record samples (studio.monitoring.samples): the latest few per node, kept a while
# after the deployment stops so that the dashboard can still show what went through.
SAMPLES_PER_NODE = 5
SAMPLES_TTL_S = 3600
# The latest record errors of a deployment (handler decisions), newest first.
ERRORS_KEPT = 100
ERRORS_TTL_S = 7 * 24 * 3600
STATUS_TTL_S = 24 * 3600
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


def samples(deployment_id: int | str, node: str) -> str:
    """A list (newest first, SAMPLES_PER_NODE long) of JSON samples of one node."""
    return f"{_prefix()}:deployment:{deployment_id}:samples:{node}"


def sample_nodes(deployment_id: int | str) -> str:
    """The set of node names that have a `samples` list."""
    return f"{_prefix()}:deployment:{deployment_id}:sample-nodes"


def errors(deployment_id: int | str) -> str:
    """A list (newest first, ERRORS_KEPT long) of JSON record errors, all replicas."""
    return f"{_prefix()}:deployment:{deployment_id}:errors"


def status(deployment_id: int | str) -> str:
    """A hash: replica id -> JSON of its latest status change."""
    return f"{_prefix()}:deployment:{deployment_id}:status"
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


def reconcile_watch() -> str:
    """Since when (epoch seconds) the reconciler has watched Redis without a gap."""
    return f"{_prefix()}:reconcile:watching"


def group(deployment_id: int | str) -> str:
    """The Channels group that a deployment's websocket clients join."""
    return f"deployment-{deployment_id}"
