"""Benchmark of store restoration: Redis checkpoint + changelog tail vs full changelog replay.

Run: .venv/bin/python bench/restore_bench.py [--keys 1000000] [--updates 1000]

Produces a ``--keys``-key store's changelog (one record per key, compacted topic) to
KAFKA_BOOTSTRAP_SERVERS or a development broker started here, then, through the
engine's own ChangelogReader and a StreamTask's in-memory table store:

(b) replays the whole changelog into an empty store (no checkpoint);
    writes that store's first, whole, checkpoint to Redis (REDIS_URL, default
    redis://127.0.0.1:6379/12; keys under a unique application id, removed at the end);
(a) restores a second store from that checkpoint plus the (empty) changelog tail;
then updates ``--updates`` keys and times one incremental checkpoint of them.
Prints the times and the (b)/(a) ratio.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from confluent_kafka import Producer  # noqa: E402
from confluent_kafka.admin import AdminClient, NewTopic  # noqa: E402

from runtime import Serdes, StreamsBuilder  # noqa: E402
from runtime.exec import ConsumedRecord, MockClock, StreamTask  # noqa: E402
from runtime.exec.restore import ChangelogReader  # noqa: E402
from runtime.kafka import KafkaConsumer  # noqa: E402
from runtime.kafka.config import restore_consumer_config  # noqa: E402
from runtime.state.checkpoint import RedisCheckpointStore  # noqa: E402

STORE = "tbl"


class NullCollector:
    def send(self, topic: str, key: bytes | None, value: bytes | None, timestamp: int,
             headers: Sequence[tuple[str, bytes]] | None = None,
             partition: int | None = None) -> None:
        pass


def table_task(app_id: str, state_dir: str) -> StreamTask:
    b = StreamsBuilder()
    b.stream("in", key_serde=Serdes.string(), value_serde=Serdes.string()).to_table(store=STORE)
    return StreamTask(b.build(), 0, 0, application_id=app_id, collector=NullCollector(),
                      config={"statestore.cache.max.bytes": 0, "state.dir": state_dir},
                      clock=MockClock(0))


def produce_changelog(bootstrap: str, topic: str, keys: int) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1,
                                  config={"cleanup.policy": "compact"})])[topic].result(timeout=30)
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 50, "batch.size": 1_000_000,
                         "queue.buffering.max.messages": 1_000_000, "acks": "all"})
    for i in range(keys):
        while True:
            try:
                producer.produce(topic, b"%s" % (f"value-{i:09d}".encode()), key=f"key-{i:09d}".encode(),
                                 partition=0, timestamp=1_000 + i)
                break
            except BufferError:
                producer.poll(0.05)
        if i % 10_000 == 0:
            producer.poll(0)
    if producer.flush(120) != 0:
        raise SystemExit("the changelog was not fully produced")


def restorer(bootstrap: str, app_id: str, checkpoints: RedisCheckpointStore | None) -> ChangelogReader:
    consumer = KafkaConsumer(restore_consumer_config(
        {"application.id": app_id, "bootstrap.servers": bootstrap}, client_id="restore-bench"))
    return ChangelogReader(consumer, application_id=app_id, checkpoints=checkpoints, stall_timeout_s=60)


def timed_restore(bootstrap: str, app_id: str, task: StreamTask,
                  checkpoints: RedisCheckpointStore | None) -> tuple[float, Any]:
    r = restorer(bootstrap, app_id, checkpoints)
    try:
        started = time.perf_counter()
        [result] = r.restore_task(task)
        return time.perf_counter() - started, result
    finally:
        r.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--updates", type=int, default=1_000)
    args = parser.parse_args()

    broker = None
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    if not bootstrap:
        from studio.lib.devservices import start_broker
        broker = start_broker()
        bootstrap = broker.bootstrap
    app_id = f"restore-bench-{uuid.uuid4().hex[:8]}"
    checkpoints = RedisCheckpointStore(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/12"),
                                       socket_timeout_s=60)
    state_dir = tempfile.mkdtemp(prefix=f"{app_id}-")  # private (0700), removed at the end
    try:
        topic = f"{app_id}-{STORE}-changelog"
        started = time.perf_counter()
        produce_changelog(bootstrap, topic, args.keys)
        print(f"produced {args.keys:,} changelog records in {time.perf_counter() - started:.1f} s")

        replayed = table_task(app_id, state_dir)
        replayed.enable_checkpoint_changes()
        full_s, full = timed_restore(bootstrap, app_id, replayed, None)
        assert not full.from_checkpoint and full.records_replayed == args.keys, full
        replayed.clear_checkpoint_changes(STORE)

        started = time.perf_counter()
        assert checkpoints.save_incremental(app_id, STORE, 0, full.end_offset, base_offset=None,
                                            changes=None, snapshot=lambda: replayed.store_snapshot(STORE))
        whole_s = time.perf_counter() - started

        from_ckpt = table_task(app_id, state_dir)
        ckpt_s, result = timed_restore(bootstrap, app_id, from_ckpt, checkpoints)
        assert result.from_checkpoint and result.records_replayed == 0, result
        assert dict(from_ckpt.store_snapshot(STORE)) == dict(replayed.store_snapshot(STORE))

        # --updates keys change in one commit interval, then one incremental checkpoint
        for i in range(args.updates):
            key = f"key-{i * (args.keys // args.updates):09d}".encode()
            replayed.process(ConsumedRecord("in", 0, i, 2_000_000_000 + i, key, b"updated", ()))
        replayed.flush()
        changes = replayed.checkpoint_changes(STORE)
        assert changes is not None and len(changes) == args.updates
        started = time.perf_counter()
        assert checkpoints.save_incremental(
            app_id, STORE, 0, full.end_offset + args.updates, base_offset=full.end_offset,
            changes=changes, snapshot=lambda: (_ for _ in ()).throw(AssertionError("whole rewrite")))
        incremental_s = time.perf_counter() - started

        print(f"(b) full changelog replay, {full.records_replayed:,} records: {full_s:8.2f} s")
        print(f"(a) checkpoint restore + empty tail:          {ckpt_s:8.2f} s")
        print(f"    ratio (b)/(a):                            {full_s / ckpt_s:8.1f} x")
        print(f"whole checkpoint of {args.keys:,} keys:            {whole_s:8.2f} s")
        print(f"incremental checkpoint of {args.updates:,} updated keys:  {incremental_s * 1000:8.1f} ms")
        for t in (replayed, from_ckpt):
            t.close()
    finally:
        checkpoints.delete_all(app_id)
        checkpoints.close()
        shutil.rmtree(state_dir, ignore_errors=True)
        if broker is not None:
            broker.stop()


if __name__ == "__main__":
    main()
