"""Restoring a task's stores before it processes: Redis checkpoint first, then the
changelog tail (Kafka Streams' ``StoreChangelogReader``, restoring one store at a time).

Kafka is the source of truth. A checkpoint is used only when its offset lies inside the
changelog; one that points past the end (the changelog was recreated, e.g. after a
reset or a broker that kept nothing) is discarded and the whole changelog replayed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from runtime.errors import TaskCorruptedError
from runtime.kafka import (
    OFFSET_BEGINNING,
    KafkaConsumer,
    TopicPartition,
    TopicPartitionOffset,
    is_offset_reset_error,
    is_partition_eof,
)
from runtime.state.checkpoint import Checkpoint, CheckpointStore

__all__ = ["ChangelogRestorer", "RestorableTask", "RestoreResult"]

logger = logging.getLogger(__name__)


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


class ChangelogRestorer:
    """Reads changelogs with an assign-only consumer that never joins the group."""

    def __init__(
        self,
        consumer: KafkaConsumer,
        *,
        application_id: str,
        checkpoints: CheckpointStore | None,
        batch_size: int = 10_000,
        stall_timeout_s: float = 60.0,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self._consumer = consumer
        self._application_id = application_id
        self._checkpoints = checkpoints
        self._batch_size = batch_size
        self._stall_timeout_s = stall_timeout_s
        self._should_stop = should_stop

    def close(self) -> None:
        self._consumer.close()

    def restore_task(self, task: RestorableTask,
                     source_ends: Mapping[TopicPartition, int] | None = None,
                     positions: Mapping[TopicPartition, int] | None = None) -> list[RestoreResult]:
        """``source_ends``: the committed offsets of the task's source partitions. A
        changelog that is one of them (a table reusing its source topic) is restored
        only up to that offset, as Kafka does: what follows is processed, and must find
        the store as it was before it. ``positions``: changelogs whose store already
        holds everything before the given offset (a standby handed over); only the rest
        is replayed. Raises TaskCorruptedError if such an offset is not in the changelog."""
        results = []
        for store, (topic, partition) in sorted(task.changelog_partitions().items()):
            changelog = TopicPartition(topic, partition)
            stop_at = None if source_ends is None else source_ends.get(changelog)
            position = None if positions is None else positions.get(changelog)
            if stop_at is not None:
                results.append(self._restore_source_store(task, store, changelog, stop_at))
            elif position is not None:
                results.append(self._restore_from_standby(task, store, changelog, position))
            else:
                results.append(self._restore_store(task, store, changelog))
        return results

    def _restore_from_standby(self, task: RestorableTask, store: str, changelog: TopicPartition,
                              position: int) -> RestoreResult:
        started = time.monotonic()
        end, replayed, used = self._replay(task, store, changelog, Checkpoint(position, []))
        if not used:
            raise TaskCorruptedError(f"the standby of store {store} stood at offset {position}, "
                                     f"which changelog {changelog} no longer holds")
        result = RestoreResult(store, changelog, end, False, replayed, time.monotonic() - started,
                               standby_offset=position)
        logger.info("task %s restored store %s from %s + standby at offset %d: %d changelog "
                    "records to offset %d in %.2f s", task.task_id, store, changelog, position,
                    replayed, end, result.seconds)
        return result

    def _restore_source_store(self, task: RestorableTask, store: str, changelog: TopicPartition,
                              stop_at: int) -> RestoreResult:
        # No Redis checkpoint here: its snapshot may hold state past the committed offset.
        started = time.monotonic()
        end, replayed = (0, 0) if stop_at <= 0 else self._replay(
            task, store, changelog, None, stop_at)[:2]
        result = RestoreResult(store, changelog, end, False, replayed, time.monotonic() - started)
        logger.info("task %s restored store %s from its source topic %s: %d records to "
                    "committed offset %d in %.2f s", task.task_id, store, changelog, replayed,
                    end, result.seconds)
        return result

    def _restore_store(self, task: RestorableTask, store: str, changelog: TopicPartition) -> RestoreResult:
        started = time.monotonic()
        checkpoint: Checkpoint | None = None
        if self._checkpoints is not None:
            checkpoint = self._checkpoints.load(self._application_id, store, changelog.partition)
        end, replayed, used = self._replay(task, store, changelog, checkpoint)
        if checkpoint is not None and not used:
            end, replayed, used = self._replay(task, store, changelog, None)
        result = RestoreResult(store, changelog, end, used, replayed, time.monotonic() - started,
                               checkpoint.offset if used and checkpoint is not None else None)
        logger.info(
            "task %s restored store %s from %s%s: %d changelog records to offset %d in %.2f s",
            task.task_id, store, changelog, " + Redis checkpoint" if used else "", replayed, end, result.seconds,
        )
        return result

    def _replay(
        self, task: RestorableTask, store: str, changelog: TopicPartition, checkpoint: Checkpoint | None,
        stop_at: int | None = None,
    ) -> tuple[int, int, bool]:
        """Apply ``checkpoint`` (if valid) and the changelog after it. Returns
        (end offset, records replayed, whether the checkpoint was used); when the
        checkpoint turns out stale nothing has been applied and the caller retries
        without it."""
        consumer = self._consumer
        start = checkpoint.offset if checkpoint is not None else OFFSET_BEGINNING
        consumer.assign([TopicPartitionOffset(changelog.topic, changelog.partition, start)])
        # The checkpoint is applied only once the changelog has proved that its offset
        # exists: a record at or after it, or end-of-partition reached from it.
        pending_checkpoint = checkpoint
        replayed = 0
        last_progress = time.monotonic()
        try:
            while True:
                if self._should_stop():
                    raise TaskCorruptedError(f"restore of {store} from {changelog} interrupted by shutdown")
                batch: list[tuple[bytes, bytes | None, int]] = []
                end: int | None = None
                for message in consumer.consume(self._batch_size, 0.2):
                    if message.topic() != changelog.topic or message.partition() != changelog.partition:
                        continue
                    error = message.error()
                    if error is None:
                        if stop_at is not None and message.offset() >= stop_at:  # type: ignore[operator]
                            end = stop_at  # a source topic: restored up to the committed offset
                            continue
                        # The changelog record's timestamp is the stored value's timestamp.
                        batch.append((message.key(), message.value(), message.timestamp()[1]))  # type: ignore[arg-type]
                        if stop_at is not None and message.offset() + 1 >= stop_at:  # type: ignore[operator]
                            end = stop_at
                    elif is_partition_eof(error):
                        end = message.offset()
                    elif is_offset_reset_error(error):
                        return self._stale(store, changelog, checkpoint, f"{error}")
                    else:
                        logger.warning("restoring %s from %s: %s", store, changelog, error)
                if pending_checkpoint is not None and (batch or end is not None):
                    task.load_snapshot(store, pending_checkpoint.entries)
                    pending_checkpoint = None
                if batch:
                    task.restore(store, batch)
                    replayed += len(batch)
                    last_progress = time.monotonic()
                if end is not None:
                    return end, replayed, checkpoint is not None
                if pending_checkpoint is not None:
                    marks = consumer.watermarks(changelog, cached=True)
                    if marks is not None and marks[1] < pending_checkpoint.offset:
                        return self._stale(store, changelog, checkpoint, f"changelog ends at {marks[1]}")
                if time.monotonic() - last_progress > self._stall_timeout_s:
                    raise TaskCorruptedError(
                        f"restore of store {store} from {changelog} made no progress for "
                        f"{self._stall_timeout_s:.0f} s"
                    )
        finally:
            consumer.unassign()

    def _stale(
        self, store: str, changelog: TopicPartition, checkpoint: Checkpoint | None, why: str
    ) -> tuple[int, int, bool]:
        if checkpoint is None:
            raise TaskCorruptedError(f"cannot read changelog {changelog} of store {store}: {why}")
        logger.warning(
            "discarding the Redis checkpoint of store %s (partition %d) at offset %d: %s; "
            "replaying the whole changelog %s",
            store, changelog.partition, checkpoint.offset, why, changelog,
        )
        return 0, 0, False
