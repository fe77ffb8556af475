"""Benchmark: memory of a count store as its key space grows, RocksDB against in memory.

Run: .venv/bin/python bench/memory_bench.py [--keys 3000000] [--step 500000]

Each store type runs in a fresh child process (so one's memory does not hide the
other's): a StreamTask counts records keyed by ever new keys (every record a new key,
the worst case for a store), committing (flushing the record cache) every 20,000
records. After each ``--step`` keys it prints the process's resident memory (VmRSS) and
its growth since the first step. With RocksDB the keys live on disk: memory should stay
flat, bounded by RocksDB's memtables and block cache and by the record cache
(``statestore.cache.max.bytes``, 10 MiB here); in memory it grows with every key.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime import Serdes, StreamsBuilder  # noqa: E402
from runtime.dsl.options import Materialized  # noqa: E402
from runtime.exec import ConsumedRecord, MockClock, StreamTask  # noqa: E402

STRING, LONG = Serdes.string(), Serdes.long()
BATCH = 20_000


class NullCollector:
    def send(self, *args: Any, **kwargs: Any) -> None:
        return None


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def run_one(store_type: str, keys: int, step: int) -> None:
    b = StreamsBuilder()
    (b.stream("keys", key_serde=STRING, value_serde=STRING)
     .group_by_key()
     .count(store=Materialized.as_("counts").with_store_type(store_type))  # type: ignore[arg-type]
     .to_stream()
     .to("counts-out", key_serde=STRING, value_serde=LONG))
    with tempfile.TemporaryDirectory(prefix="riffle-memory-bench-") as state_dir:
        task = StreamTask(b.build(), 0, 0, application_id="bench", collector=NullCollector(),
                          config={"statestore.cache.max.bytes": 10 * 1024 * 1024,
                                  "state.dir": state_dir},
                          clock=MockClock(0))
        first = None
        mark = step
        started = time.perf_counter()
        for start in range(0, keys, BATCH):
            task.process_batch([ConsumedRecord("keys", 0, i, i, f"key-{i:012d}".encode(), b"x")
                                for i in range(start, min(start + BATCH, keys))])
            task.flush()
            done = min(start + BATCH, keys)
            if done >= mark or done == keys:
                mark += step
                rss = rss_mb()
                first = rss if first is None else first
                print(f"{store_type:<10}{done:>12,}{rss:>10.0f}{rss - first:>+10.0f}"
                      f"{done / (time.perf_counter() - started):>12,.0f}", flush=True)
        task.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=3_000_000)
    parser.add_argument("--step", type=int, default=500_000)
    parser.add_argument("--store-type", help=argparse.SUPPRESS)   # the child's job
    args = parser.parse_args()
    if args.store_type:
        run_one(args.store_type, args.keys, args.step)
        return
    print(f"{'store':<10}{'keys':>12}{'RSS MB':>10}{'growth':>10}{'records/s':>12}")
    for store_type in ("rocks_db", "in_memory"):
        subprocess.run([sys.executable, __file__, "--keys", str(args.keys), "--step",
                        str(args.step), "--store-type", store_type], check=True)


if __name__ == "__main__":
    main()
