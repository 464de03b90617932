"""Delivery metrics from spoken rep turns: speaking rate, spoken fillers, pause before an objection answer,
longest monologue and talk ratio in real seconds; not applicable in text practice; deterministic."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from grading import grade_session
from grading.metrics import compute_numbers, metric_entries
from grading.service import ScorecardHook
from grading.view import build_view
from simulator.config import Settings
from simulator.content.loader import ContentLibrary
from simulator.engine.state import TurnRecord
from simulator.session import PracticeService

Make = Callable[..., TurnRecord]


def spoken(text: str, *, start: float, step: float, pause: float | None) -> dict[str, Any]:
    """Fields of a spoken rep record: one word every ``step`` seconds from ``start`` in the recording."""
    words = [
        {"text": w, "start": round(start + i * step, 3), "end": round(start + (i + 1) * step, 3)}
        for i, w in enumerate(text.split())
    ]
    return {
        "speech_s": round(words[-1]["end"] - words[0]["start"], 3),
        "delivery": {"words": words, "pause_s": pause, "duration_s": words[-1]["end"] + 0.5},
    }


def move(kind: str) -> dict[str, Any]:
    return {"kind": kind, "gist": "", "required": [], "fact_id": None, "objection_id": "price" if "obj" in kind
            else None, "price": None, "reasons": [], "state_changes": []}


R1 = "Hi Dana, thanks for the time."  # 6 words, 0.3 s each -> 1.8 s
R3 = "Um, I understand, like, that is a fair concern today."  # 10 words -> 3.0 s
R5 = "What would the budget need to be?"  # 7 words, 0.4 s each -> 2.8 s


def voice_call(make: Make, *, last_pause: float | None = 0.3) -> list[TurnRecord]:
    return [
        make(0, "buyer", "Dana here, what's up?", move=move("greet"), speech_s=2.0),
        make(1, "rep", R1, **spoken(R1, start=0.5, step=0.3, pause=0.5)),
        make(2, "buyer", "Honestly it is too expensive for us.", move=move("raise_objection"), speech_s=3.0),
        make(3, "rep", R3, **spoken(R3, start=0.2, step=0.3, pause=1.5)),
        make(4, "buyer", "Still too pricey.", move=move("push_back")),  # no audio: 3 words at 150 wpm = 1.2 s
        make(5, "rep", R5, **spoken(R5, start=0.1, step=0.4, pause=last_pause)),
    ]


def metrics(turns: list[TurnRecord]) -> dict[str, dict[str, Any]]:
    view = build_view(turns, scenario=None, persona=None, outcome=None)
    return {k: m.model_dump() for k, m in metric_entries(compute_numbers(view), view).items()}


def test_voice_call_gets_delivery_metrics_beside_their_references(make: Make) -> None:
    m = metrics(voice_call(make))
    rate = m["speaking_rate"]
    assert rate["applicable"] and rate["value"] == round(23 * 60 / (1.8 + 3.0 + 2.8), 1)  # 181.6 wpm
    assert "173" in rate["benchmark"] and "Gong" in rate["source"] and "3 of 3 rep lines spoken" in rate["note"]
    fillers = m["spoken_filler_rate"]
    assert fillers["applicable"] and fillers["value"] == round(100 * 2 / 23, 2)
    assert fillers["note"] == "2 in 23 spoken words: um ×1, like ×1"
    assert "no published benchmark" in fillers["benchmark"]
    pause = m["objection_pause"]
    assert pause["applicable"] and pause["value"] == pytest.approx((1.5 + 0.3) / 2)
    assert "1.5 s" in pause["benchmark"] and "0.3 s" in pause["benchmark"] and "67,149" in pause["source"]
    assert pause["note"].startswith("2 objection(s) answered aloud")
    mono = m["longest_monologue_seconds"]
    assert (mono["value"], mono["note"]) == (3.0, "measured")
    talk = m["talk_ratio"]
    assert talk["unit"] == "% of seconds"
    assert talk["value"] == round(100 * 7.6 / (7.6 + 2.0 + 3.0 + 1.2), 1)
    assert "1 buyer line(s) without audio estimated" in talk["note"]


def test_unmeasured_pause_is_left_out_not_counted_as_zero(make: Make) -> None:
    pause = metrics(voice_call(make, last_pause=None))["objection_pause"]
    assert pause["value"] == 1.5 and "1 answer(s) without a measured pause left out" in pause["note"]


def test_text_practice_marks_delivery_metrics_not_applicable(make: Make) -> None:
    typed = [{k: v for k, v in t.items() if k not in ("speech_s", "delivery")} for t in voice_call(make)]
    m = metrics(typed)  # type: ignore[arg-type]
    for key in ("speaking_rate", "spoken_filler_rate", "objection_pause"):
        assert m[key]["applicable"] is False and m[key]["value"] is None, key
    assert "voice practice only" in m["objection_pause"]["note"]
    assert m["talk_ratio"]["unit"] == "% of words"


def test_typed_line_in_a_voice_call_counts_in_words_not_in_delivery(make: Make) -> None:
    turns = voice_call(make)
    turns[5] = make(5, "rep", R5)  # typed
    m = metrics(turns)
    assert m["talk_ratio"]["unit"] == "% of words"  # not every rep line was timed
    assert m["speaking_rate"]["value"] == round(16 * 60 / 4.8, 1) and "2 of 3" in m["speaking_rate"]["note"]
    assert m["objection_pause"]["value"] == 1.5


def test_negative_pause_means_the_rep_spoke_over_the_buyer(make: Make) -> None:
    turns = voice_call(make)
    turns[3] = make(3, "rep", R3, **spoken(R3, start=0.2, step=0.3, pause=-0.4))
    assert metrics(turns)["objection_pause"]["value"] == pytest.approx((-0.4 + 0.3) / 2)


@pytest.fixture
def voice_service(settings: Settings, library: ContentLibrary) -> Iterator[PracticeService]:
    hook = ScorecardHook(settings, library=library)
    with PracticeService.open(settings, library=library, on_session_end=hook, clock=lambda: 1_000.0) as svc:
        yield svc


LINES = [
    "Hi Dana, thanks for making time today.",
    "LaneSight shows you which lanes and carriers cause your detention fees.",
    "I understand, that's a fair concern. What's behind it for you?",
    "Makes sense. Most customers see payback in under a year. Could I show you the math?",
    "Can we book Thursday at 2pm to review the payback case with your logistics lead?",
]


def test_a_spoken_session_is_graded_with_delivery_metrics_deterministically(
    voice_service: PracticeService, library: ContentLibrary
) -> None:
    svc = voice_service
    sid = list(svc.start("logistics-objection-price"))[0]["session_id"]
    for i, line in enumerate(LINES):
        speech = spoken(line, start=0.3, step=0.32, pause=0.2 + 0.3 * i)["delivery"]
        speech["buyer_speech_s"] = 2.5
        events = list(svc.send(sid, line, speech=speech))
        if any(e["type"] == "ended" for e in events):
            break
    else:
        list(svc.end(sid))
    transcript = svc.get(sid).transcript
    objection_moves = {t["index"] for t in transcript if (t["move"] or {}).get("kind") in ("raise_objection",
                                                                                            "push_back")}
    assert objection_moves, "the drill raises an objection"
    expected = [t["delivery"]["pause_s"] for t in transcript if t["speaker"] == "rep" and t["index"] - 1 in
                objection_moves]
    card = svc.store.get_session(sid).scorecard  # type: ignore[union-attr]
    assert card is not None
    pause = card["metrics"]["objection_pause"]
    assert pause["applicable"] and pause["value"] == pytest.approx(sum(expected) / len(expected), abs=1e-3)
    assert card["metrics"]["speaking_rate"]["applicable"] and card["metrics"]["talk_ratio"]["unit"] == "% of seconds"
    record = svc.store.get_session(sid)
    assert record is not None
    again = [
        grade_session(transcript, scenario=library.scenario("logistics-objection-price"),
                      persona=library.persona(record.persona_id), outcome=record.outcome, llm=None)
        .model_dump(mode="json")
        for _ in range(2)
    ]
    assert json.dumps(again[0], sort_keys=True) == json.dumps(again[1], sort_keys=True)
    assert again[0]["metrics"]["objection_pause"] == pause
