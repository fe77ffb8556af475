"""Engine instances in their own processes, for crash and multi-instance tests: the
DSL word count run by ``python -m runtime run`` (the engine's own command line), killed
with SIGKILL or stopped cleanly with SIGTERM, its log kept for the restore lines."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from runtime.topology import Topology
from tests.runtime.kafka.helpers import dsl_word_count, read_topic

REPO = Path(__file__).resolve().parents[3]

# "task 1_0 restored store counts from TopicPartition(...)[ + Redis checkpoint]: 12 changelog records ..."
_RESTORED = re.compile(r"task (\S+) restored store (\S+) from .*?( \+ Redis checkpoint)?: (\d+) changelog records to offset (\d+)")


def word_count_from_env() -> Topology:
    """The target of ``python -m runtime run``: topics named by the environment."""
    return dsl_word_count(os.environ["RIFFLE_TEST_LINES"], os.environ["RIFFLE_TEST_COUNTS"])


@dataclass(frozen=True)
class Restore:
    task: str
    store: str
    from_checkpoint: bool
    replayed: int
    end_offset: int


@dataclass
class Instance:
    """One ``python -m runtime run`` process; its log goes to a file."""

    config: dict[str, Any]
    lines_topic: str
    counts_topic: str
    process: subprocess.Popen[bytes] | None = None
    log_path: Path = field(default_factory=lambda: Path(tempfile.mkstemp(prefix="riffle-instance-", suffix=".log")[1]))

    def start(self) -> Instance:
        command = [sys.executable, "-m", "runtime", "run", "tests.runtime.kafka.procs:word_count_from_env",
                   "--close-timeout", "30"]
        for key, value in self.config.items():
            command += ["--set", f"{key}={value}"]
        env = {**os.environ, "PYTHONPATH": str(REPO), "RIFFLE_TEST_LINES": self.lines_topic,
               "RIFFLE_TEST_COUNTS": self.counts_topic}
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        return self

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self, timeout: float = 40.0) -> int:
        """SIGTERM: the engine closes cleanly (final commit) and exits 0."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def restores(self) -> list[Restore]:
        return [Restore(m[1], m[2], bool(m[3]), int(m[4]), int(m[5])) for m in _RESTORED.finditer(self.log())]

    def cleanup(self) -> None:
        if self.running():
            self.kill()
        if not os.environ.get("RIFFLE_TEST_KEEP_LOGS"):
            self.log_path.unlink(missing_ok=True)


def partition_count(bootstrap: str, topic: str) -> int:
    """0 when ``topic`` does not exist (yet)."""
    found = AdminClient({"bootstrap.servers": bootstrap}).list_topics(topic, timeout=10).topics.get(topic)
    return 0 if found is None or found.error is not None else len(found.partitions)


def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The group's committed offset per partition of ``topic`` (0 where none)."""
    partitions = partition_count(bootstrap, topic)
    if not partitions:
        return {}
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        found = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
    finally:
        consumer.close()
    return {tp.partition: max(tp.offset, 0) for tp in found}


def topic_ends(bootstrap: str, topic: str) -> dict[int, int]:
    """One past the last record per partition that holds records ({} before the topic
    exists). Read to the end rather than asked (the development broker's ListOffsets
    latest can be a batch short)."""
    ends: dict[int, int] = {}
    if not partition_count(bootstrap, topic):
        return ends
    for r in read_topic(bootstrap, topic):
        ends[r.partition] = max(ends.get(r.partition, 0), r.offset + 1)
    return ends


def committed_through(bootstrap: str, group: str, topic: str, ends: dict[int, int]) -> bool:
    """Whether ``group`` has committed every partition of ``topic`` up to ``ends``."""
    committed = committed_offsets(bootstrap, group, topic)
    return all(committed.get(p, 0) >= end for p, end in ends.items())
