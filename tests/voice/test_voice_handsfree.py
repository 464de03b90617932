"""Hands-free turns: the VAD turn-ending, transcribing while the rep speaks, and barge-in truncation."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from simulator.engine.speech import buyer_with_speech, normalise_speech
from simulator.errors import InvalidMessageError
from simulator.voice.audio_io import STT_SAMPLE_RATE, decode_file
from simulator.voice.handsfree import HandsFreeCall
from simulator.voice.incremental import IncrementalTranscriber
from simulator.voice.live import speech_payload, words_heard
from simulator.voice.stt import Segment, Transcript, Word
from simulator.voice.tts import Speech
from simulator.voice.vad import FRAME, EnergyVad, SileroVad, TurnDetector

RATE = STT_SAMPLE_RATE


def noise_speech(seconds: float, seed: int = 1) -> np.ndarray:
    """Loud, speech-like noise (amplitude-modulated) that the energy detector calls speech."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    return (0.2 * rng.standard_normal(t.size) * (0.6 + 0.4 * np.sin(2 * np.pi * 4 * t))).astype(np.float32)


def quiet(seconds: float) -> np.ndarray:
    return (0.0005 * np.random.default_rng(2).standard_normal(int(seconds * RATE))).astype(np.float32)


def feed(detector: TurnDetector, audio: np.ndarray, chunk: int = 4000) -> list[Any]:
    events = []
    for i in range(0, audio.size, chunk):
        events += detector.feed(audio[i:i + chunk])
    return events


# ------------------------------------------------------------------------------ turn ending


def test_turn_ends_only_after_the_configured_silence() -> None:
    detector = TurnDetector(vad=EnergyVad(), end_silence_ms=700)
    events = feed(detector, np.concatenate([quiet(0.5), noise_speech(1.0), quiet(0.6)]))
    assert [e.kind for e in events] == ["speech_start"]
    assert events[0].at_s == pytest.approx(0.5, abs=0.07)
    assert detector.in_turn
    events = feed(detector, quiet(0.2))
    assert [e.kind for e in events] == ["turn_end"]
    end = events[0]
    assert end.at_s == pytest.approx(1.5, abs=0.07)  # where the speech ended
    assert end.audio is not None and 1.0 <= end.audio.size / RATE <= 1.0 + 0.3 + 0.2  # speech + preroll + 100 ms


def test_a_pause_shorter_than_the_setting_keeps_one_turn() -> None:
    detector = TurnDetector(vad=EnergyVad(), end_silence_ms=700)
    audio = np.concatenate([quiet(0.3), noise_speech(0.8), quiet(0.4), noise_speech(0.8, seed=3), quiet(1.0)])
    kinds = [e.kind for e in feed(detector, audio)]
    assert kinds == ["speech_start", "turn_end"]


def test_a_click_is_not_speech() -> None:
    detector = TurnDetector(vad=EnergyVad(), end_silence_ms=300, min_speech_ms=160)
    assert feed(detector, np.concatenate([quiet(0.5), noise_speech(0.06), quiet(1.0)])) == []


def test_chunk_size_does_not_change_the_result() -> None:
    audio = np.concatenate([quiet(0.4), noise_speech(1.2), quiet(1.0)])
    a = [(e.kind, e.at_s) for e in feed(TurnDetector(vad=EnergyVad(), end_silence_ms=500), audio, chunk=333)]
    b = [(e.kind, e.at_s) for e in feed(TurnDetector(vad=EnergyVad(), end_silence_ms=500), audio, chunk=FRAME * 8)]
    assert a == b and len(a) == 2


def test_silero_streaming_matches_one_batch_and_finds_real_speech(speech_clip: Any) -> None:
    clip = decode_file(speech_clip("How are you handling order exceptions today?"), RATE)[0]
    audio = np.concatenate([np.zeros(RATE, np.float32), clip, np.zeros(RATE, np.float32)])
    n = audio.size // FRAME
    frames = audio[: n * FRAME].reshape(n, FRAME)
    whole = SileroVad().frames(frames)
    vad = SileroVad()
    pieces = np.concatenate([vad.frames(frames[i:i + 5]) for i in range(0, n, 5)])
    assert np.allclose(whole, pieces, atol=1e-5)
    events = feed(TurnDetector(vad=SileroVad(), end_silence_ms=600), audio)
    assert [e.kind for e in events] == ["speech_start", "turn_end"]
    assert events[0].at_s == pytest.approx(1.0, abs=0.2)
    assert events[1].at_s == pytest.approx(1.0 + clip.size / RATE, abs=0.3)


# ------------------------------------------------------------------------------ barge-in truncation


def test_words_heard_counts_finished_clips_and_words_half_played() -> None:
    clips = [("Well, we use spreadsheets.", 10.0, 12.0), ("It takes hours every week.", 12.0, 14.0)]
    assert words_heard(clips, 9.0) == 0
    assert words_heard(clips, 12.5) == 4 + 2  # the first sentence, then "It takes" (their middles passed)
    assert words_heard(clips, 20.0) == 9
    assert words_heard(clips, 11.0) == 3  # "Well, we use" (half of the characters played)


def test_speech_data_carries_heard_words_and_the_buyer_line_is_cut() -> None:
    checked = normalise_speech({"buyer_speech_s": 1.2, "buyer_heard_words": 3})
    assert checked == {"buyer_speech_s": 1.2, "buyer_heard_words": 3}
    with pytest.raises(InvalidMessageError):
        normalise_speech({"buyer_heard_words": -1})
    with pytest.raises(InvalidMessageError):
        normalise_speech({"buyer_heard_words": 2.5})
    buyer: Any = {"index": 0, "speaker": "buyer", "text": "Well, we use spreadsheets for all of it."}
    record = buyer_with_speech([buyer], checked)
    assert record is not None
    assert record["text"] == "Well, we use —" and record["unheard"] == "spreadsheets for all of it."
    assert record["speech_s"] == 1.2
    # a line heard to the end is not marked
    whole = buyer_with_speech([buyer], {"buyer_speech_s": 3.0, "buyer_heard_words": 8})
    assert whole is not None and whole["text"] == buyer["text"] and "unheard" not in whole


def test_speech_payload_includes_heard_words() -> None:
    t = Transcript("Sorry, who decides?", (), 1.5, words=(Word("Sorry,", 0.3, 0.6),))
    assert speech_payload(t, buyer_speech_s=1.0, buyer_heard_words=4)["buyer_heard_words"] == 4


# ------------------------------------------------------------------------------ transcribing while speaking


def fake_transcript(audio: np.ndarray) -> Transcript:
    """One word per 0.5 s of audio, named by its position, so joins are visible."""
    seconds = audio.size / RATE
    words = tuple(Word(f"w{round(i * 10)}", i, i + 0.4) for i in np.arange(0.0, seconds - 0.4, 0.5))
    text = " ".join(w.text for w in words)
    segments = (Segment(text, 0.0, seconds, words),) if words else ()
    return Transcript(text, segments, round(seconds, 3), model="fake", words=words)


def test_incremental_transcription_commits_at_pauses_and_finishes_with_the_tail() -> None:
    calls: list[float] = []

    def transcribe(audio: np.ndarray) -> Transcript:
        calls.append(audio.size / RATE)
        return fake_transcript(audio)

    inc = IncrementalTranscriber(transcribe, min_piece_s=1.0)
    turn = np.zeros(int(2.5 * RATE), np.float32)
    inc.update(turn[: int(1.6 * RATE)], trailing_silence_s=0.3)  # a pause after 1.3 s of speech
    job = inc._job
    assert job is not None
    job.result()
    assert inc.committed_s == pytest.approx(1.45, abs=0.01)
    result = inc.finish(turn)
    assert len(calls) == 2 and calls[1] == pytest.approx(2.5 - 1.45, abs=0.01)  # only the tail at the end
    starts = [w.start for w in result.words]
    assert starts == sorted(starts) and starts[-1] > 1.45  # the tail's words are shifted into the turn
    assert result.duration == 2.5


# ------------------------------------------------------------------------------ a whole hands-free call


class FakeService:
    """Answers every turn with a two-sentence line, streamed as tokens."""

    LINE = "We track exceptions in a shared spreadsheet. It takes my team hours every single week."

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any] | None]] = []
        self.answered = threading.Event()

    def send(self, session_id: str, text: str, *, actor: Any = None,
             speech: dict[str, Any] | None = None) -> Iterator[dict[str, Any]]:
        self.sent.append((text, speech))
        yield {"type": "accepted", "text": text}
        first, second = self.LINE.split(". ")
        yield {"type": "token", "text": first + "."}
        yield {"type": "token", "text": " " + second}
        yield {"type": "line", "text": self.LINE}
        self.answered.set()


def said(text: str) -> Transcript:
    words = (Word(text.split()[0], 0.35, 0.5),)
    return Transcript(text, (Segment(text, 0.35, 1.5, words),), 2.0, words=words)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def fake_speech(text: str, _setting: Any) -> Speech:
    return Speech(np.zeros(int(len(text.split()) * 0.4 * 22050), np.float32), 22050, "fake", "fake")


def wait(predicate: Any, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_hands_free_turn_then_barge_in_cuts_the_buyer_line() -> None:
    service, clock = FakeService(), Clock()
    call = HandsFreeCall(service, "s1", setting=None, buyer_name="Raj", end_silence_ms=500, vad="energy",
                         transcriber=IncrementalTranscriber(lambda a: said("How do you track it?"), enabled=False),
                         synthesize_fn=fake_speech, clock=clock)
    try:
        # the rep speaks, then stays quiet: the turn ends by itself
        for piece in (quiet(0.3), noise_speech(1.2), quiet(0.8)):
            for i in range(0, piece.size, 4000):
                call.feed(RATE, piece[i:i + 4000])
                clock.now += 4000 / RATE
        wait(service.answered.is_set)
        wait(lambda: not call._busy)
        assert service.sent[0][0] == "How do you track it?"
        view = call.poll()
        assert [c.text for c in view.clips] == ["We track exceptions in a shared spreadsheet.",
                                               "It takes my team hours every single week."]
        assert view.chat[-1]["content"] == FakeService.LINE and not view.stop
        first = view.clips[0]
        assert first.start == clock.now and first.end is not None
        # 3 of the first clip's 7 words (2.8 s) in, the rep talks over the buyer
        clock.now = first.start + 1.3
        for piece in (noise_speech(0.3, seed=5),):
            for i in range(0, piece.size, 1600):
                call.feed(RATE, piece[i:i + 1600])
        view = call.poll()
        assert view.stop and view.clips == []
        assert view.chat[-1]["content"].endswith(" —")
        heard = view.chat[-1]["content"][: -len(" —")].split()
        assert 2 <= len(heard) <= 4 and FakeService.LINE.startswith(" ".join(heard))
        # the rep's interrupting turn carries how much of the line was heard
        for _ in range(0, int(0.9 * RATE), 4000):
            call.feed(RATE, quiet(0.25))
            clock.now += 0.25
        wait(lambda: len(service.sent) == 2)
        speech = service.sent[1][1]
        assert speech is not None and speech["buyer_heard_words"] == len(heard)
        assert 0.9 < speech["buyer_speech_s"] < 1.7
        # the rep spoke 1.3 s into a 6 s line: the pause is negative, by about what was left unsaid
        assert -5.5 < speech["pause_s"] < -4.0, speech["pause_s"]
    finally:
        call.close()


def test_no_barge_in_when_the_buyer_is_silent() -> None:
    service, clock = FakeService(), Clock()
    call = HandsFreeCall(service, "s2", end_silence_ms=500, vad="energy", synthesize_fn=fake_speech, clock=clock,
                         transcriber=IncrementalTranscriber(lambda a: Transcript("", (), 1.0), enabled=False))
    try:
        call.feed(RATE, np.concatenate([quiet(0.3), noise_speech(0.5)]))
        view = call.poll()
        assert not view.stop
    finally:
        call.close()


def test_barge_in_reaches_the_stored_transcript_through_the_practice_service(settings: Any) -> None:
    """The real service: the cut buyer line is re-recorded as heard in the checkpoint *and* in the
    turns table (what grading, peer review and the history read), not only in the chat."""
    from simulator.session import PracticeService

    lines = iter(["How do you track order exceptions today?", "Sorry to jump in. Who else decides?"])
    clock = Clock()
    with PracticeService.open(settings, clock=lambda: 1_000.0) as service:
        sid = str(list(service.start("saas-discovery-ops"))[0]["session_id"])
        call = HandsFreeCall(service, sid, end_silence_ms=500, vad="energy", synthesize_fn=fake_speech, clock=clock,
                             transcriber=IncrementalTranscriber(lambda a: said(next(lines)), enabled=False))
        try:
            for piece in (quiet(0.3), noise_speech(1.2), quiet(0.8)):  # the first turn ends by itself
                for i in range(0, piece.size, 4000):
                    call.feed(RATE, piece[i:i + 4000])
                    clock.now += 4000 / RATE
            wait(lambda: len(service.get(sid).transcript) == 3 and not call._busy and call._line.done, timeout=20.0)
            line = service.get(sid).transcript[2]["text"]
            first = call.poll().clips[0]  # the page starts playing the buyer's reply now
            assert first.start is not None and len(line.split()) > 4
            clock.now = first.start + 0.9  # a couple of words in, the rep talks over the buyer
            for i in range(0, int(0.3 * RATE), 1600):
                call.feed(RATE, noise_speech(0.3, seed=5)[i:i + 1600])
            assert call.poll().stop
            heard = call._line.heard_words
            assert heard is not None and 0 < heard < len(line.split())
            for _ in range(4):
                call.feed(RATE, quiet(0.25))
                clock.now += 0.25
            wait(lambda: len(service.get(sid).transcript) == 5 and not call._busy, timeout=20.0)
        finally:
            call.close()
        expected = " ".join(line.split()[:heard]) + " —"
        for transcript in (service.get(sid).transcript, service.store.get_turns(sid)):
            cut = transcript[2]
            assert cut["speaker"] == "buyer" and cut["text"] == expected
            assert cut["unheard"] == " ".join(line.split()[heard:])
            assert cut["speech_s"] > 0
            assert transcript[3]["text"] == "Sorry to jump in. Who else decides?"
