"""A task reading several partitions processes them in timestamp order (Kafka Streams'
PartitionGroup; "Flow Control with Timestamps" in its architecture docs; KIP-695), on
the development broker.

A stream-table left join whose input is all on the broker before the app starts: each
user's profile is stamped 1000, and each user has one view stamped 500 (before the
profile existed) and one stamped 2000 (after). Kafka Streams joins the early view with
no profile and the late one with the profile, whatever order the fetches return the
topics in. Processing in arrival order instead gets one of the two wrong for every
user: all profiles first joins the early views, all views first misses the late ones."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from confluent_kafka import Producer

from runtime import Serdes, StreamsBuilder
from runtime.app import StreamsApp
from tests.runtime.kafka.helpers import read_topic, wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(120)]

USERS = [f"u{i:02d}" for i in range(40)]


def _produce(bootstrap: str, topic: str, records: list[tuple[str, str, int]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for key, value, ts in records:
        producer.produce(topic, value.encode(), key.encode(), timestamp=ts)
    assert producer.flush(30) == 0


@pytest.mark.parametrize("max_idle_ms", [0, 200])
def test_a_join_sees_its_inputs_in_timestamp_order(
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
    max_idle_ms: int,
) -> None:
    views, profiles, out = (create_topic(n, partitions=2) for n in ("views", "profiles", "enriched"))
    # views first on the broker, so arrival order would favour them
    _produce(kafka_bootstrap, views, [(u, f"early-{u}", 500) for u in USERS] + [(u, f"late-{u}", 2000) for u in USERS])
    _produce(kafka_bootstrap, profiles, [(u, f"profile-{u}", 1000) for u in USERS])

    s = Serdes.string()
    b = StreamsBuilder()
    table = b.table(profiles, key_serde=s, value_serde=s)
    (b.stream(views, key_serde=s, value_serde=s)
     .left_join(table, lambda view, profile: f"{view}+{profile}")
     .to(out, key_serde=s, value_serde=s))
    config: dict[str, Any] = {"application.id": unique_name("order"), "bootstrap.servers": kafka_bootstrap,
                              "commit.interval.ms": 200, "max.task.idle.ms": max_idle_ms}
    app = StreamsApp(b.build(), config)
    app.start()
    try:
        records = wait_until(lambda: (r := read_topic(kafka_bootstrap, out)) and len(r) >= 2 * len(USERS) and r,
                             60, "every view joined", interval=0.5)
        assert app.error is None
    finally:
        app.close(30)
    got = sorted((r.key.decode(), r.value.decode(), r.timestamp) for r in records)  # type: ignore[union-attr]
    # the stream side's timestamp, as KStreamKTableJoin does
    want = sorted([(u, f"early-{u}+None", 500) for u in USERS] + [(u, f"late-{u}+profile-{u}", 2000) for u in USERS])
    assert got == want
