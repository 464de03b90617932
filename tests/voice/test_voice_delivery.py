"""Delivery metrics on hand-made timestamps, with exact expected numbers."""

from __future__ import annotations

import json

import pytest

from simulator.voice.delivery import (
    TimedWord,
    Turn,
    count_fillers,
    delivery_report,
    longest_monologue,
    response_pauses,
    speaking_rate_wpm,
    talk_ratio,
    turn_from_words,
)


def words(text: str, start: float, end: float) -> tuple[TimedWord, ...]:
    """Words of ``text`` of equal length, back to back from ``start`` to ``end``."""
    tokens = text.split()
    step = (end - start) / len(tokens)
    return tuple(TimedWord(w, round(start + i * step, 3), round(start + (i + 1) * step, 3))
                 for i, w in enumerate(tokens))


def conversation() -> list[Turn]:
    # Rep: 12 words in 4.0 s (180 wpm); buyer objects; rep pauses 1.5 s and answers 11 words in 4.0 s
    # (165 wpm); buyer speaks; rep answers after 0.25 s with 7 words in 2.0 s, then keeps going
    # with a second turn (8 words, 3.0 s) -> one 6.0 s monologue from 20.25 to 26.25.
    rep1 = "So, um, what does onboarding look like today for, like, your team?"
    buyer1 = "Honestly your price is way too high for us."
    rep2 = "I hear you. Can I ask what you are comparing against?"
    buyer2 = "The tool we already use."
    rep3 = "Got it. You know, that makes sense."
    rep4 = "It is kind of a common concern actually."
    w1 = words(rep1, 0.0, 4.0)
    w2 = words(rep2, 10.5, 14.5)
    w3 = words(rep3, 20.25, 22.25)
    w4 = words(rep4, 23.25, 26.25)
    return [
        Turn("Rep", 0.0, 4.0, rep1, w1),
        Turn("Buyer", 5.0, 9.0, buyer1, words(buyer1, 5.0, 9.0), objection=True),
        Turn("rep", 10.5, 14.5, rep2, w2),
        Turn("Buyer", 16.0, 20.0, buyer2, words(buyer2, 16.0, 20.0)),
        Turn("Rep", 20.25, 22.25, rep3, w3),
        Turn("Rep", 23.25, 26.25, rep4, w4),
    ]


def test_speaking_rate() -> None:
    turns = conversation()
    assert speaking_rate_wpm([turns[0]]) == 180.0
    assert speaking_rate_wpm([turns[2]]) == 165.0
    # 12 + 11 + 7 + 8 = 38 words over 4 + 4 + 2 + 3 = 13 s
    assert speaking_rate_wpm([t for t in turns if t.speaker.lower() == "rep"]) == round(38 * 60 / 13, 1)
    assert speaking_rate_wpm([Turn("Rep", 1.0, 1.0)]) is None


def test_pauses_and_objections() -> None:
    pauses = response_pauses(conversation())
    assert [(p.rep_turn, p.seconds, p.after_objection) for p in pauses] == [(2, 1.5, True), (4, 0.25, False)]
    overlap = [Turn("Buyer", 0.0, 3.0, "a b c"), Turn("Rep", 2.5, 4.0, "d e")]
    assert response_pauses(overlap)[0].seconds == -0.5  # an interruption is negative


def test_monologue_and_talk_ratio() -> None:
    turns = conversation()
    assert longest_monologue(turns) == (6.0, 4)
    assert longest_monologue(turns, rep="Nobody") == (0.0, None)
    # rep 13 s of 13 + 4 + 4 = 21 s of speech
    assert talk_ratio(turns) == round(13 / 21, 3)


def test_filler_rule() -> None:
    result = count_fillers(conversation()[0].tokens)
    assert result.counts == {"um": 1, "like": 1} and result.words == 12
    assert result.per_100_words == round(200 / 12, 2)
    not_fillers = ["I like it.", "It looks like a fit.", "We would like to see a demo.",
                   "Do you know the price?", "What kind of budget?", "That sort of thing matters.",
                   "I mean it."]
    for sentence in not_fillers:
        assert count_fillers(sentence).total == 0, sentence
    fillers = {"It is, like, expensive.": "like", "Like, we tried that.": "like", "Uh, sure.": "uh",
               "You know, the price.": "you know", "Fine, you know?": "you know",
               "I mean, we could.": "i mean", "It is kind of slow.": "kind of",
               "It's sort of fine.": "sort of",
               "We basically agree.": "basically", "We actually agree.": "actually", "Umm, okay.": "um",
               "It's kinda slow.": "kind of"}
    for sentence, kind in fillers.items():
        assert count_fillers(sentence).counts == {kind: 1}, sentence
    assert count_fillers("").per_100_words == 0.0


def test_report_is_json_and_has_references() -> None:
    report = delivery_report(conversation())
    data = json.loads(json.dumps(report.to_dict()))
    values = {m["key"]: m["value"] for m in data["metrics"]}
    assert values == {
        "speaking_rate_wpm": round(38 * 60 / 13, 1),
        "speaking_rate_after_objection_wpm": 165.0,
        "filler_words_per_100": round(100 * 5 / 38, 2),  # um, like, you know, kind of, actually
        "pause_after_objection_s": 1.5,
        "pause_before_answer_s": round((1.5 + 0.25) / 2, 3),
        "longest_monologue_s": 6.0,
        "talk_ratio": round(13 / 21, 3),
    }
    assert report.fillers.counts == {"um": 1, "like": 1, "you know": 1, "kind of": 1, "actually": 1}
    assert report.metric("speaking_rate_wpm").reference_value == 173.0
    assert report.metric("pause_after_objection_s").note == "pauses like top reps before answering objections"
    assert "Gong" in report.metric("longest_monologue_s").source
    assert report.rep_turns == 4
    with pytest.raises(KeyError):
        report.metric("nope")


def test_turn_helpers() -> None:
    class W:  # the shape of simulator.voice.stt.Word / faster-whisper words
        def __init__(self, word: str, start: float, end: float) -> None:
            self.word, self.start, self.end = word, start, end

    turn = turn_from_words("Rep", [W(" Hello", 0.2, 0.5), W(" there.", 0.5, 0.9)], offset=10.0)
    assert (turn.start, turn.end, turn.text, turn.tokens) == (10.2, 10.9, "Hello there.", ["Hello", "there."])
    from_dicts = turn_from_words("Rep", [{"text": "Hi", "start": 0, "end": 1}])
    assert from_dicts.words == (TimedWord("Hi", 0.0, 1.0),)
    assert turn_from_words("Rep", [], offset=3.0).start == 3.0
    assert Turn.from_dict(turn.to_dict()) == turn
    empty = delivery_report([])
    assert all(m.value is None for m in empty.metrics)
