"""Manager features through the page handlers: assignments, dashboard, suggestions, coaching, CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from webtest_support import GOOD_CALL, Clock, Org, practise

from simulator.services.app_services import AppServices
from simulator.web import assign_page, assignments_page, review_page, team_page


def _today(clock: Clock) -> dt.date:
    return dt.date.fromtimestamp(clock())


@pytest.mark.parametrize(
    ("due", "min_score", "max_attempts", "message"),
    [
        ("next tuesday", None, None, "YYYY-MM-DD"),
        ("2001-01-01", None, None, "between today"),
        ("2999-01-01", None, None, "between today"),
        (None, 150, None, "0 to 100"),
        (None, -5, None, "0 to 100"),
        (None, float("nan"), None, "0 to 100"),
        (None, None, 0, "1 to 20"),
        (None, None, 2.5, "whole number"),
        (None, None, 1000, "1 to 20"),
    ],
)
def test_absurd_assignment_values_get_clear_messages(
    services: AppServices,
    org: Org,
    due: str | None,
    min_score: float | None,
    max_attempts: float | None,
    message: str,
) -> None:
    status = assign_page.create(
        services,
        org.manager,
        "saas-discovery-ops",
        "medium",
        "user",
        org.rep.id,
        due,
        min_score,
        max_attempts,
        "",
    )
    assert status.startswith("⚠") and message in status
    assert services.assignments.for_user(org.rep) == []


def test_missing_form_values_are_named(services: AppServices, org: Org) -> None:
    assert "scenario" in assign_page.create(
        services, org.manager, None, "medium", "user", org.rep.id, "", None, None, ""
    )
    assert "Choose the user" in assign_page.create(
        services, org.manager, "saas-discovery-ops", "medium", "user", None, "", None, None, ""
    )
    assert "Difficulty" in assign_page.create(
        services, org.manager, "saas-discovery-ops", "extreme", "user", org.rep.id, "", None, None, ""
    )


def test_an_assignment_reaches_the_rep_and_tracks_attempts(
    services: AppServices, org: Org, clock: Clock
) -> None:
    due = (_today(clock) + dt.timedelta(days=7)).isoformat()
    status = assign_page.create(
        services,
        org.manager,
        "saas-discovery-ops",
        "medium",
        "user",
        org.rep.id,
        due,
        60,
        2,
        "Focus on <b>open</b> questions",
    )
    assert status.startswith("✓") and "1 rep" in status
    rows, choices = assignments_page.my_assignments(services, org.rep)
    assert rows[0][1] == "medium" and rows[0][2] == due and rows[0][6] == "open"
    assert rows[0][7] == "Focus on <b>open</b> questions"  # table cells are shown as text by Gradio
    assignment_id = choices[0][1]
    assert services.assignments.start_check(org.rep, assignment_id).scenario_id == "saas-discovery-ops"
    with pytest.raises(Exception, match="not one of yours"):
        services.assignments.start_check(org.rep2, assignment_id)
    practise(services, org.rep, GOOD_CALL[:2])  # a weak attempt
    practise(services, org.rep, GOOD_CALL[:2])
    progress = services.assignments.for_user(org.rep)[0]
    assert progress.attempts == 2 and not progress.done and progress.status == "out of attempts"
    with pytest.raises(Exception, match="used every attempt"):
        services.assignments.start_check(org.rep, assignment_id)
    listing = assign_page.assignment_rows(services, org.manager)
    assert listing[0][2] == "rep: Rita Rep" and listing[0][6] == "0/1"


def test_a_team_assignment_goes_to_every_member_and_completes(services: AppServices, org: Org) -> None:
    status = assign_page.create(
        services, org.manager, "saas-discovery-ops", "easy", "team", org.team_id, "", None, None, ""
    )
    assert "2 rep(s)" in status
    practise(services, org.rep, difficulty="easy")
    assert services.assignments.for_user(org.rep)[0].status == "done"
    assert services.assignments.for_user(org.rep2)[0].status == "open"
    assert services.assignments.for_user(org.outsider) == []
    assert assign_page.assignment_rows(services, org.manager)[0][6] == "1/2"
    assert assign_page.assignment_rows(services, org.other_manager) == []


def test_targets_offered_are_only_the_managers_own(services: AppServices, org: Org) -> None:
    users = {uid for _, uid in assign_page.target_choices(services, org.manager, "user")}
    assert users == {org.rep.id, org.rep2.id}
    assert [t for _, t in assign_page.target_choices(services, org.manager, "team")] == [org.team_id]
    cohort = services.cohorts.create_cohort(org.admin, "Mixed")
    services.cohorts.add_member(org.admin, cohort.id, org.rep.id)
    services.cohorts.add_member(org.admin, cohort.id, org.outsider.id)
    assert assign_page.target_choices(services, org.manager, "cohort") == []  # not every member is theirs
    assert "only when you manage all" in assign_page.create(
        services, org.manager, "saas-discovery-ops", "easy", "cohort", cohort.id, "", None, None, ""
    )
    assert assign_page.target_choices(services, org.admin, "cohort")[0][1] == cohort.id


def test_dashboard_heatmap_weakest_skills_activity_and_suggestions(services: AppServices, org: Org) -> None:
    practise(services, org.rep)
    practise(services, org.rep2, GOOD_CALL[:3])
    heat, activity_fig, md, rows, suggestions = team_page.dashboard(services, org.manager, org.team_id)
    assert heat is not None and activity_fig is not None
    assert "East" in md and "Weakest skills" in md and "/5" in md
    assert {r[0] for r in rows} == {"Rita Rep", "rob"} and all(r[1] == 1 for r in rows)
    assert len(suggestions) == 2 and all(s[3] and s[4] in ("easy", "medium", "hard") for s in suggestions)
    board = services.dashboards.team(org.manager, org.team_id)
    assert len(board.matrix) == 2 and len(board.matrix[0]) == len(board.competencies) >= 3
    assert sum(board.sessions_per_week) == 2
    assert team_page.team_choices(services, org.manager) == [("East", org.team_id)]
    empty = team_page.dashboard(services, org.manager, None)
    assert "do not manage a team" in empty[2]


def test_csv_export_has_scores_and_activity_and_is_spreadsheet_safe(
    services: AppServices, org: Org, tmp_path: Path
) -> None:
    evil, _ = services.accounts.create_user("evil", display_name='=HYPERLINK("http://x")', actor=org.admin)
    services.teams.add_member(org.admin, org.team_id, evil.id)
    practise(services, org.rep)
    practise(services, evil, GOOD_CALL[:2])
    path = team_page.export_csv(services, org.manager, org.team_id, tmp_path)
    rows = list(csv.DictReader(io.StringIO(path.read_text())))
    assert {r["username"] for r in rows} == {"rita", "evil"}
    rita = next(r for r in rows if r["username"] == "rita")
    assert rita["overall"] and rita["started_utc"] and rita["turns"] and rita["discovery_questioning"]
    assert next(r for r in rows if r["username"] == "evil")["name"].startswith("'=")
    with pytest.raises(Exception, match="teams you manage"):
        team_page.export_csv(services, org.manager, org.other_team_id, tmp_path)


def test_coaching_notes_are_recorded_escaped_and_authorized(services: AppServices, org: Org) -> None:
    sid = practise(services, org.rep)
    choices = review_page.session_choices(services, org.manager, org.rep.id)
    assert choices[0][1] == sid
    status, notes = review_page.save_note(
        services,
        org.manager,
        org.rep.id,
        sid,
        "<img src=x onerror=alert(1)> asked **open** questions",
        "Booked the meeting",
        "Drill objections on Friday",
    )
    assert status.startswith("✓")
    assert "<img" not in notes and "&lt;img" in notes and "Drill objections on Friday" in notes
    assert "empty" in review_page.save_note(services, org.manager, org.rep.id, sid, " ", "", "")[0]
    refused = review_page.save_note(services, org.other_manager, org.rep.id, sid, "x", "", "")[0]
    assert refused.startswith("⚠") and "no practice session" in refused
    # the rep reads the notes on their own session
    assert "Booked the meeting" in services.coaching.for_rep(org.rep)[0].changed
    with pytest.raises(Exception, match="only your own"):
        review_page.session_choices(services, org.other_manager, org.rep.id)


def test_suggestions_fill_the_assignment_form(services: AppServices, org: Org) -> None:
    practise(services, org.rep, GOOD_CALL[:2])
    choices = assign_page.suggestion_choices(services, org.manager)
    assert len(choices) == 1 and choices[0][0].startswith("Rita Rep:") and "weakest skill" in choices[0][0]
    user_id, scenario_id, difficulty = choices[0][1].split("|")
    assert user_id == org.rep.id and scenario_id in services.practice.library.scenarios
    assert difficulty in ("easy", "medium", "hard")
    assert assign_page.suggestion_choices(services, org.other_manager) == []
