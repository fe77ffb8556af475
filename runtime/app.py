"""``StreamsApp``: runs a topology against Kafka (Kafka Streams' ``KafkaStreams``).

``start()`` returns at once; a supervisor thread checks the source topics, creates the
internal topics, starts ``num.stream.threads`` stream threads and then reports metrics
to ``on_metrics`` once per ``riffle.metrics.interval.ms``. ``state`` follows Kafka
Streams: CREATED → REBALANCING ⇄ RUNNING → PENDING_SHUTDOWN → NOT_RUNNING, or ERROR.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from runtime.config import StreamsConfig
from runtime.errors import (
    IllegalStateError,
    InvalidStateStoreError,
    InvalidStateStorePartitionError,
    StateStoreMigratedError,
    StateStoreNotAvailableError,
    StreamsError,
    UnknownStateStoreError,
)
from runtime.exec.clock import Clock, SystemClock
from runtime.exec.engine_config import EngineConfig
from runtime.exec.global_state import GlobalStateUpdater
from runtime.exec.internal_topics import layout_of, prepare_topics, topic_defaults
from runtime.exec.limits import BatchCpuLimitExceeded, BatchWatchdog
from runtime.exec.metrics import MetricsAggregator, now_ms
from runtime.exec.queries import KeyQueryMetadata, QueryRequest, default_partition
from runtime.exec.prometheus import prometheus_port, start_endpoint
from runtime.exec.sampling import ErrorCallback, SampleCallback
from runtime.exec.standby import MembershipRegistry, StandbyUpdater
from runtime.exec.task import StreamTask
from runtime.exec.thread import StreamThread, ThreadState
from runtime.kafka import ClientSupplier, KafkaClientSupplier
from runtime.kafka.config import admin_config
from runtime.processor.restore_listener import StateRestoreListener
from runtime.state.checkpoint import CheckpointStore, RedisCheckpointStore
from runtime.state.queryable import VIEWS, StoreQueryParameters

__all__ = ["AppState", "StateListener", "StreamsApp"]

logger = logging.getLogger(__name__)

MetricsCallback = Callable[[dict[str, Any]], None]
# Kafka's KafkaStreams.StateListener#onChange(newState, oldState)
StateListener = Callable[[str, str], None]


class AppState:
    CREATED = "CREATED"
    REBALANCING = "REBALANCING"
    RUNNING = "RUNNING"
    PENDING_SHUTDOWN = "PENDING_SHUTDOWN"
    NOT_RUNNING = "NOT_RUNNING"
    ERROR = "ERROR"


class StreamsApp:
    """Run ``topology`` with Kafka Streams style ``config``.

    :param topology: a built ``Topology``.
    :param config: ``application.id`` and ``bootstrap.servers`` are required; see
        docs/internals.md for the other keys.
    :param on_metrics: called with a JSON-safe snapshot once per metrics interval, from
        an engine thread; an exception it raises is logged and otherwise ignored.
    :param on_sample: called with a few records per second per node (the record as the
        node passes it on; ``riffle.sample.records.per.second``, off by default), from a
        stream thread. Keys and values are the engine's objects, not JSON-safe; see
        ``runtime.exec.sampling``.
    :param on_error: called, from a stream thread, for every record an exception handler
        decided on, with the raw source record and the decision (``continued``, ``dlq``,
        ``failed``). Exceptions raised by either callback are logged (at most once a
        minute per thread) and otherwise ignored.
    """

    def __init__(
        self,
        topology: Any,
        config: Mapping[str, Any],
        on_metrics: MetricsCallback | None = None,
        *,
        clients: ClientSupplier | None = None,
        clock: Clock | None = None,
        on_sample: SampleCallback | None = None,
        on_error: ErrorCallback | None = None,
    ) -> None:
        self._config = EngineConfig.from_mapping(config)
        self._topology = topology
        self._on_metrics = on_metrics
        self._on_sample = on_sample
        self._on_record_error = on_error
        self._state_listener: StateListener | None = None
        self._clients = clients or KafkaClientSupplier()
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._checkpoints: CheckpointStore | None = (
            RedisCheckpointStore(self._config.redis_url) if self._config.redis_url else None
        )
        self._lock = threading.RLock()
        self._report_lock = threading.Lock()
        self._state = AppState.CREATED
        # Epoch ms of the last state change: how long a REBALANCING has lasted shows
        # a consumer group that does not settle.
        self._state_since = now_ms()
        self._error: BaseException | None = None
        self._app_errors: list[dict[str, Any]] = []
        self._threads: list[StreamThread] = []
        self._global_updater: GlobalStateUpdater | None = None
        self._standby_updater: StandbyUpdater | None = None
        self._watchdog: BatchWatchdog | None = None
        self._stopping = threading.Event()
        self._supervisor: threading.Thread | None = None
        self._restore_listener: StateRestoreListener | None = None
        self._aggregator = MetricsAggregator(self._config.application_id)
        # sub-topology -> partitions of its source topics, once the topics are checked
        self._task_partitions: dict[int, int] = {}
        # riffle.metrics.prometheus.port: the same snapshot, scraped (bound at start()).
        self._prometheus_config = {k: v for k, v in config.items() if str(k).startswith("riffle.metrics.prometheus.")}
        prometheus_port(self._prometheus_config)   # a bad value fails here, like other keys
        self._prometheus: Any = None
        self._callback_failed = False
        # Kafka Streams' default client.id: "<application.id>-<process uuid>".
        self._client_id = str(config.get("client.id") or f"{self._config.application_id}-{uuid.uuid4().hex[:8]}")
        # Kafka Streams' process id: part of each thread's transactional.id under EOS.
        self._process_id = str(uuid.uuid4())

    # -- public -------------------------------------------------------------------------

    @property
    def state(self) -> str:
        return self._state

    @property
    def error(self) -> BaseException | None:
        """The failure that put the app in ERROR, if any."""
        return self._error

    @property
    def application_id(self) -> str:
        return self._config.application_id

    def metrics(self) -> dict[str, Any]:
        """A fresh metrics snapshot (the same shape ``on_metrics`` receives)."""
        return self._snapshot(advance=False)

    # -- interactive queries ------------------------------------------------------------

    def store(self, params: StoreQueryParameters) -> Any:
        """A read-only view of a state store across this instance's tasks (Kafka's
        ``KafkaStreams#store``): a ``ReadOnlyKeyValueStore``, ``ReadOnlyWindowStore`` or
        ``ReadOnlySessionStore`` by ``params.query_type``. Usable from any thread: each
        call runs on the stream threads that own the store (runtime.exec.queries) and
        waits up to ``riffle.query.timeout.ms`` for them.

        Raises :class:`UnknownStateStoreError` (naming the known stores) for a name the
        topology lacks, :class:`InvalidStateStoreError` for the wrong store type, and
        :class:`StateStoreNotAvailableError` unless the app is RUNNING or REBALANCING.
        The view's calls raise :class:`StateStoreMigratedError` (retriable) when no
        local task hosts the store at that moment.
        """
        info = self._queryable_store(params.store_name)
        wanted = params.query_type.kind
        if info.kind != wanted:
            raise InvalidStateStoreError(
                f"state store {info.name!r} is a {info.kind} store, not a {wanted} store")
        self._check_queryable()
        view = VIEWS[wanted]
        return view(params, functools.partial(self._read_store, params), timestamped_store=info.timestamped)

    def query_metadata_for_key(self, store_name: str, key: Any, key_serializer: Any = None) -> KeyQueryMetadata:
        """The partition of ``key`` in ``store_name`` (Kafka's default partitioner over
        the serialized key: ``key_serializer`` — a Serde or a callable — else the store's
        key serde, else ``default.key.serde``), and whether an active task of this
        instance holds it. Assumes the input was partitioned by the default partitioner,
        as Kafka's ``queryMetadataForKey`` without a partitioner does."""
        info = self._queryable_store(store_name)
        self._check_queryable()
        if key_serializer is None:
            key_serializer = info.key_serde or StreamsConfig(self._config.raw).default_key_serde()
        serialize = getattr(key_serializer, "serialize", key_serializer)
        raw = serialize(key)
        partitions = self._task_partitions.get(info.subtopology_id or 0, 0)
        if raw is None or partitions <= 0:
            raise StateStoreNotAvailableError(
                f"the partition of key {key!r} of state store {store_name!r} is not known yet"
                if raw is not None else "a null key has no partition")
        partition = default_partition(raw, partitions)
        task = (info.subtopology_id or 0, partition)
        for thread in list(self._threads):
            if task in thread.active_tasks:
                return KeyQueryMetadata(store_name, partition, True, thread.name)
        return KeyQueryMetadata(store_name, partition, False, None)

    def queryable_stores(self) -> dict[str, str]:
        """The stores that :meth:`store` can read, with their kind ("key-value",
        "window" or "session")."""
        return {name: info.kind for name, info in self._topology.queryable_stores().items()}

    def _queryable_store(self, name: str) -> Any:
        stores = self._topology.queryable_stores()
        info = stores.get(name)
        if info is None:
            known = ", ".join(sorted(stores)) or "none"
            raise UnknownStateStoreError(
                f"no queryable state store {name!r} in the topology of {self.application_id} "
                f"(known stores: {known})")
        return info

    def _check_queryable(self) -> None:
        state = self._state
        if state in (AppState.RUNNING, AppState.REBALANCING):
            return
        error = StateStoreNotAvailableError(
            f"{self.application_id} is {state}: state stores can be queried only while it is "
            f"RUNNING or REBALANCING" + (" (not started yet; retry)" if state == AppState.CREATED else ""))
        error.retriable = state == AppState.CREATED
        raise error

    def _read_store(self, params: StoreQueryParameters, operation: Any) -> list[tuple[int, Any]]:
        """Run ``operation`` on every local store of ``params`` on its owning thread;
        ``[(partition, result)]`` by partition."""
        self._check_queryable()
        inboxes = [t.queries for t in list(self._threads) if t.is_alive()]
        standbys = self._standby_updater
        if params.stale_stores and standbys is not None and standbys.is_alive():
            inboxes.append(standbys.queries)
        requests = [(inbox, QueryRequest(params.store_name, operation, params.partition, params.stale_stores))
                    for inbox in inboxes]
        for inbox, request in requests:
            inbox.submit(request)
        deadline = time.monotonic() + self._config.query_timeout_ms / 1000.0
        results: list[tuple[int, Any]] = []
        for inbox, request in requests:
            try:
                results.extend(request.future.result(max(deadline - time.monotonic(), 0.0)))
            except TimeoutError:
                for _inbox, other in requests:
                    other.future.cancel()
                raise StateStoreNotAvailableError(
                    f"{inbox.owner} did not answer a query of state store {params.store_name!r} "
                    f"within {self._config.query_timeout_ms} ms (busy with a long batch?); retry") from None
        if not results:
            self._check_queryable()
            if params.partition is not None:
                raise InvalidStateStorePartitionError(
                    f"partition {params.partition} of state store {params.store_name!r} is not hosted "
                    f"by this instance of {self.application_id} now"
                    + ("" if params.stale_stores else " as an active, running task"))
            if self._state == AppState.REBALANCING:
                raise StateStoreNotAvailableError(
                    f"{self.application_id} is REBALANCING: no local task of state store "
                    f"{params.store_name!r} is running yet (assigning or restoring); retry")
            raise StateStoreMigratedError(
                f"no local task of {self.application_id} hosts state store {params.store_name!r} "
                f"now (its partitions are on other instances, or restoring); retry, or ask another instance")
        results.sort(key=lambda r: r[0])
        return results

    def set_global_state_restore_listener(self, listener: StateRestoreListener | None) -> None:
        """Report the restoring of every active task's stores to ``listener`` (Kafka's
        ``KafkaStreams#setGlobalStateRestoreListener``): its methods are called from the
        stream threads, concurrently, between restore batches. Only before :meth:`start`;
        afterwards raises IllegalStateError."""
        with self._lock:
            if self._state != AppState.CREATED:
                raise IllegalStateError(f"a global state restore listener can be set only before start() "
                                        f"(state {self._state})")
            self._restore_listener = listener

    def set_state_listener(self, listener: StateListener | None) -> None:
        """Call ``listener(new_state, old_state)`` on every change of :attr:`state`
        (Kafka's ``KafkaStreams#setStateListener``), from whichever thread makes the
        change, with the app's lock held: keep it quick and do not call back into the
        app. In ERROR, :attr:`error` says why. Only before :meth:`start`; afterwards
        raises IllegalStateError. An exception it raises is logged and ignored."""
        with self._lock:
            if self._state != AppState.CREATED:
                raise IllegalStateError(f"a state listener can be set only before start() (state {self._state})")
            self._state_listener = listener

    def start(self) -> None:
        with self._lock:
            if self._state != AppState.CREATED:
                raise IllegalStateError(f"StreamsApp can be started only once (state {self._state})")
            self._set_state(AppState.REBALANCING)
            self._prometheus = start_endpoint(self._prometheus_config, self.metrics)
            self._supervisor = threading.Thread(
                target=self._supervise, name=f"{self.application_id}-supervisor", daemon=True
            )
            self._supervisor.start()

    def close(self, timeout: float = 30) -> bool:
        """Finish the current batches, commit, close the clients. Returns whether every
        thread stopped within ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        with self._lock:
            if self._state == AppState.CREATED:
                self._set_state(AppState.NOT_RUNNING)
                return True
            if self._state == AppState.NOT_RUNNING:
                return True
            self._set_state(AppState.PENDING_SHUTDOWN)
            self._stopping.set()
            threads = list(self._threads)
            updater = self._global_updater
            standbys = self._standby_updater
            watchdog = self._watchdog
        if watchdog is not None:
            watchdog.shutdown()
        if updater is not None:
            updater.shutdown()   # stops a bootstrap under way; the stores stay readable
        if standbys is not None:
            standbys.shutdown()  # no new standbys for the tasks the threads are closing
        for thread in threads:
            thread.shutdown()
        for thread in threads:
            thread.join(max(deadline - time.monotonic(), 0))
        if standbys is not None:
            standbys.join(max(deadline - time.monotonic(), 0))
        if self._supervisor is not None:
            self._supervisor.join(max(deadline - time.monotonic(), 0))
        alive = [t.name for t in threads if t.is_alive()]
        if standbys is not None and standbys.is_alive():
            alive.append(standbys.name)
        if updater is not None:
            if updater.ident is not None:   # started (the bootstrap may have been cut short)
                updater.join(max(deadline - time.monotonic(), 0))
            if updater.is_alive():
                alive.append(updater.name)
            elif not any(t.is_alive() for t in threads):
                # Only now: the stream threads read the global stores until they stop.
                updater.close()
        if self._supervisor is not None and self._supervisor.is_alive():
            alive.append(self._supervisor.name)
        if self._prometheus is not None:
            self._prometheus.close()
            self._prometheus = None
        if alive:
            logger.warning("%s: %s still running after %.0f s", self.application_id, ", ".join(alive), timeout)
            return False
        with self._lock:
            self._set_state(AppState.NOT_RUNNING)
        if self._checkpoints is not None:
            self._checkpoints.close()
        self._report()
        return True

    # -- supervisor ---------------------------------------------------------------------

    def _supervise(self) -> None:
        try:
            self._start_threads()
        except Exception as exc:
            self._fail(exc)
        interval = self._config.metrics_interval_ms / 1000.0
        while not self._stopping.wait(interval):
            self._report()
            if self._state == AppState.ERROR and not any(t.is_alive() for t in self._threads):
                break

    def _start_threads(self) -> None:
        config = self._config
        layout = layout_of(self._topology, config.application_id)
        admin = self._clients.admin(admin_config(config.raw, client_id=f"{self._client_id}-admin"))
        prepare_topics(layout, admin, config.bootstrap_servers, topic_defaults(config.raw))
        # for query_metadata_for_key (fake admins in tests may not list partitions)
        topic_partitions = getattr(admin, "topic_partitions", None)
        counts = topic_partitions() if topic_partitions is not None else {}
        self._task_partitions = {sub: max((counts.get(t, 0) for t in topics), default=0)
                                 for sub, topics in layout.source_topics.items()}
        task_factory = self._start_global_updater(admin)
        with self._lock:
            if self._stopping.is_set():
                return
            standbys = self._make_standby_updater(layout.source_topics, admin, task_factory)
            self._standby_updater = standbys
            for index in range(1, config.num_stream_threads + 1):
                thread = StreamThread(
                    index=index, client_id=self._client_id, topology=self._topology, config=config,
                    source_topics=layout.source_topics, clients=self._clients,
                    checkpoints=self._checkpoints, clock=self._clock,
                    on_state_change=self._on_thread_state, task_factory=task_factory,
                    process_id=self._process_id, standbys=standbys,
                    restore_listener=self._restore_listener,
                    on_sample=self._on_sample, on_error=self._on_record_error,
                )
                self._threads.append(thread)
            if config.batch_cpu_limit_ms > 0:
                self._watchdog = BatchWatchdog(
                    config.application_id, config.batch_cpu_limit_ms,
                    action=config.batch_cpu_limit_action, on_trip=self._on_batch_cpu_limit)
                for thread in self._threads:
                    self._watchdog.watch(thread)
            for thread in self._threads:
                thread.start()
            if self._watchdog is not None:
                self._watchdog.start()
            if standbys is not None:
                standbys.start()

    def _make_standby_updater(self, source_topics: Mapping[int, Any], admin: Any,
                              task_factory: Any) -> StandbyUpdater | None:
        replicas = int(self._config.streams.get("num.standby.replicas", 0))
        if replicas <= 0:
            return None
        if self._config.redis_url is None:
            logger.warning("%s: num.standby.replicas=%d needs riffle.redis.url (the instances "
                           "find each other there); keeping no standbys",
                           self.application_id, replicas)
            return None
        # for query_metadata_for_key (fake admins in tests may not list partitions)
        topic_partitions = getattr(admin, "topic_partitions", None)
        counts = topic_partitions() if topic_partitions is not None else {}
        task_partitions = {sub: max((counts.get(t, 0) for t in topics), default=0)
                           for sub, topics in source_topics.items()}
        registry = MembershipRegistry(self._config.redis_url, self.application_id, self._process_id)
        return StandbyUpdater(
            topology=self._topology, config=self._config, clients=self._clients,
            client_id=self._client_id, instance_id=self._process_id, task_factory=task_factory,
            clock=self._clock, task_partitions=task_partitions,
            active_tasks=self._active_tasks, registry=registry, checkpoints=self._checkpoints,
            refresh_ms=int(self._config.raw.get("riffle.standby.refresh.ms", 2000)),
        )

    def _active_tasks(self) -> set[tuple[int, int]]:
        return {key for thread in list(self._threads) for key in thread.active_tasks}

    def _start_global_updater(self, admin: Any) -> Any:
        """Fill the global stores before any stream thread starts (Kafka's
        GlobalStreamThread start-up), then keep them following their topics. Returns
        the task factory that gives every task the global stores."""
        global_ids = getattr(self._topology, "global_sub_topology_ids", None)
        if global_ids is None or not global_ids():
            return StreamTask
        updater = GlobalStateUpdater(
            topology=self._topology, config=self._config, clients=self._clients,
            clock=self._clock, client_id=self._client_id, on_error=self._fail)
        with self._lock:   # close() either sees the updater or stops before it exists
            if self._stopping.is_set():
                updater.close()
                return StreamTask
            self._global_updater = updater
        updater.bootstrap(admin.topic_partitions())
        if self._stopping.is_set():
            return StreamTask
        updater.start()
        return functools.partial(StreamTask, global_stores=updater.stores)

    def _fail(self, exc: BaseException) -> None:
        if isinstance(exc, StreamsError):
            logger.error("%s failed: %s", self.application_id, exc)
        else:
            logger.exception("%s failed", self.application_id)
        with self._lock:
            if self._error is None:
                self._error = exc
            entry: dict[str, Any] = {"node": None, "topic": None, "partition": None, "offset": None}
            to_dict = getattr(exc, "to_dict", None)
            if callable(to_dict):   # where it happened, e.g. a batch over its CPU limit
                entry.update(to_dict())
            entry.update(message=str(exc), type=type(exc).__name__, timestamp=now_ms())
            self._app_errors.append(entry)
            if self._state not in (AppState.PENDING_SHUTDOWN, AppState.NOT_RUNNING):
                self._set_state(AppState.ERROR)
            threads = list(self._threads)
        for thread in threads:
            thread.shutdown()
        self._report()

    def _on_batch_cpu_limit(self, error: BatchCpuLimitExceeded, thread: StreamThread) -> None:
        """The watchdog's report (on its thread): the stuck stream thread cannot publish,
        so the error goes in the app's own list, and the app enters ERROR. The thread
        itself goes on until its batch ends, if ever (then it stops, as asked)."""
        self._fail(error)

    def _on_thread_state(self, thread: StreamThread, old: str, new: str) -> None:
        if thread.error is not None:
            # Kafka Streams' default SHUTDOWN_CLIENT: one failed thread stops the app.
            with self._lock:
                first = self._error is None
                if first:
                    self._error = thread.error
                if self._state not in (AppState.PENDING_SHUTDOWN, AppState.NOT_RUNNING):
                    self._set_state(AppState.ERROR)
                threads = list(self._threads)
            if first:
                logger.error("%s: %s failed, stopping the application: %s",
                             self.application_id, thread.name, thread.error)
                for other in threads:
                    if other is not thread:
                        other.shutdown()
            return
        with self._lock:
            if self._state in (AppState.REBALANCING, AppState.RUNNING):
                live = [t.state for t in self._threads if t.state != ThreadState.DEAD]
                running = bool(live) and all(s == ThreadState.RUNNING for s in live)
                self._set_state(AppState.RUNNING if running else AppState.REBALANCING)

    def _set_state(self, new: str) -> None:
        old, self._state = self._state, new
        if old != new:
            self._state_since = now_ms()
            logger.info("%s: state %s -> %s", self.application_id, old, new)
            listener = self._state_listener
            if listener is not None:
                try:
                    listener(new, old)
                except Exception:
                    logger.exception("%s: state listener failed", self.application_id)

    # -- metrics ------------------------------------------------------------------------

    def _snapshot(self, advance: bool = True) -> dict[str, Any]:
        parts = [p for p in (t.metrics.part() for t in list(self._threads)) if p is not None]
        snapshot = self._aggregator.snapshot(self._state, parts, self._app_errors, advance=advance,
                                             state_since=self._state_since)
        standbys = self._standby_updater
        if standbys is not None:
            snapshot["standby"] = standbys.metrics()
        return snapshot

    def _report(self) -> None:
        with self._report_lock:
            try:
                snapshot = self._snapshot()
            except Exception:
                logger.warning("%s: building the metrics snapshot failed", self.application_id, exc_info=True)
                return
            if self._on_metrics is None:
                return
            try:
                self._on_metrics(snapshot)
                self._callback_failed = False
            except Exception:
                # The callback is the caller's code: it must never stop the engine.
                if not self._callback_failed:
                    logger.exception("%s: on_metrics callback failed", self.application_id)
                self._callback_failed = True
