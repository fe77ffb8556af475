"""Restoring tasks' stores from their changelogs while the stream thread keeps processing
its other tasks (Kafka Streams' ``StoreChangelogReader``, driven as its state updater
drives it).

One :class:`ChangelogReader` per stream thread reads the changelog partitions of every
task being restored through one assign-only consumer that never joins the group. The
thread registers a new task, calls :meth:`ChangelogReader.restore_once` once per loop
iteration (one ``consume`` of at most ``restore.consumer.max.poll.records`` records,
whichever changelogs they come from) and moves the tasks it reports complete to
processing.

Per store: the Redis checkpoint first, then the changelog after it. Kafka is the source
of truth: a checkpoint is applied only once the changelog has proved that its offset
exists (a record at or after it, or end-of-partition reached from it); one that points
past the end (the changelog was recreated, e.g. after a reset or a broker that kept
nothing) is discarded and the whole changelog replayed. A store whose changelog is its
table's source topic is restored only up to the committed offset, without checkpoint. A
store handed over by a standby is replayed from the standby's position.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from runtime.errors import TaskCorruptedError
from runtime.kafka import (
    OFFSET_BEGINNING,
    KafkaConsumer,
    MessageProto,
    TopicPartition,
    TopicPartitionOffset,
    is_offset_reset_error,
    is_partition_eof,
)
from runtime.processor.restore_listener import StateRestoreListener
from runtime.state.checkpoint import Checkpoint, CheckpointStore

__all__ = ["ChangelogReader", "RestorableTask", "RestoreProgress", "RestoreResult"]

logger = logging.getLogger(__name__)

# The longest single wait for changelog records (see ChangelogReader._fetch).
_FETCH_SLICE_S = 0.02


class RestorableTask(Protocol):
    task_id: Any

    def changelog_partitions(self) -> dict[str, tuple[str, int]]: ...
    # (key, value, timestamp) as read from the changelog; value None deletes.
    def restore(self, store_name: str, batch: Iterable[tuple[bytes, bytes | None, int]]) -> None: ...
    # Entries in the store's local format, as store_snapshot() gave them.
    def load_snapshot(self, store_name: str, entries: Iterable[tuple[bytes, bytes]]) -> None: ...


@dataclass(frozen=True)
class RestoreResult:
    store: str
    changelog: TopicPartition
    end_offset: int          # changelog position the restored state covers
    from_checkpoint: bool
    records_replayed: int
    seconds: float
    # the offset of the Redis checkpoint loaded, which later incremental checkpoints extend
    checkpoint_offset: int | None = None
    # where the replay started when a standby's entries were handed over
    standby_offset: int | None = None


@dataclass
class RestoreProgress:
    """What one :meth:`ChangelogReader.restore_once` did, by task key."""

    records: int = 0
    restored: dict[Hashable, int] = field(default_factory=dict)
    # every store of these tasks is restored; results in store order
    completed: dict[Hashable, list[RestoreResult]] = field(default_factory=dict)
    # unregistered: their state cannot be trusted (what to do is the caller's choice)
    failed: dict[Hashable, TaskCorruptedError] = field(default_factory=dict)


class _Changelog:
    """One store's changelog partition under restore."""

    __slots__ = ("key", "task", "store", "tp", "stop_at", "standby", "checkpoint", "pending",
                 "position", "replayed", "started", "last_progress", "announced", "end", "result")

    def __init__(self, key: Hashable, task: RestorableTask, store: str, tp: TopicPartition, *,
                 checkpoint: Checkpoint | None = None, standby: bool = False, stop_at: int | None = None) -> None:
        self.key = key
        self.task = task
        self.store = store
        self.tp = tp
        self.stop_at = stop_at       # a source topic: restored up to this committed offset
        self.standby = standby       # ``checkpoint`` is a standby's position, with no entries
        self.checkpoint = checkpoint
        self.pending = checkpoint    # applied once the changelog proves its offset exists
        self.position = checkpoint.offset if checkpoint is not None else OFFSET_BEGINNING
        self.replayed = 0
        self.started = self.last_progress = time.monotonic()
        self.announced = False       # on_restore_start called
        self.end: int | None = None
        self.result: RestoreResult | None = None


class ChangelogReader:
    """Restores registered tasks a bounded step at a time, with one consumer for all
    their changelogs. Not thread-safe: the owning stream thread makes every call.

    :param listener: a ``StateRestoreListener``, or an object with its methods
        (``on_restore_suspended`` optional); what it raises is logged and ignored.
    """

    def __init__(
        self,
        consumer: KafkaConsumer,
        *,
        application_id: str,
        checkpoints: CheckpointStore | None,
        max_poll_records: int = 1000,
        stall_timeout_s: float = 60.0,
        listener: StateRestoreListener | None = None,
    ) -> None:
        self._consumer = consumer
        self._application_id = application_id
        self._checkpoints = checkpoints
        self._max_poll_records = max_poll_records
        self._stall_timeout_s = stall_timeout_s
        self._listener = listener
        self._tasks: dict[Hashable, list[_Changelog]] = {}
        self._active: dict[TopicPartition, _Changelog] = {}   # registered, not yet at their end
        self._reassign = False
        self._assigned = False
        self._assigned_marks: dict[TopicPartition, tuple[int, int] | None] = {}
        self._known_topics: set[str] = set()   # whose metadata the consumer has loaded

    def close(self) -> None:
        self._consumer.close()

    def tasks(self) -> list[Hashable]:
        """The keys of the tasks registered and not yet reported complete or failed."""
        return list(self._tasks)

    def register(self, key: Hashable, task: RestorableTask,
                 source_ends: Mapping[TopicPartition, int] | None = None,
                 positions: Mapping[TopicPartition, int] | None = None) -> None:
        """Start restoring every logged store of ``task``.

        :param source_ends: the committed offsets of the task's source partitions. A
            changelog that is one of them (a table reusing its source topic) is restored
            only up to that offset, as Kafka does: what follows is processed, and must
            find the store as it was before it.
        :param positions: changelogs whose store already holds everything before the
            given offset (a standby handed over); only the rest is replayed. If such an
            offset is not in the changelog the task fails with TaskCorruptedError.
        """
        if key in self._tasks:
            raise ValueError(f"task {key} is already restoring")
        changelogs = []
        for store, (topic, partition) in sorted(task.changelog_partitions().items()):
            tp = TopicPartition(topic, partition)
            stop_at = None if source_ends is None else source_ends.get(tp)
            position = None if positions is None else positions.get(tp)
            if stop_at is not None:
                # No Redis checkpoint here: its snapshot may hold state past the committed offset.
                changelogs.append(_Changelog(key, task, store, tp, stop_at=stop_at))
            elif position is not None:
                changelogs.append(_Changelog(key, task, store, tp, checkpoint=Checkpoint(position, []), standby=True))
            else:
                checkpoint = None
                if self._checkpoints is not None:
                    checkpoint = self._checkpoints.load(self._application_id, store, partition)
                changelogs.append(_Changelog(key, task, store, tp, checkpoint=checkpoint))
        self._tasks[key] = changelogs
        for changelog in changelogs:
            if changelog.stop_at is not None and changelog.stop_at <= 0:
                self._announce(changelog, 0, 0)   # nothing committed: nothing to read
                self._finish(changelog, 0)
            else:
                self._active[changelog.tp] = changelog
                self._reassign = True

    def unregister(self, key: Hashable) -> None:
        """Stop restoring ``key`` (revoked, lost, closing); its stores are left as they
        are, half restored."""
        self._drop(key)
        if self._reassign:
            self._assign()

    def restore_once(self, timeout_s: float) -> RestoreProgress:
        """One bounded step: at most one ``consume`` of ``max_poll_records`` records
        (waiting up to ``timeout_s`` for them), applied to their stores."""
        progress = RestoreProgress()
        if self._reassign:
            self._assign()
        if self._active:
            by_changelog: dict[TopicPartition, list[MessageProto]] = {}
            for message in self._fetch(timeout_s):
                tp = TopicPartition(message.topic(), message.partition())  # type: ignore[arg-type]
                by_changelog.setdefault(tp, []).append(message)
            for tp, messages in by_changelog.items():
                changelog = self._active.get(tp)
                if changelog is None:
                    continue   # finished, or its task unregistered, after the fetch
                try:
                    self._apply(changelog, messages, progress)
                except TaskCorruptedError as exc:
                    self._fail(changelog.key, exc, progress)
            self._check_waiting(progress)
        for key, changelogs in list(self._tasks.items()):
            if all(c.result is not None for c in changelogs):
                del self._tasks[key]
                progress.completed[key] = [c.result for c in changelogs]  # type: ignore[misc]
        if self._reassign and not self._active:
            self._assign()   # nothing left to read: stop fetching
        return progress

    def _fetch(self, timeout_s: float) -> list[MessageProto]:
        """Up to ``max_poll_records`` records, as soon as some are there.

        ``consume`` returns early only with a full batch: a changelog's last few records
        (or the end-of-partition event of an empty tail, a checkpoint's usual case)
        would wait out the whole timeout. Short waits return them as they come."""
        deadline = time.monotonic() + timeout_s
        while True:
            wait = min(_FETCH_SLICE_S, max(deadline - time.monotonic(), 0.0))
            messages = self._consumer.consume(self._max_poll_records, wait)
            if messages or time.monotonic() >= deadline:
                return messages

    def remaining(self, key: Hashable) -> int:
        """Records (by offsets) still to restore for ``key``, as far as the fetched high
        watermarks tell (Kafka's restore-remaining-records-total)."""
        total = 0
        for changelog in self._tasks.get(key, ()):
            if changelog.result is not None:
                continue
            marks = self._consumer.watermarks(changelog.tp, cached=True)
            end = changelog.stop_at if changelog.stop_at is not None else (marks[1] if marks else None)
            if end is None:
                continue
            start = changelog.position if changelog.position >= 0 else (max(marks[0], 0) if marks else 0)
            total += max(end - start, 0)
        return total

    def restore_task(self, task: RestorableTask,
                     source_ends: Mapping[TopicPartition, int] | None = None,
                     positions: Mapping[TopicPartition, int] | None = None, *,
                     should_stop: Callable[[], bool] = lambda: False) -> list[RestoreResult]:
        """Restore ``task`` to the end, blocking, with no other task registered (tools
        and tests; the stream thread interleaves :meth:`restore_once` with processing).
        Raises TaskCorruptedError as :meth:`register` describes, or when ``should_stop``."""
        key = ("restore_task", id(task))
        self.register(key, task, source_ends, positions)
        try:
            while True:
                if should_stop():
                    raise TaskCorruptedError(f"restore of task {task.task_id} interrupted by shutdown")
                progress = self.restore_once(0.2)
                if key in progress.failed:
                    raise progress.failed[key]
                if key in progress.completed:
                    return progress.completed[key]
        finally:
            self.unregister(key)   # nothing left to do once completed or failed

    # -- one changelog ------------------------------------------------------------------

    def _apply(self, changelog: _Changelog, messages: list[MessageProto], progress: RestoreProgress) -> None:
        batch: list[tuple[bytes, bytes | None, int]] = []
        end: int | None = None
        last = -1
        stop_at = changelog.stop_at
        for message in messages:
            error = message.error()
            if error is None:
                offset: int = message.offset()  # type: ignore[assignment]
                if offset < changelog.position:
                    continue   # fetched before a reassignment: applied already
                if stop_at is not None and offset >= stop_at:
                    end = stop_at
                    break
                # The changelog record's timestamp is the stored value's timestamp.
                batch.append((message.key(), message.value(), message.timestamp()[1]))  # type: ignore[arg-type]
                last = offset
                if stop_at is not None and offset + 1 >= stop_at:
                    end = stop_at
                    break
            elif is_partition_eof(error):
                end = message.offset()
                break
            elif is_offset_reset_error(error):
                self._stale(changelog, f"{error}")
                return
            else:
                logger.warning("restoring %s from %s: %s", changelog.store, changelog.tp, error)
        self._take(changelog, batch, last, end, progress)

    def _take(self, changelog: _Changelog, batch: list[tuple[bytes, bytes | None, int]], last: int,
              end: int | None, progress: RestoreProgress) -> None:
        """Apply ``batch`` (its last record at offset ``last``), then finish at ``end``."""
        if not batch and end is None:
            return
        if not changelog.announced:
            self._announce(changelog, None, end)
        if changelog.pending is not None:
            changelog.task.load_snapshot(changelog.store, changelog.pending.entries)
            changelog.pending = None
        if batch:
            changelog.task.restore(changelog.store, batch)
            changelog.replayed += len(batch)
            changelog.position = last + 1
            changelog.last_progress = time.monotonic()
            progress.records += len(batch)
            progress.restored[changelog.key] = progress.restored.get(changelog.key, 0) + len(batch)
            self._notify("on_batch_restored", changelog.tp, changelog.store, last, len(batch))
        if end is not None:
            self._finish(changelog, end)

    def _check_waiting(self, progress: RestoreProgress) -> None:
        """Every changelog still being read: a checkpoint past the end is stale. Once a
        fetch since its assignment told its end, its restore starts (for the listener)
        and, if its position is that end, is complete: neither waits for its first
        record or end-of-partition event, which queue behind the records of the
        changelogs fetched before it. A restore that stopped progressing fails."""
        now = time.monotonic()
        for changelog in list(self._active.values()):
            if changelog.key in progress.failed:
                continue
            try:
                marks = self._consumer.watermarks(changelog.tp, cached=True)
                if changelog.pending is not None and marks is not None and marks[1] < changelog.pending.offset:
                    self._stale(changelog, f"changelog ends at {marks[1]}")
                    continue
                # Cached watermarks may predate the assignment (this partition restored
                # before, grown since): only ones that changed after it are trusted.
                if marks is not None and marks != self._assigned_marks.get(changelog.tp):
                    if not changelog.announced:
                        self._announce(changelog, None, None)
                    low, high = marks
                    if changelog.position == high if changelog.position >= 0 else low >= high:
                        self._take(changelog, [], -1, high, progress)
                        continue
                if now - changelog.last_progress > self._stall_timeout_s:
                    raise TaskCorruptedError(
                        f"restore of store {changelog.store} from {changelog.tp} made no progress for "
                        f"{self._stall_timeout_s:.0f} s"
                    )
            except TaskCorruptedError as exc:
                self._fail(changelog.key, exc, progress)

    def _stale(self, changelog: _Changelog, why: str) -> None:
        """The changelog does not hold the offset the replay started from."""
        store, tp, checkpoint = changelog.store, changelog.tp, changelog.checkpoint
        if checkpoint is None:
            raise TaskCorruptedError(f"cannot read changelog {tp} of store {store}: {why}")
        if changelog.standby:
            raise TaskCorruptedError(f"the standby of store {store} stood at offset {checkpoint.offset}, "
                                     f"which changelog {tp} no longer holds")
        logger.warning(
            "discarding the Redis checkpoint of store %s (partition %d) at offset %d: %s; "
            "replaying the whole changelog %s",
            store, tp.partition, checkpoint.offset, why, tp,
        )
        changelog.checkpoint = changelog.pending = None
        changelog.position = OFFSET_BEGINNING
        changelog.replayed = 0
        changelog.last_progress = time.monotonic()
        self._reassign = True

    def _announce(self, changelog: _Changelog, start: int | None, end: int | None) -> None:
        changelog.announced = True
        marks = self._consumer.watermarks(changelog.tp, cached=True) if start is None or end is None else None
        if start is None:
            start = changelog.checkpoint.offset if changelog.checkpoint is not None else (
                max(marks[0], 0) if marks else 0)
        if changelog.stop_at is not None:
            ending = changelog.stop_at
        else:
            ending = max(marks[1] if marks else 0, end or 0, start)
        self._notify("on_restore_start", changelog.tp, changelog.store, start, ending)

    def _finish(self, changelog: _Changelog, end: int) -> None:
        changelog.end = changelog.position = end
        if self._active.get(changelog.tp) is changelog:
            del self._active[changelog.tp]
            self._reassign = True
        task_id, store, tp, replayed = changelog.task.task_id, changelog.store, changelog.tp, changelog.replayed
        seconds = time.monotonic() - changelog.started
        checkpoint = changelog.checkpoint
        if changelog.stop_at is not None:
            changelog.result = RestoreResult(store, tp, end, False, replayed, seconds)
            logger.info("task %s restored store %s from its source topic %s: %d records to "
                        "committed offset %d in %.2f s", task_id, store, tp, replayed, end, seconds)
        elif changelog.standby:
            assert checkpoint is not None
            changelog.result = RestoreResult(store, tp, end, False, replayed, seconds,
                                             standby_offset=checkpoint.offset)
            logger.info("task %s restored store %s from %s + standby at offset %d: %d changelog "
                        "records to offset %d in %.2f s", task_id, store, tp, checkpoint.offset,
                        replayed, end, seconds)
        else:
            used = checkpoint is not None
            changelog.result = RestoreResult(store, tp, end, used, replayed, seconds,
                                             checkpoint.offset if checkpoint is not None else None)
            logger.info(
                "task %s restored store %s from %s%s: %d changelog records to offset %d in %.2f s",
                task_id, store, tp, " + Redis checkpoint" if used else "", replayed, end, seconds,
            )
        self._notify("on_restore_end", tp, store, replayed)

    # -- tasks ----------------------------------------------------------------------------

    def _fail(self, key: Hashable, exc: TaskCorruptedError, progress: RestoreProgress) -> None:
        self._drop(key)
        progress.failed[key] = exc

    def _drop(self, key: Hashable) -> None:
        for changelog in self._tasks.pop(key, ()):
            if self._active.get(changelog.tp) is changelog:
                del self._active[changelog.tp]
                self._reassign = True
            if changelog.announced and changelog.result is None:
                self._notify("on_restore_suspended", changelog.tp, changelog.store, changelog.replayed)

    def _assign(self) -> None:
        self._reassign = False
        # Positions are exact (the next offset to apply), so a reassignment loses nothing
        # that was fetched but not returned yet.
        offsets = [TopicPartitionOffset(tp.topic, tp.partition, c.position) for tp, c in sorted(self._active.items())]
        self._assigned_marks = {tp: self._consumer.watermarks(tp, cached=True) for tp in self._active}
        if offsets:
            new_topics = sorted({o.topic for o in offsets} - self._known_topics)
            if new_topics:
                self._consumer.load_metadata(new_topics, timeout=1.0)
                self._known_topics.update(new_topics)
            self._consumer.assign(offsets)
        elif self._assigned:
            self._consumer.unassign()
        self._assigned = bool(offsets)

    def _notify(self, name: str, *args: Any) -> None:
        method = getattr(self._listener, name, None) if self._listener is not None else None
        if method is None:
            return
        try:
            method(*args)
        except Exception:  # the user's code: it must not stop the restore
            logger.warning("state restore listener %s failed for %s", name, args[0], exc_info=True)
