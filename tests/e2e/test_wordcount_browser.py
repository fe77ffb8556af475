"""Word count through every layer, as a user does it in the browser.

Log in, open "word count", see its graph, press Deploy, produce lines into its input
topic, and watch the dashboard's output records reach the counts that Kafka Streams'
WordCountDemo gives for those lines; see the live charts, scale to two replicas and
restart; then press Stop.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.e2e.wordcount import (
    EXAMPLE,
    OUTPUT_TIMEOUT_MS,
    ensure_topic,
    expected_counts,
    produce,
    run_lines,
    wait_for_counts,
    wordcount_input_topic,
    wordcount_output_topic,
)

# The first browser test also pays for starting the live stack (up to 4 minutes).
pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(600)]



def test_word_count_deploys_and_shows_live_counts(page, live_stack, artifacts) -> None:
    from playwright.sync_api import expect

    topic = wordcount_input_topic()
    output_topic = wordcount_output_topic()
    lines = run_lines()
    expected = expected_counts(lines)

    page.goto(f"{live_stack.url}login/")
    page.locator('input[name="username"]').fill(live_stack.username)
    page.locator('input[name="password"]').fill(live_stack.password)
    artifacts.screenshot(page, "login")
    page.locator('form [type="submit"]').click()
    page.wait_for_url(re.compile(r"/$"))

    page.get_by_role("link", name=re.compile("word count", re.I)).first.click()
    page.wait_for_url(re.compile(r"/topologies/\d+"))
    document = json.loads(EXAMPLE.read_text())
    # React Flow renders each node with data-id = the document's node id.
    for node in document["nodes"]:
        expect(page.locator(f'.react-flow__node[data-id="{node["id"]}"]')).to_be_visible(timeout=20_000)
    artifacts.screenshot(page, "graph")

    # The example generator is off in this stack: the input topic is the test's to create.
    ensure_topic(live_stack.kafka_bootstrap, topic)
    page.get_by_role("button", name=re.compile(r"^deploy", re.I)).click()
    # The deploy dialog: the studio's one connection is preselected; the defaults run it.
    page.get_by_test_id("deploy-submit").click()
    page.wait_for_url(re.compile(r"/deployments/\d+"), timeout=30_000)
    state = page.locator('[data-testid="deployment-state"]')
    expect(state).to_have_attribute("data-observed", "running", timeout=90_000)
    artifacts.screenshot(page, "deployed")

    produce(live_stack.kafka_bootstrap, topic, lines)

    shown = wait_for_counts(page, output_topic, expected)
    artifacts.screenshot(page, "counts")
    assert shown == dict(expected), (
        f"dashboard shows {shown}; expected {dict(expected)} within {OUTPUT_TIMEOUT_MS // 1000} s"
    )

    # The monitoring canvas: every edge (each the only way into its node) shows its rate,
    # and clicking a node shows the records it passes on, live.
    expect(page.get_by_test_id("edge-rate")).to_have_count(len(json.loads(EXAMPLE.read_text())["edges"]))
    page.locator('.react-flow__node[data-id="count-words"]').click()
    samples = page.get_by_test_id("node-samples")
    expect(samples).to_have_attribute("data-node", "count-words")
    rows = samples.get_by_test_id("node-sample")
    expect(rows.first).to_be_visible(timeout=30_000)
    # The count passes on table updates: {"new_value": n, "old_value": n - 1 or null}.
    seen = {key: json.loads(value)["new_value"]
            for key, value in rows.evaluate_all("rows => rows.map(r => [r.dataset.key, r.dataset.value])")}
    # Samples are a few records per second: some of this run's updates, none above the truth.
    assert seen.keys() & expected.keys(), seen
    assert all(0 < n <= expected[w] for w, n in seen.items() if w in expected), seen
    artifacts.screenshot(page, "node-samples")
    # An edge's records are those its source passes on: the split lines' words.
    page.get_by_test_id("rf__edge-e2").dispatch_event("click")
    expect(samples).to_have_attribute("data-node", "split-words")
    expect(rows.first).to_be_visible(timeout=30_000)
    split = rows.evaluate_all("rows => rows.map(r => r.dataset.value)")   # text values, as they are
    assert set(split) & set(expected), split

    # Interactive queries: the count store holds each word's count.
    browser = page.get_by_test_id("state-browser")
    word, count = next(iter(expected.items()))
    browser.get_by_label("Key", exact=True).fill(word)
    browser.get_by_test_id("state-query-run").click()
    entry = browser.get_by_test_id("state-entry")
    expect(entry).to_have_attribute("data-key", word, timeout=20_000)
    expect(entry).to_contain_text(str(count))
    browser.get_by_role("button", name="Range scan").click()
    browser.get_by_label("From key (inclusive)").fill(min(expected))
    browser.get_by_label("To key (inclusive)").fill(max(expected))
    browser.get_by_test_id("state-query-run").click()
    expect(browser.get_by_test_id("state-entry").filter(has_text=max(expected))).to_be_visible(timeout=20_000)
    keys = browser.get_by_test_id("state-entry").evaluate_all("rows => rows.map(r => r.dataset.key)")
    # The store's key order (serialized string keys), every word in the range included.
    assert set(expected) <= set(keys) and keys == sorted(keys), keys

    # A second tab (and so a reload) starts from the server's snapshot and sees the same.
    second = page.context.new_page()
    second.goto(page.url)
    expect(second.locator('[data-testid="deployment-state"]')).to_have_attribute(
        "data-observed", "running", timeout=30_000
    )
    assert wait_for_counts(second, output_topic, expected) == dict(expected)
    artifacts.screenshot(second, "second-tab")
    second.close()

    # The live charts are drawn, and their accessible names carry the latest values.
    expect(page.get_by_role("img", name=re.compile(r"^Records per second, latest: in \d"))).to_be_visible()
    # Scale and restart are desired state: the header follows the API's answer at once.
    page.get_by_test_id("scale-replicas").fill("2")
    page.get_by_role("button", name="Apply replica count").click()
    expect(page.get_by_test_id("desired-replicas")).to_have_attribute("data-replicas", "2", timeout=15_000)
    page.get_by_role("button", name="Restart deployment").click()
    page.get_by_role("button", name="Confirm restarting every replica").click()
    expect(page.get_by_text("generation 1")).to_be_visible(timeout=15_000)
    artifacts.screenshot(page, "scaled-restarted")

    page.get_by_role("button", name=re.compile(r"^stop", re.I)).click()
    expect(state).to_have_attribute("data-desired", "stopped", timeout=30_000)
    expect(state).to_have_attribute("data-observed", "stopped", timeout=90_000)
    artifacts.screenshot(page, "stopped")
