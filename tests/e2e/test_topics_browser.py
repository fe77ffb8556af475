"""The topic browser and the audit log, as a user does it: find a topic, produce a test
record into it, read it back from the start, and see the produce in the audit log."""

from __future__ import annotations

import random
import re
import string

import pytest

from tests.e2e.test_editor_browser import log_in
from tests.e2e.wordcount import ensure_topic

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(600)]


def test_produce_a_record_read_it_back_and_find_it_in_the_audit_log(page, live_stack, artifacts) -> None:
    from playwright.sync_api import expect

    run = "".join(random.choices(string.ascii_lowercase, k=6))
    topic = f"browse-{run}"
    ensure_topic(live_stack.kafka_bootstrap, topic)
    log_in(page, live_stack)
    page.get_by_role("link", name="Topics").click()
    page.wait_for_url(re.compile(r"/topics"))
    page.get_by_label("Filter topics by name").fill(run)
    rows = page.get_by_test_id("topic-list").locator("button[data-topic]")
    expect(rows).to_have_count(1, timeout=20_000)
    rows.first.click()

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
