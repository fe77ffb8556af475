"""Word count through every layer, as a user does it in the browser.

Log in, open "word count", see its graph, press Deploy, produce lines into its input
topic, and watch the dashboard's output records reach the counts that Kafka Streams'
WordCountDemo gives for those lines; see the live charts, scale to two replicas and
restart; then press Stop.
"""

from __future__ import annotations

import json
import random
import re
import string
import time
from collections import Counter
from pathlib import Path

import pytest

# The first browser test also pays for starting the live stack (up to 4 minutes).
pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(600)]

EXAMPLE = Path(__file__).resolve().parents[2] / "runtime" / "spec" / "examples" / "wordcount.json"
OUTPUT_TIMEOUT_MS = 60_000


def wordcount_input_topic() -> str:
    document = json.loads(EXAMPLE.read_text())
    sources = [node for node in document["nodes"] if node["type"].startswith("source.")]
    assert len(sources) == 1, "word count has one source"
    return sources[0]["params"]["topics"][0]


def run_lines() -> list[str]:
    # Words of this run only: a topic on a long-lived Kafka may hold earlier runs' lines
    # and the application's state may be older than this test.
    run = "".join(random.choices(string.ascii_lowercase, k=6))
    stream, table, join = f"stream{run}", f"table{run}", f"join{run}"
    return [
        f"{stream} {table} {stream}",
        f"{join} {stream}",
        # Upper case and punctuation, and a leading separator (an empty first word).
        f"  {table.upper()}, {join}!  {stream}",
    ]


def expected_counts(lines: list[str]) -> Counter[str]:
    # WordCountDemo: lower-case the line and split on runs of non-word characters.
    counts: Counter[str] = Counter()
    for line in lines:
        counts.update(word for word in re.split(r"\W+", line.lower()) if word)
    return counts


def produce(bootstrap: str, topic: str, lines: list[str]) -> None:
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    for line in lines:
        producer.produce(topic, value=line.encode())
    assert producer.flush(30) == 0, "not every line was delivered"


def ensure_topic(bootstrap: str, topic: str) -> None:
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    if topic in admin.list_topics(timeout=10).topics:
        return
    try:
        admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result(timeout=15)
    except KafkaException as exc:
        if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
            raise


def wordcount_output_topic() -> str:
    document = json.loads(EXAMPLE.read_text())
    sinks = [node for node in document["nodes"] if node["type"].startswith("sink.")]
    assert len(sinks) == 1, "word count has one sink"
    return sinks[0]["params"]["topic"]


def output_counts(page: object, topic: str) -> dict[str, int]:
    """The highest count the dashboard shows per word on `topic` (counts only grow)."""
    rows = page.locator('[data-testid="output-records"] [data-testid="output-record"]')  # type: ignore[attr-defined]
    script = "rows => rows.map(r => [r.dataset.key, r.dataset.value, r.cells[2].textContent.trim()])"
    shown: dict[str, int] = {}
    for key, value, row_topic in rows.evaluate_all(script):
        # Only the output topic's records count, should other topics' samples be shown.
        if row_topic == topic and value is not None and value.lstrip("-").isdigit():
            shown[key] = max(shown.get(key, 0), int(value))
    return shown


def wait_for_counts(page: object, topic: str, expected: Counter[str]) -> dict[str, int]:
    deadline = time.monotonic() + OUTPUT_TIMEOUT_MS / 1000
    shown: dict[str, int] = {}
    while time.monotonic() < deadline:
        shown = output_counts(page, topic)
        if all(shown.get(word) == count for word, count in expected.items()):
            break
        page.wait_for_timeout(500)  # type: ignore[attr-defined]
    return {word: shown.get(word) for word in expected}  # type: ignore[misc]


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
