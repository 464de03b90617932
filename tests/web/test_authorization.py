"""Authorization lives in the services: reps see only their own sessions; managers only their teams."""

from __future__ import annotations

import pytest
from webtest_support import Org, practise

from simulator.errors import PermissionDeniedError, SessionStateError
from simulator.services.app_services import AppServices


def test_a_rep_sees_only_their_own_sessions(services: AppServices, org: Org) -> None:
    mine = practise(services, org.rep)
    theirs = practise(services, org.rep2, ["How are you handling order exceptions today?"])
    assert [r.id for r in services.sessions.history(org.rep)] == [mine]
    assert services.sessions.view(org.rep, mine).id == mine
    for attempt in (
        lambda: services.sessions.view(org.rep, theirs),
        lambda: services.sessions.history(org.rep, org.rep2.id),
        lambda: list(services.sessions.send(org.rep, theirs, "hello")),
        lambda: list(services.sessions.end(org.rep, theirs)),
        lambda: services.hints.hint(org.rep, theirs),
        lambda: services.hints.history(org.rep, theirs),
        lambda: services.dashboards.progress(org.rep, org.rep2.id),
        lambda: services.assignments.for_user(org.rep, org.rep2.id),
        lambda: services.coaching.for_rep(org.rep, org.rep2.id),
    ):
        with pytest.raises(PermissionDeniedError):
            attempt()


def test_an_unknown_and_a_forbidden_session_get_the_same_answer(services: AppServices, org: Org) -> None:
    theirs = practise(services, org.rep2, [])
    messages = []
    for sid in (theirs, "does-not-exist", "<script>alert(1)</script>", "x" * 5000):
        with pytest.raises(PermissionDeniedError) as info:
            services.sessions.view(org.rep, sid)
        messages.append(str(info.value).replace(repr(sid[:40] + ("…" if len(sid) > 40 else "")), "ID"))
    assert len(set(messages)) == 1


def test_a_session_without_an_owner_is_not_open_to_reps(services: AppServices, org: Org) -> None:
    events = list(services.practice.start("saas-discovery-ops"))  # a CLI session: no owner
    sid = events[0]["session_id"]
    with pytest.raises(PermissionDeniedError):
        services.sessions.view(org.rep, sid)
    assert services.sessions.view(org.admin, sid).id == sid


def test_a_manager_sees_only_their_teams(services: AppServices, org: Org) -> None:
    ours = practise(services, org.rep)
    outside = practise(services, org.outsider)
    assert services.sessions.view(org.manager, ours).id == ours
    assert [r.id for r in services.sessions.history(org.manager, org.rep.id)] == [ours]
    with pytest.raises(PermissionDeniedError):
        services.sessions.view(org.manager, outside)
    with pytest.raises(PermissionDeniedError):
        services.sessions.history(org.manager, org.outsider.id)
    # reading is allowed, talking in a rep's call is not
    with pytest.raises(PermissionDeniedError):
        list(services.sessions.send(org.manager, ours, "hello"))
    assert [t.id for t in services.teams.list_teams(org.manager)] == [org.team_id]
    assert services.dashboards.team(org.manager, org.team_id).team_name == "East"
    for attempt in (
        lambda: services.dashboards.team(org.manager, org.other_team_id),
        lambda: services.dashboards.csv_export(org.manager, org.other_team_id),
        lambda: services.dashboards.suggestions(org.manager, org.other_team_id),
        lambda: services.dashboards.team(org.rep, org.team_id),
        lambda: services.teams.members(org.rep, org.team_id),
        lambda: services.coaching.add(org.manager, session_id=outside, coached="x"),
        lambda: services.coaching.add(org.rep, rep_id=org.rep2.id, coached="x"),
        lambda: services.assignments.create(
            org.manager,
            scenario_id="saas-discovery-ops",
            difficulty="easy",
            target_kind="user",
            target_id=org.outsider.id,
        ),
        lambda: services.assignments.create(
            org.manager,
            scenario_id="saas-discovery-ops",
            difficulty="easy",
            target_kind="team",
            target_id=org.other_team_id,
        ),
        lambda: services.assignments.create(
            org.rep,
            scenario_id="saas-discovery-ops",
            difficulty="easy",
            target_kind="user",
            target_id=org.rep2.id,
        ),
    ):
        with pytest.raises(PermissionDeniedError):
            attempt()


def test_admins_see_every_team(services: AppServices, org: Org) -> None:
    outside = practise(services, org.outsider)
    assert services.sessions.view(org.admin, outside).id == outside
    assert {t.id for t in services.teams.list_teams(org.admin)} == {org.team_id, org.other_team_id}
    assert services.dashboards.team(org.admin, org.other_team_id).team_name == "West"


def test_only_admins_change_teams_and_cohorts(services: AppServices, org: Org) -> None:
    for attempt in (
        lambda: services.teams.create_team(org.manager, "Mine"),
        lambda: services.teams.add_member(org.manager, org.team_id, org.outsider.id),
        lambda: services.cohorts.create_cohort(org.manager, "Mine"),
    ):
        with pytest.raises(PermissionDeniedError):
            attempt()


def test_an_ended_session_refuses_more_messages_with_a_clear_reason(services: AppServices, org: Org) -> None:
    sid = practise(services, org.rep)
    with pytest.raises(SessionStateError, match="ended"):
        list(services.sessions.send(org.rep, sid, "One more thing?"))
