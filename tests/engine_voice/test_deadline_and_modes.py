"""The whole-reply deadline, voice modes, and the consumers that clear the bubble on ``reset``."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from typing import Any, Literal

import pytest
from rich.console import Console
from voice_fakes import ChunkLLM, make_move, words

from simulator.config import Settings
from simulator.engine.actor import VoiceConfig, resolve_mode, voice_line
from simulator.engine.prompts import buyer_system_prompt
from simulator.llm.base import ChatRequest, GenerationOptions, LLMError
from simulator.llm.scripted import ScriptedLLM
from simulator.llm.template import TemplateLLM
from simulator.session import PracticeService
from simulator.session.events import Reply, fold
from simulator.terminal import render_events

GIST = "Honestly, it mostly runs on email. It gets done."


def _voice(llm: Any, events: list[dict[str, Any]], config: VoiceConfig, retries: int = 0) -> Any:
    return voice_line(llm, system_prompt="You are Raj.", history=[], rep_text="How do you handle it?",
                      move=make_move(GIST), locked_facts=[], options=GenerationOptions(timeout_s=30),
                      retries=retries, emit=events.append, config=config)


def test_a_slow_model_is_cut_off_at_the_deadline_and_the_gist_spoken_at_once(events: list[dict[str, Any]]) -> None:
    slow = ChunkLLM([2.0, *words("Honestly, it mostly runs on email. It gets done.")])
    started = time.monotonic()
    voiced = _voice(slow, events, VoiceConfig(mode="compose", deadline_s=0.3, prefill=False))
    elapsed = time.monotonic() - started
    assert elapsed < 1.5, f"the deadline did not cut the reply short ({elapsed:.2f} s)"
    assert voiced.text == GIST and voiced.voiced_by == "gist" and (voiced.rejected or "").startswith("deadline")
    assert events[-1]["type"] == "line" and events[-1]["text"] == GIST
    assert slow.closed.wait(5), "the abandoned stream was not closed (the model would stay busy)"


def test_the_deadline_covers_every_attempt_with_an_injected_clock(events: list[dict[str, Any]]) -> None:
    now = [0.0]

    def clock() -> float:
        now[0] += 4.0  # every look at the clock costs 4 s of (fake) time
        return now[0]

    failing = ChunkLLM([LLMError("timeout")], [LLMError("timeout")], [LLMError("timeout")], [LLMError("timeout")])
    voiced = _voice(failing, events, VoiceConfig(mode="compose", deadline_s=10, prefill=False, clock=clock), retries=3)
    assert voiced.text == GIST and (voiced.rejected or "").startswith("deadline")
    assert len(failing.requests) < 4, "attempts went on past the whole-reply deadline"


def test_without_a_deadline_a_slow_model_is_waited_for(events: list[dict[str, Any]]) -> None:
    slow = ChunkLLM([0.3, *words("Handle it? Barely. Honestly, it mostly runs on email, and it gets done.")])
    voiced = _voice(slow, events, VoiceConfig(mode="compose", deadline_s=None, prefill=False))
    assert voiced.voiced_by == "llm" and voiced.text.startswith("Handle it? Barely.")


def test_the_service_applies_the_deadline_setting(settings: Settings) -> None:
    slow = ChunkLLM([3.0, "Hello?"], [3.0, "Hello?"])
    s = settings.model_copy(update={"reply_deadline_s": 0.3, "voice_mode": "compose"})
    with PracticeService.open(s, llm=slow) as svc:
        started = time.monotonic()
        events = list(svc.start("saas-discovery-ops"))
        assert time.monotonic() - started < 2.0
        first = svc.get(events[0]["session_id"]).transcript[0]
    assert first["voiced_by"] == "gist" and (first["rejected"] or "").startswith("deadline")


def test_gist_mode_makes_no_model_call(events: list[dict[str, Any]]) -> None:
    llm = ScriptedLLM()  # any call would raise: nothing is enqueued and there is no fallback
    voiced = _voice(llm, events, VoiceConfig(mode="gist", prefill=False))
    assert voiced.text == GIST and voiced.voiced_by == "gist" and llm.requests == []
    assert "".join(e["text"] for e in events if e["type"] == "token") == GIST


def test_auto_mode_by_backend() -> None:
    assert resolve_mode("auto", TemplateLLM()) == "gist"
    assert resolve_mode("compose", TemplateLLM()) == "gist"  # no model, nothing to compose with
    openai_like = ScriptedLLM(name="openai:gpt-4o-mini")
    embedded_like = ScriptedLLM(name="embedded:qwen2.5-coder-1.5b-instruct-q4_k_m")
    assert resolve_mode("auto", openai_like) == "compose"
    assert resolve_mode("auto", embedded_like) in ("adapt", "gist")
    assert resolve_mode("adapt", openai_like) == "adapt"


def test_the_system_prompt_is_byte_stable_in_every_mode_and_the_direction_stays_last(settings: Settings) -> None:
    def said(request: ChatRequest) -> str:
        last = request.messages[-1]["content"]
        if 'SAY: "' in last:
            return "Sure. " + last.rsplit('SAY: "', 1)[1].rstrip('"')
        return "Right."  # adapt mode: only the reaction

    modes: tuple[Literal["adapt", "compose"], ...] = ("adapt", "compose")
    for mode in modes:
        llm = ScriptedLLM(fallback=said)
        s = settings.model_copy(update={"voice_mode": mode, "data_dir": settings.data_dir / mode})
        with PracticeService.open(s, llm=llm) as svc:
            sid = list(svc.start("saas-discovery-ops"))[0]["session_id"]
            list(svc.send(sid, "How are you handling order exceptions today?"))
            list(svc.send(sid, "What does that mean for your delivery promise?"))
            persona, scenario = svc.library.persona("raj-ops"), svc.library.scenario("saas-discovery-ops")
        systems = {r.messages[0]["content"] for r in llm.requests}
        assert systems == {buyer_system_prompt(persona, scenario, mode)}
        last = llm.requests[-1].messages
        direction = "[mood: " if mode == "adapt" else 'SAY: "'
        assert last[-1]["content"].startswith("What does that mean")
        assert direction in last[-1]["content"].split("\n\n")[-1]
        assert last[:-1] == (*llm.requests[-2].messages, last[-2])  # history only grows at the end


# --------------------------------------------------------------------------- consumers


def _events_with_a_retry() -> list[dict[str, Any]]:
    return [
        {"type": "token", "text": "Fair question."}, {"type": "reset"},
        {"type": "retry", "attempt": 1, "error": "timeout"},
        {"type": "token", "text": "Honestly, it mostly runs on email."}, {"type": "token", "text": " It gets done."},
        {"type": "line", "text": GIST, "voiced_by": "llm", "replaced": False},
    ]


def test_every_front_end_folds_the_same_way() -> None:
    """The one fold: after a reset the abandoned text is gone; the final line replaces what streamed."""
    reply = Reply()
    shown = []
    for event in _events_with_a_retry():
        reply = fold(reply, event)  # type: ignore[arg-type]
        shown.append(reply.buyer_text)
    assert shown == ["Fair question.", "", "", "Honestly, it mostly runs on email.",
                     "Honestly, it mostly runs on email. It gets done.", GIST]
    assert reply.retries == 1 and reply.line == GIST and not reply.answering


def test_the_web_bubble_is_cleared_on_reset() -> None:
    from simulator.web import practice_page as page

    update = page.CallUpdate([{"role": "assistant", "content": ""}], None)
    reply = Reply()
    bubbles = []
    for event in _events_with_a_retry():
        reply = fold(reply, event)  # type: ignore[arg-type]
        update = page._show(None, update, reply)  # type: ignore[arg-type]
        bubbles.append(update.chat[-1]["content"])
    assert bubbles[2] == "…"  # after the reset, the first attempt's text is gone
    assert bubbles[3] == "Honestly, it mostly runs on email."  # the retry does not pile onto it
    assert bubbles[-1] == GIST and not any("Fair question" in b for b in bubbles[1:])


def test_the_terminal_prints_the_line_once_after_a_reset() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200)
    render_events(console, iter(_events_with_a_retry()), "Raj")
    printed = out.getvalue()
    assert printed.count(GIST) == 1 and "Fair question" not in printed


def test_the_voice_panel_clears_its_bubble_on_reset(monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.web import voice_panel

    class FakeService:
        def send(self, *args: Any, **kwargs: Any) -> Iterator[dict[str, Any]]:
            yield from _events_with_a_retry()

    class Heard:
        text = "How do you handle it?"
        duration = 1.0
        words: tuple[Any, ...] = ()

    monkeypatch.setattr(voice_panel, "_heard", lambda path: (Heard(), None))
    monkeypatch.setattr(voice_panel, "speech_payload", lambda *a, **k: {})
    monkeypatch.setattr(voice_panel, "buyer_voice", lambda *a, **k: (None, "Raj"))
    monkeypatch.setattr(voice_panel, "_speak", lambda *a, **k: (None, None))
    steps = list(voice_panel.rep_audio_to_turn(FakeService(), "sid", "audio.wav", "rep", chat=[]))  # type: ignore[arg-type]
    bubbles = [chat[-1]["content"] for chat, *_ in steps if chat]
    assert "…" in bubbles and bubbles[-1] == GIST
    assert not any("Fair question" in b and "Honestly" in b for b in bubbles)
