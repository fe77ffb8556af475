"""The dashboard's window-store queries and its stuck-rebalance warning, in the browser.

Deploy stock statistics (5 s windows advancing every 1 s), produce trades with chosen
timestamps, and fetch the windows of a ticker from the state browser: the windows shown
are those Kafka Streams' window store retains, each with the aggregate its hopping
windows give for those trades. Then a replica that reports REBALANCING for minutes with
nothing to restore raises the "rebalancing for …" warning, and clears it once it
reports RUNNING.
"""

from __future__ import annotations

import json
import random
import re
import string
import textwrap
import time
from typing import Any

import pytest

from tests.e2e.steps import deploy_example, log_in
from tests.e2e.wordcount import ensure_topic, wordcount_input_topic

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(600)]

STOCKS_INPUT = "stock-trades"
STORE = "trade-stats-store"
SIZE_MS, ADVANCE_MS = 5000, 1000   # the example's hopping windows
QUERY_TIMEOUT_S = 60


def hopping_windows(timestamp: int) -> list[int]:
    """Starts of the hopping windows holding `timestamp` (Kafka Streams'
    TimeWindows.windowsFor: aligned to the epoch, none starting before 0)."""
    first = max(0, timestamp - SIZE_MS + ADVANCE_MS) // ADVANCE_MS * ADVANCE_MS
    return list(range(first, timestamp + 1, ADVANCE_MS))


def expected_windows(trades: list[tuple[str, int, float]]) -> dict[tuple[str, int], dict[str, Any]]:
    """(ticker, window start) -> the example's aggregate (count, min, sum of prices)
    and the timestamp a timestamped window store keeps (the latest record's), for the
    windows the store still holds: its retention is size + grace (5 s; the example has
    no grace) behind the latest window start it has stored, and a fetch returns no
    window starting at or before that (Kafka Streams' window stores). The trades must
    give every ticker the same latest window start, so that the answer does not depend
    on which partition, and so which store, each ticker lands in."""
    windows: dict[tuple[str, int], dict[str, Any]] = {}
    for ticker, timestamp, price in trades:
        for start in hopping_windows(timestamp):
            slot = windows.setdefault((ticker, start), {"count": 0, "min": None, "sum": 0.0, "timestamp": timestamp})
            slot["count"] += 1
            slot["min"] = price if slot["min"] is None else min(slot["min"], price)
            slot["sum"] += price
            slot["timestamp"] = max(slot["timestamp"], timestamp)
    latest = {ticker: max(start for t, start in windows if t == ticker) for ticker, _ in windows}
    assert len(set(latest.values())) == 1, f"the tickers' latest windows differ: {latest}"
    observed = next(iter(latest.values()))
    return {window: value for window, value in windows.items() if window[1] > observed - SIZE_MS}


def produce_trades(bootstrap: str, trades: list[tuple[str, int, float]]) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for ticker, timestamp, price in trades:
        value = json.dumps({"ticker": ticker, "ts": timestamp, "price": price})
        producer.produce(STOCKS_INPUT, key=ticker.encode(), value=value.encode(), timestamp=timestamp)
    assert producer.flush(30) == 0, "not every trade was delivered"


def shown_windows(browser: Any) -> dict[tuple[str, int], dict[str, Any]]:
    """The state browser's entries: (key, window start) -> value and timestamp, read
    from the cells' titles (the full text; epoch ms for times)."""
    headers = browser.get_by_test_id("state-entries").locator("thead th").all_text_contents()
    rows = browser.get_by_test_id("state-entry").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.title))")
    shown: dict[tuple[str, int], dict[str, Any]] = {}
    for cells in rows:
        row = dict(zip(headers, cells, strict=True))
        start = int(row["Window start"].removesuffix(" ms"))
        assert int(row["Window end"].removesuffix(" ms")) == start + SIZE_MS, row
        shown[(row["Key"], start)] = {**json.loads(row["Value"]), "timestamp": int(row["Timestamp"].removesuffix(" ms"))}
    return shown


def fetch_until(page: Any, browser: Any, expected: dict[tuple[str, int], dict[str, Any]]) -> dict[tuple[str, int], Any]:
    """Press Fetch until the entries equal `expected` (the replicas process the trades
    meanwhile) or the time runs out; the last entries shown."""
    from playwright.sync_api import expect

    deadline = time.monotonic() + QUERY_TIMEOUT_S
    shown: dict[tuple[str, int], Any] = {}
    while time.monotonic() < deadline:
        browser.get_by_test_id("state-query-run").click()
        expect(browser.get_by_test_id("state-query-count")).to_be_visible(timeout=20_000)
        shown = shown_windows(browser) if browser.get_by_test_id("state-entry").count() else {}
        if shown == expected:
            break
        page.wait_for_timeout(1000)
    return shown


def stop(page: Any) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name=re.compile(r"^stop", re.I)).click()
    expect(page.get_by_test_id("deployment-state")).to_have_attribute("data-observed", "stopped", timeout=90_000)


def test_window_fetch_shows_each_hopping_window_of_a_ticker(page, live_stack, artifacts) -> None:
    from playwright.sync_api import expect

    ensure_topic(live_stack.kafka_bootstrap, STOCKS_INPUT)
    log_in(page, live_stack)
    deploy_example(page, "stock statistics")

    run = "".join(random.choices(string.ascii_uppercase, k=5))
    first, second = f"A{run}", f"B{run}"
    # Recent timestamps on whole seconds, so that the windows are easy to check and no
    # earlier record of the topic has advanced stream time past them.
    base = (int(time.time() * 1000) // 1000 - 30) * 1000
    trades = [(first, base + 200, 10.0), (second, base + 900, 50.0), (first, base + 1500, 12.5),
              (first, base + 3700, 9.0), (second, base + 3200, 48.0)]
    produce_trades(live_stack.kafka_bootstrap, trades)
    truth = expected_windows(trades)

    browser = page.get_by_test_id("state-browser")
    browser.get_by_test_id("state-store-select").select_option(STORE)
    # A window store has one query, the window fetch: its form is there at once.
    expect(browser.get_by_role("form", name=f"Window fetch on {STORE}")).to_be_visible()
    # Every window of one key, all times.
    browser.get_by_label("Key", exact=True).fill(first)
    of_first = {window: value for window, value in truth.items() if window[0] == first}
    shown = fetch_until(page, browser, of_first)
    artifacts.screenshot(page, "windows-of-a-key")
    assert shown == of_first
    # Its trades fall in windows starting base-4000 … base+3000; the store keeps those
    # starting after base+3000 - 5000.
    assert sorted(start - base for _, start in of_first) == [-1000, 0, 1000, 2000, 3000]
    starts = [int(t.removesuffix(" ms")) for t in browser.get_by_test_id("state-entry").evaluate_all(
        "rows => rows.map(r => r.cells[1].title)")]
    assert starts == sorted(starts), starts   # a key's windows in start order, as fetch(key, from, to)

    # Every key, windows starting in [base - 1000, base + 1000] (epoch ms typed as such).
    browser.get_by_label("Key", exact=True).fill("")
    browser.get_by_label("Windows starting from").fill(str(base - 1000))
    browser.get_by_label("to", exact=True).fill(str(base + 1000))
    in_range = {window: value for window, value in truth.items() if base - 1000 <= window[1] <= base + 1000}
    assert {ticker for ticker, _ in in_range} == {first, second}
    assert fetch_until(page, browser, in_range) == in_range
    expect(browser.get_by_test_id("state-query-count")).to_contain_text(f"{len(in_range)} entries")
    artifacts.screenshot(page, "windows-in-a-range")

    # A time that is neither a date nor a number is refused before any request.
    browser.get_by_label("Windows starting from").fill("yesterday-ish")
    browser.get_by_test_id("state-query-run").click()
    expect(browser.get_by_role("alert")).to_be_visible()
    expect(browser.get_by_label("Windows starting from")).to_have_attribute("aria-invalid", "true")
    stop(page)


def publish_replica_metrics(live_stack: Any, deployment_id: int, replica: int, state: str, since_ms: int) -> None:
    """Report a replica's metrics as a replica does: a snapshot built by the engine's
    aggregator, through the replica's MetricsPublisher, in a process of the stack's
    settings (its Redis and channel layer)."""
    live_stack.manage("shell", "-c", textwrap.dedent(f"""
        from runtime.exec.metrics import MetricsAggregator
        from studio.monitoring.publisher import MetricsPublisher
        snapshot = MetricsAggregator("riffle-test").snapshot({state!r}, [], state_since={since_ms})
        MetricsPublisher({deployment_id}, {replica})(snapshot)
    """))


def test_a_replica_rebalancing_for_minutes_raises_the_stuck_warning(page, live_stack, artifacts) -> None:
    from playwright.sync_api import expect

    ensure_topic(live_stack.kafka_bootstrap, wordcount_input_topic())
    log_in(page, live_stack)
    deployment_id = deploy_example(page, "word count")
    warning = page.get_by_test_id("rebalance-stuck")
    expect(warning).to_have_count(0)

    # A replica that entered REBALANCING 150 s ago, past the 120 s after which a group
    # with nothing to restore should long have settled.
    now_ms = int(time.time() * 1000)
    publish_replica_metrics(live_stack, deployment_id, 7, "REBALANCING", now_ms - 150_000)
    expect(warning).to_be_visible(timeout=15_000)
    expect(warning).to_contain_text(re.compile(r"Replica 7 rebalancing for 2\.[5-9] min, with no state to restore"))
    artifacts.screenshot(page, "stuck-rebalance")

    # One that has just begun rebalancing is normal: no warning for it.
    publish_replica_metrics(live_stack, deployment_id, 7, "REBALANCING", int(time.time() * 1000) - 5_000)
    expect(warning).to_have_count(0, timeout=15_000)
    publish_replica_metrics(live_stack, deployment_id, 7, "REBALANCING", int(time.time() * 1000) - 150_000)
    expect(warning).to_be_visible(timeout=15_000)
    # The group settles: the replica reports RUNNING and the warning goes.
    publish_replica_metrics(live_stack, deployment_id, 7, "RUNNING", int(time.time() * 1000))
    expect(warning).to_have_count(0, timeout=15_000)
    stop(page)
