"""StreamsApp runs KTable.group_by + count on the development broker: users move
between regions and leave, and the count per region ends equal to a recount of the
final table (the repartition topic carries Kafka's Change format)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from runtime import Serdes, StreamsBuilder
from runtime.app import StreamsApp
from tests.runtime.kafka.helpers import produce, read_topic, wait_for_output, wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(120)]


def _updates(n: int, seed: int) -> tuple[list[tuple[bytes, bytes | None]], dict[str, str]]:
    rng = random.Random(seed)
    table: dict[str, str] = {}
    records: list[tuple[bytes, bytes | None]] = []
    for _ in range(n):
        user = f"user-{rng.randrange(30)}"
        region = None if rng.random() < 0.15 else rng.choice(["eu", "us", "apac", "latam"])
        records.append((user.encode(), None if region is None else region.encode()))
        if region is None:
            table.pop(user, None)
        else:
            table[user] = region
    return records, table


def _config(app_id: str, bootstrap: str) -> dict[str, Any]:
    return {"application.id": app_id, "bootstrap.servers": bootstrap,
            "commit.interval.ms": 200}


def test_table_group_by_count_on_kafka(kafka_bootstrap: str, create_topic: Callable[..., str],
                                       unique_name: Callable[[str], str]) -> None:
    users_topic = create_topic("users", partitions=2)
    counts_topic = create_topic("region-counts", partitions=2)
    records, final_table = _updates(300, seed=7)
    produce(kafka_bootstrap, users_topic, records)  # type: ignore[arg-type]

    S = Serdes.string()
    builder = StreamsBuilder()
    builder.table(users_topic, key_serde=S, value_serde=S).group_by(
        lambda user, region: (region, user), key_serde=S, value_serde=S).count(
        store="region-counts-store").to_stream().to(
        counts_topic, key_serde=S, value_serde=Serdes.long())

    regions_seen = {r.decode() for _, r in records if r is not None}
    expected = {region: 0 for region in regions_seen}
    expected.update(Counter(final_table.values()))
    app = StreamsApp(builder.build(), _config(unique_name("regions"), kafka_bootstrap))
    app.start()
    try:
        wait_for_output(kafka_bootstrap, counts_topic, expected, timeout=60)
        assert app.state == "RUNNING", app.error
    finally:
        app.close(30)


def test_table_table_left_join_on_kafka(kafka_bootstrap: str, create_topic: Callable[..., str],
                                        unique_name: Callable[[str], str]) -> None:
    """Two co-partitioned tables left-joined: the output's latest value per key is the
    join of the final tables (a tombstone where the left row is gone)."""
    users_topic = create_topic("users", partitions=2)
    regions_topic = create_topic("user-regions", partitions=2)
    out_topic = create_topic("joined", partitions=2)
    users, final_users = _updates(150, seed=3)
    regions, final_regions = _updates(150, seed=4)
    produce(kafka_bootstrap, users_topic, users)  # type: ignore[arg-type]
    produce(kafka_bootstrap, regions_topic, regions)  # type: ignore[arg-type]

    S = Serdes.string()
    builder = StreamsBuilder()
    left = builder.table(users_topic, key_serde=S, value_serde=S)
    right = builder.table(regions_topic, key_serde=S, value_serde=S)
    left.left_join(right, lambda a, b: f"{a}|{b}").to_stream().to(
        out_topic, key_serde=S, value_serde=S)
    expected = {user: f"{value}|{final_regions.get(user)}"
                for user, value in final_users.items()}

    app = StreamsApp(builder.build(), _config(unique_name("join"), kafka_bootstrap))
    app.start()
    try:
        def latest() -> dict[str, str]:
            rows: dict[str, str] = {}
            for r in sorted(read_topic(kafka_bootstrap, out_topic),
                            key=lambda r: (r.partition, r.offset)):
                assert r.key is not None
                if r.value is None:
                    rows.pop(r.key.decode(), None)
                else:
                    rows[r.key.decode()] = r.value.decode()
            return rows

        wait_until(lambda: latest() == expected, 60, "the joined table")
        assert app.state == "RUNNING", app.error
    finally:
        app.close(30)
