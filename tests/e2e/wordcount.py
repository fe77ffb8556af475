"""Word count helpers of the browser tests: its lines, the counts Kafka Streams'
WordCountDemo gives for them, producing them, and reading counts off the dashboard."""

from __future__ import annotations

import json
import random
import re
import string
import time
from collections import Counter
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "runtime" / "spec" / "examples" / "wordcount.json"
OUTPUT_TIMEOUT_MS = 60_000


def wordcount_input_topic() -> str:
    document = json.loads(EXAMPLE.read_text())
    sources = [node for node in document["nodes"] if node["type"].startswith("source.")]
    assert len(sources) == 1, "word count has one source"
    return sources[0]["params"]["topics"][0]


def run_lines() -> list[str]:
    # Words of this run only: a topic on a long-lived Kafka may hold earlier runs' lines
    # and the application's state may be older than this test.
    run = "".join(random.choices(string.ascii_lowercase, k=6))
    stream, table, join = f"stream{run}", f"table{run}", f"join{run}"
    return [
        f"{stream} {table} {stream}",
        f"{join} {stream}",
        # Upper case and punctuation, and a leading separator (an empty first word).
        f"  {table.upper()}, {join}!  {stream}",
    ]


def expected_counts(lines: list[str]) -> Counter[str]:
    # WordCountDemo: lower-case the line and split on runs of non-word characters.
    counts: Counter[str] = Counter()
    for line in lines:
        counts.update(word for word in re.split(r"\W+", line.lower()) if word)
    return counts


def produce(bootstrap: str, topic: str, lines: list[str]) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for line in lines:
        producer.produce(topic, value=line.encode())
    assert producer.flush(30) == 0, "not every line was delivered"


def ensure_topic(bootstrap: str, topic: str) -> None:
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    if topic in admin.list_topics(timeout=10).topics:
        return
    try:
        admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result(timeout=15)
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise


def wordcount_output_topic() -> str:
    document = json.loads(EXAMPLE.read_text())
    sinks = [node for node in document["nodes"] if node["type"].startswith("sink.")]
    assert len(sinks) == 1, "word count has one sink"
    return sinks[0]["params"]["topic"]


def output_counts(page: object, topic: str) -> dict[str, int]:
    """The highest count the dashboard shows per word on `topic` (counts only grow)."""
    rows = page.locator('[data-testid="output-records"] [data-testid="output-record"]')  # type: ignore[attr-defined]
    script = "rows => rows.map(r => [r.dataset.key, r.dataset.value, r.cells[2].textContent.trim()])"
    shown: dict[str, int] = {}
    for key, value, row_topic in rows.evaluate_all(script):
        # Only the output topic's records count, should other topics' samples be shown.
        if row_topic == topic and value is not None and value.lstrip("-").isdigit():
            shown[key] = max(shown.get(key, 0), int(value))
    return shown


def wait_for_counts(page: object, topic: str, expected: Counter[str]) -> dict[str, int]:
    deadline = time.monotonic() + OUTPUT_TIMEOUT_MS / 1000
    shown: dict[str, int] = {}
    while time.monotonic() < deadline:
        shown = output_counts(page, topic)
        if all(shown.get(word) == count for word, count in expected.items()):
            break
        page.wait_for_timeout(500)  # type: ignore[attr-defined]
    return {word: shown.get(word) for word in expected}  # type: ignore[misc]
