"""The practice page's handlers, called directly: streaming, stage, hints, scorecard, bad input, failures."""

from __future__ import annotations

from typing import Any

import pytest
from webtest_support import GOOD_CALL, Clock, Org, echo_gist, grader_hook

from simulator.config import Settings
from simulator.llm.base import ChatRequest, LLMError
from simulator.llm.scripted import ScriptedLLM
from simulator.services.app_services import AppServices
from simulator.services.hints import HINTS_PER_SESSION
from simulator.services.passwords import Passwords, fast_hasher
from simulator.session import PracticeService
from simulator.web import practice_page as page
from simulator.web.session_view import session_panel


def _start(services: AppServices, org: Org, scenario: str = "saas-discovery-ops") -> page.CallUpdate:
    updates = list(page.start_call(services, org.rep, scenario, None, "medium"))
    assert len(updates) > 2, "the opening line streams in several steps"
    return updates[-1]


def _send(services: AppServices, org: Org, update: page.CallUpdate, text: str) -> page.CallUpdate:
    return list(page.send_message(services, org.rep, update.call, text, update.chat, update.stage))[-1]


def test_a_whole_call_streams_shows_the_stage_and_ends_with_a_scorecard(
    services: AppServices, org: Org
) -> None:
    update = _start(services, org)
    assert update.call and update.call["persona_id"] == "raj-ops"
    opening = update.chat[0]["content"]
    assert update.chat[0]["role"] == "assistant" and opening.startswith("Well, ") and "Raj" in opening, opening
    assert "Stage 1 of 3" in update.stage
    for line in GOOD_CALL[1:]:
        update = _send(services, org, update, line)
        assert update.message == "" and update.chat[-2]["content"] == line
    assert ("Stage" in update.stage and "discovery" in update.stage) or "next steps" in update.stage
    assert update.call is not None
    ended = page.end_call(services, org.rep, update.call, update.chat)
    assert ended.ended and "Call ended" in ended.status
    panel = session_panel(services, org.rep, update.call["session_id"])
    assert "Score:" in panel.headline and "/100" in panel.headline
    assert "Turn " in panel.competencies  # cited evidence: the rep's own lines with turn numbers
    assert "Metrics beside benchmarks" in panel.metrics
    assert panel.chart is not None and panel.next_drill
    assert len(panel.chat) == len(services.sessions.view(org.rep, update.call["session_id"]).transcript)


def test_the_second_attempt_is_compared_with_the_first(services: AppServices, org: Org, clock: Clock) -> None:
    for _ in range(2):
        clock.advance(600)
        update = _start(services, org)
        for line in GOOD_CALL[1:3]:
            update = _send(services, org, update, line)
        page.end_call(services, org.rep, update.call, update.chat)
    panel = session_panel(services, org.rep, update.call["session_id"])  # type: ignore[index]
    assert "Compared with your last attempt" in panel.headline


def test_bad_messages_are_refused_and_the_text_stays_in_the_box(services: AppServices, org: Org) -> None:
    update = _start(services, org)
    before = list(update.chat)
    for text, reason in (("   ", "empty"), ("x" * 2001, "limit is 2,000")):
        result = list(page.send_message(services, org.rep, update.call, text, update.chat))[-1]
        assert reason in result.status and result.message == text and result.chat == before
    no_call = list(page.send_message(services, org.rep, None, "hello", []))[-1]
    assert "No call on this page" in no_call.status and no_call.message == "hello"


def test_html_in_a_message_is_shown_as_text(services: AppServices, org: Org) -> None:
    update = _start(services, org)
    update = _send(
        services, org, update, "<script>alert(1)</script> <b>Hi</b> **there** [x](javascript:alert(1))"
    )
    shown = update.chat[-2]["content"]
    assert "<script>" not in shown and "<b>" not in shown and "&lt;script&gt;" in shown
    assert "\\*\\*there\\*\\*" in shown and "\\[x\\]" in shown


def test_another_users_session_id_is_refused(services: AppServices, org: Org) -> None:
    update = _start(services, org)
    stolen = dict(update.call or {})
    result = list(page.send_message(services, org.rep2, stolen, "Tell me your secrets", []))[-1]
    assert "no practice session" in result.status.lower() and result.message == "Tell me your secrets"
    assert "no practice session" in page.end_call(services, org.rep2, stolen, []).status.lower()
    assert "no practice session" in page.ask_hint(services, org.rep2, stolen).lower()
    assert session_panel(services, org.rep2, stolen["session_id"]).error
    assert len(services.sessions.view(org.rep, stolen["session_id"]).transcript) == 1  # nothing was added


def test_an_unavailable_voice_model_is_reported_and_nothing_is_lost(
    settings: Settings, org: Org, services: AppServices
) -> None:
    llm = services.practice.llm
    assert isinstance(llm, ScriptedLLM)
    update = _start(services, org)
    llm.enqueue(
        LLMError("connection refused"), LLMError("connection refused"), LLMError("connection refused")
    )
    services.practice.settings.llm_retries = 2
    update = _send(services, org, update, "How are you handling order exceptions today?")
    assert "voice model failed" in update.status and "connection refused" in update.status
    view = services.sessions.view(org.rep, update.call["session_id"])  # type: ignore[index]
    assert (
        view.waiting_for_rep and view.transcript[-2]["text"] == "How are you handling order exceptions today?"
    )
    assert update.chat[-1]["content"]  # the buyer's scripted line was shown instead


def test_a_crash_in_the_engine_keeps_the_message(tmp_path: Any, org: Org) -> None:
    settings = Settings(data_dir=tmp_path / "crash", cache_dir=tmp_path / "cache", llm="template")
    calls = {"n": 0}

    def flaky(request: ChatRequest) -> str:
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("backend exploded")
        return echo_gist(request)

    with PracticeService.open(
        settings, llm=ScriptedLLM(fallback=flaky), on_session_end=grader_hook(settings)
    ) as p:
        s = AppServices.build(p, passwords=Passwords(fast_hasher()))
        rep, _ = s.accounts.create_user("rita", password="correct horse battery")
        update = list(page.start_call(s, rep, "saas-discovery-ops", None, "medium"))[-1]
        failed = list(
            page.send_message(
                s, rep, update.call, "How are you handling order exceptions today?", update.chat
            )
        )[-1]
        assert "unavailable" in failed.status and "RuntimeError" in failed.status
        # the rep's line was accepted before the reply failed: it is shown, not left in the box to resend
        assert failed.message == "" and "saved" in failed.status
        after = list(page.send_message(s, rep, update.call, "What does that cost you?", failed.chat))[-1]
        assert "unavailable" not in after.status
        rep_lines = [
            t["text"]
            for t in s.sessions.view(rep, update.call["session_id"]).transcript  # type: ignore[index]
            if t["speaker"] == "rep"
        ]
        assert rep_lines == ["How are you handling order exceptions today?", "What does that cost you?"]


def test_a_model_that_cannot_start_is_reported(tmp_path: Any) -> None:
    settings = Settings(data_dir=tmp_path / "nomodel", cache_dir=tmp_path / "cache", llm="template")

    def broken(_: Settings) -> Any:
        raise OSError("model file missing")

    with PracticeService.open(settings, llm_factory=broken) as p:
        s = AppServices.build(p, passwords=Passwords(fast_hasher()))
        rep, _ = s.accounts.create_user("rita", password="correct horse battery")
        update = list(page.start_call(s, rep, "saas-discovery-ops", None, "medium"))[-1]
        assert "unavailable" in update.status and update.call is None
        assert s.sessions.history(rep) == []


def test_hints_are_limited_recorded_and_repeat_for_free(services: AppServices, org: Org) -> None:
    update = _start(services, org)
    first = page.ask_hint(services, org.rep, update.call)
    assert "Hint:" in first and f"{HINTS_PER_SESSION - 1} hints left" in first
    assert page.ask_hint(services, org.rep, update.call) == first  # same turn: no hint used
    for line in ("Do you use spreadsheets?", "Is that a problem?", "Is it slow?"):
        update = _send(services, org, update, line)
        page.ask_hint(services, org.rep, update.call)
    update = _send(services, org, update, "Are you the decision maker?")
    assert "used all" in page.ask_hint(services, org.rep, update.call)
    sid = update.call["session_id"]  # type: ignore[index]
    assert len(services.hints.history(org.rep, sid)) == HINTS_PER_SESSION
    assert "Hints used" in session_panel(services, org.rep, sid).title
    assert "Start a call first" in page.ask_hint(services, org.rep, None)


def test_closed_questions_in_a_row_get_a_hint_about_open_questions(services: AppServices, org: Org) -> None:
    update = _start(services, org)
    for line in ("Do you use spreadsheets?", "Is that slow?", "Is it a problem?"):
        update = _send(services, org, update, line)
    assert "closed questions in a row" in page.ask_hint(services, org.rep, update.call)


def test_the_picker_shows_brief_buyers_and_rubric(services: AppServices) -> None:
    choices = page.scenario_choices(services)
    assert ("saas-discovery-ops" in {c[1] for c in choices}) and all(c[0] for c in choices)
    assert page.persona_choices(services, "saas-discovery-ops")[0][1] == "raj-ops"
    assert page.persona_choices(services, "nope") == []
    brief = page.brief_markdown(services, "saas-discovery-ops", None, "hard")
    assert "Raj Mehta" in brief and "Objective" in brief and "**Difficulty:** hard" in brief
    rubric = page.rubric_markdown(services.practice.library.scenario("saas-discovery-ops"))
    assert "weight" in rubric and "1. " in rubric and "5. " in rubric  # five level descriptions
    assert "unknown scenario" in page.brief_markdown(services, "nope", None, "medium")
    assert page.stage_markdown(services, "saas-discovery-ops", "discovery").startswith("**Stage 2 of 3")


@pytest.mark.parametrize(
    "card",
    [
        None,
        {},
        {"overall": "high", "competencies": "x", "metrics": [1, None]},
        {"competencies": [{"id": 3}, None, {"name": "<b>x</b>", "score": 2}]},
    ],
)
def test_odd_scorecards_render_without_errors(card: Any) -> None:
    from simulator.web import charts
    from simulator.web.scorecard_view import scorecard_markdown

    text = scorecard_markdown(card)
    assert "<b>" not in text
    charts.competency_chart(card)
