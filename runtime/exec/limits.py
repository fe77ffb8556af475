"""Process limits for workers, so that a mistake in user code (an expression the sandbox
let through, a pathological regex, a user-defined function) cannot take a machine down.

Two limits, both off unless configured:

- **Memory** (``riffle.process.memory.limit.mb``): :func:`apply_memory_limit` lowers the
  soft ``RLIMIT_AS`` (address space) of the *whole current process*. An allocation past
  it raises ``MemoryError`` in the thread that asked, which the processing exception
  handler treats like any other processing error. It is applied by ``python -m runtime
  run`` and by the studio in a replica's own (prefork) process; a library never limits
  its host process on its own. The address space counts reserved, not resident, memory
  (thread stacks, malloc arenas), so the limit must leave room above what an idle app
  reserves (see :func:`address_space_mb`).
- **CPU time per batch** (``riffle.batch.cpu.limit.ms``): a :class:`BatchWatchdog`
  thread reads each stream thread's own CPU clock while the thread processes a batch
  and, past the limit, reports the record under way and puts the app in ERROR. A
  Python thread cannot be interrupted from outside, so with
  ``riffle.batch.cpu.limit.action=exit`` it then ends the process with
  :data:`BATCH_CPU_LIMIT_EXIT_CODE`, for a supervisor to replace it.

Weakness, by construction: the offending record's offset is not committed, so a record
that always trips the limit trips it again on whichever instance owns its partition
next. The report names the topic, partition and offset so that an operator can skip it
(``python -m runtime reset --to-datetime`` / a new version that filters it).
"""

from __future__ import annotations

import logging
import os
import resource
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from runtime.errors import ConfigError, StreamsError

__all__ = [
    "BATCH_CPU_LIMIT_EXIT_CODE",
    "BatchCpuLimitExceeded",
    "BatchWatchdog",
    "address_space_mb",
    "apply_memory_limit",
]

logger = logging.getLogger(__name__)

# Distinct from 1 (failed) and 2 (bad arguments) of ``python -m runtime``, so that a
# supervisor's log tells a spinning batch from an ordinary failure.
BATCH_CPU_LIMIT_EXIT_CODE = 86

_MB = 1024 * 1024


class BatchCpuLimitExceeded(StreamsError):
    """A stream thread spent more CPU time than ``riffle.batch.cpu.limit.ms`` on one
    batch. Carries where it was (the fields of the metrics ``errors`` entries)."""

    def __init__(self, message: str, *, topic: str | None, partition: int | None,
                 offset: int | None, task_id: str | None, thread: str) -> None:
        super().__init__(message)
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.task_id = task_id
        self.thread = thread

    def to_dict(self) -> dict[str, object]:
        return {"node": None, "topic": self.topic, "partition": self.partition,
                "offset": self.offset, "task_id": self.task_id, "thread": self.thread,
                "message": str(self)}


# -- memory ------------------------------------------------------------------------------


def address_space_mb() -> int:
    """The address space this process uses now (``VmSize``), in MiB."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) // 1024
    raise OSError("no VmSize in /proc/self/status")  # pragma: no cover - Linux has it


def apply_memory_limit(limit_mb: int) -> int:
    """Limit this process's address space to ``limit_mb`` MiB (soft ``RLIMIT_AS``).

    Never raises the hard limit (an unprivileged process could not lower it back, and a
    privileged one must not escape an operator's limit). Returns the limit in bytes.

    :raises ConfigError: ``limit_mb`` is not positive, is above the hard limit, or is
        below what the process already uses (it would fail at its next allocation).
    """
    if isinstance(limit_mb, bool) or not isinstance(limit_mb, int) or limit_mb <= 0:
        raise ConfigError(f"the memory limit must be a positive number of MiB, got {limit_mb!r}")
    limit = limit_mb * _MB
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY and limit > hard:
        raise ConfigError(f"memory limit {limit_mb} MiB is above the process's hard limit "
                          f"({hard // _MB} MiB); it can only be lowered")
    used = address_space_mb()
    if limit_mb <= used:
        raise ConfigError(f"memory limit {limit_mb} MiB is below what this process already uses "
                          f"({used} MiB of address space); raise riffle.process.memory.limit.mb")
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    logger.info("address space limited to %d MiB (%d MiB in use; was %s)", limit_mb, used,
                "unlimited" if soft == resource.RLIM_INFINITY else f"{soft // _MB} MiB")
    return limit


# -- CPU time per batch -------------------------------------------------------------------


def thread_cpu_s(clock_id: int) -> float:
    """CPU seconds used by the thread whose clock is ``clock_id``
    (``time.pthread_getcpuclockid(ident)``); readable from any thread of the process.
    Raises OSError once that thread has ended."""
    return time.clock_gettime(clock_id)


class BatchWatchdog(threading.Thread):
    """Watches stream threads for a batch that uses more than ``limit_ms`` of CPU.

    A watched thread publishes ``cpu_clock_id`` (taken on the thread itself) and
    ``batch``: ``(cpu_at_start, task)`` while it processes
    (``task`` None in a punctuation round), ``None`` between batches: one attribute
    write each way, read here without a lock (a tuple swap is atomic). The watchdog
    samples every ``interval_s``; a batch trips at most once.

    :param on_trip: called on this thread with the error, after the CRITICAL log line;
        the app uses it to record the error and enter ERROR.
    :param action: ``"log"`` (report only) or ``"exit"`` (report, flush the logs, then
        ``os._exit(BATCH_CPU_LIMIT_EXIT_CODE)``).
    """

    def __init__(self, application_id: str, limit_ms: int, *, action: str = "log",
                 on_trip: Callable[[BatchCpuLimitExceeded, Any], None] | None = None,
                 interval_s: float | None = None, exit: Callable[[int], Any] = os._exit) -> None:
        super().__init__(name=f"{application_id}-batch-watchdog", daemon=True)
        if action not in ("log", "exit"):
            raise ConfigError(f"riffle.batch.cpu.limit.action must be 'log' or 'exit', got {action!r}")
        self.application_id = application_id
        self.limit_s = limit_ms / 1000.0
        self.action = action
        self.interval_s = interval_s if interval_s is not None else min(max(self.limit_s / 10, 0.005), 0.5)
        self._on_trip = on_trip
        self._exit = exit
        self._threads: list[Any] = []
        # thread id() -> the batch already reported (held, so its identity stays unique)
        self._tripped: dict[int, Any] = {}
        self._stop = threading.Event()
        self.trips = 0

    def watch(self, thread: Any) -> None:
        """Watch ``thread`` (a started or not yet started thread with a ``batch``)."""
        self._threads = [*self._threads, thread]

    def shutdown(self) -> None:
        self._stop.set()

    def run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.check()

    def check(self) -> int:
        """One round over the watched threads; returns how many tripped now."""
        tripped = 0
        for thread in self._threads:
            batch = thread.batch
            clock = thread.cpu_clock_id
            if batch is None or clock is None or self._tripped.get(id(thread)) is batch:
                continue
            try:
                used = thread_cpu_s(clock) - batch[0]
            except OSError:   # the thread ended between the two reads
                continue
            if used > self.limit_s and thread.batch is batch:
                self._tripped[id(thread)] = batch
                self._trip(thread, batch[1], used)
                tripped += 1
        return tripped

    def _trip(self, thread: Any, task: Any, used_s: float) -> None:
        self.trips += 1
        metadata = task.record_metadata() if task is not None else None
        topic, partition, offset = metadata if metadata is not None else (None, None, None)
        task_id = str(task.task_id) if task is not None else None
        where = (f"task {task_id}, {topic}-{partition} offset {offset}" if metadata is not None
                 else f"task {task_id}" if task is not None else "a punctuation round")
        error = BatchCpuLimitExceeded(
            f"{self.application_id}: stream thread {thread.name} used {used_s * 1000:.0f} ms of CPU "
            f"on one batch (riffle.batch.cpu.limit.ms={self.limit_s * 1000:.0f}), at {where}",
            topic=topic, partition=partition, offset=offset, task_id=task_id, thread=thread.name)
        logger.critical("%s", error)
        if self._on_trip is not None:
            try:
                self._on_trip(error, thread)
            except Exception:   # the exit below must happen whatever the report did
                logger.exception("%s: reporting the batch CPU limit failed", self.application_id)
        if self.action == "exit":
            logger.critical("%s: ending the process (exit code %d) since a Python thread cannot be "
                            "interrupted; its supervisor replaces it", self.application_id,
                            BATCH_CPU_LIMIT_EXIT_CODE)
            flush_logs()
            self._exit(BATCH_CPU_LIMIT_EXIT_CODE)


def flush_logs() -> None:
    """Flush every logging handler and the standard streams (``os._exit`` skips it)."""
    for ref in list(logging._handlerList):  # type: ignore[attr-defined]  # no public list
        handler = ref()
        if handler is not None:
            try:
                handler.flush()
            except Exception:  # a broken handler must not stop the exit
                pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
