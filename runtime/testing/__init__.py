"""Broker-free testing: ``from runtime.testing import TopologyTestDriver, TestRecord``."""

from __future__ import annotations

from runtime.testing.driver import TopologyTestDriver
from runtime.testing.record import TestRecord
from runtime.testing.topics import TestInputTopic, TestOutputTopic

__all__ = ["TestInputTopic", "TestOutputTopic", "TestRecord", "TopologyTestDriver"]
