"""Helpers of the engine-on-Kafka tests: generated input, reading topics to the end,
waiting for an app, and a Processor-API word count."""

from __future__ import annotations

import random
import struct
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from runtime.processor.api import Processor
from runtime.processor.record import Record
from runtime.serdes import Serdes
from runtime.state.stores import Stores
from runtime.topology import Topology

VOCABULARY = ["kafka", "streams", "python", "riffle", "topology", "state", "store", "window",
              "join", "count", "table", "stream", "partition", "offset", "commit"]


def make_lines(n: int, seed: int, words_per_line: int = 6) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(VOCABULARY).upper() if rng.random() < 0.2 else rng.choice(VOCABULARY)
                     for _ in range(rng.randint(1, words_per_line))) for _ in range(n)]


def word_counts(lines: Iterable[str]) -> Counter[str]:
    """The batch computation the streaming output must match (Kafka Streams' demo
    lower-cases and splits on non-word characters; our lines only hold words)."""
    return Counter(word for line in lines for word in line.lower().split())


def produce(bootstrap: str, topic: str, records: Sequence[tuple[bytes | None, bytes]]) -> None:
    """Keyed records go where the default partitioner puts them; null-keyed ones round-robin
    over the partitions. librdkafka's sticky partitioner would send a fast burst of
    null-keyed records all to one partition, leaving the others empty, and an empty input
    partition never gets a committed offset (nor does it in Kafka Streams), which tests
    comparing committed offsets with the input's ends cannot tell from a lost commit."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    partitions = len(producer.list_topics(topic, timeout=10).topics[topic].partitions) or 1
    failures: list[str] = []
    for i, (key, value) in enumerate(records):
        where = {} if key is not None else {"partition": i % partitions}
        producer.produce(topic, value, key, on_delivery=lambda err, msg: err and failures.append(str(err)), **where)
    assert producer.flush(30) == 0
    assert not failures, failures


def produce_one_batch(bootstrap: str, topic: str, partition: int, count: int) -> None:
    """Records k0/v0 … k{count-1}/v{count-1} to `partition`, travelling as one batch (a
    long linger, a single flush): the development broker's ListOffsets("latest") then
    says the log ends after the batch's first record."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1000, "batch.num.messages": count})
    for i in range(count):
        producer.produce(topic, key=b"k%d" % i, value=b"v%d" % i, partition=partition)
    assert producer.flush(30) == 0


def produce_lines(bootstrap: str, topic: str, lines: Sequence[str]) -> None:
    # Kafka Streams' demo input: null keys, one line per record.
    produce(bootstrap, topic, [(None, line.encode()) for line in lines])


@dataclass(frozen=True)
class Out:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp: int


def read_topic(bootstrap: str, topic: str, timeout: float = 20.0) -> list[Out]:
    """Every record of ``topic``, reading each partition up to its end."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    partitions = len(admin.list_topics(timeout=10).topics[topic].partitions)
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "test-reader",
                         "enable.auto.commit": False, "enable.partition.eof": True,
                         "isolation.level": "read_uncommitted"})
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
    done: set[int] = set()
    out: list[Out] = []
    deadline = time.monotonic() + timeout
    try:
        while len(done) < partitions:
            assert time.monotonic() < deadline, f"reading {topic} did not reach its end in {timeout} s"
            for m in consumer.consume(1000, 0.5):
                if m.error():
                    if m.error().code() == KafkaError._PARTITION_EOF:
                        done.add(m.partition())
                        continue
                    raise AssertionError(f"reading {topic}: {m.error()}")
                out.append(Out(m.partition(), m.offset(), m.key(), m.value(), m.timestamp()[1]))
    finally:
        consumer.close()
    return out


def decode_long(raw: bytes | None) -> int | None:
    return None if raw is None else struct.unpack(">q", raw)[0]


def latest_per_key(records: Iterable[Out]) -> dict[str, int]:
    """The last value per key (records of one key share a partition, in offset order)."""
    latest: dict[str, int] = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        assert r.key is not None
        value = decode_long(r.value)
        if value is None:
            latest.pop(r.key.decode(), None)
        else:
            latest[r.key.decode()] = value
    return latest


def counts_per_key_in_order(records: Iterable[Out]) -> dict[str, list[int]]:
    seen: dict[str, list[int]] = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        assert r.key is not None and r.value is not None
        seen.setdefault(r.key.decode(), []).append(decode_long(r.value))  # type: ignore[arg-type]
    return seen


def wait_until(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_for_output(bootstrap: str, topic: str, expected: dict[str, int], timeout: float = 40.0) -> list[Out]:
    """Read ``topic`` until its latest value per key equals ``expected``; on timeout
    fail with what was there."""
    deadline = time.monotonic() + timeout
    while True:
        records = read_topic(bootstrap, topic)
        latest = latest_per_key(records)
        if latest == expected:
            return records
        if time.monotonic() > deadline:
            missing = {k: v for k, v in expected.items() if latest.get(k) != v}
            raise AssertionError(f"{topic} never reached the expected counts; differing: "
                                 f"{ {k: (latest.get(k), v) for k, v in list(missing.items())[:10]} }")
        time.sleep(0.3)


# -- a Processor-API word count: lines -> words topic -> counts ------------------------


class SplitWords(Processor):
    def process(self, record: Record) -> None:
        for word in record.value.lower().split():
            self.context.forward(record.with_key(word).with_value(word))


class CountWords(Processor):
    def init(self, context: Any) -> None:
        super().init(context)
        self.store = context.get_state_store("Counts")

    def process(self, record: Record) -> None:
        count = (self.store.get(record.key) or 0) + 1
        self.store.put(record.key, count)
        self.context.forward(record.with_value(count))


def processor_word_count(lines_topic: str, words_topic: str, counts_topic: str) -> Topology:
    topology = Topology()
    topology.add_source("Lines", lines_topic, key_serde=Serdes.string(), value_serde=Serdes.string())
    topology.add_processor("Split", SplitWords, "Lines")
    topology.add_sink("Words", words_topic, "Split", key_serde=Serdes.string(), value_serde=Serdes.string())
    topology.add_source("WordsIn", words_topic, key_serde=Serdes.string(), value_serde=Serdes.string())
    topology.add_processor("Count", CountWords, "WordsIn")
    topology.add_state_store(
        Stores.key_value_store_builder(Stores.in_memory_key_value_store("Counts"), Serdes.string(), Serdes.long()),
        "Count",
    )
    topology.add_sink("Counts", counts_topic, "Count", key_serde=Serdes.string(), value_serde=Serdes.long())
    return topology


# -- the Kafka Streams word count, through the DSL ------------------------------------


def dsl_word_count(lines_topic: str, counts_topic: str, store: str = "counts") -> Topology:
    """Kafka Streams' WordCountDemo: lines → words (lower case) → re-keyed by word →
    group_by_key (a repartition topic) → count in ``store`` → output (string, long)."""
    from runtime import StreamsBuilder

    builder = StreamsBuilder()
    (
        builder.stream(lines_topic, key_serde=Serdes.string(), value_serde=Serdes.string())
        .flat_map_values(lambda line: line.lower().split(" "))
        .map(lambda _key, word: (word, word))
        .filter(lambda _key, word: word != "")
        .group_by_key(key_serde=Serdes.string(), value_serde=Serdes.string())
        .count(store=store)
        .to_stream()
        .to(counts_topic, key_serde=Serdes.string(), value_serde=Serdes.long())
    )
    return builder.build()
