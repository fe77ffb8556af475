"""The pure parts of the process limits: the settings, the memory limit (applied in a
child process, never to pytest's own), and the batch CPU watchdog against real threads
with fake tasks."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from runtime.errors import ConfigError
from runtime.exec.engine_config import EngineConfig
from runtime.exec.limits import (
    BATCH_CPU_LIMIT_EXIT_CODE,
    BatchCpuLimitExceeded,
    BatchWatchdog,
    address_space_mb,
    apply_memory_limit,
)

REPO = Path(__file__).resolve().parents[3]
BASE = {"application.id": "app", "bootstrap.servers": "127.0.0.1:9092"}


def test_the_limits_are_off_by_default() -> None:
    config = EngineConfig.from_mapping(BASE)
    assert (config.memory_limit_mb, config.batch_cpu_limit_ms, config.batch_cpu_limit_action) == (0, 0, "log")


def test_the_limit_settings_are_read_and_checked() -> None:
    config = EngineConfig.from_mapping({**BASE, "riffle.process.memory.limit.mb": "1536",
                                        "riffle.batch.cpu.limit.ms": "2000",
                                        "riffle.batch.cpu.limit.action": "EXIT"})
    assert (config.memory_limit_mb, config.batch_cpu_limit_ms, config.batch_cpu_limit_action) == (1536, 2000, "exit")
    with pytest.raises(ConfigError, match="riffle.batch.cpu.limit.action must be 'log' or 'exit'"):
        EngineConfig.from_mapping({**BASE, "riffle.batch.cpu.limit.action": "kill"})
    with pytest.raises(ConfigError, match="riffle.batch.cpu.limit.ms must be an integer >= 0"):
        EngineConfig.from_mapping({**BASE, "riffle.batch.cpu.limit.ms": "-1"})


@pytest.mark.parametrize("bad", [0, -5, True, "100"])
def test_a_memory_limit_must_be_a_positive_integer(bad: Any) -> None:
    with pytest.raises(ConfigError, match="positive number of MiB"):
        apply_memory_limit(bad)


def test_a_memory_limit_below_what_is_in_use_is_refused_and_not_applied() -> None:
    import resource

    before = resource.getrlimit(resource.RLIMIT_AS)
    with pytest.raises(ConfigError, match=r"below what this process already uses \(\d+ MiB"):
        apply_memory_limit(max(address_space_mb() // 2, 1))
    assert resource.getrlimit(resource.RLIMIT_AS) == before


def run_child(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)


def test_the_memory_limit_makes_a_large_allocation_fail_and_keeps_the_hard_limit() -> None:
    child = run_child(
        "import resource\n"
        "from runtime.exec.limits import apply_memory_limit\n"
        "hard = resource.getrlimit(resource.RLIMIT_AS)[1]\n"
        "bytearray(1024 ** 3)  # fits before the limit\n"
        "apply_memory_limit(512)\n"
        "soft, after = resource.getrlimit(resource.RLIMIT_AS)\n"
        "assert soft == 512 * 1024 ** 2 and after == hard, (soft, after, hard)\n"
        "try:\n"
        "    bytearray(1024 ** 3)\n"
        "except MemoryError:\n"
        "    print('MemoryError')\n"
        "bytearray(1024 ** 2)  # small allocations still work\n"
        "print('alive')\n")
    assert child.returncode == 0, child.stderr
    assert child.stdout.split() == ["MemoryError", "alive"]


def test_a_memory_limit_above_the_hard_limit_is_refused() -> None:
    child = run_child(
        "import resource\n"
        "from runtime.exec.limits import apply_memory_limit\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1024 ** 3, 1024 ** 3))\n"
        "try:\n"
        "    apply_memory_limit(2048)\n"
        "except Exception as exc:\n"
        "    print(exc)\n"
        "print(resource.getrlimit(resource.RLIMIT_AS))\n")
    assert child.returncode == 0, child.stderr
    assert "memory limit 2048 MiB is above the process's hard limit (1024 MiB)" in child.stdout
    assert "(1073741824, 1073741824)" in child.stdout


# -- the watchdog ------------------------------------------------------------------------


class FakeTask:
    task_id = "0_3"

    def record_metadata(self) -> tuple[str, int, int]:
        return ("orders", 3, 41)


class Worker(threading.Thread):
    """A stand-in stream thread: publishes ``cpu_clock_id`` and ``batch`` like
    StreamThread does, then spins (burning CPU) or sleeps (burning none) in its batch."""

    def __init__(self, spin: bool, task: Any = None) -> None:
        super().__init__(name="app-StreamThread-1", daemon=True)
        self.spin, self.task = spin, task
        self.cpu_clock_id: int | None = None
        self.batch: tuple[float, Any] | None = None
        self.done = threading.Event()
        self.ready = threading.Event()

    def run(self) -> None:
        self.cpu_clock_id = time.pthread_getcpuclockid(threading.get_ident())
        self.batch = (time.thread_time(), self.task)
        self.ready.set()
        while not self.done.is_set():
            if not self.spin:
                self.done.wait(0.01)
        self.batch = None


def watch(worker: Worker, limit_ms: int, action: str = "log") -> tuple[BatchWatchdog, list[Any], list[int]]:
    reports: list[Any] = []
    exits: list[int] = []
    dog = BatchWatchdog("app", limit_ms, action=action, on_trip=lambda e, t: reports.append((e, t)),
                        exit=exits.append)
    dog.watch(worker)
    return dog, reports, exits


def test_a_spinning_batch_trips_once_with_the_record_under_way(caplog: pytest.LogCaptureFixture) -> None:
    worker = Worker(spin=True, task=FakeTask())
    dog, reports, exits = watch(worker, 100)
    worker.start()
    worker.ready.wait(5)
    try:
        deadline = time.monotonic() + 10
        while not dog.check() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert dog.check() == 0, "a batch trips once"
    finally:
        worker.done.set()
        worker.join(5)
    assert dog.trips == 1 and exits == []
    error, thread = reports[0]
    assert thread is worker and isinstance(error, BatchCpuLimitExceeded)
    assert (error.topic, error.partition, error.offset, error.task_id, error.thread) == \
        ("orders", 3, 41, "0_3", "app-StreamThread-1")
    assert "at task 0_3, orders-3 offset 41" in str(error)
    assert error.to_dict()["offset"] == 41
    assert [r.levelname for r in caplog.records if "riffle.batch.cpu.limit.ms=100" in r.getMessage()] == ["CRITICAL"]


def test_a_batch_waiting_without_cpu_does_not_trip() -> None:
    worker = Worker(spin=False, task=FakeTask())
    dog, reports, _ = watch(worker, 50)
    worker.start()
    worker.ready.wait(5)
    try:
        time.sleep(0.3)   # six limits of wall time, but (almost) no CPU: I/O waits are fine
        assert dog.check() == 0
    finally:
        worker.done.set()
        worker.join(5)
    assert reports == []


def test_no_batch_no_check_and_an_ended_thread_is_ignored() -> None:
    worker = Worker(spin=True)
    dog, reports, _ = watch(worker, 1)
    assert dog.check() == 0          # not started: no clock yet
    worker.start()
    worker.ready.wait(5)
    worker.done.set()
    worker.join(5)
    assert worker.cpu_clock_id is not None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:   # join() returns a moment before the OS thread ends
        try:
            time.clock_gettime(worker.cpu_clock_id)
        except OSError:
            break
        time.sleep(0.01)
    worker.batch = (0.0, None)       # as if it had died mid-batch: its clock is gone
    assert dog.check() == 0
    assert reports == []


def test_the_exit_action_exits_with_its_code_after_reporting() -> None:
    worker = Worker(spin=True)
    dog, reports, exits = watch(worker, 20, action="exit")
    worker.start()
    worker.ready.wait(5)
    try:
        deadline = time.monotonic() + 10
        while not exits and time.monotonic() < deadline:
            dog.check()
            time.sleep(0.005)
    finally:
        worker.done.set()
        worker.join(5)
    assert exits == [BATCH_CPU_LIMIT_EXIT_CODE] and len(reports) == 1
    assert "a punctuation round" in str(reports[0][0])


def test_an_unknown_action_is_refused() -> None:
    with pytest.raises(ConfigError):
        BatchWatchdog("app", 100, action="kill")
