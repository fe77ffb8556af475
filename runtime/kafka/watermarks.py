"""Exact log start and end offsets of partitions, asked with a plain confluent_kafka
Consumer (the tools, the studio and the tests read them this way).

ListOffsets alone is not enough: some Kafka-compatible brokers (the development
broker among them) answer "latest" with the last batch's base offset + 1, not the
log-end offset. A fetch response always carries the exact high watermark, so one
fetch from just before the ListOffsets end settles it. On Apache Kafka the two agree
and the fetch returns one record.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import NamedTuple

from confluent_kafka import Consumer, TopicPartition

__all__ = ["PROBE_WAIT_S", "Watermarks", "exact_watermarks"]

# How long the probing fetches may take by default: one round trip each, normally.
PROBE_WAIT_S = 3.0


class Watermarks(NamedTuple):
    marks: dict[tuple[str, int], tuple[int, int]]   # (topic, partition) -> (low, high)
    # Partitions whose fetch did not answer within the wait: their high is ListOffsets'.
    unconfirmed: frozenset[tuple[str, int]]


def exact_watermarks(consumer: Consumer, partitions: Iterable[tuple[str, int]], *,
                     timeout: float, wait_s: float = PROBE_WAIT_S) -> Watermarks:
    """(low, high) of each (topic, partition). `consumer` must not be subscribed: its
    assignment is replaced for the probe and left empty. Each ListOffsets call is
    bounded by `timeout`; the probing fetches, by `wait_s` in all."""
    marks = {(topic, p): consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=timeout)
             for topic, p in partitions}
    probe = [TopicPartition(topic, p, high - 1) for (topic, p), (low, high) in marks.items() if high > low]
    waiting = {(tp.topic, tp.partition) for tp in probe}
    if probe:
        consumer.assign(probe)
        try:
            deadline = time.monotonic() + wait_s
            while waiting and time.monotonic() < deadline:
                consumer.consume(num_messages=len(probe), timeout=0.2)
                for key in list(waiting):
                    _, high = consumer.get_watermark_offsets(TopicPartition(*key), cached=True)
                    if high >= 0:
                        marks[key] = (marks[key][0], max(marks[key][1], high))
                        waiting.discard(key)
        finally:
            consumer.unassign()
    return Watermarks(marks, frozenset(waiting))
