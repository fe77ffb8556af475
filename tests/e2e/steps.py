"""Steps several browser tests take on the live stack's studio."""

from __future__ import annotations

import re
from typing import Any


def log_in(page: Any, live_stack: Any, username: str | None = None, password: str | None = None) -> None:
    """Sign in, as the stack's demo user unless told otherwise, from the login page to
    the topology list."""
    page.goto(f"{live_stack.url}login/")
    page.locator('input[name="username"]').fill(username or live_stack.username)
    page.locator('input[name="password"]').fill(password or live_stack.password)
    page.locator('form [type="submit"]').click()
    page.wait_for_url(re.compile(r"/$"))


def deploy_example(page: Any, name: str) -> int:
    """Open the example topology `name`, deploy it with the dialog's defaults and wait
    until it runs; the deployment's id."""
    from playwright.sync_api import expect

    page.get_by_role("link", name=re.compile(name, re.I)).first.click()
    page.wait_for_url(re.compile(r"/topologies/\d+"))
    page.get_by_role("button", name=re.compile(r"^deploy", re.I)).click()
    page.get_by_test_id("deploy-submit").click()
    page.wait_for_url(re.compile(r"/deployments/\d+"), timeout=30_000)
    expect(page.get_by_test_id("deployment-state")).to_have_attribute("data-observed", "running", timeout=90_000)
    found = re.search(r"/deployments/(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))
