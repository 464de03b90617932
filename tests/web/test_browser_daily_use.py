"""Daily use in a real browser (issue 14), at a laptop's 1280×800 and a phone's 390×844.

Each test signs in as a rep, a manager or an admin would and checks one thing people ran into:
the chat on screen after Start on a phone, a scorecard with room for its chart and table, Enter
to send, a manager's dashboard that follows an assignment, readable primary buttons (WCAG AA),
a new user who does not silently become a team's manager, and the home page of each role.
Screenshots of each page at both sizes go to ``artifacts/screenshots/`` (``daily-*``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webtest_support import PASSWORD, LiveApp

pytestmark = pytest.mark.browser

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
WAIT_MS = 20_000
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SIZES = {"desktop": DESKTOP, "phone": PHONE}


@pytest.fixture(params=list(SIZES))
def size(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def new_page(browser: Any, live_app: LiveApp) -> Iterator[Any]:
    """``new_page(viewport)``: a fresh browser context (own cookies) at that size."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] = DESKTOP, **options: Any) -> Any:
        context = browser.new_context(base_url=live_app.url, viewport=viewport, **options)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def shot(page: Any, name: str, *, full_page: bool = True) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"daily-{name}.png"), full_page=full_page)


def sign_in(page: Any, username: str, password: str = PASSWORD) -> None:
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.locator("#whoami").get_by_text("Signed in as").wait_for(timeout=WAIT_MS)


def tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def field(page: Any, elem_id: str) -> Any:
    return page.locator(f"#{elem_id} textarea, #{elem_id} input").first


def start_call(page: Any) -> None:
    tab(page, "Practice")
    page.locator("#start").click()
    page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)


def on_screen(page: Any, selector: str) -> bool:
    """The element's top is inside the viewport (what a person sees without scrolling)."""
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    return box is not None and 0 <= box["y"] < height - 80


def new_rep(live_app: LiveApp, username: str, *, team: bool = True, cohort: bool = False) -> Any:
    """A rep on team East (and in the onboarding cohort), created through the services."""
    services, org = live_app.services, live_app.org
    if (user := services.accounts.by_username(username)) is not None:
        return user
    user, _ = services.accounts.create_user(username, password=PASSWORD, display_name=username.title())
    if team:
        services.teams.add_member(org.admin, org.team_id, user.id)
    if cohort:
        starters = services.cohorts.by_name("November starters")
        assert starters is not None
        services.cohorts.add_member(org.admin, starters.id, user.id)
    return user


# ------------------------------------------------------------------------------------ admin


def test_a_rep_created_after_a_manager_is_a_member_not_a_manager(new_page: Any, live_app: LiveApp) -> None:
    page = new_page(DESKTOP)
    sign_in(page, "boss")
    tab(page, "Admin")

    def create(username: str, role: str, *, tick: bool) -> None:
        field(page, "new-username").fill(username)
        page.locator("#new-role").get_by_label(role, exact=True).check()
        page.locator("#new-team input").click()
        page.get_by_role("option", name="East").click()
        if tick:
            page.locator("#new-team-manager input").check()
        page.locator("#new-user").click()
        page.locator("#admin-status").get_by_text(f"Created {username}").wait_for(timeout=WAIT_MS)

    create("nina", "manager", tick=True)
    assert "manager of team East" in page.locator("#admin-status").inner_text()
    assert not page.locator("#new-team-manager input").is_checked()  # cleared for the next user
    create("noah", "rep", tick=False)
    assert "member of team East" in page.locator("#admin-status").inner_text()
    shot(page, "admin-created-users-desktop")
    services, org = live_app.services, live_app.org
    members = {u.username for u in services.teams.members(org.manager, org.team_id)}
    assert "noah" in members and "nina" not in members  # the rep shows on the manager's dashboard
    # a rep cannot be made a manager by a stray tick
    field(page, "new-username").fill("nora")
    page.locator("#new-team input").click()
    page.get_by_role("option", name="East").click()
    page.locator("#new-team-manager input").check()
    page.locator("#new-user").click()
    page.locator("#admin-status").get_by_text("A rep cannot manage a team").wait_for(timeout=WAIT_MS)
    assert services.accounts.by_username("nora") is None


# ----------------------------------------------------------------------------------- practice


def test_the_chat_is_on_screen_after_start(new_page: Any, live_app: LiveApp, size: str) -> None:
    page = new_page(SIZES[size])
    new_rep(live_app, f"start{size}")
    sign_in(page, f"start{size}")
    tab(page, "Practice")
    shot(page, f"practice-before-start-{size}")
    page.locator("#start").click()
    page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)
    page.wait_for_timeout(300)
    shot(page, f"practice-after-start-{size}", full_page=False)
    assert on_screen(page, "#chat"), page.locator("#chat").bounding_box()
    assert page.locator('#chat [data-testid="bot"]').first.is_visible()
    box = page.locator("#message textarea").bounding_box()
    assert box is not None and box["y"] + box["height"] <= SIZES[size]["height"], box  # type here, no scrolling


def test_enter_sends_and_shift_enter_adds_a_line(new_page: Any, live_app: LiveApp) -> None:
    page = new_page(DESKTOP)
    new_rep(live_app, "enterkey")
    sign_in(page, "enterkey")
    start_call(page)
    box = page.locator("#message textarea")
    box.click()
    box.type("How are you handling order exceptions today?")
    box.press("Shift+Enter")
    box.type("And what does that cost you?")
    assert box.input_value() == "How are you handling order exceptions today?\nAnd what does that cost you?"
    box.press("Enter")
    page.locator('#chat [data-testid="user"]').first.wait_for(timeout=WAIT_MS)
    assert "what does that cost" in page.locator('#chat [data-testid="user"]').first.inner_text()
    page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)
    assert box.input_value() == ""


def test_the_scorecard_has_room_for_its_chart_and_table(new_page: Any, live_app: LiveApp, size: str) -> None:
    page = new_page(SIZES[size])
    width = SIZES[size]["width"]
    new_rep(live_app, f"card{size}")
    sign_in(page, f"card{size}")
    start_call(page)
    for n, line in enumerate(["How are you handling order exceptions today?",
                              "What does that cost your team each week?"], start=1):
        page.locator("#message textarea").fill(line)
        page.locator("#send").click()
        page.locator('#chat [data-testid="bot"]').nth(n).wait_for(timeout=WAIT_MS)
        page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)
    page.locator("#end").click()
    page.locator("#scorecard-text").get_by_text("Score:").wait_for(timeout=WAIT_MS)
    page.locator("#scorecard-chart .js-plotly-plot").wait_for(timeout=WAIT_MS)
    page.wait_for_timeout(500)
    shot(page, f"scorecard-{size}")
    page.locator("#scorecard").scroll_into_view_if_needed()
    shot(page, f"scorecard-top-{size}", full_page=False)
    table = page.locator("#scorecard-metrics table").bounding_box()
    block = page.locator("#scorecard-metrics").bounding_box()
    assert table is not None and block is not None
    assert table["x"] + table["width"] <= block["x"] + block["width"] + 1, (table, block)  # nothing cut off
    chart = page.locator("#scorecard-chart").bounding_box()
    assert chart is not None and chart["width"] >= min(0.8 * width, 480), chart
    cells = page.locator("#scorecard-metrics td")
    assert cells.count() >= 3
    narrowest = min(cells.nth(i).bounding_box()["width"] for i in range(cells.count()))
    assert narrowest >= 60, narrowest  # no column squeezed to a letter per line
    text = page.locator("#scorecard").inner_text()
    for raw in ("rules+llm", "end_reason", "saas-discovery-ops", "objection_handling", "discovery_questioning"):
        assert raw not in text


# -------------------------------------------------------------------------------------- theme


def _contrast_js() -> str:
    return """el => {
        const rgb = s => s.match(/[\\d.]+/g).slice(0, 3).map(Number);
        const lum = c => { const [r, g, b] = c.map(v => { v /= 255;
            return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
        const style = getComputedStyle(el);
        const fg = lum(rgb(style.color)), bg = lum(rgb(style.backgroundColor));
        return [style.color, style.backgroundColor,
                (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05)];
    }"""


def test_primary_buttons_meet_wcag_aa_contrast(new_page: Any, live_app: LiveApp) -> None:
    page = new_page(DESKTOP)
    sign_in(page, "boss")
    tab(page, "Practice")
    for selector in ("#start", "#send"):
        page.locator(selector).wait_for(timeout=WAIT_MS)
        fg, bg, ratio = page.locator(selector).evaluate(_contrast_js())
        assert ratio >= 4.5, f"{selector}: {fg} on {bg} is {ratio:.2f}:1"
    page.locator("#start").hover()
    page.wait_for_timeout(300)
    fg, bg, ratio = page.locator("#start").evaluate(_contrast_js())
    assert ratio >= 4.5, f"#start (hover): {fg} on {bg} is {ratio:.2f}:1"


# ------------------------------------------------------------------------------------ manager


def test_the_dashboard_follows_an_assignment_without_reopening_the_tab(
    new_page: Any, live_app: LiveApp
) -> None:
    services, org = live_app.services, live_app.org
    manager, _ = services.accounts.create_user("theo", role="manager", password=PASSWORD)
    team = services.teams.create_team(org.admin, "North")
    services.teams.add_member(org.admin, team.id, manager.id, manager=True)
    rep, _ = services.accounts.create_user("tess", password=PASSWORD, display_name="Tess Rep")
    services.teams.add_member(org.admin, team.id, rep.id)
    page = new_page(DESKTOP)
    sign_in(page, "theo")
    tab(page, "Team")
    page.locator("#team-summary").get_by_text("no assignments yet").wait_for(timeout=WAIT_MS)
    tab(page, "Assignments")
    page.locator("#assign-target input").click()
    page.get_by_role("option", name="Tess Rep (tess)").click()
    field(page, "assign-due").fill((dt.date.today() + dt.timedelta(days=7)).isoformat())
    page.locator("#assign-create").click()
    page.locator("#assign-status").get_by_text("Assigned").wait_for(timeout=WAIT_MS)
    tab(page, "Dashboard")
    page.locator("#team-summary").get_by_text("0/1 assignments done").wait_for(timeout=WAIT_MS)


# --------------------------------------------------------------------------------------- home


def selected_tab(page: Any) -> str:
    return str(page.locator('[role="tab"][aria-selected="true"]').first.inner_text()).strip()


def test_a_reps_home_opens_after_sign_in_and_starts_todays_drill(
    new_page: Any, live_app: LiveApp, size: str
) -> None:
    page = new_page(SIZES[size])
    new_rep(live_app, f"home{size}", cohort=True)
    sign_in(page, f"home{size}")
    page.locator("#home-next").get_by_text("Today's drill").wait_for(timeout=WAIT_MS)
    assert selected_tab(page) == "Home"
    go = page.locator("#home-go")
    assert go.inner_text().strip() == "Start today's drill" and on_screen(page, "#home-go")
    shot(page, f"home-rep-{size}")
    go.click()
    page.locator("#status").get_by_text("Your turn").wait_for(timeout=WAIT_MS)
    assert selected_tab(page) == "Practice"
    page.wait_for_timeout(300)
    assert on_screen(page, "#chat")
    shot(page, f"home-rep-started-{size}", full_page=False)


def test_a_managers_home_shows_the_team_gaps(new_page: Any, live_app: LiveApp, size: str) -> None:
    page = new_page(SIZES[size])
    sign_in(page, "mia")
    page.locator("#home-next").get_by_text("Your team's gaps").wait_for(timeout=WAIT_MS)
    assert "East" in page.locator("#home-next").inner_text()
    shot(page, f"home-manager-{size}")
    page.locator("#home-go").click()
    page.locator("#team-summary").get_by_text("East").wait_for(timeout=WAIT_MS)  # the Team tab, loaded
    assert selected_tab(page) == "Team"


def test_an_admins_home_lists_the_setup_steps(new_page: Any, live_app: LiveApp, size: str) -> None:
    page = new_page(SIZES[size])
    sign_in(page, "boss")
    page.locator("#home-next").get_by_text("Create a team").wait_for(timeout=WAIT_MS)
    shot(page, f"home-admin-{size}")
    page.locator("#home-go").click()
    page.locator("#users-table").get_by_text("rita").filter(visible=True).first.wait_for(timeout=WAIT_MS)
    assert selected_tab(page) == "Admin"


# ---------------------------------------------------------------------------------- time zone


def test_a_rep_picks_a_time_zone_and_it_is_kept(new_page: Any, live_app: LiveApp) -> None:
    page = new_page(DESKTOP)
    new_rep(live_app, "zoned", cohort=True)
    sign_in(page, "zoned")
    tab(page, "Account")
    zone = page.locator("#time-zone input")
    assert zone.input_value() == "UTC"
    zone.click()
    zone.press("Control+a")
    zone.press("Backspace")
    zone.press_sequentially("Asia/Tok")
    page.get_by_role("option", name="Asia/Tokyo", exact=True).click()
    page.locator("#time-zone-status").get_by_text("Asia/Tokyo").wait_for(timeout=WAIT_MS)
    shot(page, "account-time-zone-desktop")
    page.reload()
    page.locator("#whoami").get_by_text("Signed in as").wait_for(timeout=WAIT_MS)
    tab(page, "Account")
    page.wait_for_function("el => el.value === 'Asia/Tokyo'", arg=zone.element_handle(), timeout=WAIT_MS)
