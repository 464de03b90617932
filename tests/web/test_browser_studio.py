"""Real browser (issue 15, item 5): a manager builds a drill in the Drill studio by cloning a library
drill, edits it with live validation, previews it, checks and publishes it; a rep of the team then
practises it on the Practice tab, and a rep of another team does not see it."""

from __future__ import annotations

from typing import Any

import pytest
from test_browser import SHOTS, WAIT_MS, shot, sign_in, tab
from webtest_support import PASSWORD, LiveApp

pytestmark = pytest.mark.browser

CHECK_MS = 120_000
"""Six self-played calls on a shared 2-core machine."""
TITLE = "Pagers at Riverside, East edition"


def _field(page: Any, elem: str) -> Any:
    return page.locator(f"#{elem} textarea, #{elem} input").first


def test_manager_builds_checks_and_publishes_a_drill_a_rep_practises(browser: Any, live_app: LiveApp) -> None:
    manager = browser.new_context(base_url=live_app.url, viewport={"width": 1400, "height": 1000})
    page = manager.new_page()
    sign_in(page, "mia", PASSWORD)
    tab(page, "Drill studio")
    page.locator("#studio-source input").click()
    page.get_by_role("option", name="Library: Discovery call: replacing pagers").first.click()
    page.locator("#studio-clone").click()
    page.locator("#studio-status").get_by_text("New draft").wait_for(timeout=WAIT_MS)
    page.locator("#studio-problems").get_by_text("No problems found").wait_for(timeout=WAIT_MS)
    # live validation names the field and the problem, before anything is saved
    _field(page, "studio-s-id").fill("Not An Id")
    _field(page, "studio-s-title").click()  # leaving the field validates it
    page.locator("#studio-problems").get_by_text("scenario · id").wait_for(timeout=WAIT_MS)
    _field(page, "studio-s-id").fill("riverside-pagers")
    _field(page, "studio-s-title").fill(TITLE)
    _field(page, "studio-s-brief").click()
    page.locator("#studio-problems").get_by_text("No problems found").wait_for(timeout=WAIT_MS)
    # the preview is the rep's brief and rubric
    page.get_by_role("tab", name="Preview").click()
    page.locator("#studio-brief").get_by_text(TITLE).wait_for(timeout=WAIT_MS)
    page.locator("#studio-rubric").get_by_text("weight").first.wait_for(timeout=WAIT_MS)
    shot(page, "studio-1-preview")
    page.locator("#studio-check").click()
    page.locator("#studio-status").get_by_text("Check passed").wait_for(timeout=CHECK_MS)
    page.get_by_role("tab", name="Check and versions").click()
    page.locator("#studio-report").get_by_text("Check passed").wait_for(timeout=WAIT_MS)
    shot(page, "studio-2-checked")
    page.locator("#studio-publish").click()
    page.locator("#studio-status").get_by_text("Published version 1").wait_for(timeout=WAIT_MS)
    page.locator("#studio-versions").get_by_text("yes").filter(visible=True).first.wait_for(timeout=WAIT_MS)
    shot(page, "studio-3-published")
    manager.close()

    # a rep of the team practises it
    rep = browser.new_context(base_url=live_app.url, viewport={"width": 1400, "height": 1000})
    page = rep.new_page()
    sign_in(page, "rita", PASSWORD)
    assert page.get_by_role("tab", name="Drill studio").count() == 0
    tab(page, "Practice")
    page.locator("#scenario input").click()
    page.get_by_role("option", name=f"{TITLE} · v1").click()
    page.locator("#brief").get_by_text(TITLE).wait_for(timeout=WAIT_MS)
    page.locator("#start").click()
    page.locator('#chat [data-testid="bot"]').first.wait_for(timeout=WAIT_MS)
    page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)
    page.locator("#message textarea").fill("How are clinicians paged today?")
    page.locator("#send").click()
    page.locator('#chat [data-testid="bot"]').nth(1).wait_for(timeout=WAIT_MS)
    page.locator("#end").click()
    page.locator("#scorecard-text").get_by_text("Score:").wait_for(timeout=WAIT_MS)
    shot(page, "studio-4-rep-practised")
    rep.close()
    sessions = live_app.services.practice.list(user_id=live_app.org.rep.id, limit=1)
    assert sessions and sessions[0].scenario_id.startswith("team-")
    assert live_app.services.drills.store.session_version(sessions[0].id) == 1

    # a rep of another team does not see it
    other = browser.new_context(base_url=live_app.url, viewport={"width": 1400, "height": 1000})
    page = other.new_page()
    sign_in(page, "olga", PASSWORD)
    tab(page, "Practice")
    page.locator("#scenario input").click()
    page.get_by_role("option").first.wait_for(timeout=WAIT_MS)
    assert page.get_by_role("option", name=TITLE).count() == 0
    other.close()
    assert SHOTS.is_dir()
