"""Peer review in a real browser (issue 15, item 5): a rep shares a finished call from History, a
teammate scores it on the Peer review tab, the rep sees peer and automatic scores side by side, and
the manager's dashboard counts the activity.

Chromium (Debian's, headless) against the in-process app (``live_app``). Screenshots go to
``artifacts/screenshots/peer-*.png``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from peer_support import finished_call
from webtest_support import PASSWORD, LiveApp

from simulator.content.competencies import COMPETENCY_IDS

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
WAIT_MS = 30_000  # the 2 shared cores are often busy
VIEW = {"width": 1400, "height": 1000}


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(browser: Any, live_app: LiveApp, username: str) -> tuple[Any, Any]:
    context = browser.new_context(base_url=live_app.url, viewport=VIEW)
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#whoami").get_by_text("Signed in as").wait_for(timeout=WAIT_MS)
    return context, page


def choose(page: Any, dropdown: str, option: str) -> None:
    page.locator(f"#{dropdown} input").click()
    page.get_by_role("option", name=option).first.click()


def open_own_call(page: Any) -> None:
    page.get_by_role("tab", name="History").click()
    page.locator("#history-table").get_by_text("ended").filter(visible=True).first.wait_for(timeout=WAIT_MS)
    page.locator("#history-pick input").click()
    page.get_by_role("option").first.click()
    page.locator('#history-chat [data-testid="bot"]').first.wait_for(timeout=WAIT_MS)


def test_peer_review_round_trip(browser: Any, live_app: LiveApp) -> None:
    s, org = live_app.services, live_app.org
    pia, _ = s.accounts.create_user("pia", password=PASSWORD, display_name="Pia Peer")
    paul, _ = s.accounts.create_user("paul", password=PASSWORD, display_name="Paul Partner")
    for user in (pia, paul):
        s.teams.add_member(org.admin, org.team_id, user.id)
    sid = finished_call(s, pia)

    # 1. the rep shares the call from History
    context, page = sign_in(browser, live_app, "pia")
    open_own_call(page)
    page.locator("#history-shares").get_by_text("Not shared with anyone yet").wait_for(timeout=WAIT_MS)
    choose(page, "history-share-who", "Paul Partner (paul)")
    page.locator("#history-share").click()
    page.locator("#history-share-status").get_by_text("Shared").wait_for(timeout=WAIT_MS)
    page.locator("#history-shares").get_by_text("Paul Partner").wait_for(timeout=WAIT_MS)
    shot(page, "peer-1-shared")
    context.close()

    # 2. the teammate scores it on the rubric, citing the rep's lines
    context, page = sign_in(browser, live_app, "paul")
    page.get_by_role("tab", name="Peer review").click()
    page.locator("#pr-shared").get_by_text("Pia Peer").filter(visible=True).first.wait_for(timeout=WAIT_MS)
    choose(page, "pr-pick", "Pia Peer")
    page.locator('#pr-chat [data-testid="bot"]').first.wait_for(timeout=WAIT_MS)
    page.locator("#pr-level-0").get_by_text("4 —").wait_for(timeout=WAIT_MS)
    scored = 0
    for i in range(len(COMPETENCY_IDS)):
        if not page.locator(f"#pr-level-{i}").get_by_text("4 —").is_visible():
            continue  # a competency this drill does not score
        page.locator(f"#pr-level-{i} label").filter(has_text="4 —").click()
        page.locator(f"#pr-cited-{i} input[type=checkbox]").first.check()
        page.locator(f"#pr-note-{i} textarea").fill(f"Clear evidence, competency {i + 1}.")
        scored += 1
    assert scored >= 4
    shot(page, "peer-2-form")
    page.locator("#pr-save").click()
    page.locator("#pr-status").get_by_text("Draft saved").wait_for(timeout=WAIT_MS)
    page.locator("#pr-submit").click()
    page.locator("#pr-status").get_by_text("Before submitting, write an overall comment").wait_for(timeout=WAIT_MS)
    page.locator("#pr-overall textarea").fill("Keep the open questions; ask for the meeting sooner.")
    page.locator("#pr-submit").click()
    try:
        page.locator("#pr-status").get_by_text("Review submitted").wait_for(timeout=WAIT_MS)
    except Exception:
        shot(page, "peer-debug")
        print("STATUS:", page.locator("#pr-status").inner_text())
        raise
    page.locator("#pr-mine").get_by_text("Your review").wait_for(timeout=WAIT_MS)
    shot(page, "peer-2-reviewed")
    context.close()

    # 3. the rep sees peer and automatic scores side by side
    context, page = sign_in(browser, live_app, "pia")
    open_own_call(page)
    compare = page.locator("#history-compare")
    compare.get_by_text("side by side").wait_for(timeout=WAIT_MS)
    table = compare.locator("table")
    table.wait_for(timeout=WAIT_MS)
    header = table.locator("th").all_inner_texts()
    assert header[:3] == ["Competency", "Automatic", "Paul Partner"], header
    record = s.practice.store.get_session(sid)
    assert record is not None and record.scorecard
    first = record.scorecard["competencies"][0]
    row = table.locator("tr").filter(has_text=first["name"]).first
    cells = row.locator("td").all_inner_texts()
    assert cells[1] == f"{first['score']:g}" and cells[2] == "4", cells
    compare.get_by_text("Keep the open questions").wait_for(timeout=WAIT_MS)
    shot(page, "peer-3-side-by-side")
    context.close()

    # 4. the manager's dashboard counts it: Pia shared one call and received one review, Paul gave one
    context, page = sign_in(browser, live_app, "mia")
    page.get_by_role("tab", name="Team").click()
    activity = page.locator("#team-peer-activity")
    activity.get_by_text("Paul Partner").filter(visible=True).first.wait_for(timeout=WAIT_MS)
    def counts(name: str) -> list[str]:
        row = activity.get_by_role("row").filter(has_text=name).filter(visible=True).first
        return row.inner_text().split(name, 1)[1].split()[:4]

    assert counts("Pia Peer") == ["1", "0", "1", "0"], counts("Pia Peer")  # shared, given, received, waiting
    assert counts("Paul Partner") == ["0", "1", "0", "0"], counts("Paul Partner")
    shot(page, "peer-4-dashboard")
    context.close()
