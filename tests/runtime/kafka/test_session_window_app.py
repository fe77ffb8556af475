"""A session-windowed count on the engine (StreamsApp) against the development broker:
a restart restores the session store (from the Redis checkpoint or from the changelog
alone), so records after the restart merge into sessions from before it. Expected
sessions come from a brute-force sessionization of all input."""

from __future__ import annotations

import struct
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from confluent_kafka import Producer

from runtime import Serdes, SessionWindows, StreamsBuilder, WindowedSerdes
from runtime.app import StreamsApp
from runtime.state.checkpoint import RedisCheckpointStore
from tests.runtime.kafka.helpers import read_topic, wait_until

pytestmark = [pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(120)]

GAP = 100


@pytest.fixture
def app_id(unique_name: Callable[[str], str], redis_url: str) -> Iterator[str]:
    name = unique_name("sessions")
    yield name
    RedisCheckpointStore(redis_url).delete_all(name)


def session_count(input_topic: str, output_topic: str) -> Any:
    b = StreamsBuilder()
    (b.stream(input_topic, key_serde=Serdes.string(), value_serde=Serdes.string())
     .group_by_key()
     .windowed_by(SessionWindows.of_inactivity_gap_and_grace(GAP, 600_000))
     .count(store="sessions")
     .to_stream()
     .to(output_topic, key_serde=WindowedSerdes.session_windowed_serde_from(Serdes.string()),
         value_serde=Serdes.long()))
    return b.build()


def produce(bootstrap: str, topic: str, records: list[tuple[str, int]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap})
    for key, ts in records:
        producer.produce(topic, b"v", key.encode(), timestamp=ts)
    assert producer.flush(30) == 0


def live_sessions(bootstrap: str, topic: str) -> dict[tuple[str, int, int], int]:
    """Replays the output: an update sets a session's count, a tombstone removes it."""
    live: dict[tuple[str, int, int], int] = {}
    for r in sorted(read_topic(bootstrap, topic), key=lambda r: (r.partition, r.offset)):
        assert r.key is not None
        end, start = struct.unpack(">qq", r.key[-16:])
        session = (r.key[:-16].decode(), start, end)
        if r.value is None:
            live.pop(session, None)
        else:
            live[session] = struct.unpack(">q", r.value)[0]
    return live


def sessionize(records: list[tuple[str, int]]) -> dict[tuple[str, int, int], int]:
    out: dict[tuple[str, int, int], int] = {}
    for key in {k for k, _ in records}:
        times = sorted(t for k, t in records if k == key)
        start = end = times[0]
        count = 0
        for t in times:
            if t - end > GAP:
                out[(key, start, end)] = count
                start, count = t, 0
            end, count = t, count + 1
        out[(key, start, end)] = count
    return out


def run_until(topology: Any, config: dict[str, Any], bootstrap: str, topic: str,
              expected: dict[tuple[str, int, int], int]) -> None:
    app = StreamsApp(topology, config)
    app.start()
    try:
        wait_until(lambda: live_sessions(bootstrap, topic) == expected, 40,
                   f"sessions {expected}", interval=0.3)
        assert app.state == "RUNNING", app.error
    finally:
        assert app.close(30)


@pytest.mark.parametrize("with_redis", [True, False], ids=["from-redis-checkpoint", "from-changelog-only"])
def test_session_count_survives_a_restart(
    kafka_bootstrap: str, create_topic: Callable[..., str], app_id: str, redis_url: str,
    with_redis: bool,
) -> None:
    input_topic = create_topic("clicks", partitions=2)
    output_topic = create_topic("sessions", partitions=2)
    config: dict[str, Any] = {"application.id": app_id, "bootstrap.servers": kafka_bootstrap,
                              "commit.interval.ms": 200}
    if with_redis:
        config["riffle.redis.url"] = redis_url
    base = int(time.time() * 1000) - 60_000
    first = [("alice", base), ("bob", base + 10), ("alice", base + 50), ("carol", base + 60),
             ("alice", base + 300), ("bob", base + 400)]
    # after the restart: alice@+130 extends [+0,+50], then alice@+220 bridges it with
    # [+300,+300]; bob@+90 extends [+10,+10]; carol starts a second session
    second = [("alice", base + 130), ("bob", base + 90), ("alice", base + 220),
              ("carol", base + 500), ("alice", base + 330)]

    produce(kafka_bootstrap, input_topic, first)
    run_until(session_count(input_topic, output_topic), config, kafka_bootstrap, output_topic,
              sessionize(first))
    produce(kafka_bootstrap, input_topic, second)
    expected = sessionize(first + second)
    assert ("alice", base, base + 330) in expected  # the merge needs the restored store
    run_until(session_count(input_topic, output_topic), config, kafka_bootstrap, output_topic,
              expected)

    changelog = f"{app_id}-sessions-changelog"
    # Changelog keys use Kafka's SessionKeySchema: key, end, start
    keys = {(r.key[:-16].decode(), *struct.unpack(">qq", r.key[-16:])[::-1])
            for r in read_topic(kafka_bootstrap, changelog) if r.value is not None}
    assert set(expected) <= keys
