"""Daily use (issue 14) through the page handlers: one fact count on every page, no raw ids or
developer words on a rep's pages, days in the user's time zone, the Home tab of each role, and a
new user who does not become a team's manager by accident."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from webtest_support import GOOD_CALL, Clock, Org, practise

from simulator.content.facts import count_facts
from simulator.services.app_services import AppServices
from simulator.web import admin_page, charts, cohort_page, history_page, home_page
from simulator.web import practice_page as page
from simulator.web.scorecard_view import scorecard_markdown
from simulator.web.session_view import session_panel
from simulator.web.ui_common import time_zone_of

SCENARIO = "saas-discovery-ops"
WITH_A_SUPPORTING_FACT = [
    "Hi Raj, thanks for taking the call.",
    "How are you handling order exceptions today?",
    "What does that cost your team each week?",
    "What have you tried before, and how did adoption go?",  # the supporting fact: a failed rollout
]
RAW = re.compile(r"\b[a-z]+_[a-z_]+\b|\b[a-z]+-[a-z]+-[a-z]+\b|rules\+llm|\(source: ")


# -------------------------------------------------------------------------------- fact counts


def test_the_hint_the_scorecard_and_the_outcome_count_the_same_facts(services: AppServices, org: Org) -> None:
    steps = list(page.start_call(services, org.rep, SCENARIO, None, "medium"))
    call, chat = steps[-1].call, steps[-1].chat
    assert call is not None
    for line in WITH_A_SUPPORTING_FACT[:-1]:
        last = list(page.send_message(services, org.rep, call, line, chat))[-1]
        chat = last.chat
    last = list(page.send_message(services, org.rep, call, WITH_A_SUPPORTING_FACT[-1], chat))[-1]
    view = services.sessions.view(org.rep, call["session_id"])
    told = view.buyer["facts_revealed"] if view.buyer else []
    lib = services.practice.library
    facts = count_facts(lib.persona("raj-ops"), told, lib.scenario(SCENARIO))
    assert "failed-rollout" in told and len(told) == 3  # two key facts and the supporting one
    assert (facts.found, facts.total, facts.needed) == (2, 4, 3)
    hint = page.ask_hint(services, org.rep, call)
    assert "2 of Raj's 4 key facts" in hint and "needs 3" in hint, hint
    ended = page.end_call(services, org.rep, call, last.chat)
    assert ended.ended
    record = services.practice.store.get_session(call["session_id"])
    assert record is not None and record.outcome is not None and record.scorecard is not None
    assert "uncover at least 3 of 4 key facts (2 uncovered)" in record.outcome["missed"]
    metrics = record.scorecard["metrics"]
    metric = metrics["hidden_facts"] if isinstance(metrics, dict) else next(
        m for m in metrics if m["id"] == "hidden_facts")
    assert metric["value"] == 2 and metric["note"].startswith("of 4:")
    rule = next(c for c in record.scorecard["competencies"] if c["id"] == "discovery_questioning")["rule"]
    assert "uncovered 2 of 4 key facts (needs 3)" in rule
    assert "of 5" not in scorecard_markdown(record.scorecard)


def test_each_discovery_objective_states_the_count_the_pages_use(services: AppServices) -> None:
    lib = services.practice.library
    for scenario in lib.scenarios.values():
        said = re.search(r"at least (\d+) of \w+'s (\d+) key facts", scenario.objective)
        if said is None:
            continue
        facts = count_facts(lib.persona(scenario.persona), [], scenario)
        assert (int(said[1]), int(said[2])) == (facts.needed, facts.total), scenario.id


# ------------------------------------------------------------------------- words for people


def test_no_raw_ids_or_developer_words_reach_a_reps_pages(services: AppServices, org: Org) -> None:
    sid = practise(services, org.rep, GOOD_CALL)
    panel = session_panel(services, org.rep, sid)
    shown = "\n".join([panel.title, panel.headline, panel.metrics, panel.coaching, panel.competencies])
    shown = re.sub(r"\(\w+\)|#\w+", "", shown)
    assert not RAW.findall(shown), RAW.findall(shown)
    assert "the buyer's move:" not in shown and "checked by rules" in shown
    steps = list(page.start_call(services, org.rep, SCENARIO, None, "medium"))
    ended = page.end_call(services, org.rep, steps[-1].call, steps[-1].chat)
    assert "Call ended (you ended it)" in ended.status and "rep ended" not in ended.status
    rows, _ = history_page.history(services, org.rep)
    assert {r[3] for r in rows} <= {"ended", "in progress", "closed unfinished"}
    _, overall, _ = history_page.progress(services, org.rep)
    hover = list(overall.data[0].text)
    assert hover and all(SCENARIO not in t for t in hover) and "Discovery call" in hover[0]
    cohort = services.cohorts.create_cohort(org.admin, "Words", mode="weakest")
    services.cohorts.add_member(org.admin, cohort.id, org.rep.id)
    md, _ = cohort_page.today_markdown(services, org.rep, cohort.id)
    assert "by weakest" not in md and "your weakest skill so far" in md
    assert charts.overall_chart([]) is not None


# -------------------------------------------------------------------------------- time zones


def test_daily_drills_and_streaks_count_days_in_the_users_time_zone(
    services: AppServices, org: Org, clock: Clock
) -> None:
    utc, new_york, tokyo = ZoneInfo("UTC"), ZoneInfo("America/New_York"), ZoneInfo("Asia/Tokyo")
    morning = dt.datetime(2026, 9, 21, 2, 0, tzinfo=utc)  # 22:00 the evening before in New York
    clock.now = morning.timestamp()
    cohort = services.cohorts.create_cohort(org.admin, "Zones", start_date=dt.date(2026, 9, 20),
                                            scenarios=[SCENARIO])
    services.cohorts.add_member(org.admin, cohort.id, org.rep.id)
    practise(services, org.rep)
    clock.now = dt.datetime(2026, 9, 21, 23, 30, tzinfo=utc).timestamp()  # 08:30 on the 22nd in Tokyo
    practise(services, org.rep)
    assert services.cohorts.today(utc) == dt.date(2026, 9, 21)
    assert services.cohorts.today(tokyo) == dt.date(2026, 9, 22)
    ended = services.leaderboard.ended_sessions(org.rep.id)
    drill_utc = services.cohorts.daily_drill(cohort, ended, tz=utc)
    drill_tokyo = services.cohorts.daily_drill(cohort, ended, tz=tokyo)
    assert drill_utc is not None and drill_tokyo is not None
    assert (drill_utc.day, drill_tokyo.day) == (2, 3)
    # both calls on one day in UTC; on two days (one streak of 2) in New York and in Tokyo
    for tz, streak in ((utc, 1), (new_york, 2), (tokyo, 2)):
        me = services.leaderboard.standings(org.rep, cohort.id, tz=tz)[0]
        assert me.user_id == org.rep.id and (me.streak, me.best_streak) == (streak, streak), tz
    md, _ = cohort_page.today_markdown(services, org.rep, cohort.id, tokyo)
    assert "day 3" in md and "2-day streak" in md
    assert time_zone_of("Nowhere/Else") == dt.UTC and time_zone_of(None) == dt.UTC


# -------------------------------------------------------------------------------------- home


def test_a_reps_home_says_what_to_do_next(services: AppServices, org: Org, clock: Clock) -> None:
    view = home_page.home_view(services, org.rep)
    assert view.action == ["tab", "practice"] and "Pick any drill" in view.markdown
    cohort = services.cohorts.create_cohort(org.admin, "Starters", scenarios=[SCENARIO])
    services.cohorts.add_member(org.admin, cohort.id, org.rep.id)
    view = home_page.home_view(services, org.rep)
    assert view.action == ["start", SCENARIO, "easy"] and "Today's drill (day 1" in view.markdown
    services.assignments.create(org.manager, scenario_id="logistics-objection-price", difficulty="hard",
                                target_kind="user", target_id=org.rep.id,
                                due_date=services.cohorts.today() + dt.timedelta(days=3), note="Before Friday")
    view = home_page.home_view(services, org.rep)
    assert view.action == ["start", "logistics-objection-price", "hard"] and view.button == "Start your assignment"
    assert "Before Friday" in view.markdown and "Today's drill" in view.markdown  # the drill stays listed
    steps = list(page.start_call(services, org.rep, SCENARIO, None, "easy"))
    assert steps[-1].call is not None
    view = home_page.home_view(services, org.rep)
    assert view.action == ["continue", steps[-1].call["session_id"]] and view.button == "Continue your call"
    page.end_call(services, org.rep, steps[-1].call, steps[-1].chat)
    view = home_page.home_view(services, org.rep)
    assert "Today's drill is done" in view.markdown and "streak" in view.markdown


def test_a_managers_home_shows_the_team_gaps(services: AppServices, org: Org) -> None:
    practise(services, org.rep, GOOD_CALL[:2])
    view = home_page.home_view(services, org.manager)
    assert view.action == ["tab", "team"] and "East" in view.markdown
    assert "Weakest skills" in view.markdown and "Not practised in the last 7 days: rob" in view.markdown
    assert "Suggested for Rita Rep" in view.markdown
    lonely, _ = services.accounts.create_user("lonely", role="manager", actor=org.admin)
    assert "do not manage a team yet" in home_page.home_view(services, lonely).markdown


def test_an_admins_home_lists_the_setup_steps(services: AppServices, org: Org) -> None:
    admin, _ = services.accounts.create_user("fresh-admin", role="admin", actor=org.admin)
    view = home_page.home_view(services, admin)
    assert view.action == ["tab", "admin"]
    assert "✓ 2. Create a team" in view.markdown and "✓ 3. Create a manager" in view.markdown
    assert "☐ 5. Optional: an onboarding cohort" in view.markdown
    assert "still waiting" not in view.markdown  # everybody in the org chose a password


# ------------------------------------------------------------------------------------- admin


def test_a_rep_cannot_be_created_as_a_teams_manager(services: AppServices, org: Org) -> None:
    status, otp = admin_page.create_user(services, org.admin, "newbie", "", "rep", org.team_id, True, None)
    assert status.startswith("⚠") and "cannot manage a team" in status and otp == ""
    assert services.accounts.by_username("newbie") is None
    status, otp = admin_page.create_user(services, org.admin, "newbie", "", "rep", org.team_id, False, None)
    assert "member of team **East**" in status and otp
    status, _ = admin_page.create_user(services, org.admin, "boss2", "", "manager", org.team_id, True, None)
    assert "manager of team **East**" in status
    members = {u.username for u in services.teams.members(org.manager, org.team_id)}
    assert "newbie" in members and "boss2" not in members
    newbie = services.accounts.by_username("newbie")
    assert newbie is not None
    assert "cannot manage" in admin_page.add_membership(services, org.admin, newbie.id, org.team_id, True, None)
