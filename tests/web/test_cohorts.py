"""Cohorts: today's drill (rotation or weakest competency), streaks, points, badges, leaderboard."""

from __future__ import annotations

import datetime as dt

import pytest
from webtest_support import GOOD_CALL, Clock, Org, practise

from simulator.errors import PermissionDeniedError
from simulator.services.app_services import AppServices
from simulator.services.cohorts import difficulty_for_day
from simulator.services.teams import TeamError
from simulator.web import cohort_page

DAY = 86400.0
CURRICULUM = ["saas-discovery-ops", "logistics-objection-price", "manufacturing-negotiation-renewal"]


def _today(clock: Clock) -> dt.date:
    return dt.date.fromtimestamp(clock())


def test_rotation_follows_the_curriculum_and_difficulty_ramps(
    services: AppServices, org: Org, clock: Clock
) -> None:
    start = _today(clock) - dt.timedelta(days=2)
    cohort = services.cohorts.create_cohort(org.admin, "Nov starters", start_date=start, scenarios=CURRICULUM)
    services.cohorts.add_member(org.admin, cohort.id, org.rep.id)
    drill = services.cohorts.daily_drill(cohort, [])
    assert (
        drill is not None
        and drill.day == 3
        and drill.scenario_id == CURRICULUM[2]
        and drill.difficulty == "easy"
    )
    later = services.cohorts.daily_drill(cohort, [], today=start + dt.timedelta(days=9))
    assert (
        later is not None
        and later.day == 10
        and later.scenario_id == CURRICULUM[0]
        and later.difficulty == "medium"
    )
    assert [difficulty_for_day(d) for d in (1, 7, 8, 14, 15)] == ["easy", "easy", "medium", "medium", "hard"]
    assert services.cohorts.daily_drill(cohort, [], today=start - dt.timedelta(days=1)) is None


def test_weakest_mode_picks_a_drill_for_the_weakest_competency(
    services: AppServices, org: Org, clock: Clock
) -> None:
    cohort = services.cohorts.create_cohort(org.admin, "Weak spots", mode="weakest", scenarios=CURRICULUM)
    services.cohorts.add_member(org.admin, cohort.id, org.rep.id)
    first = services.cohorts.daily_drill(cohort, [])
    assert first is not None and "no scorecard yet" in first.why
    practise(services, org.rep, GOOD_CALL[:2])  # no next step booked: closing is the weakest
    clock.advance(DAY)
    sessions = services.leaderboard.ended_sessions(org.rep.id)
    drill = services.cohorts.daily_drill(cohort, sessions)
    assert drill is not None and "weakest skill" in drill.why
    lib = services.practice.library
    weak = drill.why.split(": ")[-1]
    assert any(weak == c.replace("_", " ") for c in lib.scenario(drill.scenario_id).competencies)


def test_streaks_points_badges_and_the_leaderboard(services: AppServices, org: Org, clock: Clock) -> None:
    cohort = services.cohorts.create_cohort(org.admin, "Leaders", scenarios=["saas-discovery-ops"])
    for user in (org.rep, org.rep2, org.outsider):
        services.cohorts.add_member(org.admin, cohort.id, user.id)
    for _ in range(3):  # three days in a row of today's drill
        practise(services, org.rep)
        clock.advance(DAY)
    practise(services, org.rep2, GOOD_CALL[:2])
    board = services.leaderboard.standings(org.rep, cohort.id)
    assert [r.user_id for r in board][:2] == [org.rep.id, org.rep2.id]
    top = board[0]
    assert top.rank == 1 and top.sessions == 3 and top.drills_done == 3
    assert top.streak == 3 and top.best_streak == 3  # today is still open: the streak counts to yesterday
    assert top.points >= 3 * (10 + 10) and "3-day streak" in top.badges and "First call" in top.badges
    assert board[-1].user_id == org.outsider.id and board[-1].points == 0 and board[-1].badges == []
    md, drill = cohort_page.today_markdown(services, org.rep, cohort.id)
    assert "Today's drill" in md and "rank 1 of 3" in md and drill == ("saas-discovery-ops", "easy")
    rows = cohort_page.leaderboard_rows(services, org.rep, cohort.id)
    assert rows[0][1] == "Rita Rep" and rows[0][0] == 1


def test_who_may_see_a_cohort(services: AppServices, org: Org) -> None:
    cohort = services.cohorts.create_cohort(org.admin, "Private")
    services.cohorts.add_member(org.admin, cohort.id, org.rep.id)
    assert services.leaderboard.standings(org.manager, cohort.id)  # manages a member
    assert services.leaderboard.standings(org.admin, cohort.id)
    for outsider in (org.rep2, org.other_manager):
        with pytest.raises(PermissionDeniedError):
            services.leaderboard.standings(outsider, cohort.id)
    assert cohort_page.cohort_choices(services, org.rep2) == []
    assert "not in a cohort" in cohort_page.today_markdown(services, org.rep2, None)[0]
    assert "⚠" in cohort_page.today_markdown(services, org.rep2, cohort.id)[0]


def test_bad_cohort_values_are_explained(services: AppServices, org: Org, clock: Clock) -> None:
    with pytest.raises(TeamError, match="name"):
        services.cohorts.create_cohort(org.admin, "   ")
    with pytest.raises(TeamError, match="Unknown scenario"):
        services.cohorts.create_cohort(org.admin, "X", scenarios=["nope"])
    with pytest.raises(TeamError, match="rotation or weakest"):
        services.cohorts.create_cohort(org.admin, "X", mode="random")
    with pytest.raises(TeamError, match="within a year"):
        services.cohorts.create_cohort(org.admin, "X", start_date=_today(clock) + dt.timedelta(days=900))
    services.cohorts.create_cohort(org.admin, "X")
    with pytest.raises(TeamError, match="exists already"):
        services.cohorts.create_cohort(org.admin, "X")
