"""The broker unreachable for a while (issue 8): the app says so in its metrics, does
not fail, and when the broker is back it resumes and loses nothing.

A private development broker whose advertised address is a TcpProxy in front of it, so
that every connection of the app (bootstrap and the broker connections learned from
metadata) goes through the proxy; the test cuts it (connections reset, new ones
refused), as a network partition would, while the broker keeps its data. Word count
with a state store: the lines sent before, during (queued by their producer) and after
the outage must all be counted exactly: everything before the cut was committed, so
at_least_once has nothing to repeat.
"""

from __future__ import annotations

import os
import time

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from runtime.app import StreamsApp
from tests.runtime.kafka.helpers import (
    dsl_word_count,
    make_lines,
    produce_lines,
    wait_for_output,
    wait_until,
    word_counts,
)
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.reliability, pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]

OUTAGE_S = float(os.environ.get("RIFFLE_OUTAGE_S", "10"))


def _create(bootstrap: str, *names: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    for future in admin.create_topics([NewTopic(n, num_partitions=2, replication_factor=1) for n in names]).values():
        future.result(timeout=15)


def test_an_unreachable_broker_is_reported_and_the_app_resumes_losing_nothing(
        proxied_broker: tuple[str, TcpProxy]) -> None:
    bootstrap, proxy = proxied_broker
    assert bootstrap == proxy.address
    _create(bootstrap, "lines", "counts")
    before, during, after = make_lines(300, seed=1), make_lines(300, seed=2), make_lines(300, seed=3)
    app = StreamsApp(dsl_word_count("lines", "counts"), {
        "application.id": "outage-wc", "bootstrap.servers": bootstrap, "commit.interval.ms": 200})
    app.start()
    try:
        produce_lines(bootstrap, "lines", before)
        wait_for_output(bootstrap, "counts", dict(word_counts(before)))
        broker = wait_until(lambda: (b := app.metrics()["broker"])["reachable"] is True and b, 20,
                            "the metrics to say the broker is reachable")
        assert broker["detail"] == ""

        # A producer already connected keeps the lines sent during the outage in its
        # queue, and delivers them when the broker is back.
        producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
        producer.list_topics(timeout=10)
        proxy.cut()
        cut_at = time.time()
        for line in during:
            producer.produce("lines", value=line.encode())
        producer.poll(0)
        down = wait_until(lambda: (b := app.metrics()["broker"])["reachable"] is False and b, 30,
                          "the metrics to say the broker is unreachable")
        noticed_s = time.time() - cut_at
        assert down["since"] / 1000 >= cut_at - 1, down
        assert down["detail"], down
        remaining = OUTAGE_S - (time.time() - cut_at)
        if remaining > 0:
            time.sleep(remaining)
        # Still unreachable, and the app has not given up: no crash, no ERROR.
        assert app.metrics()["broker"]["reachable"] is False
        assert app.state in ("RUNNING", "REBALANCING"), (app.state, app.error)

        proxy.restore()
        restored_at = time.time()
        wait_until(lambda: app.metrics()["broker"]["reachable"] is True, 60,
                   "the metrics to say the broker is reachable again")
        back_s = time.time() - restored_at
        assert producer.flush(60) == 0, "the lines queued during the outage were not delivered"
        produce_lines(bootstrap, "lines", after)
        wait_for_output(bootstrap, "counts", dict(word_counts(before + during + after)), timeout=90)
        counted_s = time.time() - restored_at
        assert app.state in ("RUNNING", "REBALANCING"), (app.state, app.error)
    finally:
        app.close()
    print(f"\nbroker cut for {OUTAGE_S:.0f} s: reported unreachable {noticed_s:.1f} s after the cut "
          f"({down['detail']!r}); reachable again {back_s:.1f} s after the restore; every line counted "
          f"{counted_s:.1f} s after it; proxy connections {proxy.accepted}")
