"""Interactive queries through the API: a real replica (in-process, real broker, Redis and
database) answers key lookups, ranges and window fetches of its state stores over Redis;
the values are worked out by hand from the input."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
from confluent_kafka import Producer
from django.test import Client

from studio.connections.models import Connection
from studio.deployments import heartbeats, queries
from studio.deployments.models import Deployment, Replica
from studio.monitoring import keys
from studio.topologies.examples import example_document
from studio.topologies.models import Topology
from studio.workspaces.models import Workspace
from tests.studio.deployments.test_run_replica import LINES
from tests.studio.helpers import ReplicaThread, with_topics

pytestmark = [pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow,
              pytest.mark.django_db(transaction=True)]


def _until(api: Client, url: str, check: Callable[[Any], bool], timeout: float = 60) -> Any:
    """GET ``url`` until it answers 200 and ``check(body)``; fail with the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        response = api.get(url)
        if response.status_code == 200 and check(response.json()):
            return response.json()
        assert time.monotonic() < deadline, (response.status_code, response.json())
        time.sleep(0.3)


@pytest.fixture
def cleanup(studio_redis: redis.Redis) -> Iterator[list[Deployment]]:
    made: list[Deployment] = []
    yield made
    for deployment in made:
        stale = list(studio_redis.scan_iter(match=f"riffle:ckpt:{deployment.application_id}:*"))
        if stale:
            studio_redis.delete(*stale)


def test_word_counts_are_looked_up_and_ranged_through_the_api(
    broker_connection: Connection,
    team: Workspace,
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
    studio_redis: redis.Redis, celery_queues: Any, settings: Any, alice: Any, api: Client,
    wordcount_document: dict[str, Any], cleanup: list[Deployment],
) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    lines, counts = create_topic("lines", partitions=2), create_topic("counts", partitions=2)
    version = Topology.objects.create(workspace=team, name=unique_name("wc")).add_version(with_topics(wordcount_document, lines, counts))
    deployment = Deployment.create_running(version, connection=broker_connection, actor=alice, application_id=unique_name("wc-iq"))
    cleanup.append(deployment)
    base = f"/api/deployments/{deployment.pk}/stores/"

    listed = api.get(base)
    assert listed.status_code == 200
    assert listed.json() == {"deployment": deployment.pk, "stores": [
        {"name": "counts-store", "kind": "key-value", "timestamped": True,
         "key_serde": "string", "value_serde": "long"}]}
    # no replica yet
    assert api.get(f"{base}counts-store/?key=kafka").status_code == 409

    replica = Replica.objects.create(deployment=deployment, index=0, celery_task_id="in-process")
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for i, line in enumerate(LINES):
        producer.produce(lines, key=str(i).encode(), value=line.encode(), timestamp=1_000 + i)
    producer.flush(10)
    thread = ReplicaThread(replica.pk)
    thread.start()
    try:
        # "all streams lead to kafka", "hello kafka streams", "join kafka summit"
        found = _until(api, f"{base}counts-store/?key=kafka", lambda b: b["found"] and b["entry"]["value"] == 3)
        assert found == {"store": "counts-store", "kind": "key-value", "found": True,
                         "entry": {"key": "kafka", "value": 3, "timestamp": 1_002}}
        missing = api.get(f"{base}counts-store/?key=nope").json()
        assert missing == {"store": "counts-store", "kind": "key-value", "found": False, "entry": None}

        ranged = _until(api, f"{base}counts-store/?from=j&to=lead", lambda b: len(b["entries"]) == 3)
        assert ranged["entries"] == [{"key": "join", "value": 1, "timestamp": 1_002},
                                     {"key": "kafka", "value": 3, "timestamp": 1_002},
                                     {"key": "lead", "value": 1, "timestamp": 1_000}]
        assert ranged["truncated"] is False
        everything = api.get(f"{base}counts-store/?limit=100").json()
        assert [(e["key"], e["value"]) for e in everything["entries"]] == sorted(
            {"all": 1, "streams": 2, "lead": 1, "to": 1, "kafka": 3, "hello": 1, "join": 1, "summit": 1}.items())
        first = api.get(f"{base}counts-store/?limit=2").json()
        assert [e["key"] for e in first["entries"]] == ["all", "hello"] and first["truncated"] is True

        unknown = api.get(f"{base}no-such-store/?key=x")
        assert unknown.status_code == 404 and "counts-store" in unknown.json()["message"]
        assert api.get(f"{base}counts-store/?limit=0").status_code == 400
    finally:
        deployment.stop(actor=alice)
        thread.join(timeout=45)
    assert thread.outcome == ["stopped"]
    stopped = api.get(f"{base}counts-store/?key=kafka")
    assert stopped.status_code == 409 and "not running" in stopped.json()["message"]
    assert studio_redis.exists(keys.query_requests(replica.pk)) == 0


def test_window_aggregates_are_fetched_by_key_and_time_through_the_api(
    broker_connection: Connection,
    team: Workspace,
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
    studio_redis: redis.Redis, celery_queues: Any, settings: Any, alice: Any, api: Client,
    cleanup: list[Deployment],
) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    trades, stats = create_topic("trades", partitions=2), create_topic("stats", partitions=2)
    version = Topology.objects.create(workspace=team, name=unique_name("stocks")).add_version(
        with_topics(example_document("stocks"), trades, stats))
    deployment = Deployment.create_running(version, connection=broker_connection, actor=alice, application_id=unique_name("stocks-iq"))
    cleanup.append(deployment)
    replica = Replica.objects.create(deployment=deployment, index=0, celery_task_id="in-process")
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for ticker, price, ts in [("ACME", 10, 1_000), ("BOLT", 5, 1_500), ("ACME", 20, 2_500)]:
        producer.produce(trades, key=ticker.encode(), value=json.dumps({"ticker": ticker, "price": price}).encode(),
                         timestamp=ts)
    producer.flush(10)
    thread = ReplicaThread(replica.pk)
    thread.start()
    base = f"/api/deployments/{deployment.pk}/stores/trade-stats-store/"
    try:
        # 5 s windows advancing by 1 s: the trade at 1000 is in the windows starting at
        # 0 and 1000, the one at 2500 in those at 0, 1000 and 2000.
        body = _until(api, f"{base}?key=ACME&time_from=0&time_to=2000", lambda b: len(b["entries"]) == 3)
        assert body["kind"] == "window"
        assert [(e["start"], e["end"], e["value"]) for e in body["entries"]] == [
            (0, 5_000, {"count": 2, "min": 10, "sum": 30.0}),
            (1_000, 6_000, {"count": 2, "min": 10, "sum": 30.0}),
            (2_000, 7_000, {"count": 1, "min": 20, "sum": 20.0}),
        ]
        assert [e["timestamp"] for e in body["entries"]] == [2_500, 2_500, 2_500]
        one_window = api.get(f"{base}?time_from=1000&time_to=1000").json()
        assert [(e["key"], e["value"]["count"]) for e in one_window["entries"]] == [("ACME", 2), ("BOLT", 1)]
        assert api.get(f"{base}?key=BOLT&time_from=2000&time_to=9000").json()["entries"] == []
    finally:
        deployment.stop(actor=alice)
        thread.join(timeout=45)
    assert thread.outcome == ["stopped"]


def test_a_replica_that_does_not_answer_is_named_in_a_504(
    broker_connection: Connection,
    studio_redis: redis.Redis, celery_queues: Any, alice: Any, api: Client, monkeypatch: Any,
    wordcount_v1: Any, unique_name: Callable[[str], str],
) -> None:
    deployment = Deployment.create_running(wordcount_v1, connection=broker_connection, actor=alice, application_id=unique_name("wc-silent"))
    replica = Replica.objects.create(deployment=deployment, index=0, state="running")
    # a live heartbeat, but no query server reads its requests
    heartbeats.beat(replica.pk, task_id="t", state="RUNNING", ready=True, tasks=[])
    monkeypatch.setattr(queries, "QUERY_TIMEOUT_S", 0.5)
    started = time.monotonic()
    response = api.get(f"/api/deployments/{deployment.pk}/stores/counts-store/?key=kafka")
    assert response.status_code == 504
    assert f"Replica {replica.pk} did not answer within 0.5 s" in response.json()["message"]
    assert time.monotonic() - started < 3
    assert studio_redis.llen(keys.query_requests(replica.pk)) == 1   # expires (QUERY_REQUESTS_TTL_S)
    assert 0 < studio_redis.ttl(keys.query_requests(replica.pk)) <= keys.QUERY_REQUESTS_TTL_S


def _session_document(source: str) -> dict[str, Any]:
    nodes = [
        {"id": "trades", "type": "source.stream", "params": {"topics": [source], "key_serde": "string",
                                                              "value_serde": "json"}},
        {"id": "by-ticker", "type": "stream.group_by",
         "params": {"key": 'value["ticker"]', "key_serde": "string", "value_serde": "json"}},
        {"id": "bursts", "type": "grouped.windowed_by", "params": {"window": "session", "gap_ms": 1_000,
                                                                   "grace_ms": 60_000}},
        {"id": "count", "type": "windowed.count", "params": {"store": "bursts-store"}},
    ]
    chain = ["trades", "by-ticker", "bursts", "count"]
    return {"format_version": 1, "name": "bursts",
            "settings": {"default_key_serde": "string", "default_value_serde": "json"}, "nodes": nodes,
            "edges": [{"id": f"e{i}", "source": a, "target": b} for i, (a, b) in enumerate(zip(chain, chain[1:]))]}


def test_sessions_are_fetched_by_key_through_the_api(
    broker_connection: Connection,
    team: Workspace,
    kafka_bootstrap: str, create_topic: Callable[..., str], unique_name: Callable[[str], str],
    studio_redis: redis.Redis, celery_queues: Any, settings: Any, alice: Any, api: Client,
    cleanup: list[Deployment],
) -> None:
    settings.KAFKA_BOOTSTRAP_SERVERS = kafka_bootstrap
    trades = create_topic("trades", partitions=2)
    version = Topology.objects.create(workspace=team, name=unique_name("bursts")).add_version(_session_document(trades))
    deployment = Deployment.create_running(version, connection=broker_connection, actor=alice, application_id=unique_name("bursts-iq"))
    cleanup.append(deployment)
    replica = Replica.objects.create(deployment=deployment, index=0, celery_task_id="in-process")
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for ticker, ts in [("ACME", 1_000), ("BOLT", 1_200), ("ACME", 1_500), ("ACME", 3_000)]:
        producer.produce(trades, key=ticker.encode(), value=json.dumps({"ticker": ticker}).encode(), timestamp=ts)
    producer.flush(10)
    thread = ReplicaThread(replica.pk)
    thread.start()
    base = f"/api/deployments/{deployment.pk}/stores/bursts-store/"
    try:
        # gap 1 s: ACME's 1000 and 1500 are one session; 3000 starts another
        body = _until(api, f"{base}?key=ACME", lambda b: len(b["entries"]) == 2)
        assert body["kind"] == "session"
        assert [(e["key"], e["start"], e["end"], e["value"]) for e in body["entries"]] == [
            ("ACME", 1_000, 1_500, 2), ("ACME", 3_000, 3_000, 1)]
        assert api.get(f"{base}?key=BOLT").json()["entries"][0]["value"] == 1
        no_key = api.get(base)
        assert no_key.status_code == 400 and "by key" in no_key.json()["message"]
    finally:
        deployment.stop(actor=alice)
        thread.join(timeout=45)
    assert thread.outcome == ["stopped"]
