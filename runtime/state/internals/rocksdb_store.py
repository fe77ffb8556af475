"""The persistent key-value store: bytes to bytes in RocksDB (Kafka's ``RocksDBStore``),
through the ``rocksdict`` binding.

Files live under ``<state.dir>/<application.id>/<task id>/rocksdb/<store name>``, as in
Kafka. The changelog (and the Redis checkpoint) stay the source of truth: this engine
keeps no local ``.checkpoint`` file, so a store starts empty at every task init (the
directory is wiped) and is restored from the changelog as an in-memory store is; local
files are never applied twice. A ``.lock`` file next to the directory (Kafka's task
directory lock) keeps two owners apart, in this process or another: a directory held by
someone else is left alone and a numbered sibling is used. Closing the store releases
the lock and deletes its files.

As in Kafka the write-ahead log is off: a crash loses nothing the changelog lacks.
Iterations are snapshots (lists), so the store may be written while they are used.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import weakref
from collections.abc import Iterable, Iterator
from typing import IO, Any

from rocksdict import Rdict, WriteBatch, WriteOptions

from runtime.errors import StreamsError
from runtime.state.api import KeyValueStore, StoreContext
from runtime.state.internals.rocksdb_memory import rocksdb_options
from runtime.state.internals.store_settings import current_settings

__all__ = ["RocksDBKeyValueStore", "StoreDirectory", "open_rocksdb", "store_directory"]

logger = logging.getLogger(__name__)

_MAX_SIBLINGS = 100
_PUT_ALL_CHUNK = 10_000


def store_directory(state_dir: str, context: StoreContext, store_name: str) -> StoreDirectory:
    """The locked, empty ``<state.dir>/<application.id>/<task id>/rocksdb/<store>``."""
    root = os.path.abspath(state_dir)
    wanted = os.path.join(root, context.application_id, str(context.task_id), "rocksdb",
                          store_name)
    return StoreDirectory(wanted, root)


def _remove_and_unlock(path: str, lock: IO[str], root: str) -> None:
    shutil.rmtree(path, ignore_errors=True)
    # The lock file goes before the lock: whoever opens the path later makes a new one.
    # Then the task and application directories, if nothing else lives there now.
    with contextlib.suppress(OSError):
        os.unlink(lock.name)
    lock.close()   # closing the file drops the flock
    parent = os.path.dirname(path)
    while parent.startswith(root + os.sep):
        try:
            os.rmdir(parent)
        except OSError:
            break
        parent = os.path.dirname(parent)


class StoreDirectory:
    """An exclusively locked, emptied directory for one store's files. It is removed
    and unlocked on release, or when garbage-collected or at exit if never released
    (a task nobody closed)."""

    def __init__(self, wanted: str, root: str) -> None:
        self.path = ""
        os.makedirs(os.path.dirname(wanted), exist_ok=True)
        for n in range(_MAX_SIBLINGS):
            path = wanted if n == 0 else f"{wanted}.{n}"
            lock = open(f"{path}.lock", "a")  # noqa: SIM115 - held until release()
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                lock.close()
                continue
            if n:
                logger.warning("state directory %s is in use; using %s", wanted, path)
            shutil.rmtree(path, ignore_errors=True)
            os.makedirs(path)
            self.path = path
            self._release = weakref.finalize(self, _remove_and_unlock, path, lock, root)
            return
        raise StreamsError(f"state directory {wanted} and its siblings are all locked")

    def release(self) -> None:
        self._release()   # runs once; later calls do nothing


def open_rocksdb(path: str, memory_max_bytes: int = 0) -> Rdict:
    """A RocksDB at ``path`` within the process's shared memory budget (0: none)."""
    db = Rdict(path, rocksdb_options(memory_max_bytes))
    write_options = WriteOptions()
    write_options.disable_wal = True
    db.set_write_options(write_options)
    return db


class RocksDBKeyValueStore(KeyValueStore[bytes, bytes]):
    """Keys ordered as unsigned bytes (RocksDB's default comparator), like Kafka's."""

    def __init__(self, name: str, state_dir: str | None = None) -> None:
        self._name = name
        # captured now: the task binds its settings only while it builds its stores
        self._state_dir = state_dir if state_dir is not None else current_settings().state_dir
        self._memory_max_bytes = current_settings().rocksdb_memory_max_bytes
        self._dir: StoreDirectory | None = None
        self._db: Any = None

    @property
    def name(self) -> str:
        return self._name

    @property
    def persistent(self) -> bool:
        return True

    @property
    def is_open(self) -> bool:
        return self._db is not None

    @property
    def path(self) -> str | None:
        return None if self._dir is None else self._dir.path

    def init(self, context: StoreContext) -> None:
        if self._db is not None:
            raise StreamsError(f"store {self._name} is already open")
        self._dir = store_directory(self._state_dir, context, self._name)
        try:
            self._db = open_rocksdb(self._dir.path, self._memory_max_bytes)
        except Exception:
            self._dir.release()
            self._dir = None
            raise

    def flush(self) -> None:
        # WAL off and nothing read back from disk across restarts: nothing to sync
        return None

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._dir is not None:
            self._dir.release()
            self._dir = None

    def _open_db(self) -> Any:
        db = self._db
        if db is None:
            raise StreamsError(f"store {self._name} is not open")
        return db

    # -- KeyValueStore ---------------------------------------------------------------
    def get(self, key: bytes) -> bytes | None:
        return self._open_db().get(key)  # type: ignore[no-any-return]

    def put(self, key: bytes, value: bytes | None) -> None:
        db = self._open_db()
        if value is None:
            del db[key]
        else:
            db[key] = value

    def put_all(self, entries: Iterable[tuple[bytes, bytes | None]]) -> None:
        # One write batch per chunk, as Kafka's RocksDBStore#putAll: a restore's million
        # entries cross into RocksDB in a few hundred calls, not a million.
        db = self._open_db()
        batch = WriteBatch(raw_mode=True)
        for n, (key, value) in enumerate(entries, 1):
            if value is None:
                batch.delete(key)
            else:
                batch.put(key, value)
            if n % _PUT_ALL_CHUNK == 0:
                db.write(batch)
                batch = WriteBatch(raw_mode=True)
        if len(batch):
            db.write(batch)

    def put_if_absent(self, key: bytes, value: bytes) -> bytes | None:
        old = self.get(key)
        if old is None:
            self.put(key, value)
        return old

    def delete(self, key: bytes) -> bytes | None:
        old = self.get(key)
        if old is not None:
            del self._db[key]
        return old

    def range(self, from_key: bytes | None, to_key: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        db = self._open_db()
        items = db.items() if from_key is None else db.items(from_key=from_key)
        if to_key is None:
            return iter(list(items))
        out = []
        for key, value in items:
            if key > to_key:
                break
            out.append((key, value))
        return iter(out)

    def reverse_range(self, from_key: bytes | None,
                      to_key: bytes | None) -> Iterator[tuple[bytes, bytes]]:
        db = self._open_db()
        # backwards from to_key starts at the last key <= to_key (seek-for-prev)
        items = (db.items(backwards=True) if to_key is None
                 else db.items(from_key=to_key, backwards=True))
        if from_key is None:
            return iter(list(items))
        out = []
        for key, value in items:
            if key < from_key:
                break
            out.append((key, value))
        return iter(out)

    def all(self) -> Iterator[tuple[bytes, bytes]]:
        return self.range(None, None)

    def reverse_all(self) -> Iterator[tuple[bytes, bytes]]:
        return self.reverse_range(None, None)

    def approximate_num_entries(self) -> int:
        # RocksDB's own estimate, as Kafka's RocksDBStore#approximateNumEntries
        return int(self._open_db().property_int_value("rocksdb.estimate-num-keys") or 0)
