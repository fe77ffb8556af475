"""``TopologyTestDriver``: run a topology without a broker.

Each sub-topology runs in a real :class:`StreamTask` for partition 0. Whatever a task
sends to a topic that some task reads (a repartition topic, or an input topic fed by
a sink) is fed back in, in the order it was produced, until nothing is left; so a
``pipe_input`` returns once the record and everything it caused has been processed.
There is no record cache: every update reaches the output topics, as with Kafka
Streams' driver. Time moves only when the test says so.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import weakref
from collections import deque
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from runtime.config import APPLICATION_ID, STATE_DIR, STATESTORE_CACHE_MAX_BYTES, StreamsConfig
from runtime.errors import StoreNotFoundError
from runtime.exec.clock import MockClock
from runtime.exec.sampling import RecordFeed
from runtime.exec.task import ConsumedRecord, StreamTask
from runtime.processor.internals.context import to_millis
from runtime.serdes import Serde, resolve_serde
from runtime.state.api import WindowStore
from runtime.state.internals.facade import KeyValueStoreFacade
from runtime.state.internals.window_layers import WindowStoreFacade
from runtime.testing.topics import TestInputTopic, TestOutputTopic
from runtime.topology.topology import Topology

__all__ = ["TopologyTestDriver"]

logger = logging.getLogger(__name__)

DEFAULT_APPLICATION_ID = "topology-test-driver"

_Raw = tuple[bytes | None, bytes | None, int, tuple[tuple[str, bytes], ...]]


def _memory_backed_dir() -> str | None:
    """/dev/shm where there is one: RocksDB creates and syncs several files per store,
    which costs milliseconds per driver on a disk and next to nothing in memory."""
    shm = "/dev/shm"  # nosec B108  # only the parent of a mkdtemp() directory (unique name, mode 0700)
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None


class TopologyTestDriver:
    """Drive a topology by piping records in and reading records out.

    ``config`` takes the usual keys; ``application.id`` defaults to
    ``"topology-test-driver"`` (internal topics are named after it). ``records``, a
    :class:`~runtime.exec.sampling.RecordFeed`, hears every task's samples and handler
    decisions, as a stream thread's would (it is never refilled: each node gets the
    feed's first window of samples, which a test bench sizes as its cap).
    """

    __test__ = False

    def __init__(self, topology: Topology, config: Mapping[str, Any] | None = None,
                 initial_wall_clock_time: int = 0, *, records: RecordFeed | None = None) -> None:
        values = dict(config or {})
        values.setdefault(APPLICATION_ID, DEFAULT_APPLICATION_ID)
        # No record cache, whatever the config: tests see every update. Persistent
        # stores go to a private directory, removed on close.
        values[STATESTORE_CACHE_MAX_BYTES] = 0
        self._state_dir = tempfile.mkdtemp(prefix="riffle-test-driver-", dir=_memory_backed_dir())
        # removed on close, or when a driver nobody closed is collected (or at exit)
        self._remove_state_dir = weakref.finalize(self, shutil.rmtree, self._state_dir, True)
        values[STATE_DIR] = self._state_dir
        self._config = StreamsConfig(values)
        self.application_id = str(self._config[APPLICATION_ID])
        self._clock = MockClock(initial_wall_clock_time)
        self._topology = topology
        self._outputs: dict[str, deque[_Raw]] = {}
        self._offsets: dict[str, int] = {}
        self._pending: deque[ConsumedRecord] = deque()
        self._closed = False
        self._tasks: list[StreamTask] = []
        self._task_by_topic: dict[str, StreamTask] = {}
        # A global store's sub-topology runs as a task of its own; records piped to its
        # topic update the store at once, and every other task reads the store.
        global_stores: dict[str, Any] = {}
        for sid in topology.global_sub_topology_ids():
            task = StreamTask(topology, sid, 0, application_id=self.application_id,
                              collector=self, config=self._config, clock=self._clock,
                              records=records)
            self._tasks.append(task)
            global_stores.update((name, task.get_store(name)) for name in task.store_names)
            for topic in topology.source_topics(sid, self.application_id):
                self._task_by_topic[topic] = task
        for sid in topology.sub_topology_ids():
            task = StreamTask(topology, sid, 0, application_id=self.application_id,
                              collector=self, config=self._config, clock=self._clock,
                              global_stores=global_stores, records=records)
            self._tasks.append(task)
            for topic in topology.source_topics(sid, self.application_id):
                self._task_by_topic[topic] = task
        self._patterns = [(p, task) for task in self._tasks
                          for p in topology.source_patterns(task.task_id.subtopology)]

    # -- RecordCollector -------------------------------------------------------------
    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Sequence[tuple[str, bytes]] | None = None,
             partition: int | None = None) -> None:
        header_tuple = tuple(headers) if headers else ()
        queue = self._outputs.get(topic)
        if queue is None:
            queue = self._outputs[topic] = deque()
        queue.append((key, value, timestamp, header_tuple))
        if self._reader_of(topic) is not None:
            self._enqueue(topic, key, value, timestamp, header_tuple)

    def partitions_for(self, topic: str) -> int:
        return 1

    # -- plumbing -----------------------------------------------------------------------
    def _reader_of(self, topic: str) -> StreamTask | None:
        task = self._task_by_topic.get(topic)
        if task is None:
            for pattern, candidate in self._patterns:
                if pattern.fullmatch(topic):
                    self._task_by_topic[topic] = candidate
                    return candidate
        return task

    def _enqueue(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
                 headers: tuple[tuple[str, bytes], ...]) -> None:
        offset = self._offsets.get(topic, 0)
        self._offsets[topic] = offset + 1
        self._pending.append(ConsumedRecord(topic, 0, offset, timestamp, key, value, headers))

    def _process_pending(self) -> None:
        pending = self._pending
        readers = self._task_by_topic
        try:
            while pending:
                record = pending.popleft()
                task = readers.get(record.topic) or self._reader_of(record.topic)
                assert task is not None
                task.process(record)
        except BaseException:
            # What the failed record had already caused stays in the output topics;
            # nothing queued behind it runs, as the task would have stopped.
            pending.clear()
            raise

    def _check_open(self) -> None:
        if self._closed:
            raise RuntimeError("the driver is closed")

    def pipe_raw(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
                 headers: tuple[tuple[str, bytes], ...] = ()) -> None:
        """Feed serialized bytes to ``topic`` and process until idle."""
        self._check_open()
        if self._reader_of(topic) is None:
            raise ValueError(f"Unknown topic: {topic}; the topology reads "
                             f"{sorted(self._task_by_topic)}")
        self._enqueue(topic, key, value, timestamp, tuple(headers))
        self._process_pending()

    def read_raw(self, topic: str) -> _Raw:
        queue = self._outputs.get(topic)
        if not queue:
            raise LookupError(f"Empty topic: {topic}")
        return queue.popleft()

    def queue_size(self, topic: str) -> int:
        return len(self._outputs.get(topic, ()))

    # -- topics -------------------------------------------------------------------------
    def _serde(self, serde: Serde[Any] | str | None, default: Serde[Any]) -> Serde[Any]:
        resolved = resolve_serde(serde)
        return resolved if resolved is not None else default

    def create_input_topic(self, name: str, key_serde: Serde[Any] | str | None = None,
                           value_serde: Serde[Any] | str | None = None, *,
                           start_timestamp: int | None = None,
                           auto_advance: timedelta | int = 0) -> TestInputTopic:
        """An input topic; records piped without a timestamp start at
        ``start_timestamp`` (default: the driver's wall-clock time)."""
        self._check_open()
        start = self._clock.now_ms() if start_timestamp is None else start_timestamp
        return TestInputTopic(self, name,
                              self._serde(key_serde, self._config.default_key_serde()),
                              self._serde(value_serde, self._config.default_value_serde()),
                              start, auto_advance)

    def create_output_topic(self, name: str, key_serde: Serde[Any] | str | None = None,
                            value_serde: Serde[Any] | str | None = None) -> TestOutputTopic:
        self._check_open()
        return TestOutputTopic(self, name,
                               self._serde(key_serde, self._config.default_key_serde()),
                               self._serde(value_serde, self._config.default_value_serde()))

    def produced_topic_names(self) -> set[str]:
        """Every topic something was written to, internal ones included."""
        return set(self._outputs)

    # -- time ---------------------------------------------------------------------------
    def advance_wall_clock_time(self, advance: timedelta | int) -> None:
        """Move the wall clock on and run the wall-clock punctuators now due."""
        self._check_open()
        ms = to_millis(advance)
        if ms < 0:
            raise ValueError("advance must be positive")
        self._clock.advance(ms)
        now = self._clock.now_ms()
        for task in self._tasks:
            task.punctuate(now)
            self._process_pending()

    @property
    def wall_clock_time(self) -> int:
        return self._clock.now_ms()

    # -- stores -------------------------------------------------------------------------
    def _task_with_store(self, name: str) -> StreamTask:
        for task in self._tasks:
            if name in task.store_names:
                return task
        known = sorted(s for t in self._tasks for s in t.store_names)
        raise StoreNotFoundError(f"no state store named {name!r}; the topology has {known}")

    def get_state_store(self, name: str) -> Any:
        return self._task_with_store(name).get_store(name)

    def get_all_state_stores(self) -> dict[str, Any]:
        return {name: task.get_store(name) for task in self._tasks for name in task.store_names}

    def get_key_value_store(self, name: str) -> Any:
        """A key-value store with plain values (a timestamped store is unwrapped)."""
        task = self._task_with_store(name)
        store = task.get_store(name)
        if isinstance(store, WindowStore):
            raise StoreNotFoundError(f"state store {name!r} is a window store; "
                                     "use get_window_store")
        if task.is_timestamped_store(name):
            return KeyValueStoreFacade(store, lambda: max(task.record_timestamp, 0))
        return store

    def get_timestamped_key_value_store(self, name: str) -> Any:
        """A DSL store with :class:`ValueAndTimestamp` values."""
        task = self._task_with_store(name)
        if not task.is_timestamped_store(name):
            raise StoreNotFoundError(f"state store {name!r} is not timestamped")
        return task.get_store(name)

    def get_window_store(self, name: str) -> Any:
        """A window store with plain values (a timestamped one is unwrapped), as
        Kafka's driver gives for the DSL's windowed aggregations."""
        task = self._task_with_store(name)
        store = task.get_store(name)
        if not isinstance(store, WindowStore):
            raise StoreNotFoundError(f"state store {name!r} is not a window store")
        if task.is_timestamped_store(name):
            return WindowStoreFacade(store)
        return store

    def get_timestamped_window_store(self, name: str) -> Any:
        """A DSL window store with :class:`ValueAndTimestamp` values."""
        task = self._task_with_store(name)
        store = task.get_store(name)
        if not isinstance(store, WindowStore) or not task.is_timestamped_store(name):
            raise StoreNotFoundError(f"state store {name!r} is not a timestamped window store")
        return store

    def get_session_store(self, name: str) -> Any:
        """A session store (the DSL's session aggregations keep plain values)."""
        from runtime.state.api import SessionStore

        store = self._task_with_store(name).get_store(name)
        if not isinstance(store, SessionStore):
            raise StoreNotFoundError(f"state store {name!r} is not a session store")
        return store

    # -- metrics and lifecycle -------------------------------------------------------------
    @property
    def tasks(self) -> list[StreamTask]:
        return list(self._tasks)

    def node_metrics(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for task in self._tasks:
            out.update(task.node_metrics())
        return out

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            for task in self._tasks:
                task.close()
        finally:
            self._remove_state_dir()

    def __enter__(self) -> TopologyTestDriver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
