"""Unfinished calls in the web app: listed after a reload, reopened where they stopped (also in the
middle of an interrupted reply), ended from the list, and closed as abandoned after idling."""

from __future__ import annotations

from webtest_support import GOOD_CALL, Clock, Org

from simulator.services.app_services import AppServices
from simulator.web import practice_page as page


def _start(services: AppServices, org: Org) -> page.CallUpdate:
    return list(page.start_call(services, org.rep, "saas-discovery-ops", None, "medium"))[-1]


def _send(services: AppServices, org: Org, update: page.CallUpdate, text: str) -> page.CallUpdate:
    return list(page.send_message(services, org.rep, update.call, text, update.chat, update.stage))[-1]


def test_after_a_reload_the_call_is_listed_and_continues_where_it_stopped(services: AppServices, org: Org) -> None:
    update = _send(services, org, _start(services, org), GOOD_CALL[1])
    assert update.call is not None
    sid = update.call["session_id"]
    # the page is reloaded: its call state is gone, the call is in the list
    assert page.send_message(services, org.rep, None, "hello", [], "").__next__().status == page.NO_CALL_ON_PAGE
    assert [value for _, value in page.unfinished_choices(services, org.rep)] == [sid]
    assert page.unfinished_choices(services, org.rep2) == []  # nobody else sees it
    steps = list(page.continue_call(services, org.rep, sid))
    reopened = steps[-1]
    assert reopened.call is not None and reopened.call["session_id"] == sid
    assert [m["content"] for m in reopened.chat] == [m["content"] for m in update.chat]
    assert reopened.status == "Your turn." and "Stage" in reopened.stage
    after = _send(services, org, reopened, GOOD_CALL[2])
    assert after.chat[-2]["content"] == GOOD_CALL[2] and len(after.chat) == len(update.chat) + 2


def test_a_reply_interrupted_mid_turn_is_finished_when_the_call_is_reopened(services: AppServices, org: Org) -> None:
    update = _start(services, org)
    assert update.call is not None
    sid = update.call["session_id"]
    stream = services.sessions.send(org.rep, sid, GOOD_CALL[1])
    for event in stream:  # the server stops after the rep's turn is recorded, before the buyer's line
        if event["type"] == "turn":
            break
    stream.close()
    view = services.sessions.view(org.rep, sid)
    assert not view.waiting_for_rep and view.transcript[-1]["speaker"] == "rep"
    reopened = list(page.continue_call(services, org.rep, sid))[-1]
    assert [m["role"] for m in reopened.chat] == ["assistant", "user", "assistant"]
    assert reopened.chat[1]["content"] == GOOD_CALL[1] and reopened.chat[2]["content"] not in ("", "…")
    assert services.sessions.view(org.rep, sid).waiting_for_rep


def test_an_unfinished_call_can_be_ended_from_the_list_and_is_graded(services: AppServices, org: Org) -> None:
    update = _send(services, org, _start(services, org), GOOD_CALL[1])
    assert update.call is not None
    sid = update.call["session_id"]
    ended = page.end_call(services, org.rep, {"session_id": sid}, [])
    assert ended.ended and "Call ended" in ended.status and len(ended.chat) >= 3
    record = services.practice.store.get_session(sid)
    assert record is not None and record.status == "ended" and record.scorecard is not None
    assert page.unfinished_choices(services, org.rep) == []


def test_idle_calls_close_as_abandoned_and_count_neither_as_attempts_nor_in_comparisons(
    services: AppServices, org: Org, clock: Clock
) -> None:
    item = services.assignments.create(org.manager, scenario_id="saas-discovery-ops", difficulty="medium",
                                       target_kind="user", target_id=org.rep.id, max_attempts=2)
    clock.advance(60)
    graded = _send(services, org, _start(services, org), GOOD_CALL[1])
    assert graded.call is not None
    page.end_call(services, org.rep, graded.call, graded.chat)
    clock.advance(60)
    stranded = _send(services, org, _start(services, org), GOOD_CALL[1])
    assert stranded.call is not None
    sid = stranded.call["session_id"]
    clock.advance(services.practice.settings.call_idle_s - 1)
    assert [value for _, value in page.unfinished_choices(services, org.rep)] == [sid]  # not idle long enough
    clock.advance(2)
    assert page.unfinished_choices(services, org.rep) == []
    record = services.practice.store.get_session(sid)
    assert record is not None and record.status == "abandoned" and record.scorecard is None
    assert services.assignments.progress(item, org.rep.id).attempts == 1
    refused = list(page.send_message(services, org.rep, stranded.call, GOOD_CALL[2], stranded.chat, ""))[-1]
    assert "left idle" in refused.status and refused.message == GOOD_CALL[2]
    # the next graded attempt is compared with the graded one, not the abandoned one
    clock.advance(60)
    again = _send(services, org, _start(services, org), GOOD_CALL[1])
    assert again.call is not None
    page.end_call(services, org.rep, again.call, again.chat)
    card = services.practice.store.get_session(again.call["session_id"])
    assert card is not None and card.scorecard is not None
    assert card.scorecard["comparison"]["previous_overall"] is not None
