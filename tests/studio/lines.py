"""Lines of words for the word count suites and benchmarks, their batch count, and
producing them; free of Django."""

from __future__ import annotations

import collections
import random

from confluent_kafka import Producer

WORDS = ("kafka", "streams", "riffle", "celery", "redis", "django", "table", "stream",
         "window", "join", "count", "word", "topic", "offset", "commit", "replica")


def make_lines(rng: random.Random, count: int) -> list[str]:
    """`count` lines of 1 to 8 words; the words' frequencies differ (Zipf-like)."""
    weights = [1.0 / (rank + 1) for rank in range(len(WORDS))]
    return [" ".join(rng.choices(WORDS, weights, k=rng.randint(1, 8))) for _ in range(count)]


def truth(lines: list[str]) -> dict[str, int]:
    return dict(collections.Counter(word for line in lines for word in line.split()))


def produce(bootstrap: str, topic: str, lines: list[str], first_key: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for i, line in enumerate(lines, start=first_key):
        producer.produce(topic, key=str(i).encode(), value=line.encode())
    remaining = producer.flush(30)
    assert remaining == 0, f"{remaining} lines were not delivered to {topic} within 30 s"
