"""Real-browser tests: Debian's chromium (headless, via Python Playwright) against the app on 127.0.0.1.

The app runs in-process with the scripted fake LLM and an isolated data dir (``live_app``).
Screenshots of the key pages go to ``artifacts/screenshots/``. In CI (CI=true) a missing chromium
or playwright fails these tests; locally they are skipped with the reason.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from webtest_support import PASSWORD, XSS_NAME, LiveApp

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
WAIT_MS = 20_000


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot for people to look at."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#whoami").get_by_text("Signed in as").wait_for(timeout=WAIT_MS)


def cell(page: Any, table: str, text: str) -> Any:
    """A visible Dataframe cell containing ``text`` (Gradio also renders hidden copies of cells)."""
    return page.locator(f"#{table}").get_by_text(text).filter(visible=True).first


def tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def test_wrong_password_gives_no_hint(page: Any, live_app: LiveApp) -> None:
    page.goto("/")
    page.get_by_label("Username").wait_for(timeout=WAIT_MS)
    shot(page, "01-sign-in")
    page.get_by_label("Username").fill("rob")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("Incorrect username or password").wait_for(timeout=WAIT_MS)


def test_rep_practises_and_reads_the_scorecard(page: Any, live_app: LiveApp) -> None:
    sign_in(page, "rita", PASSWORD)
    assert page.get_by_role("tab", name="Team").count() == 0  # a rep sees no manager pages
    page.locator("#home-next").get_by_text("What to do next").wait_for(timeout=WAIT_MS)  # Home opens first
    tab(page, "Practice")
    page.locator("#start").click()
    page.locator('#chat [data-testid="bot"]').first.wait_for(timeout=WAIT_MS)
    page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)
    lines = [
        "How are you handling this today?",
        "What does that cost your team each week?",
        "<b>Who else</b> is involved in deciding?",
    ]
    for n, line in enumerate(lines, start=1):
        page.locator("#message textarea").fill(line)
        page.locator("#send").click()
        page.locator('#chat [data-testid="bot"]').nth(n).wait_for(timeout=WAIT_MS)
        page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)
    assert page.locator('#chat [data-testid="user"]').nth(2).inner_text().startswith("<b>Who else</b>")
    page.locator("#hint-button").click()
    page.locator("#hint").get_by_text("Hint:").wait_for(timeout=WAIT_MS)
    page.locator("#stage").get_by_text("Stage").wait_for(timeout=WAIT_MS)
    shot(page, "02-practice-call")
    page.locator("#end").click()
    page.locator("#scorecard-text").get_by_text("Score:").wait_for(timeout=WAIT_MS)
    page.locator("#scorecard-chart .js-plotly-plot").wait_for(timeout=WAIT_MS)
    assert "Metrics beside benchmarks" in page.locator("#scorecard-metrics").inner_text()
    assert "Turn " in page.locator("#scorecard-details").inner_text()
    shot(page, "03-scorecard")
    tab(page, "History")
    cell(page, "history-table", "ended").wait_for(timeout=WAIT_MS)
    page.locator("#history-pick input").click()
    page.get_by_role("option").first.click()
    page.locator('#history-chat [data-testid="bot"]').first.wait_for(timeout=WAIT_MS)
    shot(page, "04-history-replay")
    tab(page, "Progress")
    page.locator("#progress-chart .js-plotly-plot").wait_for(timeout=WAIT_MS)
    shot(page, "05-progress")
    tab(page, "Cohort")
    page.locator("#cohort-today").get_by_text("Today's drill").wait_for(timeout=WAIT_MS)
    cell(page, "leaderboard", "Rita Rep").wait_for(timeout=WAIT_MS)
    shot(page, "06-cohort")


def test_manager_assigns_a_drill_and_the_rep_sees_it(browser: Any, live_app: LiveApp) -> None:
    manager = browser.new_context(base_url=live_app.url, viewport={"width": 1400, "height": 1000})
    page = manager.new_page()
    sign_in(page, "mia", PASSWORD)
    tab(page, "Team")
    page.locator("#team-summary").get_by_text("East").wait_for(timeout=WAIT_MS)
    page.locator("#team-heatmap .js-plotly-plot").wait_for(timeout=WAIT_MS)
    cell(page, "team-activity", XSS_NAME[:25]).wait_for(timeout=WAIT_MS)  # markup in a name shows as text
    assert page.evaluate("window.__xss") is None
    shot(page, "07-team-dashboard")
    page.get_by_role("tab", name="Assignments", exact=True).click()
    page.locator("#assign-target input").click()
    page.get_by_role("option", name="Rita Rep (rita)").click()
    due = (dt.date.today() + dt.timedelta(days=7)).isoformat()
    page.locator("#assign-due textarea, #assign-due input").first.fill(due)
    page.locator("#assign-min textarea, #assign-min input").first.fill("150")
    page.locator("#assign-create").click()
    page.locator("#assign-status").get_by_text("0 to 100").wait_for(
        timeout=WAIT_MS
    )  # absurd value: clear message
    page.locator("#assign-min textarea, #assign-min input").first.fill("60")
    page.locator("#assign-create").click()
    page.locator("#assign-status").get_by_text("Assigned").wait_for(timeout=WAIT_MS)
    cell(page, "assign-list", "Rita Rep").wait_for(timeout=WAIT_MS)
    shot(page, "08-assignment-created")
    manager.close()

    rep = browser.new_context(base_url=live_app.url, viewport={"width": 1400, "height": 1000})
    page = rep.new_page()
    sign_in(page, "rita", PASSWORD)
    tab(page, "My assignments")
    cell(page, "my-assignments", due).wait_for(timeout=WAIT_MS)
    shot(page, "09-rep-assignments")
    rep.close()


def test_first_admin_must_choose_a_password(page: Any, live_app: LiveApp) -> None:
    page.goto("/")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(live_app.admin_password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_text("You signed in with a one-time password").wait_for(timeout=WAIT_MS)
    page.goto("/")  # nothing else opens until the password is changed
    assert page.url.endswith("/account/password")
    page.locator("#current").fill(live_app.admin_password)
    page.locator("#new").fill("a long new passphrase")
    page.locator("#confirm").fill("a long new passphrase")
    page.get_by_role("button", name="Change password").click()
    page.locator("#whoami").get_by_text("Signed in as").wait_for(timeout=WAIT_MS)
    page.get_by_role("tab", name="Admin").wait_for(timeout=WAIT_MS)
    tab(page, "Admin")
    cell(page, "users-table", "rita").wait_for(timeout=WAIT_MS)
    shot(page, "10-admin")


def test_a_call_survives_a_page_reload_and_continues_from_the_list(page: Any, live_app: LiveApp) -> None:
    sign_in(page, "rita", PASSWORD)
    tab(page, "Practice")
    page.locator("#start").click()
    page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)
    page.locator("#message textarea").fill("How are you handling order exceptions today?")
    page.locator("#send").click()
    page.locator('#chat [data-testid="bot"]').nth(1).wait_for(timeout=WAIT_MS)
    page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)
    page.reload()
    page.locator("#home-go").get_by_text("Continue your call").wait_for(timeout=WAIT_MS)  # Home offers it too
    tab(page, "Practice")
    page.locator("#continue-call").wait_for(timeout=WAIT_MS)
    assert page.locator('#chat [data-testid="user"]').count() == 0  # the reload emptied the page
    shot(page, "07-unfinished-call")
    page.locator("#continue-call").click()
    page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)
    assert "order exceptions" in page.locator('#chat [data-testid="user"]').first.inner_text()
    page.locator("#message textarea").fill("What does that cost your team each week?")
    page.locator("#send").click()
    page.locator('#chat [data-testid="bot"]').nth(2).wait_for(timeout=WAIT_MS)
    page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)
    page.locator("#end").click()
    page.locator("#scorecard-text").get_by_text("Score:").wait_for(timeout=WAIT_MS)
    page.reload()
    page.locator("#whoami").get_by_text("Signed in as").wait_for(timeout=WAIT_MS)
    tab(page, "Practice")
    page.locator("#start").wait_for(timeout=WAIT_MS)
    assert not page.locator("#continue-call").is_visible()  # nothing left unfinished
