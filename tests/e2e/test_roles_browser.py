"""A viewer of the Demo workspace sees everything and can change nothing: each control
their role may not use is disabled and says which role it needs (issue 7's role-aware
UI). The API refuses the same actions (tests/studio/workspaces/test_access_matrix.py);
this checks what the browser shows.
"""

from __future__ import annotations

import re
import secrets

import pytest

from tests.e2e.steps import log_in

pytestmark = [pytest.mark.browser, pytest.mark.kafka, pytest.mark.redis, pytest.mark.slow, pytest.mark.timeout(600)]

ADD_MEMBER = """
import os
from django.contrib.auth.models import User
from studio.workspaces.models import Membership, Workspace
user = User.objects.create_user(os.environ["E2E_USER"], password=os.environ["E2E_PASSWORD"])
Membership.objects.create(workspace=Workspace.objects.get(slug="demo"), user=user, role=os.environ["E2E_ROLE"])
"""


def test_a_viewer_sees_disabled_controls_with_the_role_they_need(page, live_stack, artifacts) -> None:
    from playwright.sync_api import expect

    username, password = f"viewer-{secrets.token_hex(3)}", secrets.token_urlsafe(12)
    live_stack.manage("shell", "-c", ADD_MEMBER,
                      extra_env={"E2E_USER": username, "E2E_PASSWORD": password, "E2E_ROLE": "viewer"})
    log_in(page, live_stack, username, password)

    page.get_by_role("link", name=re.compile("word count", re.I)).first.click()
    page.wait_for_url(re.compile(r"/topologies/\d+"))
    expect(page.locator(".react-flow__node")).to_have_count(8, timeout=20_000)
    edit = "Editing this topology needs the editor role in workspace 'Demo'; you are a viewer."
    expect(page.get_by_text(f"{edit} The topology is shown read-only.")).to_be_visible()
    save = page.get_by_role("button", name="Save version")
    expect(save).to_be_disabled()
    expect(save).to_have_attribute("title", edit)
    for name in ("Undo", "Delete selected", "Tidy up the layout", "Import a document"):
        expect(page.get_by_role("button", name=name)).to_be_disabled()
    deploy = page.get_by_role("button", name=re.compile(r"^Deploy v\d+"))
    expect(deploy).to_be_disabled()
    expect(deploy).to_have_attribute("title", "Deploying needs the operator role in workspace 'Demo'; you are a viewer.")
    # Reading stays open to a viewer: the generated program.
    page.get_by_role("button", name="Export as Python").click()
    expect(page.get_by_role("dialog").get_by_label(re.compile(r"^Python program"))).to_contain_text(
        "def build_topology() -> Topology:")
    page.get_by_role("dialog").get_by_role("button", name="Close").click()
    artifacts.screenshot(page, "viewer-editor")

    page.get_by_role("link", name="Topics").first.click()
    create = page.get_by_role("button", name="New topic")
    expect(create).to_be_disabled(timeout=20_000)
    expect(page.get_by_text("Creating a topic needs the operator role in workspace 'Demo'; you are a viewer.")).to_be_visible()
    artifacts.screenshot(page, "viewer-topics")
