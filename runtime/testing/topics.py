"""Input and output topics of the test driver (Kafka's TestInputTopic/TestOutputTopic)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from runtime.processor.internals.context import to_millis
from runtime.serdes import Serde
from runtime.testing.record import TestRecord

if TYPE_CHECKING:
    from runtime.testing.driver import TopologyTestDriver

__all__ = ["TestInputTopic", "TestOutputTopic"]

_UNSET: Any = object()


class TestInputTopic:
    """Pipes records into the driver. Records without a timestamp get the topic's
    current time, which then moves on by ``auto_advance``."""

    __test__ = False

    def __init__(self, driver: TopologyTestDriver, name: str, key_serde: Serde[Any],
                 value_serde: Serde[Any], start_timestamp: int,
                 auto_advance: timedelta | int = 0) -> None:
        advance = to_millis(auto_advance)
        if advance < 0:
            raise ValueError("auto_advance must be positive")
        self._driver = driver
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde
        self._current = start_timestamp
        self._advance = advance

    def advance_time(self, advance: timedelta | int) -> None:
        ms = to_millis(advance)
        if ms < 0:
            raise ValueError("advance must be positive")
        self._current += ms

    def _timestamp_and_advance(self) -> int:
        timestamp = self._current
        self._current += self._advance
        return timestamp

    def pipe_input(self, key: Any, value: Any = _UNSET, timestamp: int | None = None,
                   headers: Iterable[tuple[str, bytes]] | None = None) -> None:
        """``pipe_input(key, value, timestamp=None, headers=None)``; also
        ``pipe_input(value)`` (null key) and ``pipe_input(TestRecord(...))``."""
        if value is _UNSET:
            if isinstance(key, TestRecord):
                self.pipe_record(key)
                return
            key, value = None, key
        self.pipe_record(TestRecord(key, value, timestamp, tuple(headers or ())))

    def pipe_record(self, record: TestRecord) -> None:
        timestamp = record.timestamp
        if timestamp is None:
            timestamp = self._timestamp_and_advance()
        headers = record.headers
        key = self.key_serde.serialize(record.key, self.name, headers)
        value = self.value_serde.serialize(record.value, self.name, headers)
        self._driver.pipe_raw(self.name, key, value, int(timestamp), headers)

    def pipe_record_list(self, records: Iterable[TestRecord]) -> None:
        for record in records:
            self.pipe_record(record)

    def pipe_key_value_list(self, pairs: Iterable[tuple[Any, Any]],
                            start_timestamp: int | None = None,
                            advance: timedelta | int = 0) -> None:
        """Pipe ``(key, value)`` pairs; with ``start_timestamp`` they are stamped from it,
        each ``advance`` later than the one before."""
        step = to_millis(advance)
        ts = start_timestamp
        for key, value in pairs:
            self.pipe_input(key, value, ts)
            if ts is not None:
                ts += step

    def pipe_value_list(self, values: Iterable[Any], start_timestamp: int | None = None,
                        advance: timedelta | int = 0) -> None:
        step = to_millis(advance)
        ts = start_timestamp
        for value in values:
            self.pipe_input(None, value, ts)
            if ts is not None:
                ts += step

    def __repr__(self) -> str:
        return f"TestInputTopic(topic={self.name!r}, key_serde={self.key_serde!r}, " \
               f"value_serde={self.value_serde!r})"


class TestOutputTopic:
    """Reads what the topology wrote to a topic, oldest first."""

    __test__ = False

    def __init__(self, driver: TopologyTestDriver, name: str, key_serde: Serde[Any],
                 value_serde: Serde[Any]) -> None:
        self._driver = driver
        self.name = name
        self.key_serde = key_serde
        self.value_serde = value_serde

    def read_record(self) -> TestRecord:
        """The next record; raises ``LookupError`` when the topic is empty."""
        key, value, timestamp, headers = self._driver.read_raw(self.name)
        return TestRecord(self.key_serde.deserialize(key, self.name, headers),
                          self.value_serde.deserialize(value, self.name, headers),
                          timestamp, headers)

    def read_value(self) -> Any:
        return self.read_record().value

    def read_key_value(self) -> tuple[Any, Any]:
        record = self.read_record()
        return record.key, record.value

    def read_records_to_list(self) -> list[TestRecord]:
        out = []
        while not self.is_empty():
            out.append(self.read_record())
        return out

    def read_values_to_list(self) -> list[Any]:
        return [r.value for r in self.read_records_to_list()]

    def read_key_values_to_list(self) -> list[tuple[Any, Any]]:
        return [(r.key, r.value) for r in self.read_records_to_list()]

    def read_key_values_to_map(self) -> dict[Any, Any]:
        """Latest value per key (a None value is kept as None, as in Kafka's driver)."""
        out: dict[Any, Any] = {}
        while not self.is_empty():
            record = self.read_record()
            if record.key is None:
                raise ValueError("Null keys not allowed with read_key_values_to_map")
            out[record.key] = record.value
        return out

    def queue_size(self) -> int:
        return self._driver.queue_size(self.name)

    def is_empty(self) -> bool:
        return self.queue_size() == 0

    def __repr__(self) -> str:
        return f"TestOutputTopic(topic={self.name!r}, size={self.queue_size()})"
