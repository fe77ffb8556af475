"""Benchmark: memory of a count store as its key space grows, RocksDB against in memory.

Run: .venv/bin/python bench/memory_bench.py [--keys 3000000] [--step 500000]

Each store type runs in a fresh child process (so one's memory does not hide the
other's): a StreamTask counts records keyed by ever new keys (every record a new key,
the worst case for a store), committing (flushing the record cache) every 20,000
records, over ``--partitions`` tasks (one store each). After each ``--step`` keys it prints
the process's resident memory (VmRSS) and its growth since the first step. RocksDB runs
twice: within the shared budget (``riffle.rocksdb.memory.max.bytes``, the default 64 MiB)
and unbounded (0: each store on RocksDB's own defaults). Within the budget memory should
level off (memtables and cache, index and filter blocks included, plus the record cache
``statestore.cache.max.bytes``, 10 MiB here); in memory it grows with every key.
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


def run_one(store_type: str, keys: int, step: int, rocksdb_memory: int, partitions: int) -> None:
    b = StreamsBuilder()
    (b.stream("keys", key_serde=STRING, value_serde=STRING)
     .group_by_key()
     .count(store=Materialized.as_("counts").with_store_type(store_type))  # type: ignore[arg-type]
     .to_stream()
     .to("counts-out", key_serde=STRING, value_serde=LONG))
    with tempfile.TemporaryDirectory(prefix="riffle-memory-bench-") as state_dir:
        topology = b.build()
        # One task (and store) per partition, as a stream thread owning that many.
        tasks = [StreamTask(topology, 0, p, application_id="bench", collector=NullCollector(),
                            config={"statestore.cache.max.bytes": 10 * 1024 * 1024, "state.dir": state_dir,
                                    "riffle.rocksdb.memory.max.bytes": rocksdb_memory},
                            clock=MockClock(0))
                 for p in range(partitions)]
        label = store_type if store_type != "rocks_db" else (
            f"rocks_db {rocksdb_memory >> 20} MiB" if rocksdb_memory else "rocks_db unbounded")
        first = None
        mark = step
        started = time.perf_counter()
        for start in range(0, keys, BATCH):
            task = tasks[(start // BATCH) % partitions]
            task.process_batch([ConsumedRecord("keys", task.partition, i, i, f"key-{i:012d}".encode(), b"x")
                                for i in range(start, min(start + BATCH, keys))])
            task.flush()
            done = min(start + BATCH, keys)
            if done >= mark or done == keys:
                mark += step
                rss = rss_mb()
                first = rss if first is None else first
                print(f"{label:<22}{done:>12,}{rss:>10.0f}{rss - first:>+10.0f}"
                      f"{done / (time.perf_counter() - started):>12,.0f}", flush=True)
        for task in tasks:
            task.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=3_000_000)
    parser.add_argument("--step", type=int, default=500_000)
    parser.add_argument("--partitions", type=int, default=4, help="stores (tasks) the keys spread over")
    parser.add_argument("--rocksdb-memory-mb", type=int, default=64,
                        help="riffle.rocksdb.memory.max.bytes of the bounded run, in MiB")
    parser.add_argument("--store-type", help=argparse.SUPPRESS)   # the child's job
    parser.add_argument("--rocksdb-memory", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.store_type:
        run_one(args.store_type, args.keys, args.step, args.rocksdb_memory, args.partitions)
        return
    print(f"{'store':<22}{'keys':>12}{'RSS MB':>10}{'growth':>10}{'records/s':>12}")
    for store_type, memory in (("rocks_db", args.rocksdb_memory_mb << 20), ("rocks_db", 0), ("in_memory", 0)):
        subprocess.run([sys.executable, __file__, "--keys", str(args.keys), "--step", str(args.step),
                        "--partitions", str(args.partitions), "--store-type", store_type,
                        "--rocksdb-memory", str(memory)], check=True)


if __name__ == "__main__":
    main()
