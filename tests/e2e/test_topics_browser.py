"""The topic browser and the audit log, as a user does it: find a topic, produce a test
record into it, read it back from the start, and see the produce in the audit log; read
from a time and from an offset."""

from __future__ import annotations

import random
import re
import string
import time

import pytest

from tests.e2e.steps import log_in
from tests.e2e.wordcount import ensure_topic

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(600)]


def open_topic(page, live_stack, name_part: str) -> None:
    """Signed in, on the Topics page, the one topic whose name holds `name_part` open."""
    from playwright.sync_api import expect

    log_in(page, live_stack)
    page.get_by_role("link", name="Topics").click()
    page.wait_for_url(re.compile(r"/topics"))
    page.get_by_label("Filter topics by name").fill(name_part)
    rows = page.get_by_test_id("topic-list").locator("button[data-topic]")
    expect(rows).to_have_count(1, timeout=20_000)
    rows.first.click()


def test_produce_a_record_read_it_back_and_find_it_in_the_audit_log(page, live_stack, artifacts) -> None:
    from playwright.sync_api import expect

    run = "".join(random.choices(string.ascii_lowercase, k=6))
    topic = f"browse-{run}"
    ensure_topic(live_stack.kafka_bootstrap, topic)
    open_topic(page, live_stack, run)

    form = page.get_by_role("form", name="Produce a test record")
    form.get_by_label("Key", exact=True).fill(f"key-{run}")
    form.get_by_label("Value serde").select_option("string")
    form.get_by_label("Value", exact=True).fill(f"hello {run}")
    form.get_by_role("button", name="Produce").click()
    expect(page.get_by_test_id("produced")).to_be_visible(timeout=20_000)

    page.get_by_role("form", name="Read records").get_by_role("button", name="Read").click()
    record = page.get_by_test_id("topic-record")
    expect(record).to_have_count(1, timeout=20_000)
    expect(record).to_contain_text(f"key-{run}")
    expect(record).to_contain_text(f"hello {run}")
    artifacts.screenshot(page, "topic-record")

    page.get_by_role("link", name="Audit").click()
    page.wait_for_url(re.compile(r"/audit"))
    events = page.get_by_test_id("audit-event")
    expect(events.filter(has_text=topic).first).to_be_visible(timeout=20_000)
    artifacts.screenshot(page, "audit")
    assert [line for line in artifacts.console if line.startswith("[pageerror]")] == []


def test_read_from_a_time_and_from_an_offset(page, live_stack, artifacts) -> None:
    """Kafka's offsetsForTimes: reading from a time starts at the first record whose
    timestamp is at or after it; reading from an offset starts at that offset."""
    from confluent_kafka import Producer
    from playwright.sync_api import expect

    run = "".join(random.choices(string.ascii_lowercase, k=6))
    topic = f"times-{run}"
    ensure_topic(live_stack.kafka_bootstrap, topic)
    # Six records on partition 0, a minute apart, the first an hour ago.
    base = (int(time.time()) - 3600) * 1000
    producer = Producer({"bootstrap.servers": live_stack.kafka_bootstrap})
    for i in range(6):
        producer.produce(topic, key=f"k{i}-{run}".encode(), value=f"v{i}".encode(), partition=0,
                         timestamp=base + i * 60_000)
    assert producer.flush(30) == 0

    open_topic(page, live_stack, run)

    form = page.get_by_role("form", name="Read records")
    records = page.get_by_test_id("topic-record")

    # 2.5 minutes after the first record: the first at or after it is record 3.
    form.get_by_role("button", name="From a time").click()
    local = page.evaluate("ms => new Date(ms - new Date(ms).getTimezoneOffset() * 60000).toISOString().slice(0, 19)",
                          base + 150_000)
    form.get_by_label("From", exact=True).fill(local)
    form.get_by_role("button", name="Read", exact=True).click()
    expect(records).to_have_count(3, timeout=20_000)
    for i, record in enumerate(records.all(), start=3):
        expect(record).to_contain_text(f"k{i}-{run}")
    artifacts.screenshot(page, "records-from-a-time")

    form.get_by_role("button", name="From an offset").click()
    form.get_by_label("Partition").select_option("0")
    form.get_by_label("Offset").fill("4")
    form.get_by_role("button", name="Read", exact=True).click()
    expect(records).to_have_count(2, timeout=20_000)
    expect(records.nth(0)).to_contain_text(f"k4-{run}")
    expect(records.nth(1)).to_contain_text(f"k5-{run}")
    assert [line for line in artifacts.console if line.startswith("[pageerror]")] == []
