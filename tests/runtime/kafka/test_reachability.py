"""BrokerReachability: librdkafka's error and statistics callbacks turned into "the
broker is (un)reachable, since when, why", and merged across an app's threads."""

from __future__ import annotations

import json
from typing import Any

import confluent_kafka

from runtime.kafka.reachability import STATISTICS_INTERVAL_MS, BrokerReachability, merge_reachability


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def stats(*states: tuple[int, str]) -> str:
    """A statistics document with broker connections (node id, state); -1 is a
    bootstrap entry, as librdkafka names them."""
    return json.dumps({"brokers": {f"b{i}:9092/{node}": {"name": f"b{i}:9092/{node}", "nodeid": node, "state": state}
                                   for i, (node, state) in enumerate(states)}})


def error(code: int, text: str) -> Any:
    return confluent_kafka.KafkaError(code, text)


def test_unknown_until_a_learned_broker_is_seen() -> None:
    watch = BrokerReachability(Clock())
    assert watch.snapshot() == {"reachable": None, "since": None, "detail": ""}
    watch.on_stats(stats((-1, "UP")))            # a bootstrap connection says nothing yet
    assert watch.reachable is None
    watch.on_stats(stats((-1, "UP"), (1, "UP")))
    assert watch.snapshot() == {"reachable": True, "since": 100_000, "detail": ""}


def test_all_brokers_down_then_back_through_the_statistics() -> None:
    clock = Clock()
    watch = BrokerReachability(clock)
    watch.on_stats(stats((1, "UP"), (2, "UP")))
    clock.now = 110.0
    watch.on_error(error(confluent_kafka.KafkaError._TRANSPORT, "b1:9092/1: Disconnected"))
    assert watch.reachable is True               # one connection lost is not an outage
    watch.on_error(error(confluent_kafka.KafkaError._ALL_BROKERS_DOWN, "2/2 brokers are down"))
    assert watch.snapshot() == {"reachable": False, "since": 110_000, "detail": "2/2 brokers are down"}
    clock.now = 115.0
    watch.on_stats(stats((1, "CONNECT"), (2, "DOWN")))
    assert watch.snapshot()["since"] == 110_000  # still the same outage
    clock.now = 140.0
    watch.on_stats(stats((1, "CONNECT"), (2, "UP")))
    assert watch.snapshot() == {"reachable": True, "since": 140_000, "detail": ""}


def test_statistics_alone_notice_an_outage_and_describe_it() -> None:
    watch = BrokerReachability(Clock())
    watch.on_stats(stats((1, "UP")))
    watch.on_stats(stats((-1, "INIT"), (1, "TRY_CONNECT")))
    snapshot = watch.snapshot()
    assert snapshot["reachable"] is False
    assert "b1:9092/1 TRY_CONNECT" in snapshot["detail"]


def test_other_errors_and_broken_statistics_change_nothing() -> None:
    watch = BrokerReachability(Clock())
    watch.on_stats(stats((1, "UP")))
    watch.on_error(error(confluent_kafka.KafkaError.TOPIC_AUTHORIZATION_FAILED, "not allowed"))
    watch.on_stats("{not json")
    assert watch.snapshot() == {"reachable": True, "since": 100_000, "detail": ""}


def test_install_chains_the_callbacks_already_configured() -> None:
    seen: list[Any] = []
    config = BrokerReachability().install({"bootstrap.servers": "x", "error_cb": seen.append,
                                           "stats_cb": seen.append, "statistics.interval.ms": 0})
    assert config["statistics.interval.ms"] == STATISTICS_INTERVAL_MS   # 0 would never notice the way back
    config["stats_cb"](stats((1, "UP")))
    config["error_cb"](error(confluent_kafka.KafkaError._ALL_BROKERS_DOWN, "down"))
    assert len(seen) == 2
    assert BrokerReachability().install({"statistics.interval.ms": 5000})["statistics.interval.ms"] == 5000


def test_merged_across_threads_any_cut_off_thread_makes_the_app_unreachable() -> None:
    up = {"reachable": True, "since": 5, "detail": ""}
    assert merge_reachability([]) == {"reachable": None, "since": None, "detail": ""}
    assert merge_reachability([None, up]) == up
    down_late = {"reachable": False, "since": 9, "detail": "late"}
    down_early = {"reachable": False, "since": 7, "detail": "early"}
    assert merge_reachability([up, down_late, down_early]) == down_early
