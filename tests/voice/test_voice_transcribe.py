"""Recording → "Speaker: text" transcript (backs ``sparring transcribe FILE``)."""

from __future__ import annotations

import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from simulator.voice.audio_io import decode_file, write_wav
from simulator.voice.errors import AudioInputError, VoiceError
from simulator.voice.transcribe import run_transcribe, transcribe_file, transcribe_turns
from simulator.voice.wer import word_error_rate

REP = "Thanks for taking the call. How does your team handle onboarding today?"
BUYER = "Honestly it is a mess. We track everything by email."


def _stereo(left: np.ndarray, right: np.ndarray, path: Path, rate: int = 16000) -> Path:
    pcm = (np.stack([left, right], axis=1) * 32767).astype(np.int16)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def test_single_speaker_file_gets_the_given_label(speech_clip: Callable[..., Path], tmp_path: Path) -> None:
    clip = speech_clip(REP, "rep.wav")
    out = tmp_path / "out" / "transcript.txt"
    text = run_transcribe(clip, out, speaker="Alex")
    lines = text.strip().splitlines()
    assert lines and all(line.startswith("Alex: ") for line in lines)
    assert word_error_rate(REP, " ".join(line.removeprefix("Alex: ") for line in lines)) <= 0.35
    assert out.read_text(encoding="utf-8") == text


def test_mono_saved_as_stereo_is_one_speaker(speech_clip: Callable[..., Path], tmp_path: Path) -> None:
    mono = decode_file(speech_clip(BUYER, "b.wav"))[0]
    text = transcribe_file(_stereo(mono, mono, tmp_path / "dup.wav"), "Rep")
    assert text.startswith("Rep: ") and "Buyer:" not in text


def test_stereo_call_is_labelled_by_channel(speech_clip: Callable[..., Path], tmp_path: Path) -> None:
    rep = decode_file(speech_clip(REP, "rep.wav"))[0]
    buyer = decode_file(speech_clip(BUYER, "buyer.wav", voice="en-us+f3"))[0]
    gap = np.zeros(int(0.8 * 16000), dtype=np.float32)
    left = np.concatenate([rep, gap, np.zeros_like(buyer)])
    right = np.concatenate([np.zeros_like(rep), gap, buyer])
    path = _stereo(left, right, tmp_path / "call.wav")

    turns = transcribe_turns(path)
    speakers = [t.speaker for t in turns]
    assert speakers == sorted(speakers, key=lambda s: s != "Rep")  # all Rep lines come first in time
    assert {"Rep", "Buyer"} == set(speakers)
    buyer_turns = [t for t in turns if t.speaker == "Buyer"]
    assert buyer_turns[0].start >= rep.size / 16000 + 0.3  # times are on the file's clock
    text = run_transcribe(path, None, speaker="Rep")
    said = {s: " ".join(t.text for t in turns if t.speaker == s) for s in ("Rep", "Buyer")}
    assert word_error_rate(REP, said["Rep"]) <= 0.35 and word_error_rate(BUYER, said["Buyer"]) <= 0.35
    assert text.splitlines()[0].startswith("Rep: ") and text.splitlines()[-1].startswith("Buyer: ")


def test_errors_are_clear(tmp_path: Path) -> None:
    with pytest.raises(AudioInputError, match="No such file"):
        run_transcribe(tmp_path / "nope.wav", None, "Rep")
    silent = write_wav(tmp_path / "silent.wav", np.zeros(16000, dtype=np.float32), 16000)
    with pytest.raises(VoiceError, match="No speech found"):
        run_transcribe(silent, None, "Rep")
    junk = tmp_path / "notes.mp3"
    junk.write_text("not audio")
    with pytest.raises(AudioInputError, match="Could not read audio"):
        run_transcribe(junk, None, "Rep")
    with pytest.raises(ValueError, match="label"):
        transcribe_turns(silent, [" "])
