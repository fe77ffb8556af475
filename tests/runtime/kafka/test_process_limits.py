"""Process limits on a real broker, each app in its own ``python -m runtime run``
process (the limits apply to a whole process; pytest's own is never limited):

- past ``riffle.process.memory.limit.mb`` a user function's allocation raises
  MemoryError, which the processing exception handler treats like any other processing
  error: log-and-continue dead-letters the record and goes on, log-and-fail stops the
  app naming the record;
- a user function that spins trips ``riffle.batch.cpu.limit.ms``: the watchdog logs
  CRITICAL naming the application, thread, task, topic-partition and offset, and under
  ``riffle.batch.cpu.limit.action=exit`` ends the process with its own exit code.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from runtime.exec.limits import BATCH_CPU_LIMIT_EXIT_CODE
from tests.runtime.kafka.helpers import produce, read_topic, wait_until
from tests.runtime.kafka.test_dead_letter_app import read_with_headers

REPO = Path(__file__).resolve().parents[3]

# Well above what an idle app reserves (malloc arenas and thread stacks of librdkafka's
# threads count in the address space), well below the 6 GiB the hog asks for.
MEMORY_LIMIT_MB = 2048


def start(target: str, source: str, sink: str, settings: dict[str, object]) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "runtime", "run", f"tests.runtime.kafka.limit_procs:{target}",
               "--close-timeout", "20"]
    for key, value in settings.items():
        command += ["--set", f"{key}={value}"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "RIFFLE_TEST_IN": source, "RIFFLE_TEST_OUT": sink}
    return subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def finish(process: subprocess.Popen[str], timeout: float, sig: int | None = None) -> tuple[int, str]:
    """Wait for the process to end (after ``sig``, if given); its exit code and log."""
    if sig is not None and process.poll() is None:
        process.send_signal(sig)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"the app did not end within {timeout} s:\n{output[-4000:]}") from None
    return process.returncode, output


def base_settings(bootstrap: str, app_id: str) -> dict[str, object]:
    return {"application.id": app_id, "bootstrap.servers": bootstrap, "commit.interval.ms": 200,
            "consumer.session.timeout.ms": 6000}


@pytest.mark.kafka
@pytest.mark.timeout(120)
def test_memory_error_past_the_limit_is_dead_lettered_under_log_and_continue(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    source, sink, dlq = create_topic("in"), create_topic("out"), create_topic("dlq")
    produce(kafka_bootstrap, source, [(b"a", b"one"), (b"b", b"hog"), (b"c", b"three")])
    process = start("memory_hog", source, sink, {
        **base_settings(kafka_bootstrap, unique_name("mem")),
        "riffle.process.memory.limit.mb": MEMORY_LIMIT_MB,
        "processing.exception.handler": "log-and-continue",
        "errors.dead.letter.queue.topic.name": dlq,
    })
    try:
        out = wait_until(lambda: len(read_topic(kafka_bootstrap, sink)) == 2 and read_topic(kafka_bootstrap, sink),
                         60, "the two records that fit")
        assert [(r.key, r.value) for r in out] == [(b"a", b"one"), (b"c", b"three")]
        dead = wait_until(lambda: read_with_headers(kafka_bootstrap, dlq), 30, "the hog in the DLQ")
        assert [(k, v) for k, v, _, _ in dead] == [(b"b", b"hog")]
        headers = dead[0][3]
        assert headers["__streams.errors.exception"] == b"MemoryError"
        assert headers["__streams.errors.offset"] == b"1"
        assert process.poll() is None, "the app must go on after the MemoryError"
        with open(f"/proc/{process.pid}/status") as status:   # for the record: what the limit must leave room for
            print(next(line.strip() for line in status if line.startswith("VmSize")))
    finally:
        code, log = finish(process, 40, signal.SIGTERM)
    assert code == 0, log[-4000:]
    assert f"address space limited to {MEMORY_LIMIT_MB} MiB" in log
    assert "MemoryError while processing a record" in log


@pytest.mark.kafka
@pytest.mark.timeout(120)
def test_memory_error_past_the_limit_stops_the_app_under_log_and_fail(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    source, sink = create_topic("in"), create_topic("out")
    produce(kafka_bootstrap, source, [(b"a", b"one"), (b"b", b"hog"), (b"c", b"three")])
    process = start("memory_hog", source, sink, {
        **base_settings(kafka_bootstrap, unique_name("mem")),
        "riffle.process.memory.limit.mb": MEMORY_LIMIT_MB,
    })
    code, log = finish(process, 90)
    assert code == 1, log[-4000:]
    assert re.search(rf"processing error at node=user-step topic={source} partition=0 offset=1 .*"
                     r"MemoryError while processing a record", log), log[-4000:]
    assert [(r.key, r.value) for r in read_topic(kafka_bootstrap, sink)] == [(b"a", b"one")]


def test_a_memory_limit_below_what_the_process_uses_is_refused() -> None:
    process = subprocess.run(
        [sys.executable, "-m", "runtime", "run", "tests.runtime.kafka.limit_procs:memory_hog",
         "--set", "application.id=x", "--set", "bootstrap.servers=127.0.0.1:1",
         "--set", "riffle.process.memory.limit.mb=8"],
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO), "RIFFLE_TEST_IN": "i", "RIFFLE_TEST_OUT": "o"},
        capture_output=True, text=True, timeout=60)
    assert process.returncode == 2, process.stderr
    assert "memory limit 8 MiB is below what this process already uses" in process.stderr


CPU_LIMIT_MS = 500
# The watchdog samples every limit/10; the rest is scheduling on a busy 2-core machine.
CPU_MARGIN_MS = 700


@pytest.mark.kafka
@pytest.mark.timeout(120)
def test_a_spinning_batch_trips_the_watchdog_which_reports_the_record_and_exits(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str]
) -> None:
    source, sink = create_topic("in"), create_topic("out")
    app_id = unique_name("spin")
    process = start("spinner", source, sink, {
        **base_settings(kafka_bootstrap, app_id),
        "riffle.batch.cpu.limit.ms": CPU_LIMIT_MS,
        "riffle.batch.cpu.limit.action": "exit",
    })
    try:
        produce(kafka_bootstrap, source, [(b"a", b"one"), (b"b", b"two")])
        wait_until(lambda: len(read_topic(kafka_bootstrap, sink)) == 2, 60, "the ordinary records")
        produced = time.monotonic()
        produce(kafka_bootstrap, source, [(b"c", b"spin")])
        code, log = finish(process, 60)
        elapsed = time.monotonic() - produced
    finally:
        if process.poll() is None:
            process.kill()
    assert code == BATCH_CPU_LIMIT_EXIT_CODE, log[-4000:]
    match = re.search(rf"CRITICAL .*{app_id}: stream thread (\S+) used (\d+) ms of CPU on one batch "
                      rf"\(riffle.batch.cpu.limit.ms={CPU_LIMIT_MS}\), at task 0_0, {source}-0 offset 2", log)
    assert match, log[-4000:]
    assert match.group(1).startswith(app_id) and "StreamThread-1" in match.group(1)
    used_ms = int(match.group(2))
    print(f"watchdog: {used_ms} ms of CPU when tripped, process ended {elapsed:.1f} s after the record")
    assert CPU_LIMIT_MS < used_ms < CPU_LIMIT_MS + CPU_MARGIN_MS, used_ms
    assert elapsed < 30, elapsed
    assert "state RUNNING -> ERROR" in log, log[-4000:]
