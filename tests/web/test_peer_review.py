"""Peer review (issue 15, item 4): sharing, who may open and review, drafts and submission, the
side-by-side comparison, the manager's activity block, and the pages' handlers."""

from __future__ import annotations

from typing import Any

import pytest
from peer_support import finished_call
from webtest_support import Clock, Org, practise

from simulator.errors import PermissionDeniedError, SparringError
from simulator.services.app_services import AppServices
from simulator.services.peer_review import CompetencyReview, PeerReviewError


def _lines(services: AppServices, sid: str, speaker: str) -> list[int]:
    return [t["index"] for t in services.practice.store.get_turns(sid) if t["speaker"] == speaker]


def _full_review(services: AppServices, sid: str, level: int = 4) -> dict[str, CompetencyReview]:
    rep_lines = _lines(services, sid, "rep")
    record = services.practice.store.get_session(sid)
    assert record is not None
    return {
        e.id: CompetencyReview(level, [rep_lines[0]], f"{e.name}: solid") for e in services.peer_review.rubric(record)
    }


def test_a_rep_shares_a_finished_call_and_a_teammate_reviews_it(services: AppServices, org: Org) -> None:
    pr = services.peer_review
    sid = practise(services, org.rep)
    assert [u.username for u in pr.teammates(org.rep, sid)] == ["mia", "rob"]  # team East, not herself
    share = pr.share_with(org.rep, sid, org.rep2.id)
    assert pr.share_with(org.rep, sid, org.rep2.id).id == share.id  # sharing twice keeps one share
    listed = pr.shared_with_me(org.rep2)
    assert [(c.record.id, c.owner.id, c.via, c.status) for c in listed] == [(sid, org.rep.id, "you", "not started")]

    sheet = pr.sheet(org.rep2, sid)
    assert sheet.can_review and sheet.review is None and sheet.owner.id == org.rep.id
    assert [e.id for e in sheet.rubric][0] == "discovery_questioning"  # the drill's rubric, heaviest first
    assert "negotiation" not in {e.id for e in sheet.rubric}  # weight 0 in a discovery call

    # a draft: partial, editable
    first = next(iter(_full_review(services, sid)))
    draft = pr.save(org.rep2, sid, {first: CompetencyReview(3, [], "")}, "so far")
    assert not draft.submitted and pr.shared_with_me(org.rep2)[0].status == "draft"
    assert pr.comparison(org.rep, sid).reviews == []  # the rep sees only submitted reviews
    moments = _lines(services, sid, "buyer")[1:2]
    review = pr.save(
        org.rep2, sid, _full_review(services, sid), "Keep the open questions; book the next step sooner.",
        moments=moments, submit=True,
    )
    assert review.submitted and review.moments == moments
    assert pr.shared_with_me(org.rep2)[0].status == "submitted"
    with pytest.raises(PeerReviewError, match="final"):
        pr.save(org.rep2, sid, _full_review(services, sid, 2), "changed my mind", submit=True)
    assert not pr.sheet(org.rep2, sid).can_review

    # side by side: the automatic score and the peer's level per competency
    comparison = pr.comparison(org.rep, sid)
    auto = {c["id"]: c["score"] for c in comparison.record.scorecard["competencies"]}  # type: ignore[index]
    assert [r.reviewer_name for r in comparison.reviews] == ["rob"]
    for row in comparison.rows:
        assert row.peers == [4] and row.peer_mean == 4
        assert row.automatic == auto.get(row.competency_id)
    assert pr.comparison(org.manager, sid).reviews  # the rep's manager sees it too
    with pytest.raises(PermissionDeniedError):
        pr.comparison(org.rep2, sid)  # a reviewer sees their own review, not the comparison


def test_submitting_needs_every_competency_evidence_and_an_overall_comment(
    services: AppServices, org: Org
) -> None:
    pr = services.peer_review
    sid = finished_call(services, org.rep)
    pr.share_with(org.rep, sid, org.rep2.id)
    full = _full_review(services, sid)
    first, *rest = list(full)
    with pytest.raises(PeerReviewError, match="choose a level"):
        pr.save(org.rep2, sid, {first: full[first]}, "overall", submit=True)
    bare = {**full, first: CompetencyReview(2, [], "")}
    with pytest.raises(PeerReviewError, match="Back each level with evidence"):
        pr.save(org.rep2, sid, bare, "overall", submit=True)
    with pytest.raises(PeerReviewError, match="overall comment"):
        pr.save(org.rep2, sid, full, "  ", submit=True)
    # 'not shown in this call' needs no evidence
    shown = {**full, rest[0]: CompetencyReview(None, [], "")}
    assert pr.save(org.rep2, sid, shown, "Good call overall.", submit=True).competencies[rest[0]].level is None


def test_cited_lines_must_exist_and_be_the_right_speakers(services: AppServices, org: Org) -> None:
    pr = services.peer_review
    sid = finished_call(services, org.rep)
    pr.share_with(org.rep, sid, org.rep2.id)
    comp = next(iter(_full_review(services, sid)))
    buyer = _lines(services, sid, "buyer")[0]
    rep = _lines(services, sid, "rep")[0]
    for competencies, moments, message in (
        ({comp: CompetencyReview(3, [999], "")}, [], "no turn 999"),
        ({comp: CompetencyReview(3, [buyer], "")}, [], "the buyer's line; cite the rep's lines"),
        ({}, [rep], "the rep's line; cite the buyer's lines"),
        ({comp: CompetencyReview(7, [rep], "")}, [], "level from 1 to 5"),
        ({"negotiation": CompetencyReview(3, [rep], "")}, [], "not a competency of this drill"),
        ({comp: {"level": 3, "turns": ["x"], "comment": ""}}, [], "not a turn number"),
        ({comp: CompetencyReview(3, [rep], "x" * 2001)}, [], "keep it under"),
    ):
        with pytest.raises(PeerReviewError, match=message):
            pr.save(org.rep2, sid, competencies, "", moments=moments)


def test_only_people_it_was_shared_with_and_the_reps_managers_open_it(services: AppServices, org: Org) -> None:
    pr = services.peer_review
    sid = finished_call(services, org.rep)
    # before sharing: the teammate, the other team's manager and rep get the 'no such call' answer
    for outsider in (org.rep2, org.other_manager, org.outsider):
        with pytest.raises(PermissionDeniedError, match="no practice session"):
            pr.sheet(outsider, sid)
        with pytest.raises(PermissionDeniedError):
            pr.save(outsider, sid, {}, "")
    assert pr.sheet(org.manager, sid).can_review  # the rep's manager may open (and score) it
    assert pr.sheet(org.admin, sid).owner.id == org.rep.id
    share = pr.share_with(org.rep, sid, org.rep2.id)
    assert pr.sheet(org.rep2, sid).record.id == sid
    for outsider in (org.other_manager, org.outsider):
        with pytest.raises(PermissionDeniedError):
            pr.sheet(outsider, sid)
    # the rep cannot review their own call
    own = pr.sheet(org.rep, sid)
    assert not own.can_review and "your own call" in own.why_not
    with pytest.raises(PeerReviewError, match="your own call"):
        pr.save(org.rep, sid, {}, "")
    # unsharing revokes access at once, draft or not
    pr.save(org.rep2, sid, {}, "draft")
    pr.unshare(org.rep, share.id)
    with pytest.raises(PermissionDeniedError):
        pr.sheet(org.rep2, sid)
    with pytest.raises(PermissionDeniedError):
        pr.save(org.rep2, sid, {}, "draft 2")
    assert pr.shared_with_me(org.rep2) == []
    with pytest.raises(PeerReviewError, match="does not exist"):
        pr.unshare(org.rep, share.id)


def test_who_may_share_with_whom(services: AppServices, org: Org) -> None:
    pr = services.peer_review
    sid = finished_call(services, org.rep)
    with pytest.raises(PeerReviewError, match="rep's team"):
        pr.share_with(org.rep, sid, org.outsider.id)  # another team
    with pytest.raises(PeerReviewError, match="own call"):
        pr.share_with(org.rep, sid, org.rep.id)
    with pytest.raises(PermissionDeniedError):
        pr.share_with(org.rep2, sid, org.rep2.id)  # not theirs to share
    with pytest.raises(PermissionDeniedError):
        pr.share_with(org.other_manager, sid, org.rep2.id)  # not their team
    with pytest.raises(PeerReviewError, match="Only a manager"):
        pr.open_to_team(org.rep, sid, org.team_id)
    with pytest.raises(PermissionDeniedError):
        pr.open_to_team(org.manager, sid, org.other_team_id)
    # a call in progress cannot be shared
    live = services.practice.store.create_session(
        scenario_id="saas-discovery-ops", persona_id="raj-ops", difficulty="easy", user_id=org.rep.id
    ).id
    with pytest.raises(PeerReviewError, match="still in progress"):
        pr.share_with(org.rep, live, org.rep2.id)
    # a disabled teammate is not offered and cannot be chosen
    services.accounts.set_disabled(org.admin, org.rep2.id, True)
    assert "rob" not in [u.username for u in pr.teammates(org.rep, sid)]
    with pytest.raises(PeerReviewError, match="disabled"):
        pr.share_with(org.rep, sid, org.rep2.id)


def test_a_manager_opens_a_call_to_the_team(services: AppServices, org: Org) -> None:
    pr = services.peer_review
    sid = finished_call(services, org.rep)
    share = pr.open_to_team(org.manager, sid, org.team_id)
    assert [(c.record.id, c.via) for c in pr.shared_with_me(org.rep2)] == [(sid, "team East")]
    assert pr.shared_with_me(org.rep) == []  # the owner's own call is not 'shared with me'
    assert pr.sheet(org.rep2, sid).can_review
    with pytest.raises(PermissionDeniedError):
        pr.sheet(org.outsider, sid)
    assert [i.target for i in pr.shares(org.rep, sid)] == ["team East"]
    # leaving the team ends access through the team share
    services.teams.remove_member(org.admin, org.team_id, org.rep2.id)
    with pytest.raises(PermissionDeniedError):
        pr.sheet(org.rep2, sid)
    services.teams.add_member(org.admin, org.team_id, org.rep2.id)
    assert pr.sheet(org.rep2, sid).record.id == sid
    pr.unshare(org.rep, share.id)  # the owner may withdraw a team share too
    with pytest.raises(PermissionDeniedError):
        pr.sheet(org.rep2, sid)


def test_a_disabled_account_gets_nothing(services: AppServices, org: Org) -> None:
    pr = services.peer_review
    sid = finished_call(services, org.rep)
    pr.share_with(org.rep, sid, org.rep2.id)
    services.accounts.set_disabled(org.admin, org.rep2.id, True)
    rob = services.accounts.get(org.rep2.id)
    assert rob is not None and rob.disabled
    for attempt in (
        lambda: pr.sheet(rob, sid),
        lambda: pr.save(rob, sid, {}, "x"),
        lambda: pr.shared_with_me(rob),
    ):
        with pytest.raises(PermissionDeniedError, match="disabled"):
            attempt()


def test_the_managers_dashboard_counts_review_activity(services: AppServices, org: Org, clock: Clock) -> None:
    pr = services.peer_review
    old = finished_call(services, org.rep)
    pr.share_with(org.rep, old, org.rep2.id)
    pr.save(org.rep2, old, _full_review(services, old), "fine", submit=True)
    clock.advance(40 * 86400)  # that was more than 30 days ago
    sid = finished_call(services, org.rep)
    pr.share_with(org.rep, sid, org.rep2.id)
    theirs = finished_call(services, org.rep2)
    pr.share_with(org.rep2, theirs, org.rep.id)
    pr.save(org.rep, theirs, _full_review(services, theirs), "Nice discovery.", submit=True)
    activity = {a.user.username: a for a in pr.team_activity(org.manager, org.team_id)}
    assert (activity["rita"].calls_shared, activity["rita"].reviews_given, activity["rita"].reviews_received,
            activity["rita"].waiting) == (1, 1, 0, 0)
    assert (activity["rob"].calls_shared, activity["rob"].reviews_given, activity["rob"].reviews_received,
            activity["rob"].waiting) == (1, 0, 1, 1)
    with pytest.raises(PermissionDeniedError):
        pr.team_activity(org.manager, org.other_team_id)
    with pytest.raises(PermissionDeniedError):
        pr.team_activity(org.rep, org.team_id)


def test_errors_are_messages_not_tracebacks(services: AppServices, org: Org) -> None:
    pr = services.peer_review
    for attempt in (
        lambda: pr.sheet(org.rep, None),
        lambda: pr.sheet(org.rep, "<script>" * 100),
        lambda: pr.share_with(org.rep, "nope", None),
        lambda: pr.unshare(org.rep, None),
        lambda: pr.comparison(org.rep, ""),
    ):
        with pytest.raises(SparringError) as info:
            attempt()
        assert "Traceback" not in str(info.value) and str(info.value)



# ---------------------------------------------------------------------------------------- the pages' handlers


def test_the_pages_list_score_and_compare(services: AppServices, org: Org) -> None:
    from simulator.web import peer_review_page as page

    sid = finished_call(services, org.rep)
    services.peer_review.share_with(org.rep, sid, org.rep2.id)
    rows, choices = page.shared_list(services, org.rep2)
    assert [c[1] for c in choices] == [sid] and rows[0][1] == "Rita Rep" and rows[0][-1] == "not started"
    opened = page.open_sheet(services, org.rep2, sid)
    assert "Rita Rep" in opened[0] and opened[1]  # title, transcript
    slot0 = opened[2:2 + 5]
    assert slot0[0]["visible"] is True and "Discovery" in slot0[1]
    assert slot0[2]["choices"][0] == ("Not shown in this call", page.NOT_SHOWN)
    rep_line = next(v for _, v in slot0[3]["choices"])
    record = services.practice.store.get_session(sid)
    assert record is not None
    entries = services.peer_review.rubric(record)
    values: list[Any] = []
    for i in range(page.SLOTS):
        values += [4, [rep_line], "ok"] if i < len(entries) else [None, [], ""]
    assert page.save_review(services, org.rep2, sid, values, [], "", submit=True).startswith("⚠ Before submitting")
    assert page.save_review(services, org.rep2, sid, values, [], "", submit=False).startswith("✓ Draft saved")
    done = page.save_review(services, org.rep2, sid, values, [], "Great <b>questions</b>", submit=True)
    assert done.startswith("✓ Review submitted")
    mine = page.open_sheet(services, org.rep2, sid)[-1]
    assert "Your review" in mine and "&lt;b&gt;" in mine and "<b>" not in mine
    table_md = page.comparison_markdown(services.peer_review.comparison(org.rep, sid))
    assert "| Competency | Automatic | rob | Peers' mean | Gap |" in table_md and "level 4" in table_md
    # a call not shared with the reader: a message, never a traceback
    assert page.open_sheet(services, org.outsider, sid)[0].startswith("⚠ There is no practice session")
    assert page.save_review(services, org.outsider, sid, values, [], "x", submit=True).startswith("⚠ There is no")


def test_the_dashboard_block_lists_each_rep(services: AppServices, org: Org) -> None:
    from simulator.web import peer_review_page as page

    sid = finished_call(services, org.rep)
    services.peer_review.share_with(org.rep, sid, org.rep2.id)
    rows = page.activity_rows(services, org.manager, org.team_id)
    assert sorted(r[0] for r in rows) == ["Rita Rep", "rob"]
    assert next(r for r in rows if r[0] == "rob")[4] == 1  # one call waiting for rob's review
