"""The runtime nodes of a task: source, processor and sink, linked parent to children.

A record is pushed depth-first: a processor's ``context.forward`` calls each child's
``process`` before returning, as in Kafka Streams. Errors are attributed to the node
where they happen and re-raised unchanged by the nodes above it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runtime.errors import ProductionError, RecordError, SerializationError
from runtime.processor.api import Processor
from runtime.processor.record import Record, RecordContext
from runtime.serdes import Serde

if TYPE_CHECKING:
    from runtime.exec.sampling import NodeSampler
    from runtime.processor.internals.context import NodeContext, TaskHost

__all__ = ["ProcessorNode", "RuntimeNode", "SinkNode", "SourceNode"]


class RuntimeNode:
    __slots__ = ("name", "children", "children_by_name", "process_total", "context", "sampler")

    def __init__(self, name: str) -> None:
        self.name = name
        # runtime.exec.sampling: set only while the node is due for a sample
        self.sampler: NodeSampler | None = None
        self.children: list[RuntimeNode] = []
        self.children_by_name: dict[str, RuntimeNode] = {}
        self.process_total = 0
        self.context: NodeContext | None = None

    def add_child(self, child: RuntimeNode) -> None:
        self.children.append(child)
        self.children_by_name[child.name] = child

    def init(self) -> None:
        return None

    def close(self) -> None:
        return None

    def process(self, record: Record) -> None:
        raise NotImplementedError


class SourceNode(RuntimeNode):
    """Entry of a sub-topology for one or more topics; the task deserializes for it."""

    __slots__ = ("key_serde", "value_serde", "extract", "default_extractor", "topics")

    def __init__(self, name: str, topics: list[str], key_serde: Serde[Any],
                 value_serde: Serde[Any], extract: Callable[[Any, int], int] | None) -> None:
        super().__init__(name)
        self.topics = topics
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.extract = extract
        self.default_extractor = extract is None

    def process(self, record: Record) -> None:
        self.process_total += 1
        if self.sampler is not None:
            self.sampler.take(record)
        for child in self.children:
            child.process(record)


class ProcessorNode(RuntimeNode):
    __slots__ = ("processor", "host", "stores", "_process")

    def __init__(self, name: str, processor: Processor, host: TaskHost,
                 stores: list[str]) -> None:
        super().__init__(name)
        self.processor = processor
        self.host = host
        self.stores = stores
        self._process = processor.process  # bound once: this runs for every record

    def init(self) -> None:
        assert self.context is not None
        try:
            self.processor.init(self.context)
        except RecordError:
            raise
        except Exception as exc:
            self.host.processing_failed(self, exc, during="init")

    def close(self) -> None:
        self.processor.close()

    def process(self, record: Record) -> None:
        self.process_total += 1
        try:
            self._process(record)
        except RecordError:
            raise
        except Exception as exc:
            self.host.processing_failed(self, exc)


class SinkNode(RuntimeNode):
    __slots__ = ("topic", "topic_extractor", "key_serde", "value_serde", "partitioner", "host",
                 "e2e_latency_sum", "e2e_latency_count")

    def __init__(self, name: str, topic: str | None,
                 topic_extractor: Callable[..., str] | None, key_serde: Serde[Any],
                 value_serde: Serde[Any], partitioner: Callable[..., int | None] | None,
                 host: TaskHost) -> None:
        super().__init__(name)
        self.topic = topic
        self.topic_extractor = topic_extractor
        self.key_serde = key_serde
        self.value_serde = value_serde
        self.partitioner = partitioner
        self.host = host
        # Kafka Streams' record-e2e-latency of terminal nodes: wall-clock time when the
        # record is handed to the producer minus its timestamp; the metrics derive the
        # windowed average from these two totals.
        self.e2e_latency_sum = 0
        self.e2e_latency_count = 0

    def add_child(self, child: RuntimeNode) -> None:
        raise ValueError("Sinks don't have successors.")

    def process(self, record: Record) -> None:
        self.process_total += 1
        if self.sampler is not None:
            self.sampler.take(record)
        host = self.host
        topic = self.topic
        if topic is None:
            metadata = host.record_metadata()
            context = RecordContext(*(metadata or (None, -1, -1)), record[2], record[3])
            try:
                topic = self.topic_extractor(record.key, record.value, context)  # type: ignore[misc]
                if not isinstance(topic, str) or not topic:
                    # Kafka's producer refuses a null topic; name the chooser, not the producer
                    raise ValueError(f"the topic chooser returned {topic!r}, not a topic name")
            except Exception as exc:
                host.processing_failed(self, exc)
                return
        headers = record[3]
        try:
            key = self.key_serde.serialize(record[0], topic, headers)
            value = self.value_serde.serialize(record[1], topic, headers)
        except SerializationError as exc:
            error = host.record_error(ProductionError, self.name,
                                      f"could not serialize record for topic {topic}: {exc}")
            error.__cause__ = exc
            # per sink, as Kafka's RecordCollectorImpl: under log-and-continue only this
            # sink drops the record, the other sinks and branches still get it
            host.production_failed(error)
            return
        partition = None
        if self.partitioner is not None:
            partition = host.partition_for(self, topic, record)
        host.send(self.name, topic, record, key, value, partition)
        self.e2e_latency_sum += host.wall_clock_ms() - record[2]
        self.e2e_latency_count += 1
