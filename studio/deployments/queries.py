"""Interactive queries of a running deployment's state stores, API side.

The API sends one JSON request to every live replica of the deployment (a Redis list per
replica, `keys.query_requests`), each replica answers through the runtime's
``StreamsApp.store`` on its own tasks (studio.deployments.query_server) and pushes a JSON
answer to the reply list named in the request (`keys.query_reply`). The API waits for
every answer up to a bounded timeout and merges them: a lookup takes the one replica that
has the key, ranges are merged in the store's key order (serialized key bytes, as one
store would give them) and cut at ``limit``.

Keys given to the API are text; they are turned into the store's key type by its key
serde's name (``parse_key``): string as is, long/integer/double as numbers, json as JSON
text, bytes as base64. Values come back as JSON (bytes as base64).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any, TypedDict

from studio.deployments import heartbeats
from studio.deployments.models import Deployment, Replica
from studio.monitoring import keys
from studio.monitoring.connections import sync_redis

__all__ = [
    "QUERY_TIMEOUT_S", "DeploymentNotRunningError", "QueryFailedError", "QueryTimeoutError",
    "StoreDict", "StoreInfo", "UnknownStoreError", "ask_replicas", "deployment_stores", "parse_key",
]

# How long the API waits for every replica's answer (a replica answers between batches).
QUERY_TIMEOUT_S = 5.0
MAX_LIMIT = 10_000
DEFAULT_LIMIT = 100


class StoreDict(TypedDict):
    name: str
    kind: str             # "key-value" | "window" | "session"
    timestamped: bool     # values carry the timestamp of the record that last updated them
    key_serde: str
    value_serde: str


@dataclass(frozen=True)
class StoreInfo:
    name: str
    kind: str
    timestamped: bool
    key_serde: str
    value_serde: str

    def to_dict(self) -> StoreDict:
        return {"name": self.name, "kind": self.kind, "timestamped": self.timestamped,
                "key_serde": self.key_serde, "value_serde": self.value_serde}


class UnknownStoreError(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        self.known = known
        super().__init__(f"The deployment has no queryable state store {name!r}; its stores: "
                         f"{', '.join(known) or 'none'}.")


class DeploymentNotRunningError(Exception):
    pass


class QueryTimeoutError(Exception):
    def __init__(self, unanswered: list[int], timeout: float) -> None:
        self.unanswered = unanswered
        super().__init__(
            f"Replica{'s' if len(unanswered) > 1 else ''} {', '.join(map(str, unanswered))} did not "
            f"answer within {timeout:g} s (busy, restarting, or gone); try again.")


class QueryFailedError(Exception):
    """A replica could not answer; ``retriable``: the same query may work in a moment
    (rebalancing, restoring)."""

    def __init__(self, message: str, retriable: bool) -> None:
        self.retriable = retriable
        super().__init__(message)


def _serde_name(serde: Any, default: str) -> str:
    name = getattr(serde, "name", None) if serde is not None else None
    return str(name) if name else default


def deployment_stores(deployment: Deployment, topology: Any = None) -> dict[str, StoreInfo]:
    """The queryable stores of the deployment's pinned version (``topology``: its
    compiled topology, if at hand), by name."""
    defaults = (deployment.version.document or {}).get("settings") or {}
    topology = topology if topology is not None else deployment.version.compile()
    found = {}
    for name, store in topology.queryable_stores().items():
        found[name] = StoreInfo(
            name, store.kind, store.timestamped,
            _serde_name(store.key_serde, str(defaults.get("default_key_serde") or "string")),
            _serde_name(store.value_serde, str(defaults.get("default_value_serde") or "string")))
    return found


def store_of(deployment: Deployment, name: str) -> StoreInfo:
    stores = deployment_stores(deployment)
    store = stores.get(name)
    if store is None:
        raise UnknownStoreError(name, sorted(stores))
    return store


def parse_key(serde: str, text: str) -> Any:
    """A key given as text, as the JSON value that stands for it with ``serde``;
    ValueError with a readable message if it does not fit."""
    if serde in ("long", "integer"):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"{text!r} is not an integer ({serde} keys)") from None
    if serde == "double":
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a number (double keys)") from None
    if serde == "json":
        try:
            return json.loads(text)
        except ValueError:
            raise ValueError(f"{text!r} is not JSON text (json keys; a string is given in quotes)") from None
    if serde == "bytes":
        try:
            base64.b64decode(text, validate=True)
        except binascii.Error:
            raise ValueError(f"{text!r} is not base64 (bytes keys)") from None
        return text
    return text


def key_value(serde: str, value: Any) -> Any:
    """The runtime key of a JSON key value (the inverse of the API's key text)."""
    return base64.b64decode(value) if serde == "bytes" and isinstance(value, str) else value


def live_replicas(deployment: Deployment) -> list[int]:
    """The deployment's running replicas with a live heartbeat; DeploymentNotRunningError
    when there are none, or the deployment is not meant to run."""
    if not deployment.wants_replicas():
        raise DeploymentNotRunningError(
            f"Deployment {deployment.pk} is not running (it is {deployment.observed_state}); "
            "its state stores live only in running replicas.")
    ids = list(Replica.objects.filter(deployment=deployment, state="running").values_list("pk", flat=True))
    live = sorted(heartbeats.read(ids))
    if not live:
        raise DeploymentNotRunningError(
            f"Deployment {deployment.pk} has no live replica yet (it is {deployment.observed_state}); "
            "try again once it runs.")
    return live


def ask_replicas(deployment: Deployment, request: dict[str, Any], *,
                 timeout: float | None = None) -> list[dict[str, Any]]:
    """Send ``request`` to every live replica and wait for all their answers (at most
    ``timeout`` seconds). Returns the successful answers; a replica that hosts no task
    of the store answers with no entries."""
    timeout = QUERY_TIMEOUT_S if timeout is None else timeout
    replicas = live_replicas(deployment)
    redis = sync_redis()
    request_id = uuid.uuid4().hex
    reply = keys.query_reply(request_id)
    deadline = time.time() + timeout
    message = json.dumps({**request, "id": request_id, "reply": reply, "deadline": int(deadline * 1000)})
    pipe = redis.pipeline()
    for replica in replicas:
        pipe.rpush(keys.query_requests(replica), message)
        pipe.expire(keys.query_requests(replica), keys.QUERY_REQUESTS_TTL_S)
    pipe.execute()
    answers: dict[int, dict[str, Any]] = {}
    try:
        while len(answers) < len(replicas):
            left = deadline - time.time()
            if left <= 0:
                break
            # BLPOP's timeout is whole seconds in older servers; wait in short slices
            popped = redis.blpop([reply], timeout=max(min(left, 1.0), 0.01))
            if popped is None:
                continue
            answer = json.loads(popped[1])
            if answer.get("id") == request_id:
                answers[int(answer["replica"])] = answer
    finally:
        redis.delete(reply)
    unanswered = [r for r in replicas if r not in answers]
    if unanswered:
        raise QueryTimeoutError(unanswered, timeout)
    failed = [(r, a) for r, a in sorted(answers.items()) if not a.get("ok")]
    for replica, answer in failed:
        if answer.get("error") not in ("StateStoreMigratedError", "InvalidStateStorePartitionError"):
            raise QueryFailedError(f"Replica {replica}: {answer.get('message')}", bool(answer.get("retriable")))
    return [a for _r, a in sorted(answers.items()) if a.get("ok")]


def merge_lookup(answers: list[dict[str, Any]]) -> dict[str, Any] | None:
    for answer in answers:
        for entry in answer.get("entries") or ():
            return {k: v for k, v in entry.items() if k != "order"}
    return None


def merge_entries(answers: list[dict[str, Any]], limit: int) -> tuple[list[dict[str, Any]], bool]:
    """Every replica's entries in store order, at most ``limit``; and whether more
    were there (each replica sends up to ``limit + 1``)."""
    entries = sorted((e for a in answers for e in a.get("entries") or ()), key=lambda e: e["order"])
    truncated = len(entries) > limit
    return [{k: v for k, v in e.items() if k != "order"} for e in entries[:limit]], truncated
