"""Store checkpoints in Redis: a snapshot of one store partition plus the changelog offset
it covers, so that a task's new owner replays only the changelog tail.

Key ``riffle:ckpt:{application_id}:{store}:{partition}``, value JSON
``{"offset": int, "entries": [[key_b64, value_b64], ...]}``. Kafka stays the source of
truth: when Redis is unreachable the engine logs a warning, skips the checkpoint and
restores from the changelog alone.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import redis

__all__ = [
    "Checkpoint",
    "CheckpointStore",
    "RedisCheckpointStore",
    "checkpoint_key",
    "decode_checkpoint",
    "encode_checkpoint",
]

logger = logging.getLogger(__name__)

KEY_PREFIX = "riffle:ckpt"


def checkpoint_key(application_id: str, store: str, partition: int) -> str:
    return f"{KEY_PREFIX}:{application_id}:{store}:{partition}"


@dataclass(frozen=True)
class Checkpoint:
    offset: int  # the next changelog offset not reflected in ``entries``
    entries: list[tuple[bytes, bytes]]


def encode_checkpoint(offset: int, entries: Iterable[tuple[bytes, bytes]]) -> str:
    b64 = base64.b64encode
    return json.dumps(
        {"offset": offset, "entries": [[b64(k).decode("ascii"), b64(v).decode("ascii")] for k, v in entries]},
        separators=(",", ":"),
    )


def decode_checkpoint(raw: str | bytes) -> Checkpoint:
    """Raises ValueError on anything that is not a well-formed checkpoint."""
    try:
        data = json.loads(raw)
        offset = data["offset"]
        if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
            raise ValueError(f"bad offset {offset!r}")
        b64 = base64.b64decode
        entries = [(b64(k, validate=True), b64(v, validate=True)) for k, v in data["entries"]]
    except (KeyError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise ValueError(f"malformed checkpoint: {exc}") from exc
    return Checkpoint(offset, entries)


class CheckpointStore(Protocol):
    def load(self, application_id: str, store: str, partition: int) -> Checkpoint | None: ...
    def save(self, application_id: str, store: str, partition: int, offset: int,
             entries: Iterable[tuple[bytes, bytes]]) -> bool: ...
    def count_all(self, application_id: str) -> int: ...
    def delete_all(self, application_id: str) -> int: ...
    def close(self) -> None: ...


class RedisCheckpointStore:
    """Checkpoints in Redis. Never raises on Redis trouble: it logs and reports failure,
    and after a failure leaves Redis alone for ``retry_after_s`` so that an outage does
    not slow every commit by a connect timeout."""

    def __init__(self, url: str, *, socket_timeout_s: float = 2.0, retry_after_s: float = 5.0) -> None:
        self._url = url
        self._socket_timeout_s = socket_timeout_s
        self._retry_after_s = retry_after_s
        self._redis: redis.Redis | None = None
        self._down_until = 0.0
        self._down_logged = False

    @property
    def _client(self) -> redis.Redis:
        if self._redis is None:
            self._redis = redis.Redis.from_url(
                self._url,
                socket_timeout=self._socket_timeout_s,
                socket_connect_timeout=self._socket_timeout_s,
            )
        return self._redis

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, action: str, exc: Exception) -> None:
        self._down_until = time.monotonic() + self._retry_after_s
        if not self._down_logged:
            logger.warning("Redis at %s unavailable (%s: %s); continuing without checkpoints, "
                           "state restores from the changelog", _redacted(self._url), action, exc)
            self._down_logged = True
        else:
            logger.debug("Redis still unavailable (%s: %s)", action, exc)

    def _recovered(self) -> None:
        if self._down_logged:
            logger.warning("Redis at %s reachable again; checkpoints resume", _redacted(self._url))
            self._down_logged = False

    def load(self, application_id: str, store: str, partition: int) -> Checkpoint | None:
        if not self._available():
            return None
        key = checkpoint_key(application_id, store, partition)
        try:
            raw = self._client.get(key)
        except redis.RedisError as exc:
            self._failed(f"reading {key}", exc)
            return None
        self._recovered()
        if raw is None:
            return None
        try:
            return decode_checkpoint(raw)
        except ValueError as exc:
            logger.warning("ignoring checkpoint %s: %s", key, exc)
            return None

    def save(self, application_id: str, store: str, partition: int, offset: int,
             entries: Iterable[tuple[bytes, bytes]]) -> bool:
        if not self._available():
            return False
        key = checkpoint_key(application_id, store, partition)
        payload = encode_checkpoint(offset, entries)
        try:
            self._client.set(key, payload)
        except redis.RedisError as exc:
            self._failed(f"writing {key}", exc)
            return False
        self._recovered()
        return True

    def _keys(self, application_id: str) -> Any:
        pattern = f"{KEY_PREFIX}:{_escape_glob(application_id)}:*"
        return self._client.scan_iter(match=pattern, count=500)

    def count_all(self, application_id: str) -> int:
        """How many checkpoints the application has (reset's dry run)."""
        return sum(1 for _ in self._keys(application_id))

    def delete_all(self, application_id: str) -> int:
        """Remove every checkpoint of the application (used by reset)."""
        client = self._client
        deleted = 0
        batch: list[Any] = []
        for key in self._keys(application_id):
            batch.append(key)
            if len(batch) >= 500:
                deleted += client.delete(*batch)
                batch = []
        if batch:
            deleted += client.delete(*batch)
        return deleted

    def close(self) -> None:
        if self._redis is not None:
            client, self._redis = self._redis, None
            try:
                client.close()
            except redis.RedisError:
                pass


def _escape_glob(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def _redacted(url: str) -> str:
    # Never log a password embedded in the URL.
    if "@" in url and "//" in url:
        scheme, rest = url.split("//", 1)
        return f"{scheme}//***@{rest.split('@', 1)[1]}"
    return url
