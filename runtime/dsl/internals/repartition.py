"""Insertion of repartition topics (Kafka's KStreamImpl#createRepartitionedSource)."""

from __future__ import annotations

from typing import Any

from runtime import naming
from runtime.dsl.internals.builder import InternalStreamsBuilder
from runtime.dsl.internals.graph import OptimizableRepartitionNode
from runtime.processors.peek import PassThrough
from runtime.serdes import Serde

__all__ = ["create_repartition_node"]


def create_repartition_node(builder: InternalStreamsBuilder, key_serde: Serde[Any] | None,
                            value_serde: Serde[Any] | None, topic_prefix: str,
                            num_partitions: int | None = None) -> OptimizableRepartitionNode:
    """A filter → sink → topic → source chain for the topic ``<prefix>-repartition``.

    Three indexes are always used up; the nodes keep their generated names only when
    the prefix itself was generated, otherwise they are ``<topic>-sink`` etc.
    """
    topic = naming.repartition_topic_name(topic_prefix)
    sink = builder.new_processor_name(naming.SINK)
    filter_ = builder.new_processor_name(naming.FILTER)
    source = builder.new_processor_name(naming.SOURCE)
    if not naming.is_generated_repartition_prefix(topic_prefix):
        sink, source, filter_ = f"{topic}-sink", f"{topic}-source", f"{topic}-filter"
    # The filter lets everything through: null keys are dropped by the aggregation
    # downstream, as in Kafka Streams 4 (rewritten only for joins that need it).
    return OptimizableRepartitionNode(source, filter_, sink, topic, key_serde, value_serde,
                                      PassThrough(), num_partitions)
