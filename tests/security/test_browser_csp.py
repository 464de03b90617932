"""Item 5 in a real browser: the UI works under the Content-Security-Policy (no violation reported,
charts drawn, a call played), cannot be framed, and signs in only through the form."""

from __future__ import annotations

from typing import Any

import pytest
from security_support import SecApp
from webtest_support import PASSWORD

pytestmark = pytest.mark.browser
WAIT_MS = 20_000


def _watch_csp(page: Any) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));"
    )
    return violations


def test_the_app_works_under_its_csp(page: Any, sec: SecApp) -> None:
    violations = _watch_csp(page)
    page.goto("/")
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#whoami").get_by_text("Signed in as").wait_for(timeout=WAIT_MS)
    page.get_by_role("tab", name="Team").click()
    page.locator("#team-heatmap .js-plotly-plot").wait_for(timeout=WAIT_MS)
    page.locator("#team-export").click()
    with page.expect_download(timeout=WAIT_MS) as download:
        page.locator("#team-csv a").click()
    assert download.value.suggested_filename.endswith(".csv")
    page.get_by_role("tab", name="Practice").click()
    page.locator("#start").click()
    page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)
    page.locator("#message textarea").fill("How are you handling order exceptions today?")
    page.locator("#send").click()
    page.locator('#chat [data-testid="bot"]').nth(1).wait_for(timeout=WAIT_MS)
    assert violations == []


def test_an_injected_inline_script_is_blocked(page: Any, sec: SecApp) -> None:
    """The policy bites: a script without this response's nonce does not run."""
    violations = _watch_csp(page)
    page.goto("/login")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.__ran = 1';"
        " document.body.appendChild(s); }"
    )
    assert page.evaluate("window.__ran") is None
    page.wait_for_timeout(200)
    assert violations


def test_the_app_cannot_be_framed(page: Any, sec: SecApp) -> None:
    page.set_content(f'<iframe id="f" src="{sec.url}/login"></iframe>')
    page.wait_for_timeout(1500)
    frame = page.frame_locator("#f")
    assert frame.get_by_label("Username").count() == 0


def test_sign_out_and_sign_out_everywhere_from_the_ui(browser: Any, sec: SecApp) -> None:
    user, _ = sec.user()
    pages = []
    for _ in range(2):
        context = browser.new_context(base_url=sec.url)
        page = context.new_page()
        page.goto("/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.locator("#whoami").get_by_text("Signed in as").wait_for(timeout=WAIT_MS)
        pages.append(page)
    first, second = pages
    second.get_by_role("tab", name="Account").click()
    second.locator("#logout-everywhere").click()
    second.get_by_role("button", name="Sign out everywhere").click()
    second.get_by_label("Username").wait_for(timeout=WAIT_MS)
    first.goto("/")
    first.get_by_label("Username").wait_for(timeout=WAIT_MS)  # the other browser was signed out too
    first.get_by_label("Username").fill(user.username)
    first.get_by_label("Password").fill(PASSWORD)
    first.get_by_role("button", name="Sign in").click()
    first.locator("#logout").click()  # the header's button: this browser only, no confirmation
    first.get_by_label("Username").wait_for(timeout=WAIT_MS)
    assert sec.services.accounts.web_sessions.count(user.id) == 0
