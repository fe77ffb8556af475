"""Reprocessing from the dashboard, as a user does it.

Deploy word count, produce lines and see the counts; then reset and replay (dry run,
typed confirmation) and see the counts rebuilt from an empty store rather than added
to; then run the same version side by side from the earliest offsets, wait until the
candidate has caught up and its output equals the live one, and promote it.
"""

from __future__ import annotations


import pytest

from tests.e2e.wordcount import (
    ensure_topic,
    expected_counts,
    produce,
    run_lines,
    wait_for_counts,
    wordcount_input_topic,
    wordcount_output_topic,
)
from tests.e2e.steps import deploy_example, log_in

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(900)]


def test_reset_rebuilds_the_counts_and_a_side_by_side_candidate_is_promoted(page, live_stack, artifacts) -> None:
    from playwright.sync_api import expect

    topic, output_topic = wordcount_input_topic(), wordcount_output_topic()
    ensure_topic(live_stack.kafka_bootstrap, topic)
    lines = run_lines()
    expected = expected_counts(lines)

    log_in(page, live_stack)
    deploy_example(page, "word count")
    first_dashboard = page.url
    state = page.get_by_test_id("deployment-state")
    produce(live_stack.kafka_bootstrap, topic, lines)
    assert wait_for_counts(page, output_topic, expected) == dict(expected)
    artifacts.screenshot(page, "counted")

    # Reset and replay from the earliest offsets.
    page.get_by_test_id("reprocess-open").click()
    dialog = page.get_by_test_id("reprocess-dialog")
    dialog.get_by_role("button", name="Reset and replay").click()
    dialog.get_by_test_id("reset-preview-button").click()
    expect(dialog.get_by_test_id("reset-plan-offsets")).to_be_visible(timeout=30_000)
    artifacts.screenshot(page, "reset-dry-run")
    # The confirmation asks for the application id, which the dialog prints beside it.
    application_id = dialog.locator("label", has=page.get_by_test_id("reset-confirm-text")).locator("code").inner_text()
    dialog.get_by_test_id("reset-confirm-text").fill(application_id)
    dialog.get_by_test_id("reset-confirm-tick").check()
    dialog.get_by_test_id("reset-confirm").click()
    expect(dialog.get_by_test_id("reprocess-operation")).to_have_attribute("data-state", "done", timeout=180_000)
    artifacts.screenshot(page, "reset-done")
    dialog.get_by_role("button", name="Close").first.click()
    expect(state).to_have_attribute("data-observed", "running", timeout=120_000)

    # Rebuilt: the reset emptied the count store (changelog deleted, checkpoints wiped), so
    # each word is found again only once the replay has counted it, and at the truth: a
    # replay counting on top of the old state would give twice as much.
    browser = page.get_by_test_id("state-browser")
    for word, count in expected.items():
        browser.get_by_label("Key", exact=True).fill(word)
        shown = None
        for _ in range(60):
            browser.get_by_test_id("state-query-run").click()
            page.wait_for_timeout(1000)
            entry = browser.get_by_test_id("state-entry")
            if entry.count() == 1:
                shown = entry.locator("td").nth(1).inner_text().strip()
                if shown == str(count):
                    break
        assert shown == str(count), f"{word}: the store shows {shown!r}, the truth is {count}"
    artifacts.screenshot(page, "rebuilt")
    assert wait_for_counts(page, output_topic, expected) == dict(expected)

    # Side by side: the same version from the earliest offsets, then promote it.
    page.get_by_test_id("reprocess-open").click()
    dialog.get_by_role("button", name="Side by side").click()
    dialog.get_by_test_id("side-by-side-start").click()
    expect(dialog.get_by_test_id("side-by-side-started")).to_be_visible(timeout=30_000)
    dialog.get_by_role("button", name="Close").first.click()
    panel = page.get_by_test_id("reprocess-panel")
    expect(panel.get_by_test_id("catch-up-total")).to_have_attribute("data-caught-up", "true", timeout=240_000)
    row = panel.locator(f'[data-testid="comparison-table"] tr[data-sink="{output_topic}"]')
    for _ in range(30):
        panel.get_by_role("button", name="Refresh").click()
        page.wait_for_timeout(2000)
        if row.count() and row.get_attribute("data-differing") == "0" and int(row.get_attribute("data-equal") or 0) >= len(expected):
            break
    assert row.get_attribute("data-differing") == "0", row.inner_text()
    assert int(row.get_attribute("data-equal") or 0) >= len(expected), row.inner_text()
    artifacts.screenshot(page, "candidate-caught-up")
    panel.get_by_test_id("reprocess-promote").click()
    page.get_by_test_id("promote-dialog").get_by_test_id("promote-confirm").click()
    page.wait_for_url(lambda url: url != first_dashboard and "/deployments/" in url, timeout=60_000)
    expect(page.get_by_test_id("deployment-state")).to_have_attribute("data-observed", "running", timeout=90_000)
    artifacts.screenshot(page, "promoted")
    errors = [line for line in artifacts.console if line.startswith("[pageerror]")]
    assert errors == [], errors
