"""Benchmark of the state stores: in memory vs RocksDB vs cached, side by side.

Run: .venv/bin/python bench/store_bench.py [--ops 100000] [--keys 10000]

Part 1 drives full store stacks (metered with string/long serdes over change-logging
into a no-op changelog, as a DSL aggregation's store) with puts and gets over
``--keys`` distinct keys: in memory, RocksDB, and each behind the record cache
(flushed once at the end, as a commit would). Part 2 runs a word count through a
StreamTask with its count store in memory and in RocksDB, with and without the record
cache, and prints records per second: the figures behind ``default.dsl.store``'s
default. (The in-memory word count runs twice; the first run warms up.) Part 3 runs
the stock-statistics aggregation (JSON trades, 5 s windows hopping by 1 s, 20
tickers) through a StreamTask with the record cache holding values typed (Serdes.json)
and holding bytes (a JsonSerde subclass, which has no copier), interleaved, and
prints records per second and their ratio.
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

from runtime import Serdes, StreamsBuilder, TimeWindows  # noqa: E402
from runtime.serdes import WindowedSerdes  # noqa: E402
from runtime.serdes.internals.json_serde import JsonSerde  # noqa: E402
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


class BytesJson(JsonSerde):
    """JsonSerde's bytes; as a subclass it has no copier, so caches hold bytes."""


def stock_stats(value_serde: Any) -> Any:
    b = StreamsBuilder()
    (b.stream("trades", key_serde=STRING, value_serde=value_serde,
              timestamp_extractor=lambda record, _pt: record.value["ts"])
     .group_by_key()
     .windowed_by(TimeWindows.of_size_and_grace(5000, 1000).advance_by(1000))
     .aggregate(lambda: {"count": 0, "min": None, "sum": 0.0},
                lambda _k, t, a: {"count": a["count"] + 1,
                                  "min": t["price"] if a["min"] is None else min(a["min"], t["price"]),
                                  "sum": a["sum"] + t["price"]},
                store="stats", value_serde=value_serde)
     .to_stream()
     .to("stats-out", key_serde=WindowedSerdes.time_windowed_serde_from(STRING, 5000), value_serde=value_serde))
    return b.build()


def bench_typed_cache(records: int, runs: int = 3) -> None:
    import json
    import random

    rng = random.Random(7)
    batch = []
    for i in range(records):
        ticker = f"T{rng.randrange(20):02d}"
        ts = 10_000 + i - (rng.randint(1, 500) if rng.random() < 0.05 else 0)
        value = json.dumps({"ticker": ticker, "ts": ts, "price": round(rng.uniform(1, 100), 2)})
        batch.append(ConsumedRecord("trades", 0, i, ts, ticker.encode(), value.encode()))
    print(f"\nstock statistics in a StreamTask: {records} trades, cache {CACHE_BYTES >> 20} MiB, "
          f"flush every 20,000 (records/s)")
    rates: dict[str, list[float]] = {"typed": [], "bytes": []}
    for _ in range(runs):
        for label, serde in (("typed", Serdes.json()), ("bytes", BytesJson())):
            task = StreamTask(stock_stats(serde), 0, 0, application_id="bench",
                              collector=NullCollector(),
                              config={"statestore.cache.max.bytes": CACHE_BYTES}, clock=MockClock(0))

            def run(task: StreamTask = task) -> None:
                for start in range(0, records, 1000):
                    task.process_batch(batch[start:start + 1000])
                    if start % 20_000 == 0:
                        task.flush()
                task.flush()

            rates[label].append(rate(records, run))
            task.close()
    typed, raw = (sorted(rates[k])[len(rates[k]) // 2] for k in ("typed", "bytes"))
    print(f"{'cache holds values typed':<28}{typed:>12,.0f}")
    print(f"{'cache holds bytes':<28}{raw:>12,.0f}")
    print(f"{'ratio (median of ' + str(runs) + ')':<28}{typed / raw:>12.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ops", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=10_000)
    args = parser.parse_args()
    state_dir = tempfile.mkdtemp(prefix="riffle-store-bench-")
    try:
        bench_stores(args.ops, args.keys, state_dir)
        bench_word_count(args.ops, args.keys, state_dir)
        bench_typed_cache(args.ops)
    finally:
        shutil.rmtree(state_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
