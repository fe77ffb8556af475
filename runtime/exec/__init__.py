"""Execution: tasks and clocks. The Kafka-facing threads live in ``runtime.exec.thread``."""

from __future__ import annotations

from runtime.exec.clock import Clock, MockClock, SystemClock
from runtime.exec.task import ConsumedRecord, RecordCollector, StreamTask, TaskId, TaskObserver

__all__ = [
    "Clock",
    "ConsumedRecord",
    "MockClock",
    "RecordCollector",
    "StreamTask",
    "SystemClock",
    "TaskId",
    "TaskObserver",
]
