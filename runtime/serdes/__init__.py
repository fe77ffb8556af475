"""Serdes with Kafka's byte layouts, so Java applications can read our data and we theirs."""

from __future__ import annotations

from runtime.serdes.base import Serde
from runtime.serdes.serdes import Serdes, resolve_serde
from runtime.serdes.windowed import SessionWindowedSerde, TimeWindowedSerde, WindowedSerdes

__all__ = ["Serde", "Serdes", "SessionWindowedSerde", "TimeWindowedSerde", "WindowedSerdes",
           "resolve_serde"]
