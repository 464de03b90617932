"""When the LLM judge runs (SPARRING_JUDGE), and its whole-call deadline (SPARRING_JUDGE_TIMEOUT_S)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from grader_fakes import CALL, FakeRecord, FakeStore

from grading import cli, grade_session
from grading.grader import GradeOptions
from grading.judge import JudgeSettings, judge_enabled, judge_settings
from grading.scorecard import Scorecard
from grading.service import scorecard_hook
from simulator.config import Settings, load_settings
from simulator.content.loader import ContentLibrary
from simulator.engine.state import TurnRecord
from simulator.llm.base import ChatRequest
from simulator.llm.factory import create_llm
from simulator.llm.scripted import ScriptedLLM
from simulator.llm.template import TemplateLLM

ADJUSTABLE = ("value_articulation", "rapport_communication")


def _reply(turn: int, va: int = 1) -> dict[str, Any]:
    return {
        "value_articulation": {"adjust": va, "turn": turn, "reason": "ties value to the pain"},
        "rapport_communication": {"adjust": 0, "turn": turn, "reason": "fine"},
    }


def _grade(turns: list[TurnRecord], llm: Any, judge: JudgeSettings | None = None) -> Scorecard:
    return grade_session(
        turns, scenario=None, persona=None, outcome=None, llm=llm,
        options=GradeOptions(judge=judge or JudgeSettings()),
    )


class SlowLLM(ScriptedLLM):
    """Answers only after ``delay`` seconds (or when released), like a stalled server."""

    def __init__(self, delay: float, replies: list[Any] | None = None) -> None:
        super().__init__(replies, name="openai:slow")
        self.delay = delay
        self.release = threading.Event()

    def complete_json(self, request: ChatRequest) -> dict[str, Any]:
        self.release.wait(self.delay)
        return super().complete_json(request)


@pytest.fixture
def slow() -> Iterator[SlowLLM]:
    llm = SlowLLM(delay=5.0)
    yield llm
    llm.release.set()  # let the abandoned call finish


def test_settings_defaults_and_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    default = judge_settings(load_settings())
    assert default.mode == "auto" and default.timeout_s == 30.0
    monkeypatch.setenv("SPARRING_JUDGE", "off")
    monkeypatch.setenv("SPARRING_JUDGE_TIMEOUT_S", "12.5")
    assert judge_settings(load_settings()) == JudgeSettings(mode="off", timeout_s=12.5)
    monkeypatch.setenv("SPARRING_JUDGE", "sometimes")
    with pytest.raises(ValueError, match="SPARRING_JUDGE="):
        load_settings()


def test_auto_is_off_for_the_embedded_model_and_on_for_openai(settings: Settings) -> None:
    embedded = create_llm(settings.model_copy(update={"llm": "embedded"}))  # built, never loaded
    openai = create_llm(settings.model_copy(update={"llm": "openai", "openai_api_key": "test"}))
    assert not judge_enabled(embedded, "auto") and judge_enabled(embedded, "on")
    assert judge_enabled(openai, "auto") and not judge_enabled(openai, "off")
    assert not judge_enabled(TemplateLLM(), "on") and not judge_enabled(None, "on")


def test_embedded_backend_is_not_asked_by_default(good_call: list[TurnRecord]) -> None:
    embedded = ScriptedLLM([], name="embedded:qwen2.5-coder-1.5b-instruct-q4_k_m")
    card = _grade(good_call, embedded)
    assert embedded.requests == [] and card.settings.judge == "rules" and card.warnings == []
    assert all(c.source == "rules" for c in card.competencies)
    turn = next(t["index"] for t in good_call if t["speaker"] == "rep")
    forced = ScriptedLLM([_reply(turn)], name="embedded:qwen2.5-coder-1.5b-instruct-q4_k_m")
    card = _grade(good_call, forced, JudgeSettings(mode="on"))
    assert len(forced.requests) == 1 and card.settings.judge == "rules+llm"


def test_openai_backend_is_asked_by_default_and_off_forces_rules(good_call: list[TurnRecord]) -> None:
    turn = next(t["index"] for t in good_call if t["speaker"] == "rep")
    openai = ScriptedLLM([_reply(turn)], name="openai:gpt-4o-mini")
    card = _grade(good_call, openai)
    comp = card.competency("value_articulation")
    assert len(openai.requests) == 1 and comp is not None and comp.source == "rules+llm"
    off = ScriptedLLM([], name="openai:gpt-4o-mini")
    assert _grade(good_call, off, JudgeSettings(mode="off")).settings.judge == "rules" and off.requests == []


def test_a_stalled_model_times_out_and_rule_scores_stand(good_call: list[TurnRecord], slow: SlowLLM) -> None:
    rules = _grade(good_call, None)
    started = time.monotonic()
    card = _grade(good_call, slow, JudgeSettings(timeout_s=0.3))
    assert time.monotonic() - started < 2.5
    assert "LLM judge timed out after 0.3 s; rule scores stand" in card.warnings
    assert not any("invalid" in w for w in card.warnings)
    assert [c.score for c in card.competencies] == [c.score for c in rules.competencies]
    assert all(c.source == "rules" and c.llm is None for c in card.competencies)
    assert card.settings.judge == "rules" and len(slow.requests) <= 1
    assert slow.requests == [] or slow.requests[0].options.timeout_s <= 0.3  # the backend gets the deadline


def test_the_deadline_covers_every_attempt(good_call: list[TurnRecord]) -> None:
    slowish = SlowLLM(delay=0.25, replies=["not json"] * 5)
    try:
        card = _grade(good_call, slowish, JudgeSettings(timeout_s=0.6, retries=4))
    finally:
        slowish.release.set()
    assert any("timed out after 0.6 s" in w for w in card.warnings)
    assert 2 <= len(slowish.requests) <= 3


def test_malformed_replies_are_retried_then_reported_invalid(good_call: list[TurnRecord]) -> None:
    llm = ScriptedLLM(["not json", "{also not json", "[1, 2]"], name="openai:gpt-4o-mini")
    card = _grade(good_call, llm, JudgeSettings(retries=2))
    assert len(llm.requests) == 3 and llm.pending == 0
    assert any("reply invalid after 3 attempt(s)" in w for w in card.warnings)
    assert not any("timed out" in w for w in card.warnings)
    for cid in ADJUSTABLE:
        comp = card.competency(cid)
        assert comp is not None and comp.source == "rules (llm reply invalid, fell back)"


def test_cli_and_session_hook_use_the_settings(
    tmp_path: Path, settings: Settings, library: ContentLibrary, played: Any
) -> None:
    path = tmp_path / "call.txt"
    path.write_text(CALL, encoding="utf-8")
    off = settings.model_copy(update={"judge": "off"})
    llm = ScriptedLLM([], name="openai:gpt-4o-mini")
    card = json.loads(cli.run_grade(str(path), rep="Alex", settings=off, library=library, llm=llm))
    assert llm.requests == [] and card["settings"]["judge"] == "rules"
    stalled = SlowLLM(delay=5.0)
    try:
        timed = settings.model_copy(update={"judge_timeout_s": 0.2})
        line = next(cli.run_batch([str(path)], rep="Alex", settings=timed, library=library, llm=stalled))
    finally:
        stalled.release.set()
    assert line["warnings"] == ["LLM judge timed out after 0.2 s; rule scores stand"]
    result = played("objection_strong")
    hook_llm = ScriptedLLM([], name="openai:gpt-4o-mini")
    hook = scorecard_hook(off, llm=hook_llm, library=library, store=FakeStore())
    scored = hook(FakeRecord("s1", "logistics-objection-price", "dana-cfo", outcome=result.outcome), result.transcript)
    assert scored is not None and scored["settings"]["judge"] == "rules" and hook_llm.requests == []
