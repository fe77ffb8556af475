"""Store checkpoints in Redis: a snapshot of one store partition plus the changelog offset
it covers, so that a task's new owner replays only the changelog tail.

Two layouts share the key ``riffle:ckpt:{application_id}:{store}:{partition}``:

- incremental (what the engine writes): that key holds JSON ``{"offset": int,
  "layout": "buckets", "buckets": n}`` and ``…:{partition}:entries`` is a Redis hash of
  bucket number (crc32 of the key mod n) → JSON object of that bucket's entries, key →
  value, each bytes string as the JSON string of its latin-1 decoding. A commit
  rewrites only the buckets of the keys changed since the last checkpoint; the hash and
  the offset change in one MULTI/EXEC, so they never disagree. Buckets, not one field
  per key: a restore then parses a few thousand Redis replies instead of a million.
- whole (``save``): the key holds ``{"offset": int, "entries": [[key_b64, value_b64], ...]}``.

Kafka stays the source of truth: when Redis is unreachable the engine logs a warning,
skips the checkpoint and restores from the changelog alone.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import time
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import repeat
from typing import Any, Protocol

import orjson
import redis

__all__ = [
    "Checkpoint",
    "CheckpointStore",
    "RedisCheckpointStore",
    "checkpoint_key",
    "entries_key",
    "decode_checkpoint",
    "encode_checkpoint",
]

logger = logging.getLogger(__name__)

KEY_PREFIX = "riffle:ckpt"
ENTRIES_SUFFIX = ":entries"
HASH_LAYOUT = "buckets"
BUCKETS = 16_384  # ~60 keys a bucket at a million keys
_BATCH = 1_000  # buckets per HSET/HDEL/HSCAN round


# (key, local value or None = deleted) pairs; a callable is called only when Redis is
# up, so that an outage's growing set of changes costs nothing per commit.
Changes = Iterable[tuple[bytes, bytes | None]] | Callable[[], Iterable[tuple[bytes, bytes | None]] | None] | None


def checkpoint_key(application_id: str, store: str, partition: int) -> str:
    return f"{KEY_PREFIX}:{application_id}:{store}:{partition}"


def entries_key(application_id: str, store: str, partition: int) -> str:
    """The hash of an incremental checkpoint (store names never hold ':')."""
    return checkpoint_key(application_id, store, partition) + ENTRIES_SUFFIX


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
    def save_incremental(self, application_id: str, store: str, partition: int, offset: int, *,
                         base_offset: int | None,
                         changes: Changes,
                         snapshot: Callable[[], Iterable[tuple[bytes, bytes]]]) -> bool: ...
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
            if raw is None:
                self._recovered()
                return None
            offset = _hash_layout_offset(raw)
            if offset is None or _buckets_of(raw) is None:
                checkpoint = decode_checkpoint(raw)
            else:
                entries = self._read_entries(entries_key(application_id, store, partition))
                # HSCAN is not atomic: a writer in between would mix two checkpoints.
                if self._client.get(key) != raw:
                    logger.warning("checkpoint %s changed while read; replaying the changelog", key)
                    checkpoint = None
                else:
                    checkpoint = Checkpoint(offset, entries)
        except redis.RedisError as exc:
            self._failed(f"reading {key}", exc)
            return None
        except ValueError as exc:
            logger.warning("ignoring checkpoint %s: %s", key, exc)
            return None
        self._recovered()
        return checkpoint

    def _read_entries(self, key: str) -> list[tuple[bytes, bytes]]:
        entries: list[tuple[bytes, bytes]] = []
        cursor = 0
        loads = orjson.loads   # the same JSON as json.loads reads, a quarter of the time
        encode, latin1 = str.encode, repeat("latin-1")
        try:
            while True:
                cursor, batch = self._client.hscan(key, cursor, count=_BATCH)
                for raw in batch.values():
                    bucket = loads(raw)
                    # map and zip run in C: a million entries without a bytecode loop.
                    entries.extend(zip(map(encode, bucket.keys(), latin1), map(encode, bucket.values(), latin1)))
                if cursor == 0:
                    return entries
        except (AttributeError, TypeError, UnicodeError, json.JSONDecodeError) as exc:
            raise ValueError(f"malformed bucket in {key}: {exc}") from exc

    def save(self, application_id: str, store: str, partition: int, offset: int,
             entries: Iterable[tuple[bytes, bytes]]) -> bool:
        if not self._available():
            return False
        key = checkpoint_key(application_id, store, partition)
        payload = encode_checkpoint(offset, entries)

        def write() -> None:
            with self._client.pipeline(transaction=True) as pipe:
                pipe.delete(entries_key(application_id, store, partition))
                pipe.set(key, payload)
                pipe.execute()
        return self._write(key, write)

    def _write(self, key: str, write: Callable[[], None]) -> bool:
        try:
            write()
        except redis.RedisError as exc:
            self._failed(f"writing {key}", exc)
            return False
        self._recovered()
        return True

    def save_incremental(self, application_id: str, store: str, partition: int, offset: int, *,
                         base_offset: int | None,
                         changes: Changes,
                         snapshot: Callable[[], Iterable[tuple[bytes, bytes]]]) -> bool:
        """Write the checkpoint at ``offset`` in the incremental layout.

        ``changes`` (value None = deleted) are applied on top of the checkpoint at
        ``base_offset`` only if Redis still holds exactly that one; otherwise (no base,
        ``changes`` None, Redis flushed or restarted, another writer, an earlier write
        whose outcome is unknown) the whole ``snapshot()`` replaces the hash. Either way
        the hash and the offset change in one transaction. False when Redis failed:
        the caller keeps its changes and passes them again with the same base."""
        if not self._available():
            return False
        if callable(changes):
            changes = changes()
        key = checkpoint_key(application_id, store, partition)
        hash_key = entries_key(application_id, store, partition)
        meta = json.dumps({"offset": offset, "layout": HASH_LAYOUT, "buckets": BUCKETS},
                          separators=(",", ":"))

        def incremental() -> bool:
            with self._client.pipeline(transaction=True) as pipe:
                try:
                    pipe.watch(key)
                    current = pipe.get(key)
                    if (current is None or _offset_or_none(current) != base_offset
                            or _buckets_of(current) != BUCKETS):
                        return False
                    grouped = _by_bucket(changes or ())
                    fields = list(grouped)
                    olds = pipe.hmget(hash_key, fields) if fields else []
                    merged: dict[str, dict[str, str] | None] = {}
                    for field, old in zip(fields, olds, strict=True):
                        try:
                            bucket = json.loads(old) if old is not None else {}
                        except json.JSONDecodeError:
                            return False  # damaged: rewrite the whole
                        for k, v in grouped[field].items():
                            if v is None:
                                bucket.pop(k, None)
                            else:
                                bucket[k] = v
                        merged[field] = bucket or None
                    pipe.multi()
                    _queue_buckets(pipe, hash_key, merged)
                    pipe.set(key, meta)
                    pipe.execute()
                    return True
                except redis.WatchError:
                    return False  # someone else wrote it meanwhile: rewrite the whole

        def write() -> None:
            if changes is not None and base_offset is not None and incremental():
                return
            logger.debug("whole rewrite of checkpoint %s at offset %d", key, offset)
            buckets: dict[str, dict[str, str] | None] = dict(_by_bucket(snapshot()))  # type: ignore[arg-type]
            with self._client.pipeline(transaction=True) as pipe:
                pipe.delete(hash_key)
                _queue_buckets(pipe, hash_key, buckets)
                pipe.set(key, meta)
                pipe.execute()
        return self._write(key, write)

    def _keys(self, application_id: str) -> Any:
        pattern = f"{KEY_PREFIX}:{_escape_glob(application_id)}:*"
        return self._client.scan_iter(match=pattern, count=500)

    def count_all(self, application_id: str) -> int:
        """How many checkpoints the application has (reset's dry run)."""
        return sum(1 for key in self._keys(application_id) if not _is_entries_key(key))

    def delete_all(self, application_id: str) -> int:
        """Remove every checkpoint of the application, entries hashes included (used by
        reset). Returns how many checkpoints were removed."""
        client = self._client
        deleted = 0
        batch: list[Any] = []
        for key in self._keys(application_id):
            batch.append(key)
            if len(batch) >= 500:
                deleted += _delete(client, batch)
                batch = []
        if batch:
            deleted += _delete(client, batch)
        return deleted

    def close(self) -> None:
        if self._redis is not None:
            client, self._redis = self._redis, None
            try:
                client.close()
            except redis.RedisError:
                pass


def _hash_layout_offset(raw: str | bytes) -> int | None:
    """The offset of an incremental checkpoint's metadata; None for the whole layout.
    Raises ValueError on malformed metadata."""
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed checkpoint: {exc}") from exc
    if not isinstance(data, dict) or data.get("layout") != HASH_LAYOUT:
        return None
    offset = data.get("offset")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ValueError(f"bad offset {offset!r}")
    return offset


def _offset_or_none(raw: str | bytes) -> int | None:
    try:
        return _hash_layout_offset(raw)
    except ValueError:
        return None


def _buckets_of(raw: str | bytes) -> int | None:
    data = json.loads(raw)
    n = data.get("buckets") if isinstance(data, dict) else None
    return n if isinstance(n, int) and not isinstance(n, bool) and n > 0 else None


def _by_bucket(entries: Iterable[tuple[bytes, bytes | None]]) -> dict[str, dict[str, str | None]]:
    """bucket field -> {latin-1 key: latin-1 value, or None to delete}."""
    grouped: dict[str, dict[str, str | None]] = {}
    crc = zlib.crc32
    for key, value in entries:
        field = str(crc(key) % BUCKETS)
        bucket = grouped.get(field)
        if bucket is None:
            bucket = grouped[field] = {}
        bucket[key.decode("latin-1")] = None if value is None else value.decode("latin-1")
    return grouped


def _queue_buckets(pipe: Any, hash_key: str, buckets: dict[str, dict[str, str] | None]) -> None:
    """HSET the non-empty buckets and HDEL the empty (None) ones, in batches."""
    dumps = json.dumps
    puts: dict[str, str] = {}
    deletes: list[str] = []
    for field, bucket in buckets.items():
        if bucket:
            puts[field] = dumps(bucket, separators=(",", ":"))
            if len(puts) >= _BATCH:
                pipe.hset(hash_key, mapping=puts)
                puts = {}
        else:
            deletes.append(field)
    if puts:
        pipe.hset(hash_key, mapping=puts)
    for i in range(0, len(deletes), _BATCH):
        pipe.hdel(hash_key, *deletes[i:i + _BATCH])


def _is_entries_key(key: str | bytes) -> bool:
    suffix = ENTRIES_SUFFIX.encode() if isinstance(key, bytes) else ENTRIES_SUFFIX
    return key.endswith(suffix)  # type: ignore[arg-type]


def _delete(client: redis.Redis, keys: list[Any]) -> int:
    checkpoints = [k for k in keys if not _is_entries_key(k)]
    hashes = [k for k in keys if _is_entries_key(k)]
    if hashes:
        client.delete(*hashes)
    return int(client.delete(*checkpoints)) if checkpoints else 0


def _escape_glob(text: str) -> str:
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def _redacted(url: str) -> str:
    # Never log a password embedded in the URL.
    if "@" in url and "//" in url:
        scheme, rest = url.split("//", 1)
        return f"{scheme}//***@{rest.split('@', 1)[1]}"
    return url
