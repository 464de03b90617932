"""Voice wired into the product: `sparring transcribe` → `sparring grade`, and the browser voice handlers.

Real speech-to-text and text-to-speech run here (tiny.en and the neural voice, fast); speech is made
with espeak-ng (see conftest: skipped on a developer machine without it, a failure under CI=true).
"""

from __future__ import annotations

import json
import wave
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from grading import parse_transcript, to_records
from simulator.cli import app
from simulator.config import Settings
from simulator.content.models import VoiceSetting as PersonaVoiceSetting
from simulator.llm.base import ChatRequest
from simulator.llm.scripted import ScriptedLLM
from simulator.session import PracticeService
from simulator.voice import BuyerPlayback, VoiceSetting, persona_voice_setting
from simulator.voice.audio_io import decode_file, write_wav
from simulator.voice.wer import word_error_rate
from simulator.web.voice_panel import buyer_line_audio, rep_audio_to_turn

REP = "Thanks for taking the call. How does your team handle order exceptions today?"
BUYER = "Honestly it is a mess. We track everything by email."
ASK = "How are you handling order exceptions today?"


def _stereo_call(rep: Path, buyer: Path, out: Path, rate: int = 16000) -> Path:
    """Rep on the left, then the buyer on the right after the rep finishes."""
    left, right = decode_file(rep, rate)[0], decode_file(buyer, rate)[0]
    gap = np.zeros(rate // 2, dtype=np.float32)
    total = left.size + gap.size + right.size
    lch = np.concatenate([left, np.zeros(total - left.size, dtype=np.float32)])
    rch = np.concatenate([np.zeros(left.size + gap.size, dtype=np.float32), right])
    pcm = (np.stack([lch, rch], axis=1) * 32767).astype(np.int16)
    with wave.open(str(out), "wb") as w:
        w.setnchannels(2), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return out


def test_transcribe_command_output_is_a_transcript_grade_accepts(
    speech_clip: Callable[..., Path], tmp_path: Path
) -> None:
    call = _stereo_call(speech_clip(REP, "rep.wav"), speech_clip(BUYER, "buyer.wav"), tmp_path / "call.wav")
    out = tmp_path / "call.txt"
    runner = CliRunner()
    result = runner.invoke(app, ["transcribe", str(call), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    parsed = parse_transcript(text, rep="Rep")
    assert parsed.speakers == ("Rep", "Buyer") and parsed.source_format == "lines"
    records = to_records(parsed)
    assert [r["speaker"] for r in records] == ["rep", "buyer"]
    assert word_error_rate(REP, records[0]["text"]) <= 0.35
    graded = runner.invoke(app, ["grade", str(out), "--rep", "Rep", "--format", "json"])
    assert graded.exit_code == 0, graded.output
    assert json.loads(graded.stdout)["rep_speaker"] == "Rep"
    # stdout form with a speaker label, piped straight into the parser
    mono = runner.invoke(app, ["transcribe", str(speech_clip(REP, "solo.wav")), "--speaker", "Alex"])
    assert mono.exit_code == 0 and mono.stdout.startswith("Alex: ")


def test_transcribe_command_errors_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    runner = CliRunner()
    missing = runner.invoke(app, ["transcribe", str(tmp_path / "nope.wav")])
    assert missing.exit_code == 2 and "No such file" in missing.output
    silent = write_wav(tmp_path / "silence.wav", np.zeros(16000, dtype=np.float32), 16000)
    quiet = runner.invoke(app, ["transcribe", str(silent)])
    assert quiet.exit_code == 2 and "No speech found" in quiet.output


def test_persona_voice_maps_to_a_tts_setting() -> None:
    female = persona_voice_setting(PersonaVoiceSetting(engine="auto", voice="en-us+f3", rate=1.1))
    assert (female.engine, female.voice, female.speed) == ("espeak", "en-us+f3", 1.1)
    assert female.fallback == VoiceSetting("neural", "joe", speed=1.1, pitch=4.0)
    male = persona_voice_setting(PersonaVoiceSetting(engine="auto", voice="en-us+m1", rate=2.5))
    assert (male.engine, male.voice, male.speed, male.pitch) == ("neural", "joe", 2.0, -1.0)
    assert male.fallback == VoiceSetting("espeak", "en-us+m1", speed=2.0)
    forced = persona_voice_setting(PersonaVoiceSetting(engine="espeak", voice="en-gb+m3", rate=0.9))
    assert (forced.engine, forced.voice) == ("espeak", "en-gb+m3")
    assert persona_voice_setting(PersonaVoiceSetting(engine="piper", voice="en-us+f2", rate=1.0)).engine == "neural"
    assert persona_voice_setting(None) == VoiceSetting()


def _echo(request: ChatRequest) -> str:
    gist = request.messages[-1]["content"].rsplit('SAY: "', 1)[1].rstrip('"')
    return "Well, " + gist


@pytest.fixture
def service(settings: Settings) -> Iterator[PracticeService]:
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=_echo)) as svc:
        yield svc


def test_browser_handler_turns_a_recording_into_a_spoken_buyer_reply(
    service: PracticeService, speech_clip: Callable[..., Path]
) -> None:
    clip = speech_clip(ASK, "ask.wav")
    clip_seconds = decode_file(clip, 16000)[0].size / 16000
    sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
    playback = BuyerPlayback()
    opening = buyer_line_audio(service, sid, playback=playback, clock=lambda: 100.0)
    assert opening is not None and opening[0] > 8000 and opening[1].dtype == np.int16 and opening[1].size > 0
    opening_seconds = opening[1].size / opening[0]
    assert playback.ended(sid) == pytest.approx(100.0 + opening_seconds)

    chat: list[dict[str, Any]] = [{"role": "assistant", "content": "Raj speaking."}]
    steps = list(rep_audio_to_turn(service, sid, str(clip), None, chat=chat, playback=playback,
                                   clock=lambda: 110.0))
    statuses = [s[3] for s in steps]
    assert statuses[0] == "Listening to your recording…" and statuses[-1] == "Your turn."
    assert any(s.endswith("is answering…") for s in statuses)
    final_chat, heard, audio, _ = steps[-1]
    assert word_error_rate(ASK, heard) <= 0.35
    assert final_chat[0] == chat[0] and final_chat[1]["role"] == "user" and final_chat[2]["role"] == "assistant"
    assert final_chat[2]["content"].startswith("Well,")
    assert len([s for s in steps if s[2] is not None]) == 1 and audio is not None and audio[1].size > 0
    streamed = [s[0][-1]["content"] for s in steps[1:-1] if len(s[0]) == 3]
    assert len(set(streamed)) > 2  # the buyer's text arrived in pieces before the audio

    transcript = service.get(sid).transcript
    rep = transcript[1]
    assert rep["text"] == heard and rep["delivery"]["words"] and rep["speech_s"] > 0.5
    first_word = rep["delivery"]["words"][0]["start"]
    expected_pause = (110.0 - clip_seconds + first_word) - (100.0 + opening_seconds)
    assert rep["delivery"]["pause_s"] == pytest.approx(expected_pause, abs=0.01)
    assert transcript[0]["speech_s"] == pytest.approx(opening_seconds, abs=0.01)
    assert playback.seconds(sid) == pytest.approx(audio[1].size / audio[0], abs=0.01)


def test_browser_handler_problems_leave_the_chat_alone(
    service: PracticeService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, espeak_ng: str,
    speech_clip: Callable[..., Path],
) -> None:
    sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
    chat = [{"role": "assistant", "content": "Raj speaking."}]
    no_call = list(rep_audio_to_turn(service, None, "x.wav", None, chat=chat))
    assert no_call == [(chat, "", None, "Start a call first.")]
    missing = list(rep_audio_to_turn(service, sid, None, None, chat=chat))
    assert missing[-1][0] == chat and "No recording arrived" in missing[-1][3]
    silent = write_wav(tmp_path / "silent.wav", np.zeros(16000, dtype=np.float32), 16000)
    quiet = list(rep_audio_to_turn(service, sid, str(silent), None, chat=chat))
    assert quiet[-1][0] == chat and "could not hear any words" in quiet[-1][3]
    assert len(service.get(sid).transcript) == 1  # nothing was sent
    monkeypatch.setenv("SPARRING_TTS_ENGINE", "none")
    steps = list(rep_audio_to_turn(service, sid, str(speech_clip(ASK, "a.wav")), None, chat=chat,
                                   playback=BuyerPlayback()))
    assert steps[-1][2] is None and "voice is unavailable" in steps[-1][3] and len(steps[-1][0]) == 3
    assert len(service.get(sid).transcript) == 3
