"""Our side of bench/quix_compare.py: one workload on ``runtime.StreamsApp``, or the plain
confluent-kafka consume-transform-produce loop (workload ``plain``). Also the library runs of
bench/deployed_compare.py: ``wordcount-document`` is the studio's word count example compiled
from its topology document (sandboxed expressions), and ``--riffle-features REDIS_URL`` turns
on what a deployed replica adds to the engine (Redis checkpoints, metrics snapshots, record
samples, the batch CPU limit), with callbacks that drop what they are given.

Runs with /work/main/.venv/bin/python. Prints ``START <epoch seconds>`` just before
``app.start()``; the comparison measures from that line. Runs until SIGTERM, then
closes the app (``--profile FILE`` writes cProfile stats of the whole process then).

Stores: the DSL defaults (in-memory stores, changelog topics on).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from runtime import BufferConfig, Serdes, StreamsBuilder, Suppressed, TimeWindows  # noqa: E402

S = Serdes.string()
J = Serdes.json()


def stateless_keep(_key: Any, value: dict[str, Any]) -> bool:
    return value["amount"] >= 50.0


def stateless_map(value: dict[str, Any]) -> dict[str, Any]:
    return {"id": value["id"], "cents": round(value["amount"] * 100), "country": value["country"].upper()}


def add_trade(_key: Any, trade: dict[str, Any], agg: dict[str, Any]) -> dict[str, Any]:
    price = trade["price"]
    low = agg["min"]
    return {"count": agg["count"] + 1, "min": price if low is None or price < low else low,
            "sum": agg["sum"] + price}


def window_result(wkey: Any, agg: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    return wkey.key, {"start": wkey.window.start, "end": wkey.window.end, "count": agg["count"],
                      "min": agg["min"], "avg": agg["sum"] / agg["count"]}


def enrich(view: dict[str, Any], user: dict[str, Any] | None) -> dict[str, Any]:
    return {**(user or {}), **view}   # as Quix's on_merge="keep-left"


def topology(workload: str, source: str, table: str | None, output: str) -> Any:
    b = StreamsBuilder()
    if workload == "stateless":
        (b.stream(source, key_serde=S, value_serde=J)
         .filter(stateless_keep).map_values(stateless_map)
         .to(output, key_serde=S, value_serde=J))
    elif workload == "wordcount":
        (b.stream(source, key_serde=Serdes.bytes(), value_serde=S)
         .flat_map_values(lambda line: line.lower().split())
         .map(lambda _k, word: (word, word))
         .group_by_key(key_serde=S, value_serde=S)   # repartition topic
         .count(store="counts")
         .to_stream()
         .to(output, key_serde=S, value_serde=J))
    elif workload == "windowed":
        (b.stream(source, key_serde=S, value_serde=J,
                  timestamp_extractor=lambda record, _pt: record.value["ts"])
         .group_by_key()
         .windowed_by(TimeWindows.of_size_and_grace(5000, 1000).advance_by(1000))
         .aggregate(lambda: {"count": 0, "min": None, "sum": 0.0}, add_trade, store="trade-stats",
                    value_serde=J)
         .suppress(Suppressed.until_window_closes(BufferConfig.unbounded()))
         .to_stream()
         .map(window_result)
         .to(output, key_serde=S, value_serde=J))
    elif workload == "join":
        users = b.table(table, key_serde=S, value_serde=J, store="users")
        (b.stream(source, key_serde=S, value_serde=J)
         .left_join(users, enrich)
         .to(output, key_serde=S, value_serde=J))
    else:
        raise SystemExit(f"unknown workload {workload}")
    return b.build()


def example_data(example: str, source: str, sink: str) -> dict[str, Any]:
    """A studio example's topology document (JSON form) reading `source` in every source
    node and writing `sink` in every sink node."""
    from runtime import spec

    from tests.studio.documents import with_topics

    loaded = spec.load_example(example)
    return with_topics(loaded if isinstance(loaded, dict) else spec.dump_document(loaded), source, sink)


def document_topology(example: str, source: str, output: str) -> Any:
    """A studio example compiled from its document, as a deployment compiles it."""
    from runtime import spec

    return spec.compile_document(spec.load_document(example_data(example, source, output)))


def riffle_features(redis_url: str) -> dict[str, Any]:
    """The keys studio.deployments.runner.streams_config adds to a deployment's config,
    with the studio's default settings. Over its CPU limit a batch is logged here where a
    replica alone in its process would exit; both measure the same until one does."""
    return {"riffle.redis.url": redis_url, "riffle.metrics.interval.ms": 1000,
            "riffle.batch.cpu.limit.ms": 60_000, "riffle.batch.cpu.limit.action": "log",
            "riffle.sample.records.per.second": 2}


def run_plain(args: argparse.Namespace, stop: threading.Event) -> None:
    """The same filter/map as ``stateless`` by hand: consume a batch, produce, and every
    commit interval flush the producer before committing (at-least-once)."""
    from confluent_kafka import Consumer, Producer

    consumer = Consumer({"bootstrap.servers": args.bootstrap, "group.id": args.app_id,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False,
                         "session.timeout.ms": 6000})
    producer = Producer({"bootstrap.servers": args.bootstrap, "linger.ms": 5})
    consumer.subscribe([args.input])
    print(f"START {time.time():.6f}", flush=True)
    next_commit = time.monotonic() + args.commit_interval
    dirty = False
    loads, dumps = json.loads, json.dumps
    while not stop.is_set():
        for m in consumer.consume(1000, 0.1):
            if m.error():
                continue
            value = loads(m.value())
            if value["amount"] >= 50.0:
                producer.produce(args.output, dumps(stateless_map(value)).encode(), m.key())
            dirty = True
        producer.poll(0)
        if dirty and time.monotonic() >= next_commit:
            producer.flush()
            consumer.commit(asynchronous=False)
            dirty = False
            next_commit = time.monotonic() + args.commit_interval
    producer.flush()
    consumer.close()


def profile_stream_threads(profiler: cProfile.Profile) -> None:
    """The engine's work runs on its stream threads (cProfile sees one thread only):
    profile each StreamThread.run with the one profiler (one stream thread by default)."""
    from runtime.exec.thread import StreamThread

    original = StreamThread.run

    def run(self: Any) -> None:
        profiler.runcall(original, self)

    StreamThread.run = run  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=["stateless", "wordcount", "windowed", "join", "plain",
                                             "wordcount-document"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--app-id", required=True)
    parser.add_argument("--input", required=True)
    parser.add_argument("--table")
    parser.add_argument("--output", required=True)
    parser.add_argument("--state-dir", required=True)
    parser.add_argument("--commit-interval", type=float, default=1.0)
    parser.add_argument("--profile")
    parser.add_argument("--riffle-features", metavar="REDIS_URL")
    args = parser.parse_args()
    # the engine's INFO lines (assignment, restore, running tasks) with times go to the
    # run's worker.log, to see where a run's start-up time goes
    logging.basicConfig(level=logging.INFO, format="%(asctime)s.%(msecs)03d %(name)s %(message)s",
                        datefmt="%H:%M:%S")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profile_stream_threads(profiler)
    if args.workload == "plain":
        run_plain(args, stop)
        return
    from runtime.app import StreamsApp

    config = {"application.id": args.app_id, "bootstrap.servers": args.bootstrap,
              "processing.guarantee": "at_least_once",
              "commit.interval.ms": int(args.commit_interval * 1000),
              "state.dir": args.state_dir, "consumer.auto.offset.reset": "earliest"}
    callbacks: dict[str, Any] = {}
    if args.riffle_features:
        config.update(riffle_features(args.riffle_features))
        callbacks = {"on_metrics": lambda _snapshot: None, "on_sample": lambda *_: None,
                     "on_error": lambda *_: None}
    built = (document_topology("wordcount", args.input, args.output) if args.workload == "wordcount-document"
             else topology(args.workload, args.input, args.table, args.output))
    app = StreamsApp(built, config, **callbacks)
    print(f"START {time.time():.6f}", flush=True)
    app.start()
    while not stop.wait(0.2):
        if app.state == "ERROR":
            print(f"ERROR {app.error!r}", file=sys.stderr, flush=True)
            break
    app.close(30)
    if profiler is not None:
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
