"""Helpers for live voice turns, shared by the terminal, the browser handlers and the benchmark.

* :func:`speech_payload` — a :class:`~simulator.voice.stt.Transcript` → the JSON-plain ``speech``
  dict ``PracticeService.send(..., speech=...)`` takes (format: :mod:`simulator.engine.speech`).
* :class:`BuyerPlayback` — remembers when the buyer's last audio ended and how long it was, to
  measure the rep's pause before speaking and the buyer's speaking time.
* :class:`SentenceSplitter` — complete sentences out of a token stream, so the first sentence of the
  buyer's reply can be spoken while the rest is still generated.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from simulator.voice.stt import Transcript


def speech_payload(
    transcript: Transcript,
    *,
    recording_started: float | None = None,
    buyer_audio_ended: float | None = None,
    buyer_speech_s: float | None = None,
    buyer_heard_words: int | None = None,
) -> dict[str, Any]:
    """The ``speech`` dict for a spoken rep turn.

    ``recording_started`` and ``buyer_audio_ended`` are times on one clock (e.g. ``time.monotonic()``);
    when both are known, ``pause_s`` = (recording start − buyer audio end) + first word's start in
    the recording. Negative means the rep spoke over the buyer. ``buyer_heard_words`` (barge-in):
    the rep cut the buyer's last line off after that many words.
    """
    spoken = [w for w in transcript.words if w.text.strip()]
    words = [{"text": w.text, "start": w.start, "end": w.end} for w in spoken]
    payload: dict[str, Any] = {"words": words, "duration_s": round(transcript.duration, 3)}
    if spoken and recording_started is not None and buyer_audio_ended is not None:
        payload["pause_s"] = round(recording_started - buyer_audio_ended + spoken[0].start, 3)
    if buyer_speech_s:
        payload["buyer_speech_s"] = round(buyer_speech_s, 3)
    if buyer_heard_words is not None:
        payload["buyer_heard_words"] = int(buyer_heard_words)
    return payload


def words_heard(clips: list[tuple[str, float, float]], at: float) -> int:
    """How many words of a line were heard when playback stopped at ``at``.

    ``clips`` are the line's pieces in order as ``(text, start, end)`` on one clock (a sentence per
    clip). A clip that finished counts whole; inside the clip playing at ``at``, a word counts when
    playback passed its middle, words taken to be spoken at an even pace per character.
    """
    count = 0
    for text, start, end in clips:
        words = text.split()
        if at >= end:
            count += len(words)
            continue
        if at <= start or not words:
            break
        reached = (at - start) / max(end - start, 1e-6) * len(text)
        position = 0
        for word in words:
            begin = text.index(word, position)
            position = begin + len(word)
            if (begin + position) / 2 > reached:
                break
            count += 1
        break
    return count


@dataclass
class _Played:
    ended: float
    seconds: float | None


class BuyerPlayback:
    """When each session's buyer audio finished (or will finish) playing, on one clock. Thread-safe.

    Keeps the latest ``max_sessions`` sessions (a long-running server forgets the oldest).
    """

    def __init__(self, max_sessions: int = 10_000) -> None:
        self.max_sessions = max_sessions
        self._played: dict[str, _Played] = {}
        self._lock = threading.Lock()

    def played(self, session_id: str, *, ended: float, seconds: float | None) -> None:
        """Record that the buyer's line ends playing at ``ended`` and lasts ``seconds`` (None: not played)."""
        with self._lock:
            self._played.pop(session_id, None)
            self._played[session_id] = _Played(ended, seconds)
            while len(self._played) > self.max_sessions:
                self._played.pop(next(iter(self._played)))

    def ended(self, session_id: str) -> float | None:
        """When the buyer's last audio ended, or None when unknown."""
        with self._lock:
            item = self._played.get(session_id)
        return item.ended if item else None

    def seconds(self, session_id: str) -> float | None:
        """How long the buyer's last line played, or None."""
        with self._lock:
            item = self._played.get(session_id)
        return item.seconds if item else None

    def forget(self, session_id: str) -> None:
        """Drop what is known about a session (e.g. when its call ends)."""
        with self._lock:
            self._played.pop(session_id, None)


_SENTENCE_END = re.compile(r"[.!?…]+[\"')\]]*(?=\s)")
MIN_SENTENCE_CHARS = 12
"""Shorter pieces ("Hm." "Well.") are joined to the next sentence: speaking them alone sounds choppy."""


class SentenceSplitter:
    """Feed streamed text; get back each sentence once it is complete (followed by whitespace)."""

    def __init__(self, min_chars: int = MIN_SENTENCE_CHARS) -> None:
        self.min_chars = min_chars
        self._buffer = ""

    def feed(self, text: str) -> Iterator[str]:
        """Add streamed text; yield the sentences it completed."""
        self._buffer += text
        while True:
            cut = None
            for match in _SENTENCE_END.finditer(self._buffer):
                if len(self._buffer[: match.end()].strip()) >= self.min_chars:
                    cut = match.end()
                    break
            if cut is None:
                return
            sentence, self._buffer = self._buffer[:cut].strip(), self._buffer[cut:].lstrip()
            yield sentence

    def flush(self) -> str:
        """Whatever is left (the last sentence, possibly without end punctuation)."""
        rest, self._buffer = self._buffer.strip(), ""
        return rest
