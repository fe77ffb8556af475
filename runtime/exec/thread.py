"""A stream thread: one group consumer, one producer, and the tasks of the partitions it
owns (Kafka Streams' ``StreamThread``).

Loop: poll a batch → create the tasks of newly assigned partitions → hand each running
task its records (``process_batch``) → a bounded step of restoring → punctuate → at
every commit interval flush the tasks and the producer, commit the consumed offsets
synchronously, then checkpoint the stores to Redis (Kafka Streams' order: a checkpoint
is written only by a member whose commit the group accepted). On revocation the
affected tasks are committed and closed inside the revoke callback, while this member's
generation is still valid; on loss they are closed without committing.

Restoring (Kafka Streams' state updater, here on the stream thread): a new task with
logged stores is RESTORING until the thread's ``ChangelogReader`` has brought every
store to its changelog's end. Its input partitions are paused meanwhile, and what was
fetched for them before the pause is held back; it processes nothing, punctuates
nothing and commits nothing. Each loop iteration restores at most
``restore.consumer.max.poll.records`` records, so the running tasks keep processing and
the group consumer keeps being polled (polled without waiting while anything restores,
as Kafka's thread does until all its tasks run); with no task running, the thread
restores for up to ``poll.ms`` per iteration. The thread is RUNNING once no task
restores. A restoring task that is revoked, lost or still restoring at shutdown is
closed as it is: it has nothing to commit.

A commit rejected because the group moved on (Kafka Streams' ``TaskMigratedException``)
closes every task dirty: this member's claim is stale, so it must stop writing for
them. Their partitions stay paused until the next rebalance says who owns them; those
still assigned to this thread then get fresh tasks that restore from the changelog and
resume from the committed offsets. Under at_least_once that reprocesses the records
after the last successful commit: the only way an input record's effect is applied
twice, and it is counted in ``task-closed-dirty-total``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from runtime.errors import ProcessingError, StreamsError, TaskCorruptedError
from runtime.exec.clock import Clock
from runtime.exec.collector import KafkaRecordCollector
from runtime.exec.engine_config import EXACTLY_ONCE_V2, EngineConfig
from runtime.exec.eos import eos_producer_config, eos_restore_consumer_config, transactional_id
from runtime.exec.metrics import ThreadMetrics
from runtime.exec.partition_group import PartitionGroup
from runtime.exec.queries import QueryInbox
from runtime.exec.restore import ChangelogReader, RestoreProgress, RestoreResult
from runtime.exec.sampling import ErrorCallback, RecordFeed, SampleCallback
from runtime.exec.standby import StandbyUpdater, copy_stores
from runtime.exec.task import ConsumedRecord, StreamTask
from runtime.kafka import (
    OFFSET_BEGINNING,
    ClientSupplier,
    CommitFailedError,
    KafkaClientError,
    MessageProto,
    TopicPartition,
    TopicPartitionOffset,
)
from runtime.kafka.config import main_consumer_config, producer_config, restore_consumer_config
from runtime.kafka.reachability import BrokerReachability
from runtime.kafka.exceptions import TransactionError, release_frames
from runtime.processor.restore_listener import StateRestoreListener
from runtime.state.checkpoint import CheckpointStore

__all__ = ["StreamThread", "ThreadState"]

logger = logging.getLogger(__name__)

TP = tuple[str, int]
TaskKey = tuple[int, int]  # (sub-topology, partition)

# How long partitions orphaned by a rejected commit wait for a rebalance to settle their
# ownership before the thread leaves and rejoins the group (Kafka Streams rejoins at once).
ORPHAN_TIMEOUT_S = 30.0


class ThreadState:
    CREATED = "CREATED"
    STARTING = "STARTING"
    PARTITIONS_REVOKED = "PARTITIONS_REVOKED"
    PARTITIONS_ASSIGNED = "PARTITIONS_ASSIGNED"
    RUNNING = "RUNNING"
    PENDING_SHUTDOWN = "PENDING_SHUTDOWN"
    DEAD = "DEAD"


TaskFactory = Callable[..., Any]


class StreamThread(threading.Thread):
    def __init__(
        self,
        *,
        index: int,
        client_id: str,
        topology: Any,
        config: EngineConfig,
        source_topics: Mapping[int, Sequence[str]],
        clients: ClientSupplier,
        checkpoints: CheckpointStore | None,
        clock: Clock,
        on_state_change: Callable[[StreamThread, str, str], None] | None = None,
        task_factory: TaskFactory = StreamTask,
        process_id: str | None = None,
        standbys: StandbyUpdater | None = None,
        restore_listener: StateRestoreListener | None = None,
        on_sample: SampleCallback | None = None,
        on_error: ErrorCallback | None = None,
    ) -> None:
        # Kafka Streams names threads "<client.id>-StreamThread-<n>", the client id
        # being unique per instance, so several instances in one process stay apart.
        name = f"{client_id}-StreamThread-{index}"
        super().__init__(name=name, daemon=True)
        self._topology = topology
        self._config = config
        self._clock = clock
        self._checkpoints = checkpoints
        self._on_state_change = on_state_change
        self._task_factory = task_factory
        self._standbys = standbys
        self._topic_to_sub = {t: sub for sub, topics in source_topics.items() for t in topics}
        # Kafka Streams' own assignor puts partition p of every source topic of a
        # sub-topology on the same task. librdkafka offers no custom assignors; "range"
        # gives that co-location whenever a sub-topology reads several topics (joins),
        # cooperative-sticky (fewer stop-the-world rebalances) is used otherwise.
        multi_source = any(len(topics) > 1 for topics in source_topics.values())
        strategy = "range" if multi_source else "cooperative-sticky"
        raw = config.raw
        # The group consumer polls all the time, so its view of the brokers is the
        # thread's: "broker unreachable" in the metrics while it lasts.
        self.reachability = BrokerReachability()
        self._consumer = clients.consumer(self.reachability.install(main_consumer_config(
            raw, client_id=f"{name}-consumer", assignment_strategy=strategy,
            exactly_once=config.processing_guarantee == EXACTLY_ONCE_V2,
        )))
        self._eos = config.processing_guarantee == EXACTLY_ONCE_V2
        restore_config = restore_consumer_config(raw, client_id=f"{name}-restore-consumer")
        self._reader = ChangelogReader(
            clients.consumer(eos_restore_consumer_config(restore_config) if self._eos else restore_config),
            application_id=config.application_id,
            checkpoints=checkpoints,
            max_poll_records=config.restore_max_poll_records,
            listener=restore_listener,
        )
        producer_settings = producer_config(raw, client_id=f"{name}-producer")
        self.transactional_id: str | None = None
        if self._eos:
            self.transactional_id = transactional_id(config.application_id, process_id or client_id, index)
            producer_settings = eos_producer_config(producer_settings, raw, self.transactional_id)
        self._producer = clients.producer(producer_settings)
        self._collector = KafkaRecordCollector(self._producer)
        # Repartition and changelog writes are plumbing: the dashboard's "records out"
        # and output samples are what the application writes to its own topics.
        internal = frozenset(t.name for t in topology.internal_topics(config.application_id))
        self.metrics = ThreadMetrics(name, internal_topics=internal)
        # Samples and handler decisions for live views; None when nobody listens.
        self.records: RecordFeed | None = None
        if on_error is not None or (on_sample is not None and config.sample_rate > 0):
            self.records = RecordFeed(name, config.sample_rate, clock, on_sample, on_error)
            self._collector.records = self.records
        self.state = ThreadState.CREATED
        self.error: BaseException | None = None
        # For the batch CPU watchdog (runtime.exec.limits): this thread's CPU clock, and
        # (CPU seconds at start, task or None) while a batch or punctuation round runs.
        # Per batch, not per record, and nothing at all when the watchdog is off.
        self._watched = config.batch_cpu_limit_ms > 0
        self.cpu_clock_id: int | None = None
        self.batch: tuple[float, Any] | None = None

        self._shutdown = threading.Event()
        self._dirty = False
        # Interactive queries: other threads submit, this loop serves them between
        # batches (runtime.exec.queries); the stores are only ever touched here.
        self.queries = QueryInbox(name)
        # Running tasks; restoring ones wait in _restoring (with their input paused in
        # _restore_paused and already fetched records in _held) until restored.
        self._tasks: dict[TaskKey, Any] = {}
        self._restoring: dict[TaskKey, Any] = {}
        self._restore_paused: set[TP] = set()
        self._held: dict[TaskKey, list[MessageProto]] = {}
        # restoring from a standby's position: a failure means a fresh restore, not death
        self._from_standby: set[TaskKey] = set()
        # Tasks reading several partitions process them in timestamp order from buffers.
        self._groups: dict[TaskKey, PartitionGroup] = {}
        self._paused: set[TP] = set()
        # What librdkafka holds paused, whatever the reason: its pause outlives a
        # partition's revocation, so a later assignment must lift it (_unpause_assigned).
        self._client_paused: set[TP] = set()
        self._max_idle_ms = int(config.streams.get("max.task.idle.ms", 0))
        self._max_buffered = int(config.raw.get("buffered.records.per.partition", 1000))
        # what the standby updater reads from its own thread; replaced, never mutated
        self.active_tasks: frozenset[TaskKey] = frozenset()
        self._task_partitions: dict[TaskKey, set[TP]] = {}
        self._partition_task: dict[TP, Any] = {}
        self._pending_assigned: list[TP] = []
        self._assignment_changed = False
        self._next_offsets: dict[TP, int] = {}
        self._committed: dict[TP, int] = {}
        self._restored_end: dict[TopicPartition, int] = {}
        self._checkpointed: dict[TopicPartition, int] = {}
        # Still assigned, but their tasks were closed dirty after the group moved on.
        self._orphaned: set[TP] = set()
        self._orphaned_since = 0.0
        # Re-adopted orphans: rewind to the committed offset once their task exists.
        self._rewind: set[TP] = set()

    # -- lifecycle ----------------------------------------------------------------------

    def shutdown(self) -> None:
        """Ask the thread to finish its batch, commit and close (returns at once)."""
        self._shutdown.set()

    def run(self) -> None:
        # Taken here, on this thread: a clock id stays safe to read after the thread
        # ends (EINVAL), which a pthread_t handle would not.
        self.cpu_clock_id = time.pthread_getcpuclockid(threading.get_ident())
        try:
            self._set_state(ThreadState.STARTING)
            self._subscribe()
            poll_s = self._config.poll_ms / 1000.0
            commit_s = self._config.commit_interval_ms / 1000.0
            metrics_s = self._config.metrics_interval_ms / 2000.0
            next_commit = time.monotonic() + commit_s
            next_metrics = 0.0
            records = self.records
            queries = self.queries.pending
            while not self._shutdown.is_set():
                if records is not None:
                    records.refill()
                started = time.perf_counter()
                # While tasks restore, the restore step below is where the loop waits.
                messages = self._consumer.consume(self._config.max_poll_records,
                                                  0.0 if self._restoring else poll_s)
                self.metrics.poll.record(time.perf_counter() - started)
                if self._assignment_changed:
                    self._handle_assignment()
                if messages:
                    self._guarded(self._process, messages)
                if self._groups:
                    self._guarded(self._process_groups)
                if self._restoring:
                    self._guarded(self._restore_step, poll_s, bool(messages))
                self._guarded(self._collector.poll)
                if self._tasks:
                    wall_ms = self._clock.now_ms()
                    started = time.perf_counter()
                    punctuated = 0
                    if self._watched:
                        self.batch = (time.thread_time(), None)
                    try:
                        for task in list(self._tasks.values()):
                            punctuated += task.punctuate(wall_ms) or 0
                    finally:
                        self.batch = None
                    if punctuated:
                        self.metrics.punctuate.record(time.perf_counter() - started, punctuated)
                if queries:
                    self.queries.serve(self._tasks.items(), self._restoring.items())
                now = time.monotonic()
                if now >= next_commit:
                    started, committing = time.perf_counter(), bool(self._tasks)
                    self._guarded(self._commit_periodic)
                    if committing:
                        self.metrics.commit.record(time.perf_counter() - started)
                    next_commit = now + commit_s
                if now >= next_metrics:
                    self._publish_metrics()
                    next_metrics = now + metrics_s
                if self._orphaned and now - self._orphaned_since > ORPHAN_TIMEOUT_S:
                    self._rejoin()
            self._close_clean()
        except Exception as exc:  # the thread's last line of defence: report, never vanish
            logger.exception("stream thread %s failed", self.name)
            self.error = exc
            self.metrics.record_error(exc)
            self._close_dirty()
        finally:
            self.queries.close("stopped")
            self._set_state(ThreadState.DEAD)
            self._publish_metrics(final=True)

    def _subscribe(self) -> None:
        self._consumer.subscribe(
            sorted(self._topic_to_sub),
            on_assign=self._on_assign, on_revoke=self._on_revoke, on_lost=self._on_lost,
        )

    def _rejoin(self) -> None:
        """Leave and join the group again (Kafka Streams' answer to TaskMigrated): the
        fresh assignment resumes every partition from its committed offset."""
        logger.warning("%s: ownership of %s unsettled; leaving and rejoining the group",
                       self.name, ", ".join(f"{t}-{p}" for t, p in sorted(self._orphaned)))
        self._consumer.unsubscribe()  # revokes (or loses) what is left, clearing the orphans
        self._orphaned.clear()
        self._rewind.clear()
        self._paused.clear()   # its next assignment starts unpaused (_unpause_assigned)
        self._restore_paused.clear()
        self._subscribe()

    def _set_state(self, new: str) -> None:
        old, self.state = self.state, new
        if old != new:
            logger.debug("%s: %s -> %s", self.name, old, new)
            if self._on_state_change is not None:
                self._on_state_change(self, old, new)

    # -- rebalance (called from inside consume(), on this thread) -----------------------

    def _on_assign(self, partitions: list[TopicPartition]) -> None:
        self._pending_assigned.extend((p.topic, p.partition) for p in partitions)
        if self._orphaned:
            # A rebalance completed with this member in it: the orphans it did not
            # revoke are ours in the new generation.
            logger.info("%s: the rebalance kept %s here; restarting their tasks from the committed offsets",
                        self.name, ", ".join(f"{t}-{p}" for t, p in sorted(self._orphaned)))
            self._pending_assigned.extend(sorted(self._orphaned))
            self._rewind |= self._orphaned
            self._orphaned = set()
        self._assignment_changed = True
        self._set_state(ThreadState.PARTITIONS_ASSIGNED)

    def _on_revoke(self, partitions: list[TopicPartition]) -> None:
        self._set_state(ThreadState.PARTITIONS_REVOKED)
        self._release(partitions, clean=not self._dirty)

    def _on_lost(self, partitions: list[TopicPartition]) -> None:
        logger.warning("%s lost partitions %s; closing their tasks without committing",
                       self.name, ", ".join(map(str, partitions)))
        self._set_state(ThreadState.PARTITIONS_REVOKED)
        self._release(partitions, clean=False)

    def _release(self, partitions: Iterable[TopicPartition], *, clean: bool) -> None:
        gone = {(p.topic, p.partition) for p in partitions}
        self._pending_assigned = [tp for tp in self._pending_assigned if tp not in gone]
        self._orphaned -= gone
        self._rewind -= gone
        affected = {key for key, tps in self._task_partitions.items() if tps & gone}
        for key in [k for k in affected if k in self._restoring]:
            # Nothing processed, nothing to commit: closed as it is, wherever it got to.
            affected.discard(key)
            self._task_partitions[key] -= gone
            self._restore_paused -= gone
            for tp in gone:
                self._next_offsets.pop(tp, None)
                self._committed.pop(tp, None)
            if not self._task_partitions[key]:
                self._close_restoring(key)
        if not affected:
            return
        if clean:
            try:
                if self._eos:
                    # One transaction holds every task's output: commit them all.
                    self._commit(list(self._tasks.values()), keys=list(self._tasks))
                else:
                    self._commit([self._tasks[k] for k in affected], keys=affected)
            except Exception as exc:
                # Closed dirty: the new owner reprocesses from the last commit.
                logger.warning("%s: commit on revocation failed, closing tasks %s without it: %s",
                               self.name, ", ".join(str(self._tasks[k].task_id) for k in sorted(affected)), exc)
                self.metrics.commits_failed += 1
                if not isinstance(exc, CommitFailedError):
                    self.metrics.record_error(exc)
                clean = False
        if not clean:
            self._count_dirty(affected)
            if self._eos:
                # Their output is in the open transaction with every other task's: it
                # must be aborted, and the remaining tasks restarted (see _guarded).
                self._producer.abandon_transaction(f"tasks closed dirty on losing {sorted(gone)}")
        for key in affected:
            self._task_partitions[key] -= gone
            group = self._groups.get(key)
            if group is not None:
                for tp in gone:
                    group.remove_partition(tp)
                    self._paused.discard(tp)
            for tp in gone:
                if self._partition_task.get(tp) is self._tasks[key]:
                    del self._partition_task[tp]
                self._next_offsets.pop(tp, None)
                self._committed.pop(tp, None)
            if not self._task_partitions[key]:
                self._close_task(key, clean=clean)

    def _handle_assignment(self) -> None:
        pending, self._pending_assigned = self._pending_assigned, []
        self._assignment_changed = False
        new_keys: list[TaskKey] = []
        for tp in pending:
            sub = self._topic_to_sub.get(tp[0])
            if sub is None:
                continue
            key = (sub, tp[1])
            if key not in self._tasks and key not in self._restoring:
                self._restoring[key] = self._create_task(sub, tp[1])
                self._task_partitions[key] = set()
                new_keys.append(key)
            self._task_partitions[key].add(tp)
            if key in self._tasks:
                self._partition_task[tp] = self._tasks[key]
        if pending:
            self._load_committed(pending)
        rewind = [tp for tp in pending if tp in self._rewind]
        self._unpause_assigned([tp for tp in pending if tp not in self._rewind])
        for key in new_keys:
            self._start_restore(key)
        self._update_active()
        self._update_groups()
        self._pause_restoring()
        if rewind:
            self._rewind_to_committed(rewind)
        if self._restoring:
            # "running tasks" is logged once they all run (tests and operators read it)
            logger.info("%s restoring tasks %s (running: %s)", self.name, ", ".join(self._restoring_ids()),
                        ", ".join(self._task_ids()) or "none")
            self._set_state(ThreadState.PARTITIONS_ASSIGNED)
        else:
            logger.info("%s running tasks %s", self.name, ", ".join(self._task_ids()) or "(none)")
            self._set_state(ThreadState.RUNNING)

    def _create_task(self, sub: int, partition: int) -> Any:
        return self._task_factory(
            self._topology, sub, partition,
            application_id=self._config.application_id,
            collector=self._collector,
            config=self._config.streams,
            clock=self._clock,
            observer=self.metrics,
            **({"records": self.records} if self.records is not None else {}),
        )

    # -- restoring ----------------------------------------------------------------------

    def _start_restore(self, key: TaskKey, *, fresh: bool = False) -> None:
        """Register the restoring task ``key`` with the changelog reader; a task with no
        logged store runs at once. ``fresh``: ignore any standby."""
        task = self._restoring[key]
        if self._checkpoints is not None:
            task.enable_checkpoint_changes()
        if not task.changelog_partitions():
            self._to_running(key, [])
            return
        # A changelog that is a source topic is restored up to the committed offset.
        source_ends = {TopicPartition(t, p): self._committed.get((t, p), 0)
                       for t, p in self._task_partitions.get(key, ())}
        positions = None if fresh else self._take_standby(key, task)
        if positions is not None:
            self._from_standby.add(key)
        self._reader.register(key, task, source_ends, positions)

    def _pause_restoring(self) -> None:
        new = sorted(tp for key in self._restoring for tp in self._task_partitions.get(key, ())
                     if tp not in self._restore_paused)
        if new:
            self._pause(new)
            self._restore_paused.update(new)

    def _restore_step(self, poll_s: float, busy: bool) -> None:
        """Bounded restore work: one step while running tasks have records to process,
        else steps until ``poll_s`` is spent (waiting in the restore consumer, not in
        the group consumer's poll)."""
        deadline = time.monotonic() + poll_s
        timeout = 0.0 if busy else poll_s
        while True:
            progress = self._reader.restore_once(timeout)
            self.metrics.record_restore(progress.records)
            self._on_restore_progress(progress)
            remaining = deadline - time.monotonic()
            if busy or self._tasks or not self._restoring or remaining <= 0 or self._shutdown.is_set():
                return
            timeout = remaining

    def _on_restore_progress(self, progress: RestoreProgress) -> None:
        restored = self.metrics.restored
        for key, records in progress.restored.items():
            task = self._restoring.get(key)   # type: ignore[call-overload]
            if task is not None:
                restored[str(task.task_id)] = restored.get(str(task.task_id), 0) + records
        for key, exc in progress.failed.items():
            self._restore_failed(key, exc)  # type: ignore[arg-type]
        for key, results in progress.completed.items():
            self._to_running(key, results)  # type: ignore[arg-type]
        if progress.completed and not self._restoring and self.state == ThreadState.PARTITIONS_ASSIGNED:
            logger.info("%s running tasks %s", self.name, ", ".join(self._task_ids()))
            self._set_state(ThreadState.RUNNING)

    def _restore_failed(self, key: TaskKey, exc: TaskCorruptedError) -> None:
        if self._shutdown.is_set():
            self._close_restoring(key)   # closed half restored at shutdown anyway
            return
        if key not in self._from_standby:
            raise exc
        # The standby's position is gone from the changelog (recreated): start over.
        logger.warning("%s: the standby of task %s is unusable; restoring it afresh",
                       self.name, self._restoring[key].task_id, exc_info=exc)
        self._from_standby.discard(key)
        self._restoring[key].close()
        self._restoring[key] = self._create_task(*key)
        self._start_restore(key, fresh=True)

    def _to_running(self, key: TaskKey, results: list[RestoreResult]) -> None:
        task = self._restoring.pop(key)
        self._from_standby.discard(key)
        for result in results:
            self._restored_end[result.changelog] = result.end_offset
            if result.checkpoint_offset is not None:
                # What Redis holds: the next checkpoint adds only the replayed tail and
                # later writes (none if the checkpoint is exactly the changelog end).
                self._checkpointed[result.changelog] = result.checkpoint_offset
        self._tasks[key] = task
        tps = self._task_partitions.get(key, set())
        for tp in tps:
            self._partition_task[tp] = task
        self._update_active()
        self._update_groups()
        held = self._held.pop(key, None)
        if held:
            # Fetched before the pause: processed first, in the order they came.
            self._process(held)
        self._resume(sorted(tps), self._restore_paused)

    def _close_restoring(self, key: TaskKey) -> None:
        """Close a task that is still restoring, as it is: it never processed a record."""
        task = self._restoring.pop(key)
        self._reader.unregister(key)
        self._from_standby.discard(key)
        self._held.pop(key, None)
        tps = self._task_partitions.pop(key, set())
        self._restore_paused -= tps
        self._update_active()
        self._forget_changelogs(task)
        try:
            task.close()
        except Exception as exc:
            logger.warning("closing task %s failed: %s", task.task_id, exc)

    def _forget_changelogs(self, task: Any) -> None:
        """Drop what this thread knew of a closing task's changelog positions."""
        for _store, (topic, partition) in task.changelog_partitions().items():
            self._restored_end.pop(TopicPartition(topic, partition), None)
            self._checkpointed.pop(TopicPartition(topic, partition), None)

    def _unpause_assigned(self, partitions: Sequence[TP]) -> None:
        """Start newly assigned partitions unpaused, as Kafka's consumer does: librdkafka
        keeps a pause across the partition's revocation and its next assignment, so a
        partition paused when it left (parked by a rejected commit, mid-restore, a full
        buffer) would otherwise never be fetched again here, its task running idle.
        Those that must wait (restoring tasks') are paused again after this."""
        stale = [tp for tp in partitions if tp in self._client_paused]
        if stale:
            self._paused.difference_update(stale)
            self._restore_paused.difference_update(stale)
            self._resume_client(stale)

    def _update_active(self) -> None:
        # what the standby updater reads: a restoring task is this instance's too
        self.active_tasks = frozenset(self._tasks) | frozenset(self._restoring)

    def _take_standby(self, key: TaskKey, task: Any) -> dict[TopicPartition, int] | None:
        """Fill ``task`` from this instance's standby of it, if there is one; returns
        where each changelog's replay starts then."""
        standby = None if self._standbys is None else self._standbys.take(key)
        if standby is None:
            return None
        try:
            return copy_stores(standby, task)
        finally:
            standby.task.close()

    def _rewind_to_committed(self, partitions: Sequence[TP]) -> None:
        """Resume re-adopted partitions where the group's committed offsets say (what
        their dirty-closed tasks had processed since is processed again)."""
        self._rewind -= set(partitions)
        try:
            committed = self._consumer.committed([TopicPartition(*tp) for tp in partitions], timeout=10.0)
            for tp in partitions:
                offset = committed.get(TopicPartition(*tp))
                self._consumer.seek(TopicPartitionOffset(tp[0], tp[1], OFFSET_BEGINNING if offset is None else offset))
                self._next_offsets.pop(tp, None)
        except KafkaClientError as exc:
            # Without the committed offsets the positions cannot be trusted: start over
            # as a new member, whose assignment resumes from the committed offsets.
            logger.warning("%s: could not rewind %s: %s", self.name, partitions, exc)
            self._orphaned |= set(partitions)
            self._rejoin()
            return
        # A restoring task's partitions stay paused until it runs.
        running = [tp for tp in partitions if tp not in self._restore_paused]
        if running:
            self._resume_client(running)

    def _handle_task_migrated(self, exc: CommitFailedError) -> None:
        """Kafka Streams' handleLostAll: the group rejected this member's generation, so
        none of its tasks may write again; close them all dirty and hold their
        partitions (paused) until a rebalance settles who owns them."""
        logger.warning("%s: %s; the group has moved on, closing tasks %s without committing",
                       self.name, exc, ", ".join(self._task_ids() + self._restoring_ids()) or "(none)")
        keys = list(self._tasks)
        self._count_dirty(keys)
        held = {tp for tps in self._task_partitions.values() for tp in tps}
        held.update(tp for tp in self._pending_assigned if tp[0] in self._topic_to_sub)
        self._pending_assigned = []
        for key in keys:
            self._close_task(key, clean=False)
        for key in list(self._restoring):
            self._close_restoring(key)
        for tp in held:
            self._next_offsets.pop(tp, None)
            self._committed.pop(tp, None)
        if held:
            self._pause(sorted(held))
            if not self._orphaned:
                self._orphaned_since = time.monotonic()
            self._orphaned |= held
        self._set_state(ThreadState.PARTITIONS_REVOKED)

    # -- exactly_once_v2 ----------------------------------------------------------------

    def _guarded(self, step: Callable[..., None], *args: Any) -> None:
        """Run ``step``; under exactly_once_v2 a transaction that can no longer commit
        (a failed send, fencing, a rejected commit) restarts the tasks instead of
        stopping the thread."""
        if not self._eos:
            step(*args)
            return
        try:
            step(*args)
        except StreamsError as exc:
            failure = exc if isinstance(exc, TransactionError) else self._producer.transaction_failure
            if failure is None:
                raise
            self._recover_transaction(failure)
            release_frames(exc)     # they hold the replaced producer
            return
        if self._producer.transaction_failure is not None:   # e.g. swallowed by a handler
            self._recover_transaction(self._producer.transaction_failure)

    def _recover_transaction(self, failure: TransactionError) -> None:
        """Kafka Streams' EOS recovery: abort (or, when fenced or fatal, recreate the
        producer, whose init_transactions aborts what was left open), close every task
        dirty so its state is rebuilt from the committed changelog, and rejoin the group
        so that processing resumes from the committed offsets."""
        logger.warning("%s: transaction lost (%s); closing tasks %s dirty and rejoining",
                       self.name, failure, ", ".join(self._task_ids()) or "(none)")
        self.metrics.record_error(failure)
        keys = list(self._tasks)
        self._count_dirty(keys)
        held = {tp for tps in self._task_partitions.values() for tp in tps}
        held.update(tp for tp in self._pending_assigned if tp[0] in self._topic_to_sub)
        for key in keys:
            self._close_task(key, clean=False)
        for key in list(self._restoring):
            self._close_restoring(key)
        self._pending_assigned = []
        self._next_offsets.clear()
        self._committed.clear()
        self._orphaned |= held   # for _rejoin's log; it clears them
        if failure.fatal:
            self._producer.reset()
        else:
            try:
                self._producer.abort_transaction()
            except TransactionError as exc:
                logger.warning("%s: abort failed (%s); recreating the producer", self.name, exc)
                self._producer.reset()
        # The old collector holds the failure; tasks created from now on use a new one.
        self._collector = KafkaRecordCollector(self._producer)
        self._rejoin()

    def _count_dirty(self, keys: Iterable[TaskKey]) -> None:
        """Count the tasks closed with processed records not yet committed."""
        for key in keys:
            if any(self._next_offsets.get(tp, self._committed.get(tp)) != self._committed.get(tp)
                   for tp in self._task_partitions.get(key, ())):
                self.metrics.tasks_closed_dirty += 1

    def _load_committed(self, partitions: Sequence[TP]) -> None:
        try:
            committed = self._consumer.committed([TopicPartition(t, p) for t, p in partitions], timeout=10.0)
        except KafkaClientError as exc:
            logger.warning("%s: could not read committed offsets: %s", self.name, exc)
            return
        for tp, offset in committed.items():
            if offset is not None:
                self._committed[(tp.topic, tp.partition)] = offset

    def _close_task(self, key: TaskKey, *, clean: bool = True) -> None:
        task = self._tasks.pop(key)
        self._update_active()
        group = self._groups.pop(key, None)
        if group is not None:
            self._resume(group.partitions)
        for tp in self._task_partitions.pop(key, set()):
            if self._partition_task.get(tp) is task:
                del self._partition_task[tp]
        try:
            self.metrics.retire_task(task.node_metrics())
        except Exception:  # metrics must never block closing a task
            logger.debug("node metrics of task %s unavailable", task.task_id, exc_info=True)
        self._forget_changelogs(task)
        try:
            task.close()
        except Exception as exc:
            if clean:
                raise
            logger.warning("closing task %s failed: %s", task.task_id, exc)

    # -- processing ---------------------------------------------------------------------

    def _update_groups(self) -> None:
        """A partition group for every task that reads several partitions now."""
        for key, tps in self._task_partitions.items():
            if (len(tps) < 2 and key not in self._groups) or key not in self._tasks:
                continue
            group = self._groups.get(key)
            if group is None:
                task = self._tasks[key]
                group = self._groups[key] = PartitionGroup(tps, self._max_idle_ms, task.extract_timestamp)
            for tp in tps:
                group.add_partition(tp)

    def _process(self, messages: Sequence[MessageProto]) -> None:
        batches: dict[int, tuple[Any, list[ConsumedRecord]]] = {}
        partition_task = self._partition_task
        next_offsets = self._next_offsets
        groups = self._groups
        for message in messages:
            error = message.error()
            if error is not None:
                self._on_consumer_error(error)
                continue
            topic = message.topic()
            partition = message.partition()
            tp = (topic, partition)
            task = partition_task.get(tp)  # type: ignore[arg-type]
            if task is None:
                key = (self._topic_to_sub.get(topic), partition)  # type: ignore[arg-type]
                if key in self._restoring and tp in self._task_partitions[key]:  # type: ignore[operator]
                    self._held.setdefault(key, []).append(message)  # type: ignore[arg-type]
                continue  # or revoked while this batch was fetched: the new owner reads it
            offset = message.offset()
            record = ConsumedRecord(
                topic, partition, offset, message.timestamp()[1],  # type: ignore[arg-type]
                message.key(), message.value(), tuple(message.headers() or ()),
            )
            if groups:
                group = groups.get((task.task_id.subtopology, partition))  # type: ignore[arg-type]
                if group is not None:
                    # processed (and its offset committable) when its turn comes
                    group.add(tp, record)  # type: ignore[arg-type]
                    continue
            slot = batches.get(id(task))
            if slot is None:
                batches[id(task)] = (task, [record])
            else:
                slot[1].append(record)
            next_offsets[tp] = offset + 1  # type: ignore[index,operator]
        for task, records in batches.values():
            self._run_task(task, records)

    def _process_groups(self) -> None:
        """Process what the partition groups allow now, in timestamp order; pause the
        partitions whose buffers are full (Kafka's buffered.records.per.partition)."""
        now_ms = self._clock.now_ms()
        next_offsets = self._next_offsets
        for key, group in list(self._groups.items()):
            task = self._tasks.get(key)
            if task is None or not group.total_buffered():
                continue
            records = group.drain(now_ms, self._fetched_lag)
            if records:
                for record in records:
                    next_offsets[(record.topic, record.partition)] = record.offset + 1
                self._run_task(task, records)
            full = [tp for tp in group.partitions if group.buffered(tp) >= self._max_buffered]
            drained = [tp for tp in group.partitions if tp in self._paused and tp not in full]
            if full:
                new = [tp for tp in full if tp not in self._paused]
                if new:
                    self._pause(new)
                    self._paused.update(new)
            if drained:
                self._resume(drained)

    def _resume(self, partitions: Iterable[TP], paused: set[TP] | None = None) -> None:
        """Resume those of ``partitions`` in ``paused`` (default: paused by a full
        partition-group buffer)."""
        paused = self._paused if paused is None else paused
        resumed = [tp for tp in partitions if tp in paused]
        if resumed:
            paused.difference_update(resumed)
            self._resume_client(resumed)

    def _pause(self, partitions: Sequence[TP]) -> None:
        self._consumer.pause([TopicPartition(*tp) for tp in partitions])
        self._client_paused.update(partitions)

    def _resume_client(self, partitions: Sequence[TP]) -> None:
        try:
            self._consumer.resume([TopicPartition(*tp) for tp in partitions])
        except Exception:  # no longer assigned: its next assignment resumes it
            logger.debug("%s: resume of %s failed", self.name, partitions, exc_info=True)
            return
        self._client_paused.difference_update(partitions)

    def _fetched_lag(self, tp: TP) -> int | None:
        """Records of ``tp`` on the broker that this consumer has not returned yet; None
        until a fetch response told the high watermark."""
        partition = TopicPartition(*tp)
        marks = self._consumer.watermarks(partition, cached=True)
        if marks is None:
            return None
        position = self._consumer.position([partition]).get(partition)
        if position is None:
            # nothing returned from it yet: it is read from the committed offset, or
            # from the start (auto.offset.reset=earliest)
            position = self._committed.get(tp, marks[0])
        return max(marks[1] - position, 0)

    def _run_task(self, task: Any, records: list[ConsumedRecord]) -> None:
        started = time.perf_counter()
        if self._watched:
            self.batch = (time.thread_time(), task)
        try:
            self._process_task(task, records)
        finally:
            self.batch = None
        elapsed = time.perf_counter() - started
        busy = self.metrics.task_busy
        task_id = str(task.task_id)
        busy[task_id] = busy.get(task_id, 0.0) + elapsed
        self.metrics.records_in += len(records)
        self.metrics.process.record(elapsed, len(records))

    def _process_task(self, task: Any, records: list[ConsumedRecord]) -> None:
        remaining = records
        while remaining:
            try:
                task.process_batch(remaining)
                return
            except ProcessingError as exc:
                self.metrics.record_error(exc, task_id=str(task.task_id))
                if not self._config.continue_on_processing_error:
                    raise
                logger.warning("%s (processing.exception.handler: continue; record skipped)", exc)
                index = _index_of(remaining, exc)
                if index is None:
                    skipped = StreamsError(
                        f"task {task.task_id}: the failing record of '{exc}' is not in the batch; "
                        f"the rest of the batch ({len(remaining)} records) was skipped"
                    )
                    logger.error("%s", skipped)
                    self.metrics.record_error(skipped, task_id=str(task.task_id))
                    return
                remaining = remaining[index + 1:]

    def _on_consumer_error(self, error: Any) -> None:
        if error.fatal():
            raise KafkaClientError(f"fatal consumer error: {error.str()}")
        logger.warning("%s consumer: %s", self.name, error.str())

    # -- commit -------------------------------------------------------------------------

    def _commit_periodic(self) -> None:
        if not self._tasks:
            return
        try:
            self._commit(list(self._tasks.values()), keys=list(self._tasks))
        except TransactionError:
            self.metrics.commits_failed += 1
            raise   # _guarded: the transaction is lost, the tasks restart
        except CommitFailedError as exc:
            self.metrics.commits_failed += 1
            if exc.group_moved_on:
                self._handle_task_migrated(exc)
            else:
                logger.warning("%s: commit failed, retrying at the next interval: %s", self.name, exc)
                self.metrics.record_error(exc)
        except KafkaClientError as exc:
            # e.g. the coordinator unreachable: the offsets are committed at the next
            # interval (or on revocation); a crash meanwhile only means reprocessing.
            self.metrics.commits_failed += 1
            logger.warning("%s: commit failed, retrying at the next interval: %s", self.name, exc)
            self.metrics.record_error(exc)

    def _commit(self, tasks: Sequence[Any], *, keys: Iterable[TaskKey]) -> None:
        """Flush tasks → flush the producer → commit offsets → checkpoint (at_least_once
        order). The checkpoint comes last, as in Kafka Streams: a member whose commit the
        group rejected may no longer own the task and must not touch its checkpoint."""
        for task in tasks:
            task.flush()
        self._collector.flush()
        offsets = []
        for key in keys:
            for tp in self._task_partitions.get(key, ()):
                nxt = self._next_offsets.get(tp)
                if nxt is not None and nxt != self._committed.get(tp):
                    offsets.append(TopicPartitionOffset(tp[0], tp[1], nxt))
        if self._eos:
            # The offsets commit with the output, atomically; a stale generation in
            # the group metadata makes the broker reject it.
            self._producer.commit_transaction(offsets, self._consumer.group_metadata())
        elif offsets:
            self._consumer.commit(offsets)
        for o in offsets:
            self._committed[(o.topic, o.partition)] = o.offset
        # Nothing ran between the flush and here (rebalance callbacks run only inside
        # consume()), so each store still equals its changelog up to what was delivered.
        if self._checkpoints is not None:
            self._write_checkpoints(tasks)

    def _write_checkpoints(self, tasks: Sequence[Any]) -> None:
        assert self._checkpoints is not None
        for task in tasks:
            for store, (topic, partition) in task.changelog_partitions().items():
                changelog = TopicPartition(topic, partition)
                covered = max(self._restored_end.get(changelog, 0), self._collector.delivered_end(changelog) or 0)
                base = self._checkpointed.get(changelog)
                if covered == 0 or covered == base:
                    continue
                # Only the keys written since the checkpoint at ``base``; a failed save
                # keeps them, and Redis rewrites the whole store if it lost ``base``.
                if self._checkpoints.save_incremental(
                    self._config.application_id, store, partition, covered, base_offset=base,
                    changes=lambda task=task, store=store: task.checkpoint_changes(store),
                    snapshot=lambda task=task, store=store: task.store_snapshot(store),
                ):
                    self._checkpointed[changelog] = covered
                    task.clear_checkpoint_changes(store)

    # -- shutdown -----------------------------------------------------------------------

    def _close_clean(self) -> None:
        self._set_state(ThreadState.PENDING_SHUTDOWN)
        clean = True
        if self._tasks:
            try:
                self._commit(list(self._tasks.values()), keys=list(self._tasks))
            except (CommitFailedError, TransactionError) as exc:
                # The group moved on (or, under exactly_once_v2, fenced us) while we were stopping: whoever owns the tasks
                # now reprocesses from the last commit.
                logger.warning("%s: final commit failed, closing tasks without it: %s", self.name, exc)
                self.metrics.commits_failed += 1
                self._count_dirty(list(self._tasks))
                clean = False
        for key in list(self._tasks):
            self._close_task(key, clean=clean)
        self._drop_restoring()
        self._consumer.close()
        self._collector.close()
        self._reader.close()

    def _drop_restoring(self) -> None:
        if self._restoring:
            logger.info("%s: closing tasks %s half restored", self.name, ", ".join(self._restoring_ids()))
        for key in list(self._restoring):
            try:
                self._close_restoring(key)
            except Exception:
                logger.exception("closing task %s", key)

    def _close_dirty(self) -> None:
        self._dirty = True
        self._set_state(ThreadState.PENDING_SHUTDOWN)
        self._count_dirty(list(self._tasks))
        for key in list(self._tasks):
            try:
                self._close_task(key, clean=False)
            except Exception:
                logger.exception("closing task %s", key)
        self._drop_restoring()
        for close in (self._consumer.close, self._collector.close, self._reader.close):
            try:
                close()
            except Exception:
                logger.exception("%s: closing a client failed", self.name)

    # -- metrics ------------------------------------------------------------------------

    def _task_ids(self) -> list[str]:
        return [str(t.task_id) for t in self._tasks.values()]

    def _restoring_ids(self) -> list[str]:
        return [str(t.task_id) for t in self._restoring.values()]

    def _publish_metrics(self, final: bool = False) -> None:
        try:
            partitions = []
            remaining: dict[str, int] = {}
            if not final:
                restoring = (tp for key in self._restoring for tp in self._task_partitions.get(key, ()))
                for tp in sorted({*self._partition_task, *restoring}):
                    partitions.append(self._partition_metrics(tp))
                remaining = {str(t.task_id): self._reader.remaining(key) for key, t in self._restoring.items()}
            nodes = self.metrics.node_totals([t.node_metrics() for t in self._tasks.values()])
            tasks: dict[str, Any] = {}
            stores: dict[str, Any] = {}
            for t in [*self._tasks.values(), *self._restoring.values()]:
                try:
                    tasks[str(t.task_id)] = t.task_metrics()
                    stores[str(t.task_id)] = t.store_metrics()
                except Exception:  # e.g. a custom store without approximate_num_entries
                    logger.debug("metrics of task %s unavailable", t.task_id, exc_info=True)
            self.metrics.active_restoring_tasks = len(self._restoring)
            self.metrics.task_window(tasks, remaining)
            self.metrics.publish(state=self.state, tasks=self._task_ids() + self._restoring_ids(), nodes=nodes,
                                 partitions=partitions, task_metrics=tasks, stores=stores,
                                 broker=self.reachability.snapshot())
        except Exception:  # metrics must never stop processing
            logger.warning("%s: collecting metrics failed", self.name, exc_info=True)

    def _partition_metrics(self, tp: TP) -> dict[str, Any]:
        marks = self._consumer.watermarks(TopicPartition(*tp), cached=True)
        committed = self._committed.get(tp)
        position = self._next_offsets.get(tp, committed)
        end = marks[1] if marks is not None else None
        lag = None
        if end is not None:
            start = position if position is not None else max(marks[0], 0)  # type: ignore[index]
            lag = max(end - start, 0)
        return {"topic": tp[0], "partition": tp[1], "committed": committed, "position": position,
                "end_offset": end, "lag": lag}


def _index_of(records: Sequence[ConsumedRecord], exc: ProcessingError) -> int | None:
    for i, r in enumerate(records):
        if r.offset == exc.offset and r.partition == exc.partition and r.topic == exc.topic:
            return i
    return None
