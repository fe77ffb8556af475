"""Produce realistic records into the example topologies' input topics until stopped."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from studio.topologies.examples import example_document
from studio.topologies.generators import GENERATORS, SOURCE_ARGUMENTS, Record

PARTITIONS = 2
CONNECT_TIMEOUT_S = 5.0
REPORT_EVERY_S = 10.0


class Command(BaseCommand):
    help = ("Produce example records (text lines, stock trades, page views with profiles and "
            "searches) into the example topologies' input topics; runs until interrupted.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--rate", type=float, default=5.0,
                            help="records per second for each example (default 5)")
        parser.add_argument("--count", type=int, default=0,
                            help="stop after this many records per example (default: never)")
        parser.add_argument("--only", choices=sorted(GENERATORS), action="append",
                            help="generate for this example only (repeatable)")
        parser.add_argument("--seed", type=int, default=None, help="seed for repeatable output")
        parser.add_argument("--bootstrap-servers", default=None,
                            help="Kafka to write to (default: KAFKA_BOOTSTRAP_SERVERS)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rate"] <= 0:
            raise CommandError("--rate must be positive")
        bootstrap = options["bootstrap_servers"] or settings.KAFKA_BOOTSTRAP_SERVERS
        names = options["only"] or sorted(GENERATORS)
        rng = random.Random(options["seed"])
        streams = {name: _stream(name, rng) for name in names}
        topics = sorted({t for name in names for t in _input_topics(name)})

        admin = AdminClient({"bootstrap.servers": bootstrap, "log_level": 0})
        _ensure_topics(admin, topics, bootstrap)
        self.stdout.write(f"Producing to {bootstrap}: {', '.join(topics)} "
                          f"({options['rate']:g}/s per example; Ctrl-C stops)")
        try:
            produced, failed = self._run(streams, bootstrap, options["rate"], options["count"])
        except KeyboardInterrupt:
            return
        self.stdout.write(f"Produced {sum(produced.values())} records"
                          + (f"; {failed} failed" if failed else ""))
        if failed:
            raise CommandError(f"{failed} records could not be delivered to {bootstrap}")

    def _run(self, streams: dict[str, Iterator[Record]], bootstrap: str, rate: float,
             count: int) -> tuple[dict[str, int], int]:
        failures: list[str] = []

        def delivered(err: Any, _msg: Any) -> None:
            if err is not None:
                failures.append(str(err))

        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20,
                             "partitioner": "murmur2_random", "log_level": 0})
        produced = dict.fromkeys(streams, 0)
        interval = 1.0 / rate
        next_at = time.monotonic()
        next_report = next_at + REPORT_EVERY_S
        try:
            while not count or min(produced.values()) < count:
                for name, stream in streams.items():
                    if count and produced[name] >= count:
                        continue
                    record = next(stream)
                    producer.produce(record.topic, key=record.key, value=record.value,
                                     on_delivery=delivered)
                    produced[name] += 1
                producer.poll(0)
                next_at += interval
                now = time.monotonic()
                if now >= next_report:
                    next_report = now + REPORT_EVERY_S
                    self.stdout.write("  " + ", ".join(f"{n}: {c}" for n, c in produced.items())
                                      + (f" ({len(failures)} failed: {failures[-1]})" if failures else ""))
                time.sleep(max(0.0, next_at - now))
        finally:
            remaining = producer.flush(10)
            if remaining:
                failures.extend(["not delivered within 10 s"] * remaining)
        return produced, len(failures)


def _input_topics(example: str) -> list[str]:
    return [topic for topic, _ in _sources(example)]


def _sources(example: str) -> list[tuple[str, str]]:
    """(topic, generator argument) for each source node of the example document."""
    arguments = SOURCE_ARGUMENTS[example]
    found = []
    for node in example_document(example)["nodes"]:
        if node["id"] in arguments:
            params = node["params"]
            topic = params["topics"][0] if "topics" in params else params["topic"]
            found.append((topic, arguments[node["id"]]))
    return found


def _stream(example: str, rng: random.Random) -> Iterator[Record]:
    kwargs = {argument: topic for topic, argument in _sources(example)}
    return GENERATORS[example](rng, lambda: int(time.time() * 1000), **kwargs)


def _ensure_topics(admin: AdminClient, topics: list[str], bootstrap: str) -> None:
    try:
        existing = set(admin.list_topics(timeout=CONNECT_TIMEOUT_S).topics)
    except KafkaException as exc:
        raise CommandError(
            f"cannot reach Kafka at {bootstrap} ({_reason(exc)}); "
            "start it with `make run` or set KAFKA_BOOTSTRAP_SERVERS"
        ) from None
    missing = [t for t in topics if t not in existing]
    if not missing:
        return
    futures = admin.create_topics(
        [NewTopic(t, num_partitions=PARTITIONS, replication_factor=1) for t in missing]
    )
    for topic, future in futures.items():
        try:
            future.result(timeout=15)
        except KafkaException as exc:
            error = exc.args[0] if exc.args else None
            # Someone else created it meanwhile: fine.
            if error is None or error.code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise CommandError(f"cannot create topic {topic} on {bootstrap}: {_reason(exc)}") from None


def _reason(exc: KafkaException) -> str:
    error = exc.args[0] if exc.args else None
    return error.str() if isinstance(error, KafkaError) else str(exc)
