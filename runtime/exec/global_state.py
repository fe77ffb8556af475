"""The global state updater: keeps the global stores of an instance (Kafka Streams'
``GlobalStreamThread`` and ``GlobalStateManager``).

Each global store's sub-topology (a source and the processor writing the store) runs in
a :class:`StreamTask` of its own, fed every partition of its topic by an assign-only
consumer that never joins the group and commits nothing. :meth:`bootstrap` reads every
partition from the beginning up to its end before the stream threads start, so their
first lookups see the whole table; the thread then follows the topics for as long as
the application runs. The topic is the store's changelog: nothing is written anywhere.
Stores are in memory, so every start reads the topics again from the beginning.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from runtime.errors import ProcessingError, StreamsError
from runtime.exec.clock import Clock
from runtime.exec.engine_config import EngineConfig
from runtime.exec.task import ConsumedRecord, StreamTask
from runtime.kafka import (
    OFFSET_BEGINNING,
    ClientSupplier,
    KafkaClientError,
    MessageProto,
    TopicPartition,
    TopicPartitionOffset,
    is_offset_reset_error,
    is_partition_eof,
)
from runtime.kafka.config import restore_consumer_config
from runtime.state.api import StateStore

__all__ = ["GlobalStateUpdater", "global_state_tasks"]

logger = logging.getLogger(__name__)


class _NoOutput:
    """A global sub-topology has no sinks and its stores log nothing."""

    def send(self, topic: str, *args: Any, **kwargs: Any) -> None:
        raise StreamsError(f"a global store's processor tried to write to {topic!r}")


def global_state_tasks(topology: Any, application_id: str, config: Mapping[str, Any],
                       clock: Clock) -> tuple[dict[str, StreamTask], dict[str, StateStore]]:
    """One task per global sub-topology: (topic -> task, store name -> store)."""
    by_topic: dict[str, StreamTask] = {}
    stores: dict[str, StateStore] = {}
    for sid in topology.global_sub_topology_ids():
        task = StreamTask(topology, sid, 0, application_id=application_id,
                          collector=_NoOutput(), config=config, clock=clock)
        stores.update((name, task.get_store(name)) for name in task.store_names)
        for topic in topology.source_topics(sid, application_id):
            by_topic[topic] = task
    return by_topic, stores


class GlobalStateUpdater(threading.Thread):
    """Construct, :meth:`bootstrap` (blocking), then ``start()`` to keep following."""

    def __init__(self, *, topology: Any, config: EngineConfig, clients: ClientSupplier,
                 clock: Clock, client_id: str,
                 on_error: Callable[[BaseException], None] | None = None,
                 poll_timeout_s: float = 0.2, stall_timeout_s: float = 120.0) -> None:
        super().__init__(name=f"{client_id}-GlobalStreamThread", daemon=True)
        self._config = config
        self._tasks, self.stores = global_state_tasks(
            topology, config.application_id, config.streams, clock)
        self._consumer = clients.consumer(restore_consumer_config(
            config.raw, client_id=f"{client_id}-global-consumer"))
        self._on_error = on_error
        self._poll_timeout_s = poll_timeout_s
        self._stall_timeout_s = stall_timeout_s
        self._shutdown = threading.Event()
        self._close_lock = threading.Lock()
        self._consumer_closed = False
        self._assigned: list[TopicPartition] = []
        self.error: BaseException | None = None
        self.records_processed = 0

    @property
    def topics(self) -> list[str]:
        return sorted(self._tasks)

    def shutdown(self) -> None:
        self._shutdown.set()

    # -- bootstrap ------------------------------------------------------------------
    def bootstrap(self, partitions: Mapping[str, int]) -> None:
        """Read every partition of the global topics from the beginning to its end.

        ``partitions`` gives each topic's partition count (the admin's metadata).
        """
        missing = [t for t in self._tasks if t not in partitions]
        if missing:
            raise StreamsError(f"global table topics missing: {', '.join(sorted(missing))}; "
                               "create them before starting the application")
        self._assigned = [TopicPartition(t, p) for t in sorted(self._tasks)
                          for p in range(partitions[t])]
        if not self._assigned:
            return
        self._consumer.load_metadata(sorted(self._tasks), timeout=1.0)
        self._consumer.assign([TopicPartitionOffset(tp.topic, tp.partition, OFFSET_BEGINNING)
                               for tp in self._assigned])
        pending = set(self._assigned)
        last_progress = time.monotonic()
        started = last_progress
        while pending:
            if self._shutdown.is_set():
                return
            messages = self._consumer.consume(10_000, self._poll_timeout_s)
            for message in messages:
                error = message.error()
                if error is not None and is_partition_eof(error):
                    pending.discard(TopicPartition(message.topic(), message.partition()))  # type: ignore[arg-type]
            if self._apply(messages) or len(pending) < len(self._assigned):
                last_progress = time.monotonic()
            if time.monotonic() - last_progress > self._stall_timeout_s:
                raise StreamsError(f"global state bootstrap made no progress for "
                                   f"{self._stall_timeout_s:.0f} s; still reading "
                                   f"{sorted(str(tp) for tp in pending)}")
        logger.info("global stores %s bootstrapped from %s: %d records in %.2f s",
                    ", ".join(sorted(self.stores)), ", ".join(self.topics),
                    self.records_processed, time.monotonic() - started)

    # -- following ------------------------------------------------------------------
    def run(self) -> None:
        try:
            while not self._shutdown.is_set():
                self._apply(self._consumer.consume(10_000, self._poll_timeout_s))
        except BaseException as exc:  # the app decides what a dead updater means
            self.error = exc
            logger.error("%s failed: %s", self.name, exc)
            if self._on_error is not None:
                self._on_error(exc)
        finally:
            self._close_consumer()

    def close(self) -> None:
        """Close the consumer and the stores; call once the stream threads stopped."""
        self._shutdown.set()
        self._close_consumer()
        for task in {id(t): t for t in self._tasks.values()}.values():
            task.close()

    def _close_consumer(self) -> None:
        with self._close_lock:
            if self._consumer_closed:
                return
            self._consumer_closed = True
        try:
            self._consumer.close()
        except Exception:  # a broker already gone
            logger.debug("closing the global consumer failed", exc_info=True)

    def _apply(self, messages: Sequence[MessageProto]) -> int:
        """Push the records of ``messages`` into the global stores; returns how many."""
        applied = 0
        for message in messages:
            error = message.error()
            if error is not None:
                self._on_consumer_error(message, error)
                continue
            topic = message.topic()
            task = self._tasks.get(topic)  # type: ignore[arg-type]
            if task is None:
                continue
            record = ConsumedRecord(
                topic, message.partition(), message.offset(),  # type: ignore[arg-type]
                message.timestamp()[1], message.key(), message.value(),
                tuple(message.headers() or ()))
            try:
                task.process(record)
            except ProcessingError as exc:
                if not self._config.continue_on_processing_error:
                    raise
                logger.warning("%s (processing.exception.handler: continue; record skipped)",
                               exc)
            applied += 1
        self.records_processed += applied
        return applied

    def _on_consumer_error(self, message: MessageProto, error: Any) -> None:
        if is_partition_eof(error):
            return
        if is_offset_reset_error(error):
            # Records were deleted under us (retention): start the partition over, as
            # Kafka's global thread re-bootstraps on an invalid offset.
            tp = TopicPartitionOffset(message.topic(), message.partition(),  # type: ignore[arg-type]
                                      OFFSET_BEGINNING)
            logger.warning("global topic %s-%s: %s; reading it again from the beginning",
                           tp.topic, tp.partition, error)
            self._consumer.seek(tp)
            return
        if error.fatal():
            raise KafkaClientError(f"fatal global consumer error: {error.str()}")
        logger.warning("%s consumer: %s", self.name, error.str())
