"""Speech data through the engine: send(..., speech=...) → the rep's record, the buyer's speaking time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from simulator.config import Settings
from simulator.engine.speech import normalise_speech, rep_speech_fields
from simulator.engine.state import TurnRecord, add_turns
from simulator.errors import InvalidMessageError
from simulator.session import PracticeService

WORDS = [
    {"text": "Um,", "start": 0.40, "end": 0.62},
    {"text": "how", "start": 0.70, "end": 0.85},
    {"text": "are", "start": 0.85, "end": 0.95},
    {"text": "you", "start": 0.95, "end": 1.10},
    {"text": "handling", "start": 1.10, "end": 1.50},
    {"text": "exceptions?", "start": 1.50, "end": 2.30},
]
SPEECH: dict[str, Any] = {"words": WORDS, "duration_s": 3.0, "pause_s": 1.2, "buyer_speech_s": 4.5}


@pytest.fixture
def service(settings: Settings) -> Iterator[PracticeService]:
    with PracticeService.open(settings, clock=lambda: 1_000.0) as svc:
        yield svc


def _start(svc: PracticeService) -> str:
    return str(list(svc.start("saas-discovery-ops"))[0]["session_id"])


def test_spoken_turn_is_stored_on_the_rep_record_and_times_the_buyer_line(service: PracticeService) -> None:
    sid = _start(service)
    events = list(service.send(sid, "Um, how are you handling exceptions?", speech=SPEECH))
    rep_event = next(e["record"] for e in events if e["type"] == "turn" and e["record"]["speaker"] == "rep")
    transcript = service.get(sid).transcript
    opening, rep, reply = transcript[0], transcript[1], transcript[2]
    assert rep == rep_event
    assert rep["speech_s"] == pytest.approx(2.3 - 0.4)
    assert rep["delivery"] == {"words": WORDS, "pause_s": 1.2, "duration_s": 3.0}
    assert opening["speech_s"] == 4.5 and opening["text"] == transcript[0]["text"]
    assert "speech_s" not in reply and "delivery" not in reply
    assert [t["index"] for t in transcript] == [0, 1, 2]  # the buyer line was replaced, not appended
    # a typed line next: no delivery on the rep record; the buyer line before it gets its time
    list(service.send(sid, "Who else decides on this?", speech={"buyer_speech_s": 2.0}))
    transcript = service.get(sid).transcript
    assert "delivery" not in transcript[3] and "speech_s" not in transcript[3]
    assert transcript[2]["speech_s"] == 2.0
    assert len(service.store.get_turns(sid)) == len(transcript) == 5


def test_text_turns_are_unchanged(service: PracticeService) -> None:
    sid = _start(service)
    list(service.send(sid, "How are you handling exceptions?"))
    assert all("speech_s" not in t and "delivery" not in t for t in service.get(sid).transcript)


@pytest.mark.parametrize(
    ("speech", "message"),
    [
        ({"words": WORDS, "volume": 3}, "unknown key"),
        ({"words": [{"text": "hi", "start": 1.0, "end": 0.5}]}, "ends"),
        ({"words": [{"text": "a", "start": 1.0, "end": 1.1}, {"text": "b", "start": 0.2, "end": 0.3}]}, "order"),
        ({"pause_s": "long"}, "number"),
        ({"buyer_speech_s": -1}, "between"),
        ({"duration_s": float("nan")}, "number"),
        ("words", "must be a dict"),
    ],
)
def test_bad_speech_data_is_refused_and_nothing_is_sent(
    service: PracticeService, speech: Any, message: str
) -> None:
    sid = _start(service)
    before = service.get(sid).transcript
    with pytest.raises(InvalidMessageError, match=message):
        list(service.send(sid, "Hello?", speech=speech))
    assert service.get(sid).transcript == before and service.get(sid).waiting_for_rep


def test_normalise_speech_is_json_plain_and_drops_blank_words() -> None:
    raw = {"words": [{"word": " Hi ", "start": 0, "end": 0.3}, {"text": " ", "start": 0.3, "end": 0.4}],
           "duration_s": 1, "pause_s": -0.25}
    assert normalise_speech(raw) == {"words": [{"text": "Hi", "start": 0.0, "end": 0.3}], "duration_s": 1.0,
                                     "pause_s": -0.25}
    assert normalise_speech({}) is None and normalise_speech(None) is None
    assert rep_speech_fields({"buyer_speech_s": 2.0}) is None
    spoken = rep_speech_fields({"words": [{"text": "Hi", "start": 0.5, "end": 0.9}]})
    assert spoken == (0.4, {"words": [{"text": "Hi", "start": 0.5, "end": 0.9}], "pause_s": None, "duration_s": 0.9})


def test_transcript_reducer_appends_and_replaces_by_index() -> None:
    def rec(i: int, text: str) -> TurnRecord:
        return {"index": i, "text": text}  # type: ignore[typeddict-item]

    left = [rec(0, "a"), rec(1, "b")]
    assert add_turns(left, []) is left
    merged = add_turns(left, [rec(0, "A"), rec(2, "c")])
    assert [(r["index"], r["text"]) for r in merged] == [(0, "A"), (1, "b"), (2, "c")]
    assert [r["text"] for r in left] == ["a", "b"]
