"""Helpers of the command-line tests: the group's committed offsets, and where a topic ends."""

from __future__ import annotations

from typing import Any

from confluent_kafka import Consumer, TopicPartition


def committed(bootstrap: str, group: str, topic: str, partitions: int) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        tps = consumer.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=10)
    finally:
        consumer.close()
    return {tp.partition: tp.offset for tp in tps}


def next_offsets(records: list[Any], partitions: int) -> dict[int, int]:
    ends = {p: 0 for p in range(partitions)}
    for r in records:
        ends[r.partition] = max(ends[r.partition], r.offset + 1)
    return ends
