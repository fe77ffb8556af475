"""The Kafka-Streams-style DSL: ``from runtime.dsl import StreamsBuilder``."""

from __future__ import annotations

from runtime.dsl.branched import BranchedKStream
from runtime.dsl.builder import StreamsBuilder
from runtime.dsl.cogrouped import CogroupedKStream
from runtime.dsl.global_table import GlobalKTable
from runtime.dsl.grouped import KGroupedStream
from runtime.dsl.grouped_table import KGroupedTable
from runtime.dsl.join_windows import JoinWindows
from runtime.dsl.options import Consumed, Grouped, Materialized, Produced
from runtime.dsl.session_windowed import SessionWindowedKStream
from runtime.dsl.session_windows import SessionWindows
from runtime.dsl.sliding_windows import SlidingWindows
from runtime.dsl.stream import KStream
from runtime.dsl.suppressed import BufferConfig, Suppressed
from runtime.dsl.table import KTable
from runtime.dsl.time_windowed import TimeWindowedKStream
from runtime.dsl.windowed import SessionWindow, TimeWindow, Window, Windowed
from runtime.dsl.windows import TimeWindows
from runtime.processors.change import Change

__all__ = [
    "BranchedKStream",
    "BufferConfig",
    "Change",
    "CogroupedKStream",
    "Consumed",
    "GlobalKTable",
    "Grouped",
    "JoinWindows",
    "KGroupedStream",
    "KGroupedTable",
    "KStream",
    "KTable",
    "Materialized",
    "Produced",
    "SessionWindow",
    "SessionWindowedKStream",
    "SessionWindows",
    "SlidingWindows",
    "StreamsBuilder",
    "Suppressed",
    "TimeWindow",
    "TimeWindowedKStream",
    "TimeWindows",
    "Window",
    "Windowed",
]
