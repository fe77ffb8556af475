"""The Kafka-Streams-style DSL: ``from runtime.dsl import StreamsBuilder``."""

from __future__ import annotations

from runtime.dsl.branched import BranchedKStream
from runtime.dsl.builder import StreamsBuilder
from runtime.dsl.grouped import KGroupedStream
from runtime.dsl.join_windows import JoinWindows
from runtime.dsl.options import Consumed, Grouped, Materialized, Produced
from runtime.dsl.stream import KStream
from runtime.dsl.table import KTable
from runtime.dsl.time_windowed import TimeWindowedKStream
from runtime.dsl.windowed import SessionWindow, TimeWindow, Window, Windowed
from runtime.dsl.windows import TimeWindows
from runtime.processors.change import Change

__all__ = [
    "BranchedKStream",
    "Change",
    "Consumed",
    "Grouped",
    "JoinWindows",
    "KGroupedStream",
    "KStream",
    "KTable",
    "Materialized",
    "Produced",
    "SessionWindow",
    "StreamsBuilder",
    "TimeWindow",
    "TimeWindowedKStream",
    "TimeWindows",
    "Window",
    "Windowed",
]
