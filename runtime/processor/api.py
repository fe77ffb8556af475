"""The Processor API: processors, their context, punctuation."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from runtime.processor.record import Record, RecordMetadata

__all__ = [
    "Cancellable",
    "Processor",
    "ProcessorContext",
    "ProcessorSupplier",
    "PunctuationType",
    "Punctuator",
]


class PunctuationType(enum.Enum):
    """What drives a punctuator: the task's stream time, or the wall clock."""

    STREAM_TIME = "STREAM_TIME"
    WALL_CLOCK_TIME = "WALL_CLOCK_TIME"


Punctuator = Callable[[int], None]


class Cancellable(ABC):
    """Handle of a scheduled punctuator."""

    @abstractmethod
    def cancel(self) -> None: ...


class ProcessorContext(ABC):
    """What a processor may do besides receiving records.

    One context per processor node; :meth:`forward` sends to that node's children.
    """

    @property
    @abstractmethod
    def application_id(self) -> str: ...

    @property
    @abstractmethod
    def task_id(self) -> str: ...

    @abstractmethod
    def forward(self, record: Record, child_name: str | None = None) -> None:
        """Send ``record`` to every child, or only to the child called ``child_name``."""

    @abstractmethod
    def schedule(self, interval: timedelta | int, punctuation_type: PunctuationType,
                 callback: Punctuator) -> Cancellable:
        """Call ``callback(timestamp)`` every ``interval`` of stream or wall-clock time."""

    @abstractmethod
    def get_state_store(self, name: str) -> Any:
        """The state store called ``name``; it must be connected to this processor."""

    @abstractmethod
    def record_metadata(self) -> RecordMetadata | None:
        """Where the current input record came from; None inside a punctuation."""

    @abstractmethod
    def current_stream_time_ms(self) -> int: ...

    @abstractmethod
    def current_system_time_ms(self) -> int: ...

    @property
    @abstractmethod
    def app_config(self) -> dict[str, Any]: ...


class Processor(ABC):
    """A node of a topology: receives records, may forward new ones.

    ``init`` is called once before the first record (the default keeps the context in
    ``self.context``), ``process`` for every record, ``close`` when the task closes.
    """

    context: ProcessorContext

    def init(self, context: ProcessorContext) -> None:
        self.context = context

    @abstractmethod
    def process(self, record: Record) -> None: ...

    def close(self) -> None:
        return None


ProcessorSupplier = Callable[[], Processor]
