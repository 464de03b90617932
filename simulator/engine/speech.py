"""The rep's speech data for one turn: checked, made JSON-plain, and turned into record fields.

A voice UI sends it with the rep's text (``PracticeService.send(..., speech=...)``); it travels in
the graph's resume value and ends up on the rep's :class:`~simulator.engine.state.TurnRecord`
(``speech_s`` and ``delivery``) and, for ``buyer_speech_s``, on the buyer line before it. Every key
is optional::

    {
      "words": [{"text": "So,", "start": 0.42, "end": 0.61}, ...],  # from the start of the recording
      "duration_s": 5.2,       # length of the recording
      "pause_s": 1.1,          # buyer's audio end -> rep's first word; negative = spoke over the buyer
      "buyer_speech_s": 4.3,   # how long the buyer's previous line played (its audio length)
      "buyer_heard_words": 7,  # barge-in: the rep cut the buyer off after this many of its words
    }

A turn counts as spoken when ``words`` is not empty; a typed line in a voice session may still send
``buyer_speech_s`` alone. ``buyer_heard_words`` (barge-in) re-records the buyer's previous line with
only the words that were played before the rep started talking (``text``) and the rest that was never
spoken in ``unheard``.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from simulator.engine.state import Delivery, SpokenWord, TurnRecord
from simulator.errors import InvalidMessageError

MAX_WORDS = 2_000
"""More words than any rep turn could hold (the message limit is characters, this is a backstop)."""
MAX_SECONDS = 3_600.0
SPEECH_KEYS = ("words", "duration_s", "pause_s", "buyer_speech_s", "buyer_heard_words")


def _number(value: Any, name: str, *, low: float, high: float = MAX_SECONDS) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidMessageError(f"speech data: {name} must be a number of seconds, got {value!r}")
    if not low <= float(value) <= high:
        raise InvalidMessageError(f"speech data: {name} must be between {low:g} and {high:g} s, got {value}")
    return round(float(value), 3)


def _word(item: Any, i: int) -> SpokenWord:
    if not isinstance(item, dict):
        raise InvalidMessageError(f"speech data: words[{i}] must be an object with text, start and end")
    text = item.get("text", item.get("word"))
    if not isinstance(text, str):
        raise InvalidMessageError(f"speech data: words[{i}] needs a string 'text'")
    start = _number(item.get("start"), f"words[{i}].start", low=0.0)
    end = _number(item.get("end"), f"words[{i}].end", low=0.0)
    if end < start:
        raise InvalidMessageError(f"speech data: words[{i}] ends ({end}) before it starts ({start})")
    return SpokenWord(text=text.strip(), start=start, end=end)


def normalise_speech(speech: dict[str, Any] | None) -> dict[str, Any] | None:
    """Check ``speech`` and return a JSON-plain copy (None for None or an empty dict).

    Raises :class:`InvalidMessageError` (nothing is sent) for unknown keys, non-numbers, negative
    or absurd times and unordered words.
    """
    if speech is None:
        return None
    if not isinstance(speech, dict):
        raise InvalidMessageError("speech data must be a dict (see simulator/engine/speech.py)")
    unknown = sorted(set(speech) - set(SPEECH_KEYS))
    if unknown:
        raise InvalidMessageError(f"speech data: unknown key(s) {', '.join(unknown)}; known: {', '.join(SPEECH_KEYS)}")
    out: dict[str, Any] = {}
    words = speech.get("words")
    if words is not None:
        if not isinstance(words, list) or len(words) > MAX_WORDS:
            raise InvalidMessageError(f"speech data: words must be a list of at most {MAX_WORDS:,} words")
        checked = [w for w in (_word(item, i) for i, item in enumerate(words)) if w["text"]]
        for before, after in itertools.pairwise(checked):
            if after["start"] < before["start"]:
                raise InvalidMessageError("speech data: words must be in the order they were spoken")
        out["words"] = checked
    if speech.get("duration_s") is not None:
        out["duration_s"] = _number(speech["duration_s"], "duration_s", low=0.0)
    if speech.get("pause_s") is not None:
        out["pause_s"] = _number(speech["pause_s"], "pause_s", low=-MAX_SECONDS)
    if speech.get("buyer_speech_s") is not None:
        out["buyer_speech_s"] = _number(speech["buyer_speech_s"], "buyer_speech_s", low=0.0)
    heard = speech.get("buyer_heard_words")
    if heard is not None:
        if isinstance(heard, bool) or not isinstance(heard, int) or not 0 <= heard <= MAX_WORDS:
            raise InvalidMessageError(
                f"speech data: buyer_heard_words must be a whole number 0-{MAX_WORDS}, got {heard!r}"
            )
        out["buyer_heard_words"] = heard
    return out or None


def rep_speech_fields(speech: dict[str, Any] | None) -> tuple[float, Delivery] | None:
    """``(speech_s, delivery)`` for the rep's record; None when the turn was not spoken.

    ``speech_s`` is the time from the first word's start to the last word's end.
    """
    words: list[SpokenWord] = list((speech or {}).get("words") or [])
    if not speech or not words:
        return None
    spoken = round(max(0.0, words[-1]["end"] - words[0]["start"]), 3)
    duration = max(float(speech.get("duration_s") or 0.0), words[-1]["end"])
    return spoken, Delivery(words=words, pause_s=speech.get("pause_s"), duration_s=round(duration, 3))


def rerecords_buyer(speech: dict[str, Any] | None) -> bool:
    """Whether checked speech data re-records the buyer line before the rep's (see :func:`buyer_with_speech`)."""
    return speech is not None and (bool(speech.get("buyer_speech_s")) or speech.get("buyer_heard_words") is not None)


def buyer_with_speech(transcript: list[TurnRecord], speech: dict[str, Any] | None) -> TurnRecord | None:
    """The last buyer line with ``speech_s`` set from ``buyer_speech_s`` and, after a barge-in
    (``buyer_heard_words``), cut to the words that were heard; None when there is nothing to add.

    A line that already has ``speech_s`` keeps it (a resumed turn must not measure twice).
    """
    seconds = (speech or {}).get("buyer_speech_s")
    heard = (speech or {}).get("buyer_heard_words")
    if (not seconds and heard is None) or not transcript:
        return None
    last = transcript[-1]
    if last["speaker"] != "buyer" or last.get("speech_s") is not None or "unheard" in last:
        return None
    record: TurnRecord = dict(last)  # type: ignore[assignment]
    if seconds:
        record["speech_s"] = float(seconds)
    words = last["text"].split()
    if heard is not None and heard < len(words):
        record["text"] = (" ".join(words[:heard]) + " —").strip()
        record["unheard"] = " ".join(words[heard:])
    return record
