"""The Kafka-Streams-style DSL: ``from runtime.dsl import StreamsBuilder``."""

from __future__ import annotations

from runtime.dsl.branched import BranchedKStream
from runtime.dsl.builder import StreamsBuilder
from runtime.dsl.grouped import KGroupedStream
from runtime.dsl.options import Consumed, Grouped, Materialized, Produced
from runtime.dsl.stream import KStream
from runtime.dsl.table import KTable
from runtime.processors.change import Change

__all__ = [
    "BranchedKStream",
    "Change",
    "Consumed",
    "Grouped",
    "KGroupedStream",
    "KStream",
    "KTable",
    "Materialized",
    "Produced",
    "StreamsBuilder",
]
