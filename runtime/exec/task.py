"""``StreamTask``: one sub-topology processing one partition (Kafka Streams' task).

The task knows no Kafka client. It is fed :class:`ConsumedRecord`s, writes outputs and
changelog records through a :class:`RecordCollector`, and keeps its stores, stream
time and punctuators. The test driver and the Kafka engine both run it.
"""

from __future__ import annotations

import heapq
import itertools
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from runtime.config import METRICS_RECORDING_LEVEL, HandlerResponse, StreamsConfig
from runtime.errors import (
    DeserializationError,
    ProcessingError,
    ProductionError,
    RecordError,
    RecordTooLargeError,
    StoreNotFoundError,
    StreamsError,
    TopologyError,
)
from runtime.exec.clock import Clock
from runtime.exec.dead_letter import DeadLetterQueue
from runtime.exec.sampling import DECISION_CONTINUED, DECISION_DLQ, DECISION_FAILED, RecordFeed
from runtime.processor.api import Cancellable, PunctuationType, Punctuator
from runtime.processor.internals.context import NodeContext
from runtime.processor.internals.nodes import ProcessorNode, RuntimeNode, SinkNode, SourceNode
from runtime.processor.record import Record, RecordMetadata, new_record
from runtime.processor.timestamp_extractors import (
    ConsumerRecord,
    new_consumer_record,
    FailOnInvalidTimestamp,
    as_extractor_function,
)
from runtime.serdes import Serde, resolve_serde
from runtime.state.api import KeyValueStore, StateStore
from runtime.state.internals.builders import StoreBuilder
from runtime.state.internals.caching_store import has_dirty_caches
from runtime.state.internals.metered import latency_metrics, time_operations
from runtime.state.internals.store_settings import StoreSettings, use_settings
from runtime.state.internals.timestamped_bytes import with_timestamp
from runtime.state.internals.wrapped import innermost
from runtime.topology.internals.builder import ProcessorNodeDef, SinkNodeDef, SourceNodeDef
from runtime.topology.topology import Topology

__all__ = ["ConsumedRecord", "RecordCollector", "StreamTask", "TaskId", "TaskObserver"]

logger = logging.getLogger(__name__)


class ConsumedRecord(NamedTuple):
    """What the consumer hands to a task.

    A NamedTuple rather than a frozen dataclass: one is made per consumed record, and
    a frozen dataclass's ``__init__`` costs four times as much.
    """

    topic: str
    partition: int
    offset: int
    timestamp: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()


class RecordCollector(Protocol):
    """Sinks and change-logging layers send through this.

    ``partition=None`` means Kafka's default partitioner (murmur2 of the key bytes).
    """

    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Sequence[tuple[str, bytes]] | None = None,
             partition: int | None = None) -> None: ...


class TaskObserver(Protocol):
    """Optional; the engine uses it for samples and metrics.

    An observer may also define ``on_error(error: RecordError) -> None``; it is then
    told about records skipped by a log-and-continue handler.
    """

    def on_output(self, sink_node: str, topic: str, key: Any, value: Any,
                  timestamp: int) -> None: ...


@dataclass(frozen=True, order=True)
class TaskId:
    subtopology: int
    partition: int

    def __str__(self) -> str:
        return f"{self.subtopology}_{self.partition}"

    @staticmethod
    def parse(text: str) -> TaskId:
        try:
            sub, part = text.split("_")
            return TaskId(int(sub), int(part))
        except ValueError as exc:
            raise ValueError(f"not a task id: {text!r} (expected like '0_1')") from exc


class _Punctuation(Cancellable):
    __slots__ = ("node", "interval", "callback", "kind", "cancelled")

    def __init__(self, node: RuntimeNode, interval: int, callback: Punctuator,
                 kind: PunctuationType) -> None:
        self.node = node
        self.interval = interval
        self.callback = callback
        self.kind = kind
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


class _PunctuationQueue:
    """Schedules due at or before a time run in time order (Kafka's PunctuationQueue)."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, _Punctuation]] = []
        self._seq = itertools.count()

    def add(self, due: int, p: _Punctuation) -> None:
        heapq.heappush(self._heap, (due, next(self._seq), p))

    def next_due(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: int) -> tuple[int, _Punctuation] | None:
        if self._heap and self._heap[0][0] <= now:
            due, _, p = heapq.heappop(self._heap)
            return due, p
        return None

    def __bool__(self) -> bool:
        return bool(self._heap)


def _next_due(due: int, interval: int, now: int) -> int:
    # After a gap of several intervals, skip the missed punctuations rather than
    # firing them back to back (Kafka's PunctuationSchedule#next).
    nxt = due + interval
    if now >= nxt:
        nxt = due + ((now - due) // interval + 1) * interval
    return nxt


class _TaskStoreContext:
    """What the task's stores see of it (runtime.state.StoreContext)."""

    def __init__(self, task: StreamTask) -> None:
        self._task = task
        self.application_id = task.application_id
        self.task_id = task.task_id
        self.partition = task.partition

    def changelog_topic(self, store_name: str) -> str:
        return self._task.changelog_topic(store_name)

    def record_timestamp(self) -> int:
        return self._task.record_timestamp

    def record_headers(self) -> Any:
        # what a record cache keeps with an entry, to forward it with at flush
        return self._task.record_headers

    def log_change(self, store_name: str, key: bytes, value: bytes | None,
                   timestamp: int) -> None:
        self._task.log_change(store_name, key, value, timestamp)

    def default_key_serde(self) -> Serde[Any]:
        return self._task.default_key_serde()

    def default_value_serde(self) -> Serde[Any]:
        return self._task.default_value_serde()


class StreamTask:
    """Processes the records of one partition of one sub-topology."""

    def __init__(self, topology: Topology, subtopology_id: int, partition: int, *,
                 application_id: str, collector: RecordCollector,
                 config: Mapping[str, Any], clock: Clock,
                 observer: TaskObserver | None = None,
                 global_stores: Mapping[str, StateStore] | None = None,
                 records: RecordFeed | None = None) -> None:
        self.task_id = TaskId(subtopology_id, partition)
        # Global stores (kept by the global state updater) are readable by every
        # processor without being connected, as in Kafka Streams.
        self._global_stores: Mapping[str, StateStore] = global_stores or {}
        self.task_id_str = str(self.task_id)
        self.application_id = application_id
        self.partition = partition
        self._collector = collector
        self._clock = clock
        self._observer = observer
        self._on_error = getattr(observer, "on_error", None)
        # samples and handler decisions for live views (runtime.exec.sampling)
        self._records = records
        self._config = config if isinstance(config, StreamsConfig) else StreamsConfig(config)
        self.app_config = self._config.to_dict()
        self._default_key_serde = self._config.default_key_serde()
        self._default_value_serde = self._config.default_value_serde()
        self._default_extractor = self._config.default_timestamp_extractor()
        self._continue_on_deserialization_error = (
            self._config.deserialization_handler() == HandlerResponse.CONTINUE)
        self._continue_on_processing_error = (
            self._config.processing_handler() == HandlerResponse.CONTINUE)
        self._continue_on_production_error = (
            self._config.production_handler() == HandlerResponse.CONTINUE)
        dlq_topic = self._config.dead_letter_queue_topic()
        self._dlq_topic = dlq_topic
        self._dead_letters = None if dlq_topic is None else DeadLetterQueue(dlq_topic, collector)
        # the engine's collector handles the broker's late refusals with the same answers
        handle_delivery_errors = getattr(collector, "handle_delivery_errors", None)
        if handle_delivery_errors is not None:
            handle_delivery_errors(self._continue_on_production_error, dlq_topic)
        self._source_record: ConsumedRecord | None = None  # raw bytes, for the DLQ

        # Context of the record being processed; offset -1 / topic None in punctuations.
        self.record_timestamp = -1
        self.record_headers: Any = None   # the input record's, for record caches
        self._topic: str | None = None
        self._partition_of_record = -1
        self._offset = -1
        self._stream_time = -1
        self._partition_time: dict[tuple[str, int], int] = {}
        self._processed = 0
        self._dropped = 0
        # Kafka's task-level record-lateness (stream time - record timestamp) and
        # punctuate-total; in-order records cost nothing.
        self._lateness_sum = 0
        self._lateness_max = 0
        self._punctuations = 0
        self._closed = False

        self._stream_punctuations = _PunctuationQueue()
        self._wall_punctuations = _PunctuationQueue()

        processor_topology = topology.build_subtopology(subtopology_id, application_id)
        self._changelog_topics = dict(processor_topology.changelog_topics)
        self._source_changelogs = dict(processor_topology.source_changelogs)
        # store -> keys written since its last Redis checkpoint; None: no checkpoints,
        # nothing tracked (see enable_checkpoint_changes)
        self._dirty_keys: dict[str, set[bytes]] | None = None
        self._store_builders: dict[str, StoreBuilder] = {
            b.name: b for b in processor_topology.stores}
        self._stores: dict[str, StateStore] = {}
        store_context = _TaskStoreContext(self)
        # state.dir, default.dsl.store and this thread's record cache, for the builders
        with use_settings(StoreSettings.from_config(self._config)):
            built = [builder.build() for builder in processor_topology.stores]
        # Store operation latencies are Kafka's DEBUG-level metrics: timed only then.
        timed = str(self._config.get(METRICS_RECORDING_LEVEL, "INFO")).upper() in ("DEBUG", "TRACE")
        for builder, store in zip(processor_topology.stores, built):
            store.init(store_context)
            if timed:
                time_operations(store)
            self._stores[builder.name] = store

        self._nodes: dict[str, RuntimeNode] = {}
        self._sources: dict[str, SourceNode] = {}
        for definition in processor_topology.nodes:
            node = self._create_node(definition, processor_topology.sink_topics)
            self._nodes[definition.name] = node
            for parent in definition.predecessors:
                self._nodes[parent].add_child(node)
        for topic, source_name in processor_topology.source_topics.items():
            self._sources[topic] = self._nodes[source_name]  # type: ignore[assignment]
        self._patterns = [(d.pattern, self._nodes[d.name]) for d in processor_topology.nodes
                          if isinstance(d, SourceNodeDef) and d.pattern is not None]
        for node in self._nodes.values():
            node.init()
        if records is not None:
            records.attach(self, self._nodes.values())

    # -- construction ----------------------------------------------------------------
    def _serde(self, serde: Serde[Any] | None, default: Serde[Any]) -> Serde[Any]:
        resolved = resolve_serde(serde)
        return resolved if resolved is not None else default

    def _create_node(self, d: Any, sink_topics: dict[str, str | None]) -> RuntimeNode:
        node: RuntimeNode
        if isinstance(d, SourceNodeDef):
            chosen = d.timestamp_extractor if d.timestamp_extractor is not None \
                else self._default_extractor
            # FailOnInvalidTimestamp is what the fast path does inline (not a subclass:
            # it may override extract)
            extract = None if chosen is None or type(chosen) is FailOnInvalidTimestamp \
                else as_extractor_function(chosen)
            node = SourceNode(d.name, d.topics, self._serde(d.key_serde, self._default_key_serde),
                              self._serde(d.value_serde, self._default_value_serde), extract)
            node.context = NodeContext(self, node, [])
        elif isinstance(d, ProcessorNodeDef):
            try:
                processor = d.supplier()
            except Exception as exc:
                raise TopologyError(f"the supplier of processor {d.name} failed: {exc}") from exc
            if not hasattr(processor, "process"):
                raise TopologyError(
                    f"the supplier of processor {d.name} returned {processor!r}, not a Processor")
            node = ProcessorNode(d.name, processor, self, list(d.stores))
            node.context = NodeContext(self, node, [*d.stores, *self._global_stores])
        elif isinstance(d, SinkNodeDef):
            node = SinkNode(d.name, sink_topics.get(d.name), d.topic_extractor,
                            self._serde(d.key_serde, self._default_key_serde),
                            self._serde(d.value_serde, self._default_value_serde),
                            d.partitioner, self)
        else:  # pragma: no cover - the builder only makes the three kinds
            raise TopologyError(f"unknown node definition {d!r}")
        return node

    # -- for the stores hosted by this task --------------------------------------------
    def changelog_topic(self, store_name: str) -> str:
        return self._changelog_topics.get(store_name,
                                          f"{self.application_id}-{store_name}-changelog")

    def log_change(self, store_name: str, key: bytes, value: bytes | None,
                   timestamp: int) -> None:
        self._collector.send(self._changelog_topics[store_name], key, value, timestamp,
                             None, self.partition)
        tracked = self._dirty_keys
        if tracked is not None:
            dirty = tracked.get(store_name)
            if dirty is None:
                dirty = tracked[store_name] = set()
            dirty.add(key)

    def default_key_serde(self) -> Serde[Any]:
        return self._default_key_serde

    def default_value_serde(self) -> Serde[Any]:
        return self._default_value_serde

    # -- TaskHost (nodes and contexts) -------------------------------------------------
    def record_metadata(self) -> RecordMetadata | None:
        if self._topic is None:
            return None
        return RecordMetadata(self._topic, self._partition_of_record, self._offset)

    def stream_time(self) -> int:
        return self._stream_time

    def wall_clock_ms(self) -> int:
        return self._clock.now_ms()

    def record_dropped(self) -> None:
        self._dropped += 1

    def store(self, name: str) -> Any:
        store = self._stores.get(name)
        if store is None:
            store = self._global_stores.get(name)
        if store is None:
            raise StoreNotFoundError(f"task {self.task_id} has no state store {name!r}")
        return store

    def schedule(self, node: RuntimeNode, interval_ms: int, kind: PunctuationType,
                 callback: Punctuator) -> Cancellable:
        p = _Punctuation(node, interval_ms, callback, kind)
        if kind is PunctuationType.STREAM_TIME:
            # aligned to 0: fires as soon as stream time is known
            self._stream_punctuations.add(0, p)
        else:
            self._wall_punctuations.add(self._clock.now_ms() + interval_ms, p)
        return p

    def record_error(self, cls: type[RecordError], node: str, message: str) -> RecordError:
        return cls(message, node=node, topic=self._topic,
                   partition=self._partition_of_record if self._topic is not None else None,
                   offset=self._offset if self._topic is not None else None,
                   task_id=self.task_id_str)

    def processing_failed(self, node: RuntimeNode, exc: BaseException,
                          during: str = "process") -> None:
        """Raise a ProcessingError for ``exc``, or log and return under log-and-continue."""
        what = {"process": "processing a record", "init": "initialising",
                "punctuate": "punctuating"}.get(during, during)
        error = self.record_error(ProcessingError, node.name,
                                  f"{type(exc).__name__} while {what}: {exc}")
        if during != "init":
            self._dead_letter(exc)
        error.__cause__ = exc
        if self._continue_on_processing_error and during != "init":
            logger.warning("%s; skipped (processing.exception.handler=log-and-continue)", error)
            self._dropped += 1
            self._notify_error(error)
            self._report_decision(error, continued=True)
            return
        self._report_decision(error, continued=False)
        raise error from exc

    def partition_for(self, sink: SinkNode, topic: str, record: Record) -> int | None:
        count = getattr(self._collector, "partitions_for", None)
        if count is None:
            raise self.record_error(ProcessingError, sink.name,
                                    "a custom partitioner needs a collector with partitions_for()")
        assert sink.partitioner is not None
        return sink.partitioner(topic, record.key, record.value, count(topic))

    def send(self, sink: str, topic: str, record: Record, key: bytes | None,
             value: bytes | None, partition: int | None) -> None:
        if self._observer is not None:
            self._observer.on_output(sink, topic, record.key, record.value, record.timestamp)
        try:
            self._collector.send(topic, key, value, record[2], record[3] or None, partition)
        except RecordTooLargeError as exc:
            error = self.record_error(ProductionError, sink, f"could not send record to topic "
                                      f"{topic}: {exc}")
            error.__cause__ = exc
            self.production_failed(error)

    def _notify_error(self, error: RecordError) -> None:
        if self._on_error is not None:
            self._on_error(error)

    def _report_decision(self, error: RecordError, *, continued: bool) -> None:
        """Tell the record feed (StreamsApp's on_error) what the handler decided."""
        records = self._records
        if records is None:
            return
        dead_lettered = self._dead_letters is not None
        decision = (DECISION_FAILED if not continued
                    else DECISION_DLQ if dead_lettered else DECISION_CONTINUED)
        source = self._source_record if self._topic is not None else None
        if source is None:
            key = value = timestamp = None
        else:
            key, value, timestamp = source.key, source.value, source.timestamp
        records.emit_error(error, decision, key, value, timestamp,
                           self._dlq_topic if dead_lettered else None)

    def _dead_letter(self, exc: BaseException) -> None:
        """KIP-1034: the built-in handlers write the failing source record to the DLQ
        topic, when one is configured, whether they then continue or fail."""
        if self._dead_letters is not None:
            self._dead_letters.send(exc, self._source_record if self._topic is not None
                                    else None, self.record_timestamp)

    def production_failed(self, error: ProductionError) -> bool:
        """A sink could not serialize its output, or the producer refused it as too
        large: Kafka's production.exception.handler decides, per sink, so the record's
        other sinks still get it. Raises ``error`` under log-and-fail, else True."""
        self._dead_letter(error.__cause__ or error)
        if not self._continue_on_production_error:
            self._report_decision(error, continued=False)
            raise error
        logger.warning("%s; dropped (production.exception.handler=log-and-continue)", error)
        self._dropped += 1
        self._notify_error(error)
        self._report_decision(error, continued=True)
        return True

    # -- processing --------------------------------------------------------------------
    def _source_for(self, topic: str) -> SourceNode:
        source = self._sources.get(topic)
        if source is None:
            for pattern, node in self._patterns:
                if pattern.fullmatch(topic):
                    self._sources[topic] = node  # type: ignore[assignment]
                    return node  # type: ignore[return-value]
            raise StreamsError(f"task {self.task_id} does not read topic {topic!r}; it reads "
                               f"{sorted(self._sources)}")
        return source

    def process(self, record: ConsumedRecord) -> None:
        """Deserialize, timestamp and push one record through the sub-topology."""
        if self._closed:
            raise StreamsError(f"task {self.task_id} is closed")
        topic = record.topic
        source = self._sources.get(topic) or self._source_for(topic)
        self._topic = topic
        self._partition_of_record = partition = record.partition
        self._offset = record.offset
        self._source_record = record
        self.record_timestamp = timestamp = record.timestamp
        headers = record.headers
        try:
            key = source.key_serde.deserialize(record.key, topic, headers)
            value = source.value_serde.deserialize(record.value, topic, headers)
        except Exception as exc:
            self._deserialization_failed(source, exc)
            return

        partition_key = (topic, partition)
        partition_time = self._partition_time.get(partition_key, -1)
        if source.default_extractor:
            if timestamp < 0:
                raise self.record_error(
                    ProcessingError, source.name,
                    f"record has invalid (negative) timestamp {timestamp}; use a timestamp "
                    "extractor that handles it (e.g. UsePartitionTimeOnInvalidTimestamp)")
        else:
            try:
                timestamp = int(source.extract(  # type: ignore[misc]
                    new_consumer_record(topic, partition, record.offset,
                                        record.timestamp, key, value, headers),
                    partition_time))
            except Exception as exc:
                raise self.record_error(
                    ProcessingError, source.name,
                    f"timestamp extractor failed: {type(exc).__name__}: {exc}") from exc
            if timestamp < 0:
                logger.warning("Skipping record %s-%s@%s due to negative extracted timestamp %s",
                               record.topic, record.partition, record.offset, timestamp)
                self._dropped += 1
                return
        if timestamp > partition_time:
            self._partition_time[partition_key] = timestamp
        if timestamp > self._stream_time:
            self._stream_time = timestamp
        elif timestamp < self._stream_time:
            lateness = self._stream_time - timestamp
            self._lateness_sum += lateness
            if lateness > self._lateness_max:
                self._lateness_max = lateness
        self.record_timestamp = timestamp
        self.record_headers = headers = headers or None
        self._processed += 1
        # a sink's production error is handled at the sink (production_failed)
        source.process(new_record((key, value, timestamp, headers)))
        if self._stream_punctuations._heap:  # not bool(): one call less per record
            self._punctuate(self._stream_punctuations, self._stream_time)

    def extract_timestamp(self, record: ConsumedRecord, partition_time: int) -> int:
        """The timestamp :meth:`process` will give ``record``, for putting a task's
        partitions in timestamp order (Kafka's RecordQueue extracts it when the record
        becomes the head). The record's own when it cannot be read: processing it
        reports why."""
        topic = record.topic
        source = self._sources.get(topic) or self._source_for(topic)
        if source.default_extractor:
            return record.timestamp
        try:
            key = source.key_serde.deserialize(record.key, topic, record.headers)
            value = source.value_serde.deserialize(record.value, topic, record.headers)
            return int(source.extract(  # type: ignore[misc]
                ConsumerRecord(topic, record.partition, record.offset, record.timestamp,
                               key, value, record.headers), partition_time))
        except Exception:
            return record.timestamp

    def process_batch(self, records: Sequence[ConsumedRecord]) -> None:
        process = self.process
        for record in records:
            process(record)

    def _deserialization_failed(self, source: SourceNode, exc: Exception) -> None:
        error = self.record_error(DeserializationError, source.name,
                                  f"{type(exc).__name__}: {exc}")
        error.__cause__ = exc
        self._dead_letter(exc)
        if self._continue_on_deserialization_error:
            logger.warning("%s; skipped (deserialization.exception.handler=log-and-continue)",
                           error)
            self._dropped += 1
            self._notify_error(error)
            self._report_decision(error, continued=True)
            return
        self._report_decision(error, continued=False)
        raise error from exc

    # -- punctuation ---------------------------------------------------------------------
    def punctuate(self, wall_clock_ms: int) -> int:
        """Run the wall-clock punctuators due at ``wall_clock_ms``; returns how many ran."""
        if self._wall_punctuations:
            return self._punctuate(self._wall_punctuations, wall_clock_ms)
        return 0

    def next_wall_clock_punctuation(self) -> int | None:
        return self._wall_punctuations.next_due()

    def maybe_punctuate_stream_time(self) -> None:
        if self._stream_time >= 0 and self._stream_punctuations:
            self._punctuate(self._stream_punctuations, self._stream_time)

    def _punctuate(self, queue: _PunctuationQueue, now: int) -> int:
        if now < 0:
            return 0
        ran = 0
        while (item := queue.pop_due(now)) is not None:
            due, p = item
            if p.cancelled:
                continue
            ran += 1
            self._punctuations += 1
            saved = (self._topic, self._partition_of_record, self._offset, self.record_timestamp)
            self._topic, self._partition_of_record, self._offset = None, -1, -1
            self.record_timestamp = now
            try:
                p.callback(now)
            except RecordError:
                raise
            except Exception as exc:
                self.processing_failed(p.node, exc, during="punctuate")
            finally:
                (self._topic, self._partition_of_record, self._offset,
                 self.record_timestamp) = saved
            if not p.cancelled:
                queue.add(_next_due(due, p.interval, now), p)
        return ran

    # -- state ---------------------------------------------------------------------------
    def get_store(self, name: str) -> Any:
        """The store ``name`` as processors see it (typed, metered)."""
        return self.store(name)

    @property
    def store_names(self) -> list[str]:
        return list(self._stores)

    def is_timestamped_store(self, name: str) -> bool:
        """Whether the store holds ValueAndTimestamp values (the DSL's stores do)."""
        self.store(name)
        return self._store_builders[name].timestamped

    def changelog_partitions(self) -> dict[str, tuple[str, int]]:
        """store -> (changelog topic, partition) for every logged store of this task, and
        for stores whose changelog is a source topic (restored from it, never written)."""
        partitions = {store: (topic, self.partition)
                      for store, topic in self._source_changelogs.items()}
        partitions.update((store, (topic, self.partition))
                          for store, topic in self._changelog_topics.items())
        return partitions

    def _bytes_store(self, store_name: str) -> Any:
        store = self._stores.get(store_name)
        if store is None:
            raise StoreNotFoundError(f"task {self.task_id} has no state store {store_name!r}")
        return innermost(store)

    def restore(self, store_name: str,
                batch: Iterable[tuple[bytes, bytes | None] | tuple[bytes, bytes | None, int]]
                ) -> None:
        """Apply changelog records to a store, bypassing change-logging.

        Items are ``(key, value)`` or ``(key, value, timestamp)`` as read from the
        changelog; ``value`` None deletes. Timestamped stores (the DSL's) keep the
        timestamp, which travels as the changelog record's timestamp, so pass it.
        """
        inner = self._bytes_store(store_name)
        timestamped = self._store_builders[store_name].timestamped
        put = inner.put
        # A replayed tail is not in the Redis checkpoint it was replayed onto.
        dirty = set() if self._dirty_keys is None else self._dirty_keys.setdefault(store_name, set())
        for item in batch:
            key, value = item[0], item[1]
            dirty.add(key)
            if timestamped and value is not None:
                value = with_timestamp(value, item[2] if len(item) > 2 else 0)  # type: ignore[misc]
            put(key, value)

    def store_snapshot(self, store_name: str) -> Iterator[tuple[bytes, bytes]]:
        """Every entry of a store in its local byte format (for checkpoints).

        Reload with :meth:`load_snapshot`, not :meth:`restore`: timestamped stores hold
        the timestamp in front of the value here, unlike in the changelog.
        """
        return self._bytes_store(store_name).all()

    def load_snapshot(self, store_name: str, entries: Iterable[tuple[bytes, bytes]]) -> None:
        """Fill a store from :meth:`store_snapshot` output, bypassing change-logging."""
        inner = self._bytes_store(store_name)
        put_all = getattr(inner, "put_all", None)
        if put_all is not None:   # key-value stores: in bulk
            put_all(entries)
            return
        put = inner.put
        for key, value in entries:
            put(key, value)

    def enable_checkpoint_changes(self) -> None:
        """Track written keys for incremental checkpoints, from now on (before the
        restore: a replayed tail counts)."""
        if self._dirty_keys is None:
            self._dirty_keys = {}

    def checkpoint_changes(self, store_name: str) -> list[tuple[bytes, bytes | None]] | None:
        """The entries (local byte format; None = deleted) of the keys written since
        :meth:`clear_checkpoint_changes`, or None when only a whole snapshot will do:
        tracking not enabled, a store that is not logged, or a window/session store
        (their segments expire without changelog tombstones, and their changelog keys
        are no point lookups)."""
        inner = self._bytes_store(store_name)
        if (self._dirty_keys is None or store_name not in self._changelog_topics
                or not isinstance(inner, KeyValueStore)):
            return None
        get = inner.get
        return [(key, get(key)) for key in self._dirty_keys.get(store_name, ())]

    def clear_checkpoint_changes(self, store_name: str) -> None:
        """After a successful checkpoint; a failed one keeps them for the next try."""
        if self._dirty_keys is not None:
            self._dirty_keys.pop(store_name, None)

    def flush(self) -> None:
        """Before a commit: push cached state to changelogs and downstream."""
        stores = list(self._stores.values())
        for store in stores:
            store.flush()
        # A flushed cache forwards downstream, possibly into a cached store flushed
        # before it: flush again until every cache of the task is clean.
        for _ in range(len(stores)):
            if not has_dirty_caches(stores):
                break
            for store in stores:
                store.flush()

    # -- metrics -------------------------------------------------------------------------
    def node_metrics(self) -> dict[str, dict[str, float]]:
        metrics: dict[str, dict[str, float]] = {}
        for name, node in self._nodes.items():
            values = metrics[name] = {"process-total": node.process_total}
            if isinstance(node, SinkNode):
                values["record-e2e-latency-sum-total"] = node.e2e_latency_sum
                values["record-e2e-latency-count-total"] = node.e2e_latency_count
        return metrics

    def task_metrics(self) -> dict[str, float]:
        processed = self._processed
        return {"process-total": processed, "dropped-records-total": self._dropped,
                "stream-time": self._stream_time, "punctuate-total": self._punctuations,
                "record-lateness-avg": self._lateness_sum / processed if processed else None,
                "record-lateness-max": self._lateness_max if processed else None}

    def store_metrics(self) -> dict[str, dict[str, float]]:
        out: dict[str, dict[str, float]] = {}
        for name, store in self._stores.items():
            metrics = dict(getattr(store, "metrics", {}))
            metrics["num-entries"] = innermost(store).approximate_num_entries()  # type: ignore[attr-defined]
            metrics.update(latency_metrics(store))
            out[name] = metrics
        return out

    # -- lifecycle -----------------------------------------------------------------------
    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._records is not None:
            self._records.detach(self)
        first_error: BaseException | None = None
        for node in self._nodes.values():
            try:
                node.close()
            except Exception as exc:  # close everything, then report the first failure
                logger.exception("closing processor %s of task %s failed", node.name, self.task_id)
                first_error = first_error or exc
        for store in self._stores.values():
            store.close()
        if first_error is not None:
            raise StreamsError(f"task {self.task_id}: closing a processor failed: "
                               f"{first_error}") from first_error

    def __repr__(self) -> str:
        return f"StreamTask({self.task_id}, application_id={self.application_id!r})"
