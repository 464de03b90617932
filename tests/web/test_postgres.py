"""The web services on PostgreSQL: accounts, teams, assignments, cohorts, hints, CSV (marked postgres)."""

from __future__ import annotations

from pathlib import Path

import pytest
from webtest_support import GOOD_CALL, PASSWORD, echo_gist, grader_hook, make_org, practise, start_session

from simulator.config import Settings
from simulator.llm.scripted import ScriptedLLM
from simulator.services.app_services import AppServices
from simulator.services.passwords import Passwords, fast_hasher
from simulator.session import PracticeService

pytestmark = pytest.mark.postgres


def test_the_web_services_work_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", llm="template", database_url=pg_url
    )
    with PracticeService.open(
        settings, llm=ScriptedLLM(fallback=echo_gist), on_session_end=grader_hook(settings)
    ) as p:
        s = AppServices.build(p, passwords=Passwords(fast_hasher()))
        assert s.accounts.ensure_first_admin(tmp_path) is not None
        org = make_org(s)
        assert s.accounts.authenticate("rita", PASSWORD) == org.rep
        for _ in range(6):
            s.accounts.authenticate("rob", "wrong")
        assert s.accounts.guard.status("rob").blocked
        item = s.assignments.create(
            org.manager,
            scenario_id="saas-discovery-ops",
            difficulty="medium",
            target_kind="team",
            target_id=org.team_id,
            min_score=1,
            max_attempts=3,
        )
        cohort = s.cohorts.create_cohort(org.admin, "PG cohort", mode="weakest")
        s.cohorts.add_member(org.admin, cohort.id, org.rep.id)
        sid = practise(s, org.rep)
        practise(s, org.rep2, GOOD_CALL[:2])
        assert s.assignments.progress(item, org.rep.id).done
        assert s.leaderboard.standings(org.rep, cohort.id)[0].sessions == 1
        assert s.dashboards.team(org.manager, org.team_id).matrix
        assert "rita" in s.dashboards.csv_export(org.manager, org.team_id)
        s.coaching.add(org.manager, session_id=sid, coached="open questions")
        assert s.coaching.for_rep(org.rep)[0].coached == "open questions"
        live = start_session(s, org.rep)
        assert s.hints.hint(org.rep, live).remaining == 2


def test_drill_studio_and_peer_review_work_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    """Issue 15's tables on PostgreSQL: a drill checked, published as version 1 and played (the
    session keeps its version), then a finished call shared, reviewed and compared."""
    from simulator.services.peer_review import CompetencyReview
    from simulator.store.drills import library_id

    settings = Settings(
        data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", llm="template", database_url=pg_url
    )
    with PracticeService.open(
        settings, llm=ScriptedLLM(fallback=echo_gist), on_session_end=grader_hook(settings)
    ) as p:
        s = AppServices.build(p, passwords=Passwords(fast_hasher()))
        org = make_org(s)
        draft = s.drills.clone(org.manager, org.team_id, "library:healthcare-discovery-it")
        assert s.drills.check(org.manager, draft.id).passed
        assert s.drills.publish(org.manager, draft.id).version == 1
        v1 = library_id(draft.id, 1)
        assert v1 in [x.id for x in s.drills.playable(org.rep)]
        assert v1 not in [x.id for x in s.drills.playable(org.outsider)]
        sid = start_session(s, org.rep, v1)
        assert s.drills.store.session_version(sid) == 1

        call = practise(s, org.rep)
        pr = s.peer_review
        share = pr.share_with(org.rep, call, org.rep2.id)
        rep_lines = [t["index"] for t in p.store.get_turns(call) if t["speaker"] == "rep"]
        record = p.store.get_session(call)
        assert record is not None
        levels = {e.id: CompetencyReview(4, [rep_lines[0]], "solid") for e in pr.rubric(record)}
        assert pr.save(org.rep2, call, levels, "Good call.", submit=True).submitted
        assert [r.reviewer_name for r in pr.comparison(org.rep, call).reviews] == ["rob"]
        pr.unshare(org.rep, share.id)
        assert pr.shared_with_me(org.rep2) == []
