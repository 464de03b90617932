"""Text-to-speech: the neural voice, espeak-ng, the fallback chain and the no-engine status."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import numpy as np
import pytest

from simulator.voice import tts
from simulator.voice.audio_io import resample, rms_dbfs
from simulator.voice.errors import NoTTSEngineError
from simulator.voice.stt import transcribe
from simulator.voice.tts import PRESETS, VoiceSetting, synthesize, synthesize_to_file, tts_status
from simulator.voice.wer import word_error_rate

REPLY = ("Honestly the price is the problem. We signed with your competitor last year, "
         "and switching again is a hard sell.")  # 20 words


def test_neural_voice_speaks_intelligibly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SPARRING_TTS_ENGINE", "neural")
    speech = synthesize(REPLY, "male")
    assert (speech.engine, speech.voice, speech.sample_rate) == ("neural", "joe", 22050)
    # 20 words at 120-220 wpm: 5.5-10 s.
    assert 5.0 <= speech.duration <= 11.0, speech.duration
    assert rms_dbfs(speech.samples) > -30.0
    assert float(np.max(np.abs(speech.samples))) <= 1.0
    path = synthesize_to_file(REPLY, tmp_path / "reply.wav", "male")
    # Round trip through speech-to-text: measured 0-3 % WER; the STT bound applies.
    assert word_error_rate(REPLY, transcribe(path).text) <= 0.35


def test_neural_speed_and_pitch_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARRING_TTS_ENGINE", "neural")
    text = "We would need to see a pilot before we commit to anything."
    slow = synthesize(text, VoiceSetting("neural", speed=0.8))
    fast = synthesize(text, VoiceSetting("neural", speed=1.25))
    assert slow.duration > fast.duration * 1.15  # measured ratio ~1.27 for a 1.56x length scale
    high = synthesize(text, VoiceSetting("neural", pitch=4.0))
    assert high.engine == "neural" and rms_dbfs(high.samples) > -30.0
    assert word_error_rate(text, transcribe(resample(high.samples, high.sample_rate, 16000)).text) <= 0.35


def test_espeak_female_voice(monkeypatch: pytest.MonkeyPatch, espeak_ng: str) -> None:
    monkeypatch.delenv("SPARRING_TTS_ENGINE", raising=False)
    speech = synthesize("Send me the proposal by Friday.", "female")
    assert (speech.engine, speech.voice) == ("espeak", "en-us+f3")
    assert 1.0 <= speech.duration <= 4.0 and rms_dbfs(speech.samples) > -30.0
    fast = synthesize("Send me the proposal by Friday.", VoiceSetting("espeak", "en-us+f3", speed=1.5))
    assert fast.duration < speech.duration


def test_wav_bytes_are_a_valid_wav(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARRING_TTS_ENGINE", "neural")
    speech = synthesize("Okay.")
    with wave.open(io.BytesIO(speech.wav_bytes())) as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getframerate()) == (1, 2, speech.sample_rate)
        assert w.getnframes() == speech.samples.size
    rate, pcm = speech.as_tuple()
    assert rate == speech.sample_rate and pcm.dtype == np.int16


def test_fallback_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    """neural → espeak-ng → text only, and a female espeak preset falls back to a pitched neural voice."""
    monkeypatch.delenv("SPARRING_TTS_ENGINE", raising=False)
    monkeypatch.setattr(tts, "espeak_executable", lambda: None)
    assert tts.available_engines() == ("neural",)
    chosen = tts._resolve(PRESETS["female"], tts.available_engines())
    assert (chosen.engine, chosen.voice, chosen.pitch) == ("neural", "joe", 4.0)

    monkeypatch.setattr(tts, "espeak_executable", lambda: "/usr/bin/espeak-ng")
    monkeypatch.setattr(tts, "neural_missing_modules", lambda: ["onnxruntime"])
    assert tts.available_engines() == ("espeak",)
    chosen = tts._resolve(PRESETS["male-brisk"], tts.available_engines())
    assert (chosen.engine, chosen.voice, chosen.speed) == ("espeak", "en-us", 1.12)

    monkeypatch.setattr(tts, "espeak_executable", lambda: None)
    status = tts_status()
    assert not status.available and "onnxruntime" in status.reason and "espeak-ng" in status.reason
    with pytest.raises(NoTTSEngineError, match="text"):
        synthesize("Hello")


def test_engine_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPARRING_TTS_ENGINE", "none")
    assert tts_status().to_dict() == {"available": False, "engines": (),
                                      "reason": tts_status().reason}
    with pytest.raises(NoTTSEngineError):
        synthesize("Hello")
    monkeypatch.setenv("SPARRING_TTS_ENGINE", "loud")
    assert not tts_status().available and "auto, neural, espeak or none" in tts_status().reason


def test_voice_setting_validation_and_round_trip() -> None:
    setting = PRESETS["female-brisk"]
    assert VoiceSetting.from_dict(setting.to_dict()) == setting
    assert VoiceSetting.from_dict({"engine": "espeak", "voice": "en-gb+m3", "extra": 1}).voice == "en-gb+m3"
    with pytest.raises(ValueError, match="engine"):
        VoiceSetting(engine="festival")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="speed"):
        VoiceSetting(speed=3.0)
    with pytest.raises(ValueError, match="preset"):
        synthesize("Hi", "narrator")
    with pytest.raises(ValueError, match="empty"):
        synthesize("  ")
