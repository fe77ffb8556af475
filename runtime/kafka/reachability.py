"""Whether a client reaches the Kafka cluster, as librdkafka itself sees its broker
connections.

librdkafka retries a lost cluster forever and quietly: a consumer's poll just returns
nothing. An app that processes nothing because the brokers are gone must say so
(the dashboard shows "broker unreachable"), and say when they are back. The signals:

- the ``_ALL_BROKERS_DOWN`` error (error_cb): every broker connection is down;
- the statistics (stats_cb, every ``statistics.interval.ms``): the state of each broker
  connection; the cluster is reachable while one learned broker (node id >= 0; the
  bootstrap entries have -1) is ``UP``. This is what notices the way back.

Both callbacks run on the thread that polls the client; the snapshot is read by the
metrics publisher of the same thread, so no lock is needed beyond the GIL's atomic
attribute writes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import confluent_kafka

__all__ = ["STATISTICS_INTERVAL_MS", "BrokerReachability", "merge_reachability"]

# How soon the way back is noticed; a statistics document a second is cheap.
STATISTICS_INTERVAL_MS = 1000

_CONNECTION_ERRORS = frozenset({
    confluent_kafka.KafkaError._TRANSPORT,
    confluent_kafka.KafkaError._RESOLVE,
    confluent_kafka.KafkaError._ALL_BROKERS_DOWN,
})


class BrokerReachability:
    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        # None until librdkafka has said anything: "unknown", not "reachable".
        self.reachable: bool | None = None
        self.since_ms: int | None = None
        self.detail = ""

    def install(self, config: dict[str, Any]) -> dict[str, Any]:
        """``config`` with this object's callbacks added (chaining any already there)."""
        out = dict(config)
        previous_error, previous_stats = out.get("error_cb"), out.get("stats_cb")

        def on_error(error: Any) -> None:
            self.on_error(error)
            if previous_error is not None:
                previous_error(error)

        def on_stats(document: str) -> None:
            self.on_stats(document)
            if previous_stats is not None:
                previous_stats(document)

        out["error_cb"] = on_error
        out["stats_cb"] = on_stats
        # A user's own interval wins; 0 (off) would leave the way back unnoticed, so
        # it is replaced.
        if not int(out.get("statistics.interval.ms") or 0):
            out["statistics.interval.ms"] = STATISTICS_INTERVAL_MS
        return out

    def on_error(self, error: Any) -> None:
        code = error.code()
        if code not in _CONNECTION_ERRORS:
            return
        self.detail = error.str()
        if code == confluent_kafka.KafkaError._ALL_BROKERS_DOWN:
            self._set(False)

    def on_stats(self, document: str) -> None:
        try:
            brokers = json.loads(document).get("brokers") or {}
        except ValueError:
            return
        learned = [b for b in brokers.values() if isinstance(b, dict) and b.get("nodeid", -1) >= 0]
        if not learned:
            return  # only bootstrap entries so far: nothing known yet
        up = any(b.get("state") == "UP" for b in learned)
        if not up and not self.detail:
            states = sorted(f"{b.get('name', '?')} {b.get('state', '?')}" for b in learned)
            self.detail = "no broker connection is up: " + ", ".join(states)
        self._set(up)

    def _set(self, reachable: bool) -> None:
        if reachable == self.reachable:
            return
        self.reachable = reachable
        self.since_ms = int(self._clock() * 1000)
        if reachable:
            self.detail = ""

    def snapshot(self) -> dict[str, Any]:
        """``{"reachable": bool | None, "since": epoch ms of the last change, "detail"}``."""
        return {"reachable": self.reachable, "since": self.since_ms, "detail": self.detail}


def merge_reachability(parts: list[dict[str, Any] | None]) -> dict[str, Any]:
    """One app's view from its threads': unreachable if any thread's client is (since
    the earliest), reachable if any said so and none is unreachable, else unknown."""
    known = [p for p in parts if p and p.get("reachable") is not None]
    down = [p for p in known if p["reachable"] is False]
    if down:
        first = min(down, key=lambda p: p.get("since") or 0)
        return {"reachable": False, "since": first.get("since"), "detail": first.get("detail", "")}
    if known:
        latest = max(known, key=lambda p: p.get("since") or 0)
        return {"reachable": True, "since": latest.get("since"), "detail": ""}
    return {"reachable": None, "since": None, "detail": ""}
