"""Benchmark of the state stores: in memory vs RocksDB vs cached, side by side.

Run: .venv/bin/python bench/store_bench.py [--ops 100000] [--keys 10000]

Part 1 drives full store stacks (metered with string/long serdes over change-logging
into a no-op changelog, as a DSL aggregation's store) with puts and gets over
``--keys`` distinct keys: in memory, RocksDB, and each behind the record cache
(flushed once at the end, as a commit would). Part 2 runs a word count through a
StreamTask with its count store in memory and in RocksDB, with and without the record
cache, and prints records per second: the figures behind ``default.dsl.store``'s
default. (The in-memory word count runs twice; the first run warms up.)
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime import Serdes, StreamsBuilder  # noqa: E402
from runtime.dsl.options import Materialized  # noqa: E402
from runtime.exec import ConsumedRecord, MockClock, StreamTask  # noqa: E402
from runtime.state import Stores  # noqa: E402
from runtime.state.internals.store_settings import StoreSettings, use_settings  # noqa: E402
from runtime.state.internals.thread_cache import ThreadCache  # noqa: E402

STRING, LONG = Serdes.string(), Serdes.long()
CACHE_BYTES = 10 * 1024 * 1024


class NullContext:
    application_id = "bench"
    task_id = "0_0"
    partition = 0

    def changelog_topic(self, store_name: str) -> str:
        return f"bench-{store_name}-changelog"

    def record_timestamp(self) -> int:
        return 0

    def record_headers(self) -> Any:
        return None

    def log_change(self, store_name: str, key: bytes, value: bytes | None, timestamp: int) -> None:
        return None

    def default_key_serde(self) -> Any:
        return STRING

    def default_value_serde(self) -> Any:
        return LONG


def make_store(kind: str, cached: bool, state_dir: str) -> Any:
    supplier = (Stores.in_memory_key_value_store if kind == "in_memory"
                else Stores.persistent_key_value_store)(f"{kind}-{cached}")
    cache = ThreadCache(CACHE_BYTES) if cached else None
    with use_settings(StoreSettings(state_dir=state_dir, cache=cache)):
        builder = Stores.key_value_store_builder(supplier, STRING, LONG)
        store = (builder.with_caching_enabled() if cached else builder).build()
    store.init(NullContext())
    return store


def rate(n: int, run: Callable[[], None]) -> float:
    started = time.perf_counter()
    run()
    return n / (time.perf_counter() - started)


def bench_stores(ops: int, keys: int, state_dir: str) -> None:
    names = [f"key-{i % keys:08d}" for i in range(ops)]
    print(f"store stacks: {ops} ops over {keys} keys (ops/s, higher is better)")
    print(f"{'store':<22}{'puts/s':>12}{'gets/s':>12}")
    for kind in ("in_memory", "rocksdb"):
        for cached in (False, True):
            store = make_store(kind, cached, state_dir)

            def puts(store: Any = store) -> None:
                put = store.put
                for i, key in enumerate(names):
                    put(key, i)
                store.flush()

            def gets(store: Any = store) -> None:
                get = store.get
                for key in names:
                    get(key)

            label = kind + (" + cache" if cached else "")
            print(f"{label:<22}{rate(ops, puts):>12,.0f}{rate(ops, gets):>12,.0f}")
            store.close()


class NullCollector:
    def send(self, *args: Any, **kwargs: Any) -> None:
        return None


def word_count(store_type: str) -> Any:
    b = StreamsBuilder()
    (b.stream("words", key_serde=STRING, value_serde=STRING)
     .group_by_key()
     .count(store=Materialized.as_("counts").with_store_type(store_type))  # type: ignore[arg-type]
     .to_stream()
     .to("counts-out", key_serde=STRING, value_serde=LONG))
    return b.build()


def bench_word_count(records: int, keys: int, state_dir: str) -> None:
    batch = [ConsumedRecord("words", 0, i, i, f"w{i % keys}".encode(), b"x")
             for i in range(records)]
    print(f"\nword count in a StreamTask: {records} records over {keys} keys (records/s)")
    for store_type in ("in_memory", "rocks_db", "in_memory"):  # first run warms up
        topology = word_count(store_type)
        for cache in (0, CACHE_BYTES):
            config = {"statestore.cache.max.bytes": cache, "state.dir": state_dir}
            task = StreamTask(topology, 0, 0, application_id="bench", collector=NullCollector(),
                              config=config, clock=MockClock(0))

            def run(task: StreamTask = task) -> None:
                task.process_batch(batch)
                task.flush()

            label = f"{store_type}, cache {'on' if cache else 'off'}"
            print(f"{label:<22}{rate(records, run):>12,.0f}")
            task.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=10_000)
    args = parser.parse_args()
    state_dir = tempfile.mkdtemp(prefix="riffle-store-bench-")
    try:
        bench_stores(args.ops, args.keys, state_dir)
        bench_word_count(args.ops, args.keys, state_dir)
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
