"""Benchmark: our engine (runtime.StreamsApp) vs Quix Streams 3.28.1 vs a plain
confluent-kafka loop, side by side on one broker (issue 4).

Run: .venv/bin/python bench/quix_compare.py [--records 500000] [--runs 3]
         [--workloads stateless,wordcount,windowed,join] [--profile wordcount]

Broker: KAFKA_BOOTSTRAP_SERVERS if set, else the Tansu development broker
(studio.lib.devservices). Quix Streams runs from its own virtualenv, bench/.venv-quix
(made by bench/quix-venv.sh; never in requirements.txt), as bench/quix_worker.py; our
side runs as bench/riffle_worker.py under .venv. Each run is a fresh process, consumer
group and output topic over the same input topics; both sides 4 partitions,
at-least-once, commit interval 1 s, changelogs on (Quix: RocksDB stores + changelog
topics, its defaults; ours: the DSL's default in-memory stores + changelog topics).

Workloads: stateless filter/map (and the plain loop); word count (lines of ~10 words
from a 1,000-word vocabulary, re-keyed by word through a repartition topic); stock
statistics (5 s windows hopping by 1 s, grace 1 s, count/min/avg per ticker, final
results only; 5% of trades up to 500 ms late); page-view enrichment (left join to a
10,000-user table; ~5% of views name an unknown user).

The rule for events/s: input records / (seconds from the worker's START line, printed
just before the app starts — so group join and restore are included — to the moment
this process has consumed the output that completes the batch-computed answer: every
expected record for stateless/join/windowed, the exact final count of every word for
word count). The output is checked against that batch computation, so a fast wrong run
shows as "WRONG" and cannot win. Figures: the median of --runs interleaved runs (ours,
quix[, plain], ours, quix, ...). Peak RSS: VmHWM of the worker process from
/proc/<pid>/status, read just before it is stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

PARTITIONS = 4
OURS_PYTHON = str(ROOT / ".venv" / "bin" / "python")
QUIX_PYTHON = str(HERE / ".venv-quix" / "bin" / "python")
WORKLOADS = ("stateless", "wordcount", "windowed", "join")
# issue 4's reference figures (Quix 3.28.1, measured by the issue author) and our targets
REFERENCE = {"stateless": 98_000, "wordcount": 4_100, "windowed": 15_000, "join": 42_000, "plain": 112_000}
TARGET = {"stateless": 1.2, "wordcount": 3.0, "windowed": 3.0, "join": 1.5}
SENTINEL = "~end~"
BASE_TS = 1_700_000_000_000


# -- input and the batch answers --------------------------------------------------------


@dataclass
class Workload:
    name: str
    records: int                       # input records the rate is computed from
    source: str
    table: str | None
    # called with (key, value-bytes) of each output record; returns True once complete
    make_checker: Callable[[], Checker]


@dataclass
class Checker:
    expected: Any
    step: Callable[[Checker, str, Any], None]
    complete: Callable[[Checker], bool]
    verdict: Callable[[Checker], str]
    seen: dict[Any, Any] = field(default_factory=dict)
    extra: list[Any] = field(default_factory=list)
    done_keys: int = 0


def partition_of(key: str) -> int:
    return zlib.crc32(key.encode()) % PARTITIONS


def create_topic(admin: AdminClient, name: str, compact: bool = False) -> str:
    config = {"cleanup.policy": "compact" if compact else "delete", "retention.ms": "604800000"}
    futures = admin.create_topics([NewTopic(name, PARTITIONS, 1, config=config)])
    futures[name].result(30)
    deadline = time.monotonic() + 15
    while name not in admin.list_topics(timeout=10).topics:
        if time.monotonic() > deadline:
            raise RuntimeError(f"topic {name} did not appear")
        time.sleep(0.2)
    return name


def produce(bootstrap: str, topic: str, records: Any) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10000,
                         "queue.buffering.max.messages": 500000})
    failures: list[str] = []

    def on_delivery(err: Any, _msg: Any) -> None:
        if err:
            failures.append(str(err))

    for key, value, partition, ts in records:
        while True:
            try:
                producer.produce(topic, value, key, partition=partition, timestamp=ts, on_delivery=on_delivery)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    if producer.flush(120) != 0 or failures:
        raise RuntimeError(f"producing {topic} failed: {failures[:3]}")


def stateless_input(n: int) -> tuple[list[Any], dict[int, tuple[int, str]]]:
    rng = random.Random(1)
    countries = ["de", "fr", "us", "jp", "br", "in"]
    rows, expected = [], {}
    for i in range(n):
        user = f"u{rng.randrange(10_000):04d}"
        amount = round(rng.uniform(0, 100), 2)
        country = rng.choice(countries)
        value = {"id": i, "user": user, "amount": amount, "country": country}
        rows.append((user.encode(), json.dumps(value).encode(), partition_of(user), BASE_TS + i))
        if amount >= 50.0:
            expected[i] = (round(amount * 100), country.upper())
    return rows, expected


def stateless_checker(expected: dict[int, tuple[int, str]]) -> Callable[[], Checker]:
    def step(c: Checker, _key: str, value: Any) -> None:
        i = value["id"]
        if i in c.seen:
            return   # an at-least-once duplicate; the answer must still be the same
        c.seen[i] = (value["cents"], value["country"])
        c.done_keys += 1

    def verdict(c: Checker) -> str:
        wrong = sum(1 for i, v in c.seen.items() if c.expected.get(i) != v)
        missing = len(c.expected) - sum(1 for i in c.seen if i in c.expected)
        return "ok" if not wrong and not missing else f"WRONG ({wrong} wrong, {missing} missing)"

    return lambda: Checker(expected, step, lambda c: c.done_keys >= len(c.expected), verdict)


def wordcount_input(n: int) -> tuple[list[Any], Counter[str]]:
    rng = random.Random(2)
    vocabulary = [f"w{j:03d}" for j in range(1000)]
    rows, expected = [], Counter()
    for i in range(n):
        words = [rng.choice(vocabulary) for _ in range(rng.randint(8, 12))]
        expected.update(words)
        rows.append((None, " ".join(words).encode(), i % PARTITIONS, BASE_TS + i))
    return rows, expected


def wordcount_checker(expected: Counter[str]) -> Callable[[], Checker]:
    def step(c: Checker, key: str, value: Any) -> None:
        before = c.seen.get(key)
        c.seen[key] = value
        want = c.expected.get(key)
        if before == want and value != want:
            c.done_keys -= 1
        elif before != want and value == want:
            c.done_keys += 1

    def verdict(c: Checker) -> str:
        diff = {k: (c.seen.get(k), v) for k, v in c.expected.items() if c.seen.get(k) != v}
        extra = set(c.seen) - set(c.expected)
        return "ok" if not diff and not extra else f"WRONG ({len(diff)} words differ, {len(extra)} unknown)"

    return lambda: Checker(expected, step, lambda c: c.done_keys == len(c.expected), verdict)


def windowed_input(n: int) -> tuple[list[Any], dict[tuple[str, int], tuple[int, float, float]]]:
    rng = random.Random(3)
    tickers = [f"T{j:02d}" for j in range(20)]
    rows = []
    trades: list[tuple[str, int, float]] = []
    for i in range(n):
        ticker = rng.choice(tickers)
        ts = BASE_TS + i // 2
        if rng.random() < 0.05:
            ts -= rng.randint(1, 500)   # late, but within the 1 s grace
        price = round(rng.uniform(10, 200), 2)
        trades.append((ticker, ts, price))
        rows.append((ticker.encode(), json.dumps({"ticker": ticker, "ts": ts, "price": price}).encode(),
                     partition_of(ticker), ts))
    # one trade per partition far ahead in event time closes every window of the data
    end_ts = max(t for _, t, _ in trades) + 20_000
    for p in range(PARTITIONS):
        key = f"{SENTINEL}{p}"
        rows.append((key.encode(), json.dumps({"ticker": key, "ts": end_ts, "price": 1.0}).encode(), p, end_ts))
    # lateness ≤ 500 ms < grace, so no trade is dropped: the answer is all trades
    acc: dict[tuple[str, int], list[float]] = {}
    for ticker, ts, price in trades:
        first = (ts // 1000) * 1000 - 4000
        for start in range(max(first, 0), ts + 1, 1000):
            if start <= ts < start + 5000:
                a = acc.setdefault((ticker, start), [0, price, 0.0])
                a[0] += 1
                a[1] = min(a[1], price)
                a[2] += price
    return rows, {k: (c, lo, s / c) for k, (c, lo, s) in acc.items()}


def windowed_checker(expected: dict[tuple[str, int], tuple[int, float, float]]) -> Callable[[], Checker]:
    def step(c: Checker, key: str, value: Any) -> None:
        if key.startswith(SENTINEL):
            return
        inner = value.get("value", value)   # Quix nests named aggregations? accept both
        window = (key, value["start"])
        result = (inner["count"], inner["min"], inner["avg"])
        if window in c.seen:
            if c.seen[window] != result:
                c.extra.append(window)   # a second, different "final" result
            return
        c.seen[window] = result
        c.done_keys += 1

    def close(a: tuple[int, float, float], b: tuple[int, float, float] | None) -> bool:
        return b is not None and a[0] == b[0] and abs(a[1] - b[1]) < 1e-9 and abs(a[2] - b[2]) < 1e-6

    def verdict(c: Checker) -> str:
        wrong = sum(1 for w, v in c.seen.items() if not close(v, c.expected.get(w)))
        missing = len(c.expected.keys() - c.seen.keys())
        if wrong or missing or c.extra:
            return f"WRONG ({wrong} wrong, {missing} missing, {len(c.extra)} re-emitted)"
        return "ok"

    return lambda: Checker(expected, step, lambda c: c.done_keys >= len(c.expected), verdict)


def join_input(n: int) -> tuple[list[Any], list[Any], dict[int, str | None]]:
    rng = random.Random(4)
    users = []
    for u in range(10_000):
        key = f"u{u:04d}"
        users.append((key.encode(), json.dumps({"name": f"name-{u}", "tier": u % 3}).encode(),
                      partition_of(key), BASE_TS))
    views, expected = [], {}
    for i in range(n):
        u = rng.randrange(10_500)   # ids ≥ 10,000 have no profile
        key = f"u{u:04d}"
        views.append((key.encode(), json.dumps({"pv": i, "user": key, "url": f"/p/{i % 977}"}).encode(),
                      partition_of(key), BASE_TS + 1000 + i // 10))
        expected[i] = f"name-{u}" if u < 10_000 else None
    return users, views, expected


def join_checker(expected: dict[int, str | None]) -> Callable[[], Checker]:
    def step(c: Checker, _key: str, value: Any) -> None:
        i = value["pv"]
        if i not in c.seen:
            c.done_keys += 1
        c.seen[i] = value.get("name")

    def verdict(c: Checker) -> str:
        wrong = sum(1 for i, v in c.seen.items() if c.expected.get(i, "?") != v)
        missing = len(c.expected.keys() - c.seen.keys())
        return "ok" if not wrong and not missing else f"WRONG ({wrong} wrong, {missing} missing)"

    return lambda: Checker(expected, step, lambda c: c.done_keys >= len(c.expected), verdict)


def prepare(name: str, n: int, admin: AdminClient, bootstrap: str, tag: str) -> Workload:
    source = create_topic(admin, f"bench-{tag}-{name}-in")
    t0 = time.monotonic()
    if name == "stateless":
        rows, expected = stateless_input(n)
        produce(bootstrap, source, rows)
        work = Workload(name, n, source, None, stateless_checker(expected))
    elif name == "wordcount":
        rows, counts = wordcount_input(n)
        produce(bootstrap, source, rows)
        work = Workload(name, n, source, None, wordcount_checker(counts))
    elif name == "windowed":
        rows, stats = windowed_input(n)
        produce(bootstrap, source, rows)
        work = Workload(name, n, source, None, windowed_checker(stats))
    else:
        table = create_topic(admin, f"bench-{tag}-{name}-users", compact=True)
        users, views, names = join_input(n)
        produce(bootstrap, table, users)
        produce(bootstrap, source, views)
        work = Workload(name, n, source, table, join_checker(names))
    print(f"  {name}: {n} input records in {source} ({time.monotonic() - t0:.1f} s to generate and produce)",
          flush=True)
    return work


# -- one run ----------------------------------------------------------------------------


@dataclass
class Run:
    side: str
    workload: str
    seconds: float | None
    rate: float | None
    rss_mb: float | None
    verdict: str
    steady: float | None = None   # input records / (complete - first output consumed)


def peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_once(side: str, work: Workload, admin: AdminClient, bootstrap: str, timeout: float,
             profile: str | None = None) -> Run:
    run_id = uuid.uuid4().hex[:8]
    app_id = f"bench-{side}-{work.name}-{run_id}"
    output = create_topic(admin, f"{app_id}-out")
    state_dir = tempfile.mkdtemp(prefix=f"{app_id}-")
    worker_workload = "stateless" if side == "plain" else work.name
    if side == "quix":
        cmd = [QUIX_PYTHON, str(HERE / "quix_worker.py")]
    else:
        cmd = [OURS_PYTHON, str(HERE / "riffle_worker.py")]
        if side == "plain":
            worker_workload = "plain"
    cmd += [worker_workload, "--bootstrap", bootstrap, "--app-id", app_id, "--input", work.source,
            "--output", output, "--state-dir", state_dir]
    if work.table:
        cmd += ["--table", work.table]
    if profile:
        cmd += ["--profile", profile]
    log = open(Path(state_dir) / "worker.log", "w")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, cwd=ROOT)
    started: list[float] = []

    def read_stdout() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            if line.startswith("START ") and not started:
                started.append(float(line.split()[1]))

    threading.Thread(target=read_stdout, daemon=True).start()
    checker = work.make_checker()
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{app_id}-reader",
                         "enable.auto.commit": False, "fetch.wait.max.ms": 50})
    consumer.assign([TopicPartition(output, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    deadline = time.monotonic() + timeout
    done_at: float | None = None
    first_at: float | None = None
    rss: float | None = None
    next_rss = 0.0
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            for m in consumer.consume(5000, 0.2):
                if m.error():
                    continue
                if first_at is None:
                    first_at = time.time()
                key = m.key().decode() if m.key() is not None else ""
                checker.step(checker, key, json.loads(m.value()))
            if time.monotonic() >= next_rss:
                rss = peak_rss_mb(proc.pid) or rss
                next_rss = time.monotonic() + 0.5
            if checker.complete(checker):
                done_at = time.time()
                break
        rss = peak_rss_mb(proc.pid) or rss
    finally:
        consumer.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60 if profile else 30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()
    verdict = checker.verdict(checker)
    if done_at is None:
        verdict = f"TIMEOUT/{proc.returncode} after {timeout:.0f} s, {checker.done_keys} done; {verdict}" \
                  f" (log {log.name})"
    if done_at is None or not started:
        return Run(side, work.name, None, None, rss, verdict)
    seconds = done_at - started[0]
    steady = work.records / (done_at - first_at) if first_at is not None and done_at > first_at else None
    return Run(side, work.name, seconds, work.records / seconds, rss, verdict, steady)


# -- report -----------------------------------------------------------------------------


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def fmt(value: float | None, spec: str = ",.0f") -> str:
    return "—" if value is None else format(value, spec)


def report(runs: list[Run], sizes: dict[str, int]) -> None:
    def med(side: str, workload: str, attr: str) -> float | None:
        return median([getattr(r, attr) for r in runs if r.side == side and r.workload == workload
                       and getattr(r, attr) is not None and r.verdict == "ok"])

    def steady_ratio(w: str) -> str:
        ours, quix = med("ours", w, "steady"), med("quix", w, "steady")
        return fmt(ours / quix, ".2f") + "×" if ours and quix else "—"

    print("\n| workload | N | ours ev/s | quix ev/s | ours/quix (target) | ours RSS MB | quix RSS MB | "
          "quix ref ev/s | correct (ours; quix) | ours/quix after first output |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for w in [w for w in WORKLOADS if w in sizes]:
        ours, quix = med("ours", w, "rate"), med("quix", w, "rate")
        ratio = fmt(ours / quix, ".2f") + "×" if ours and quix else "—"
        verdicts = "; ".join(",".join(sorted({r.verdict for r in runs if r.side == s and r.workload == w}))
                             for s in ("ours", "quix"))
        print(f"| {w} | {sizes[w]:,} | {fmt(ours)} | {fmt(quix)} | {ratio} (≥{TARGET[w]}×) | "
              f"{fmt(med('ours', w, 'rss_mb'))} | {fmt(med('quix', w, 'rss_mb'))} | {REFERENCE[w]:,} | {verdicts} | {steady_ratio(w)} |")
    plain = med("plain", "stateless", "rate")
    if plain is not None or any(r.side == "plain" for r in runs):
        ours = med("ours", "stateless", "rate")
        share = fmt(100 * ours / plain, ".0f") + "%" if ours and plain else "—"
        verdicts = ",".join(sorted({r.verdict for r in runs if r.side == "plain"}))
        print(f"| plain loop (stateless) | {sizes.get('stateless', 0):,} | ours = {share} of plain (≥60%) | "
              f"plain {fmt(plain)} | — | {fmt(med('plain', 'stateless', 'rss_mb'))} | — | "
              f"{REFERENCE['plain']:,} | {verdicts} |")
    print("\nall runs (seconds from START to complete output, events/s, peak RSS MB, verdict; "
          "events/s counted from the first output record):")
    for r in runs:
        print(f"  {r.workload:10s} {r.side:6s} {fmt(r.seconds, '.2f'):>8s} s  {fmt(r.rate):>9s} ev/s  "
              f"{fmt(r.rss_mb, '.0f'):>5s} MB  {r.verdict}; {fmt(r.steady)} ev/s after first output")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=500_000, help="input records per workload")
    parser.add_argument("--wordcount-records", type=int, help="lines for word count (default --records)")
    parser.add_argument("--runs", type=int, default=3, help="interleaved runs per side")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--no-plain", action="store_true", help="skip the plain confluent-kafka loop")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per run")
    parser.add_argument("--profile", choices=WORKLOADS,
                        help="after the runs, one cProfiled run of ours on this workload")
    args = parser.parse_args()
    workloads = [w for w in args.workloads.split(",") if w]
    for w in workloads:
        if w not in WORKLOADS:
            parser.error(f"unknown workload {w}")

    subprocess.run(["bash", str(HERE / "quix-venv.sh")], check=True)
    handle = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        from studio.lib import devservices

        handle = devservices.start_broker()
        bootstrap = handle.bootstrap
    print(f"broker {bootstrap}; records {args.records}; runs {args.runs}", flush=True)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    tag = uuid.uuid4().hex[:6]
    runs: list[Run] = []
    sizes: dict[str, int] = {}
    try:
        for name in workloads:
            n = args.wordcount_records if name == "wordcount" and args.wordcount_records else args.records
            work = prepare(name, n, admin, bootstrap, tag)
            sizes[name] = n
            sides = ["ours", "quix"] + (["plain"] if name == "stateless" and not args.no_plain else [])
            for i in range(args.runs):
                for side in sides:
                    run = run_once(side, work, admin, bootstrap, args.timeout)
                    runs.append(run)
                    print(f"  run {i + 1} {name:10s} {side:6s} {fmt(run.rate):>9s} ev/s  "
                          f"{fmt(run.rss_mb, '.0f'):>5s} MB  {run.verdict}", flush=True)
            if args.profile == name:
                # a fresh private directory (mkdtemp), not mktemp's guessable, unreserved name
                stats_file = str(Path(tempfile.mkdtemp(prefix=f"bench-profile-{name}-")) / "ours.prof")
                run = run_once("ours", work, admin, bootstrap, args.timeout, profile=stats_file)
                print(f"  profiled run {name} ours {fmt(run.rate)} ev/s (under cProfile) {run.verdict}; "
                      f"stats {stats_file}")
                if Path(stats_file).exists():
                    stats = pstats.Stats(stats_file)
                    stats.sort_stats("tottime").print_stats(25)
                    stats.sort_stats("cumulative").print_stats(25)
        report(runs, sizes)
    finally:
        if handle is not None:
            handle.stop()


if __name__ == "__main__":
    main()
