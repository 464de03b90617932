"""A model that fails in any way leaves the session usable, and every call ends with a scorecard.

The grader's LLM judge and a whole practice session (the conversation service with the grader hook,
as the web app and the CLI wire it) run against the real openai backend pointed at the fake server.
Before these fixes, malformed JSON from the judge's server escaped as a JSONDecodeError or an
AttributeError, the grader gave up and the call ended with no scorecard.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import Behaviour, FakeOpenAIServer, MalformedKind, settings_for

from grading import grade_session
from grading.grader import GradeOptions
from grading.judge import JudgeSettings
from grading.scorecard import Scorecard
from grading.service import scorecard_hook
from grading.transcript import parse_transcript, to_records
from simulator.engine.state import TurnRecord
from simulator.llm.base import ChatRequest, LLMError
from simulator.llm.openai_compat import OpenAICompatLLM
from simulator.session import PracticeService

CALL = """\
Alex: Hi Dana, thanks for making the time today. How's your week going?
Dana: Busy, quarter end. What's this about?
Alex: I'd like to learn how you handle dispatch today. How do you plan routes right now?
Dana: Mostly spreadsheets. Two dispatchers re-key every order into the routing sheet each morning.
Alex: What does that cost you when a mistake slips through?
Dana: Late deliveries, mostly.
Alex: Our import removes that re-keying step. Shall we book a demo with your COO on Tuesday at 10am?
Dana: Tuesday works.
"""
ADJUSTABLE = ("value_articulation", "rapport_communication")
FELL_BACK = "rules (llm reply invalid, fell back)"


@pytest.fixture
def call() -> list[TurnRecord]:
    return to_records(parse_transcript(CALL, rep="Alex"))


def _grade(turns: list[TurnRecord], llm: Any, timeout_s: float = 5.0) -> Scorecard:
    return grade_session(turns, scenario=None, persona=None, outcome=None, llm=llm,
                         options=GradeOptions(judge=JudgeSettings(mode="on", timeout_s=timeout_s)))


# --------------------------------------------------------------------------------------------
# the judge
# --------------------------------------------------------------------------------------------

def test_a_sane_judge_adjusts(fake_openai: FakeOpenAIServer, fake_llm: OpenAICompatLLM,
                              call: list[TurnRecord]) -> None:
    card = _grade(call, fake_llm)  # the fake answers an instance of the judge's schema
    assert card.settings.judge == "rules+llm" and not card.warnings
    assert {c.source for c in card.competencies if c.id in ADJUSTABLE} == {"rules+llm"}


@pytest.mark.parametrize("kind", ["content", "schema", "body", "fields"])
def test_judge_garbage_falls_back_to_the_rules(fake_openai: FakeOpenAIServer, fake_llm: OpenAICompatLLM,
                                               call: list[TurnRecord], kind: MalformedKind) -> None:
    fake_openai.behaviour = Behaviour.malformed_reply(kind)
    rules = _grade(call, None)
    card = _grade(call, fake_llm)
    assert card.overall == rules.overall
    assert any("LLM judge reply invalid" in w for w in card.warnings), card.warnings
    assert {c.source for c in card.competencies if c.id in ADJUSTABLE} == {FELL_BACK}
    assert 1 <= len(fake_openai.json_requests()) <= 6  # retried (maybe json_object too), then gave up


@pytest.mark.parametrize("behaviour", [
    pytest.param(Behaviour.hang(), id="hang"),
    pytest.param(Behaviour.trickle(0.2, piece_bytes=2), id="trickle"),
])
def test_a_stuck_judge_times_out_and_the_rules_stand(fake_openai: FakeOpenAIServer, fake_llm: OpenAICompatLLM,
                                                     call: list[TurnRecord], behaviour: Behaviour) -> None:
    fake_openai.behaviour = behaviour
    started = time.monotonic()
    card = _grade(call, fake_llm, timeout_s=1.0)
    assert time.monotonic() - started < 3.0
    assert any("timed out" in w for w in card.warnings), card.warnings
    assert {c.source for c in card.competencies if c.id in ADJUSTABLE} == {"rules"}


class _Broken:
    """A backend with a bug: it raises something that is not an LLMError."""

    name = "broken:test"
    generative = True

    def __init__(self, exc: Exception) -> None:
        self.exc = exc

    def stream_chat(self, request: ChatRequest) -> Iterator[str]:
        raise self.exc

    def complete_json(self, request: ChatRequest) -> dict[str, Any]:
        raise self.exc


@pytest.mark.parametrize("exc", [KeyError("choices"), AttributeError("'NoneType' has no 'content'"),
                                 ValueError("Expecting value"), LLMError("plain")])
def test_any_backend_exception_is_a_fallback_not_a_crash(call: list[TurnRecord], exc: Exception) -> None:
    card = _grade(call, _Broken(exc))
    assert any("LLM judge reply invalid" in w for w in card.warnings)


# --------------------------------------------------------------------------------------------
# a whole session: usable, and ends with a scorecard
# --------------------------------------------------------------------------------------------

def _session_settings(server: FakeOpenAIServer, tmp_path: Path) -> Any:
    return settings_for(server, tmp_path, judge="on", judge_timeout_s=1.5, llm_timeout_s=1.0,
                        reply_deadline_s=1.5, llm_retries=2)


def _lines(events: list[dict[str, Any]]) -> list[str]:
    return [e["text"] for e in events if e["type"] == "line"]


def _play_and_end(settings: Any) -> tuple[Any, dict[str, float]]:
    """Start, one rep message, End; returns the stored session record and the time each step took."""
    took: dict[str, float] = {}
    with PracticeService.open(settings, on_session_end=scorecard_hook(settings)) as service:
        started = time.monotonic()
        events = list(service.start("saas-discovery-ops"))
        took["start"] = time.monotonic() - started
        sid = events[0]["session_id"]
        assert _lines(events), events  # the buyer spoke (the model's line or the scripted gist)
        started = time.monotonic()
        events = list(service.send(sid, "How do you plan your delivery routes today?"))
        took["send"] = time.monotonic() - started
        assert _lines(events), events
        started = time.monotonic()
        events = list(service.end(sid))
        took["end"] = time.monotonic() - started
        assert any(e["type"] == "ended" for e in events), events
        record = service.store.get_session(sid)
    return record, took


def test_a_session_whose_judge_returns_garbage_is_graded(fake_openai: FakeOpenAIServer, tmp_path: Path) -> None:
    fake_openai.rule = lambda r: Behaviour.malformed_reply("content") if r.json_mode else None
    record, _ = _play_and_end(_session_settings(fake_openai, tmp_path))
    assert record is not None and record.status == "ended"
    card = record.scorecard
    assert card is not None, "the call ended without a scorecard"
    assert any("LLM judge reply invalid" in w for w in card["warnings"]), card["warnings"]
    assert fake_openai.json_requests() and fake_openai.chat_requests()  # the judge and the voice both ran


@pytest.mark.parametrize("behaviour", [
    pytest.param(Behaviour.malformed_reply("content"), id="malformed-content"),
    pytest.param(Behaviour.malformed_reply("body"), id="malformed-body"),
    pytest.param(Behaviour.malformed_reply("fields"), id="malformed-fields"),
    pytest.param(Behaviour.error(500), id="http-500"),
    pytest.param(Behaviour.disconnect(after_tokens=2), id="disconnect"),
    pytest.param(Behaviour.hang(), id="hang"),
    pytest.param(Behaviour.trickle(0.3), id="trickle"),
])
def test_a_session_survives_a_failing_model(fake_openai: FakeOpenAIServer, tmp_path: Path,
                                            behaviour: Behaviour) -> None:
    """Every request fails this way (the voice and the judge): the buyer speaks its scripted lines,
    each step ends within its deadlines, and the call still gets a scorecard."""
    fake_openai.behaviour = behaviour
    record, took = _play_and_end(_session_settings(fake_openai, tmp_path))
    assert record is not None and record.scorecard is not None, "the call ended without a scorecard"
    assert record.scorecard["warnings"], "the card should say the judge did not help"
    # reply deadline 1.5 s, judge deadline 1.5 s: generous bounds for the whole step.
    assert took["start"] < 6.0 and took["send"] < 6.0 and took["end"] < 6.0, took
