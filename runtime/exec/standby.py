"""Standby replicas (``num.standby.replicas``): warm copies of the stores of tasks that
other instances run, kept current by following their changelogs (Kafka Streams'
``StandbyTask``, updated off the processing path as its ``StateUpdater`` does).

Placement. In Kafka Streams the group leader's assignor places standbys. librdkafka
offers no custom assignor, and the development broker answers DescribeGroups without
members, so the instances tell each other what they run through Redis
(:class:`MembershipRegistry`), and each computes the same placement from that table
(:func:`place_standbys`): for every stateful task, the ``replicas`` instances other than
its active owner that rank highest by a rendezvous hash of (task, instance). Without
Redis an instance cannot see the others and keeps no standbys (a warning says so).

Handover. When a stream thread of this instance is assigned a task that has a standby
here, it takes the standby (:meth:`StandbyUpdater.take`): the standby's entries are
loaded into the new active task and the changelog replay starts at the standby's
position, not at a Redis checkpoint or at the beginning. The group's assignor does not
know about standbys, so with more than two instances a failed task may land on an
instance without its standby; that one restores from the Redis checkpoint as usual.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import redis

from runtime.exec.engine_config import EXACTLY_ONCE_V2, EngineConfig
from runtime.exec.eos import eos_restore_consumer_config
from runtime.exec.queries import QueryInbox
from runtime.kafka import (
    OFFSET_BEGINNING,
    ClientSupplier,
    MessageProto,
    TopicPartition,
    TopicPartitionOffset,
    is_offset_reset_error,
    is_partition_eof,
)
from runtime.kafka.config import restore_consumer_config
from runtime.state.checkpoint import CheckpointStore

__all__ = ["MembershipRegistry", "Standby", "StandbyUpdater", "place_standbys"]

logger = logging.getLogger(__name__)

TaskKey = tuple[int, int]  # (sub-topology, partition)

MEMBERS_PREFIX = "riffle:members"


def task_name(key: TaskKey) -> str:
    return f"{key[0]}_{key[1]}"


def _rank(task: str, instance: str) -> int:
    return zlib.crc32(f"{task}|{instance}".encode())


def place_standbys(tasks: Iterable[str], owners: Mapping[str, str], instances: Iterable[str],
                   replicas: int) -> dict[str, set[str]]:
    """instance -> the tasks it keeps standbys of.

    Every task gets ``replicas`` standbys (fewer when there are not enough instances),
    never on the instance running it (``owners``: task -> instance), on the instances
    that rank highest for it by rendezvous hashing: each instance computes the same
    answer from the same table, and an instance joining or leaving moves only the
    standbys it wins or held."""
    members = sorted(set(instances))
    placement: dict[str, set[str]] = {m: set() for m in members}
    if replicas <= 0:
        return placement
    for task in tasks:
        owner = owners.get(task)
        candidates = sorted((m for m in members if m != owner),
                            key=lambda m: (-_rank(task, m), m))
        for member in candidates[:replicas]:
            placement[member].add(task)
    return placement


class MembershipRegistry:
    """Which instance runs which tasks, in the Redis hash ``riffle:members:{app}``: one
    field per instance, JSON ``{"active": [task ids], "expires": epoch ms}``. An entry
    that is not refreshed expires (a killed instance); a clean close removes its own."""

    def __init__(self, redis_url: str, application_id: str, instance_id: str, *,
                 ttl_ms: int = 10_000) -> None:
        self._client = redis.Redis.from_url(redis_url, socket_timeout=2.0,
                                            socket_connect_timeout=2.0, decode_responses=True)
        self.key = f"{MEMBERS_PREFIX}:{application_id}"
        self.instance_id = instance_id
        self._ttl_ms = ttl_ms
        self._warned = False

    def publish(self, active: Iterable[str], now_ms: int) -> dict[str, set[str]] | None:
        """Record this instance's active tasks; return every live instance's (this one
        included), or None when Redis cannot be reached."""
        entry = json.dumps({"active": sorted(active), "expires": now_ms + self._ttl_ms})
        try:
            with self._client.pipeline(transaction=False) as pipe:
                pipe.hset(self.key, self.instance_id, entry)
                pipe.hgetall(self.key)
                _, table = pipe.execute()
        except redis.RedisError as exc:
            if not self._warned:
                logger.warning("standby placement: Redis unreachable (%s); keeping the "
                               "current standbys until it answers", exc)
                self._warned = True
            return None
        self._warned = False
        live: dict[str, set[str]] = {}
        expired = []
        for instance, raw in table.items():
            try:
                data = json.loads(raw)
                expires = int(data["expires"])
                tasks = {str(t) for t in data["active"]}
            except (ValueError, KeyError, TypeError):
                expired.append(instance)
                continue
            if expires < now_ms:
                expired.append(instance)
            else:
                live[instance] = tasks
        if expired:
            try:
                self._client.hdel(self.key, *expired)
            except redis.RedisError:
                pass
        return live

    def leave(self) -> None:
        try:
            self._client.hdel(self.key, self.instance_id)
        except redis.RedisError:
            pass

    def close(self) -> None:
        self._client.close()


@dataclass
class Standby:
    """A standby task: its stores, and per changelog partition the next offset to
    apply (None until the first record or the end of the partition was seen)."""

    key: TaskKey
    task: Any
    store_of: dict[TopicPartition, str]
    positions: dict[TopicPartition, int | None]
    # a Redis checkpoint to load once the changelog proves its offset exists
    pending: dict[TopicPartition, Any] = field(default_factory=dict)
    records: int = 0

    def ready(self) -> bool:
        return not self.pending and all(p is not None for p in self.positions.values())


class _NoOutput:
    """A standby processes nothing, so it never writes."""

    def send(self, topic: str, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"a standby task tried to write to {topic!r}")


class StandbyUpdater(threading.Thread):
    """Keeps this instance's standby tasks: decides which (every ``refresh_ms``, from
    the membership table) and applies their changelogs as they grow."""

    def __init__(self, *, topology: Any, config: EngineConfig, clients: ClientSupplier,
                 client_id: str, instance_id: str, task_factory: Callable[..., Any],
                 clock: Any, task_partitions: Mapping[int, int],
                 active_tasks: Callable[[], set[TaskKey]],
                 registry: MembershipRegistry, checkpoints: CheckpointStore | None,
                 refresh_ms: int = 2000, poll_timeout_s: float = 0.1) -> None:
        super().__init__(name=f"{client_id}-StandbyUpdater", daemon=True)
        self._topology = topology
        self._config = config
        self.replicas = int(config.streams.get("num.standby.replicas", 0))
        self._task_factory = task_factory
        self._clock = clock
        self._instance_id = instance_id
        self._active_tasks = active_tasks
        self._registry = registry
        self._checkpoints = checkpoints
        self._refresh_s = refresh_ms / 1000.0
        self._poll_timeout_s = poll_timeout_s
        restore = restore_consumer_config(config.raw, client_id=f"{client_id}-standby-consumer")
        eos = config.processing_guarantee == EXACTLY_ONCE_V2
        self._consumer = clients.consumer(eos_restore_consumer_config(restore) if eos else restore)
        # A standby needs no record cache, and its RocksDB files stay apart from the
        # active tasks' (a thread copies them over on handover).
        standby_config = dict(config.streams.to_dict())
        standby_config["statestore.cache.max.bytes"] = 0
        standby_config["state.dir"] = f"{config.streams.get('state.dir')}/standby"
        self._task_config = standby_config
        self._changelogs = self._stateful_tasks(task_partitions)
        self._lock = threading.Lock()
        self.queries = QueryInbox(self.name)   # stale-store queries, served by run()
        self._standbys: dict[TaskKey, Standby] = {}
        self._assignment: dict[TopicPartition, Standby] = {}
        self._reassign = False
        self._shutdown = threading.Event()
        self.error: BaseException | None = None
        self.handovers = 0

    def _stateful_tasks(self, task_partitions: Mapping[int, int]) -> dict[TaskKey, dict[str, str]]:
        """task -> {store: changelog topic} for every task with logged stores whose
        changelog is not a source topic (those are restored only up to the committed
        offset, which a standby cannot know)."""
        out: dict[TaskKey, dict[str, str]] = {}
        app_id = self._config.application_id
        for sub, partitions in task_partitions.items():
            built = self._topology.build_subtopology(sub, app_id)
            logged = {store: topic for store, topic in built.changelog_topics.items()
                      if store not in built.source_changelogs}
            if logged:
                for p in range(partitions):
                    out[(sub, p)] = logged
        return out

    # -- the stream threads' side ------------------------------------------------------

    def take(self, key: TaskKey) -> Standby | None:
        """Hand over the standby of ``key`` (now this instance's active task), if it
        has caught up with where its changelogs stood; the caller owns it from here
        and must close its task."""
        with self._lock:
            standby = self._standbys.get(key)
            if standby is None or not standby.ready():
                return None
            del self._standbys[key]
            for tp in standby.positions:
                self._assignment.pop(tp, None)
            self._reassign = True
            self.handovers += 1
        return standby

    def standby_tasks(self) -> list[str]:
        with self._lock:
            return sorted(task_name(k) for k in self._standbys)

    def metrics(self) -> dict[str, Any]:
        with self._lock:
            return {
                "tasks": {task_name(k): {"records-applied": s.records, "ready": s.ready(),
                                         "positions": {f"{tp.topic}-{tp.partition}": p
                                                       for tp, p in s.positions.items()}}
                          for k, s in sorted(self._standbys.items())},
                "handovers": self.handovers,
            }

    def shutdown(self) -> None:
        self._shutdown.set()

    # -- the updater's loop ------------------------------------------------------------

    def run(self) -> None:
        next_refresh = 0.0
        try:
            while not self._shutdown.is_set():
                now = time.monotonic()
                if now >= next_refresh:
                    self._refresh()
                    next_refresh = now + self._refresh_s
                if self._reassign:
                    self._assign()
                if self._assignment:
                    self._apply(self._consumer.consume(10_000, self._poll_timeout_s))
                if self.queries.pending:
                    with self._lock:   # take() hands standbys over from other threads
                        self.queries.serve((), [(k, s.task) for k, s in self._standbys.items()])
                else:
                    self._shutdown.wait(self._poll_timeout_s)
        except Exception as exc:  # standbys are an optimization: losing them stops nothing
            self.error = exc
            logger.exception("%s failed; this instance keeps no standbys from now on", self.name)
        finally:
            self.queries.close("stopped")
            self._close()

    def _refresh(self) -> None:
        active = {task_name(k) for k in self._active_tasks()}
        table = self._registry.publish(active, int(time.time() * 1000))
        if table is None:
            return
        owners = {task: instance for instance, tasks in table.items() for task in tasks}
        names = {task_name(k): k for k in self._changelogs}
        mine = place_standbys(names, owners, table, self.replicas).get(self._instance_id, set())
        wanted = {names[t] for t in mine} - self._active_tasks()
        with self._lock:
            gone = [k for k in self._standbys if k not in wanted]
            added = [k for k in sorted(wanted) if k not in self._standbys]
        for key in gone:
            self._drop(key)
        for key in added:
            self._add(key)

    def _add(self, key: TaskKey) -> None:
        sub, partition = key
        task = self._task_factory(self._topology, sub, partition,
                                  application_id=self._config.application_id,
                                  collector=_NoOutput(), config=self._task_config,
                                  clock=self._clock)
        store_of = {TopicPartition(topic, partition): store
                    for store, topic in self._changelogs[key].items()}
        standby = Standby(key, task, store_of, {tp: None for tp in store_of})
        if self._checkpoints is not None:
            for tp, store in store_of.items():
                checkpoint = self._checkpoints.load(self._config.application_id, store, partition)
                if checkpoint is not None:
                    standby.pending[tp] = checkpoint
        with self._lock:
            self._standbys[key] = standby
            for tp in store_of:
                self._assignment[tp] = standby
            self._reassign = True
        logger.info("%s: keeping a standby of task %s (stores %s)", self.name, task_name(key),
                    ", ".join(sorted(store_of.values())))

    def _drop(self, key: TaskKey) -> None:
        with self._lock:
            standby = self._standbys.pop(key, None)
            if standby is None:
                return
            for tp in standby.positions:
                self._assignment.pop(tp, None)
            self._reassign = True
        standby.task.close()
        logger.info("%s: dropped the standby of task %s", self.name, task_name(key))

    def _assign(self) -> None:
        with self._lock:
            self._reassign = False
            offsets = []
            for tp, standby in self._assignment.items():
                position = standby.positions[tp]
                if position is None:
                    pending = standby.pending.get(tp)
                    position = pending.offset if pending is not None else OFFSET_BEGINNING
                offsets.append(TopicPartitionOffset(tp.topic, tp.partition, position))
        if offsets:
            self._consumer.assign(offsets)
        else:
            self._consumer.unassign()

    def _apply(self, messages: Sequence[MessageProto]) -> None:
        batches: dict[TopicPartition, list[tuple[bytes, bytes | None, int]]] = {}
        ends: dict[TopicPartition, int] = {}
        for message in messages:
            tp = TopicPartition(message.topic(), message.partition())  # type: ignore[arg-type]
            error = message.error()
            if error is None:
                batches.setdefault(tp, []).append(
                    (message.key(), message.value(), message.timestamp()[1]))  # type: ignore[arg-type]
                ends[tp] = message.offset() + 1  # type: ignore[operator]
            elif is_partition_eof(error):
                ends[tp] = max(ends.get(tp, 0), message.offset() or 0)
            elif is_offset_reset_error(error):
                self._restart_from_beginning(tp, str(error))
            else:
                logger.warning("%s: reading %s: %s", self.name, tp, error.str())
        with self._lock:
            for tp, end in ends.items():
                standby = self._assignment.get(tp)
                if standby is None:
                    continue  # handed over or dropped meanwhile
                store = standby.store_of[tp]
                pending = standby.pending.pop(tp, None)
                if pending is not None:
                    standby.task.load_snapshot(store, pending.entries)
                batch = batches.get(tp)
                if batch:
                    standby.task.restore(store, batch)
                    standby.records += len(batch)
                standby.positions[tp] = end

    def _restart_from_beginning(self, tp: TopicPartition, why: str) -> None:
        """The checkpoint's offset is not in the changelog (recreated): replay it all
        into a fresh task."""
        with self._lock:
            standby = self._assignment.get(tp)
        if standby is None:
            return
        logger.warning("%s: standby of task %s cannot read %s from its checkpoint (%s); "
                       "rebuilding it from the whole changelog", self.name,
                       task_name(standby.key), tp, why)
        key = standby.key
        self._drop(key)
        checkpoints, self._checkpoints = self._checkpoints, None
        try:
            self._add(key)
        finally:
            self._checkpoints = checkpoints

    def _close(self) -> None:
        with self._lock:
            standbys = list(self._standbys.values())
            self._standbys.clear()
            self._assignment.clear()
        for standby in standbys:
            standby.task.close()
        self._registry.leave()
        self._registry.close()
        try:
            self._consumer.close()
        except Exception:  # a broker already gone
            logger.debug("closing the standby consumer failed", exc_info=True)


def copy_stores(standby: Standby, task: Any) -> dict[TopicPartition, int]:
    """Load the standby's entries into ``task`` (the new active task); returns where
    each changelog's replay starts."""
    for store in standby.store_of.values():
        task.load_snapshot(store, standby.task.store_snapshot(store))
    return {tp: p for tp, p in standby.positions.items() if p is not None}
