"""Speech-to-text on recordings of real people (tests/voice/data/real, see its README for licences)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from simulator.voice import get_stt
from simulator.voice.audio_io import decode_file
from simulator.voice.vad import SileroVad, TurnDetector
from simulator.voice.wer import corpus_wer

REAL = Path(__file__).parent / "data" / "real"


def clips() -> list[tuple[Path, str]]:
    rows = (REAL / "transcripts.tsv").read_text().splitlines()
    return [(REAL / name, ref) for name, ref in (r.split("\t", 1) for r in rows if r and not r.startswith("#"))]


def test_tiny_en_on_real_voices() -> None:
    """tiny.en measured 7.6 % over ten clips (docs/voice.md); these five must stay well under 20 %."""
    pairs = [(ref, get_stt("tiny.en").transcribe(path).text) for path, ref in clips()]
    assert len(pairs) == 5
    assert corpus_wer(pairs) <= 0.20, pairs


def test_the_vad_finds_one_turn_in_each_real_recording() -> None:
    for path, _ref in clips():
        audio = decode_file(path, 16000)[0]
        padded = np.concatenate([np.zeros(8000, np.float32), audio, np.zeros(16000, np.float32)])
        detector = TurnDetector(vad=SileroVad(), end_silence_ms=700)
        kinds = [e.kind for e in detector.feed(padded)]
        assert kinds == ["speech_start", "turn_end"], (path.name, kinds)
