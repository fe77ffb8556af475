"""Interactive queries on the engine's threads.

Thread safety by confinement: a store is only ever touched by the thread that owns its
task (a stream thread for active and restoring tasks, the standby updater for
standbys). A query from any other thread becomes a :class:`QueryRequest` in the owner's
:class:`QueryInbox`; the owner's loop serves the inbox between batches (after polling,
before processing), runs the read operation over its tasks that host the store, and
completes the request's future. The caller waits on the future with a timeout.

Why not locks around the stores: every store layer (in-memory dicts and sorted key
lists, the record cache and its dirty-key order, the metered layer's counters) would
need one, taken per record on the hot path, and a caller iterating a store would block
processing for as long as it iterates. Confinement costs the hot path one truthiness
test of a deque per loop iteration (not per record), and a query waits at most one
``poll.ms`` plus the batch in progress. Results are materialised lists built on the
owning thread and bounded by the query's ``limit``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from runtime.errors import StateStoreNotAvailableError

__all__ = ["KeyQueryMetadata", "QueryInbox", "QueryRequest", "default_partition", "murmur2"]

TaskKey = tuple[int, int]


@dataclass
class QueryRequest:
    """Run ``operation(store)`` on every served task that hosts ``store_name`` (only
    the task of ``partition`` when it is set); the future gets ``[(partition, result)]``."""

    store_name: str
    operation: Callable[[Any], Any]
    partition: int | None = None
    stale: bool = False
    future: Future[list[tuple[int, Any]]] = field(default_factory=Future)


class QueryInbox:
    """A thread's queue of queries. ``submit`` from any thread; ``serve`` only from the
    owning thread. The owner tests ``inbox.pending`` (a deque: appends and pops are
    atomic) in its loop and calls ``serve`` when it is non-empty."""

    def __init__(self, owner: str) -> None:
        self.owner = owner
        self.pending: deque[QueryRequest] = deque()
        self._lock = threading.Lock()   # submit vs close only; serve takes no lock
        self._closed: str | None = None

    def submit(self, request: QueryRequest) -> Future[list[tuple[int, Any]]]:
        with self._lock:
            if self._closed is not None:
                request.future.set_exception(StateStoreNotAvailableError(
                    f"{self.owner} is {self._closed}: its stores cannot be queried"))
            else:
                self.pending.append(request)
        return request.future

    def serve(self, tasks: Iterable[tuple[TaskKey, Any]],
              stale_tasks: Iterable[tuple[TaskKey, Any]] = ()) -> int:
        """Answer every pending request from ``tasks`` (and ``stale_tasks`` for stale
        requests). Returns how many requests were answered."""
        served = 0
        pending = self.pending
        active = stale = None
        while pending:
            request = pending.popleft()
            if not request.future.set_running_or_notify_cancel():
                continue   # the caller gave up waiting
            if active is None:
                active, stale = list(tasks), list(stale_tasks)
            chosen = active + stale if request.stale else active
            try:
                results = []
                for (_sub, partition), task in chosen:
                    if request.partition is not None and partition != request.partition:
                        continue
                    if request.store_name in task.store_names:
                        results.append((partition, request.operation(task.get_store(request.store_name))))
                request.future.set_result(results)
            except BaseException as exc:   # the caller's operation: report it, go on
                request.future.set_exception(exc)
            served += 1
        return served

    def close(self, why: str) -> None:
        """Refuse new requests and fail those still waiting (the owner is stopping)."""
        with self._lock:
            self._closed = why
        while self.pending:
            request = self.pending.popleft()
            if request.future.set_running_or_notify_cancel():
                request.future.set_exception(StateStoreNotAvailableError(
                    f"{self.owner} is {why}: its stores cannot be queried"))


@dataclass(frozen=True)
class KeyQueryMetadata:
    """Where a key of a store lives (Kafka's ``KeyQueryMetadata``, for this instance):
    the partition the default partitioner gives the key, and the local thread whose
    active task holds it, if any."""

    store_name: str
    partition: int
    local: bool
    thread: str | None = None


def murmur2(data: bytes) -> int:
    """Kafka's ``Utils.murmur2`` (seed 0x9747b28c), as a signed 32-bit int."""
    length = len(data)
    m = 0x5BD1E995
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    rounded = length & ~3
    for i in range(0, rounded, 4):
        k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24)
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> 24
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    extra = length & 3
    if extra == 3:
        h ^= data[rounded + 2] << 16
    if extra >= 2:
        h ^= data[rounded + 1] << 8
    if extra >= 1:
        h ^= data[rounded]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h - (1 << 32) if h & 0x80000000 else h


def default_partition(key_bytes: bytes, num_partitions: int) -> int:
    """The partition Kafka's default partitioner (and librdkafka's ``murmur2_random``)
    gives a non-null key: ``toPositive(murmur2(key)) % num_partitions``."""
    return (murmur2(key_bytes) & 0x7FFFFFFF) % num_partitions
