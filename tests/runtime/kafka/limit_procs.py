"""Targets of ``python -m runtime run`` for the process-limit tests: topologies whose
user code misbehaves on one record (allocates past the memory limit, or spins), with
their topics named by the environment."""

from __future__ import annotations

import os
from typing import Any

from runtime import Serdes, StreamsBuilder
from runtime.topology import Topology

S = Serdes.string()

# Far above any limit the tests set, and above what a machine hands out lazily is not
# the point: under RLIMIT_AS the mmap is refused at once, without touching memory.
HOG_BYTES = 6 * 1024 * 1024 * 1024


def _hog(value: Any) -> Any:
    if value == "hog":
        return len(bytearray(HOG_BYTES))
    return value


def _spin(value: Any) -> Any:
    if value == "spin":
        while True:   # a user function that never returns: only the watchdog notices
            pass
    return value


def _topology(step: Any) -> Topology:
    builder = StreamsBuilder()
    (builder.stream(os.environ["RIFFLE_TEST_IN"], key_serde=S, value_serde=S)
     .map_values(step, name="user-step")
     .to(os.environ["RIFFLE_TEST_OUT"], key_serde=S, value_serde=S))
    return builder.build()


def memory_hog() -> Topology:
    return _topology(_hog)


def spinner() -> Topology:
    return _topology(_spin)
