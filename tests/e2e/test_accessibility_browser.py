"""Accessibility of every page, checked by axe-core (the library browsers' own audits use)
in headless Chromium: no serious or critical violation (names of controls, contrast,
ARIA use, labels) on the lists, the editor with its panels and dialogs, the dashboard,
the topic browser and the audit log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.e2e.steps import log_in
from tests.e2e.wordcount import ensure_topic, wordcount_input_topic

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(600)]

AXE = Path(__file__).resolve().parents[2] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
RUN = """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
  .filter(v => v.impact === "serious" || v.impact === "critical")
  .map(v => `${v.id} (${v.impact}): ${v.help}; ` + v.nodes.slice(0, 5).map(n => n.target.join(" ")).join(" | "))"""


def violations(page: object) -> list[str]:
    page.add_script_tag(path=str(AXE))  # type: ignore[attr-defined]
    return page.evaluate(RUN)  # type: ignore[attr-defined,no-any-return]


def test_no_serious_accessibility_violations(page, live_stack, artifacts) -> None:
    from playwright.sync_api import expect

    found: dict[str, list[str]] = {}
    log_in(page, live_stack)
    expect(page.get_by_test_id("topology-list")).to_be_visible()
    found["topologies"] = violations(page)

    page.get_by_role("link", name=re.compile("word count", re.I)).first.click()
    expect(page.locator(".react-flow__node")).to_have_count(8, timeout=20_000)
    page.locator('.react-flow__node[data-id="split-words"] .flow-node__label').click()
    expect(page.get_by_test_id("properties")).to_be_visible()
    page.locator(".cm-editor").first.wait_for(timeout=20_000)
    found["editor, properties"] = violations(page)
    for tab in ("Problems", "Try it", "Versions", "Deployments"):
        page.get_by_role("tab", name=re.compile(f"^{tab}")).click()
        found[f"editor, {tab}"] = violations(page)
    page.get_by_role("button", name=re.compile(r"^deploy", re.I)).click()
    expect(page.get_by_test_id("deploy-submit")).to_be_visible()
    found["deploy dialog"] = violations(page)

    ensure_topic(live_stack.kafka_bootstrap, wordcount_input_topic())
    page.get_by_test_id("deploy-submit").click()
    page.wait_for_url(re.compile(r"/deployments/\d+"), timeout=30_000)
    expect(page.get_by_test_id("deployment-state")).to_have_attribute("data-observed", "running", timeout=90_000)
    found["dashboard"] = violations(page)
    page.get_by_test_id("reprocess-open").click()
    found["reprocess dialog"] = violations(page)
    page.keyboard.press("Escape")
    page.get_by_role("button", name=re.compile("^stop", re.I)).click()

    for name in ("Topics", "Audit"):
        page.get_by_role("link", name=name).click()
        page.wait_for_load_state("networkidle")
        found[name.lower()] = violations(page)
    artifacts.screenshot(page, "last-page")
    bad = {where: v for where, v in found.items() if v}
    assert not bad, "\n".join(f"{where}: {v}" for where, vs in bad.items() for v in vs)
