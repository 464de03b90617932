"""`sparring practice --voice`: push-to-talk through a file-backed ALSA device, and the text fallback.

The sounddevice path runs a fresh Python with HOME pointing at a temporary folder holding an
``.asoundrc`` (PortAudio enumerates devices at import): the "microphone" reads espeak-ng speech from
IN.raw and the "speaker" writes the buyer's voice to OUT.raw. Real speech-to-text and text-to-speech.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from simulator import terminal_voice
from simulator.cli import app
from simulator.config import Settings
from simulator.session import PracticeService
from simulator.terminal_voice import VoiceIO, converse_by_voice
from simulator.voice.audio_io import decode_file
from simulator.voice.wer import word_error_rate

ASOUNDRC = """\
pcm.!default {{ type asym; playback.pcm "outfile"; capture.pcm "infile" }}
pcm.outfile {{ type file; slave.pcm "null"; file "{out}"; format "raw" }}
pcm.infile  {{ type file; slave.pcm "null"; file "/dev/null"; infile "{inp}"; format "raw" }}
"""
ASK = "How are you handling order exceptions today?"
NO_DEVICE = "No input audio device (microphone): Error querying device -1."


def _run(home: Path, code: str) -> dict[str, Any]:
    env = {
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        "SPARRING_DATA_DIR": str(home / "data"),
        "SPARRING_CACHE_DIR": str(home / "cache"),
        "SPARRING_LLM": "template",
    }
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          timeout=300, env=env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.mark.usefixtures("portaudio")
def test_push_to_talk_turn_through_a_file_backed_alsa_device(
    tmp_path: Path, speech_clip: Callable[..., Path]
) -> None:
    speech = decode_file(speech_clip(ASK, "ask.wav"), 16000)[0]
    mic = np.concatenate([speech, np.zeros(8000, dtype=np.float32)])
    (tmp_path / "IN.raw").write_bytes(mic.astype(np.float32).tobytes())
    (tmp_path / ".asoundrc").write_text(ASOUNDRC.format(out=tmp_path / "OUT.raw", inp=tmp_path / "IN.raw"))
    result = _run(tmp_path, f"""
        import io, json
        from rich.console import Console
        from simulator.config import load_settings
        from simulator.session import PracticeService
        from simulator.terminal_voice import converse_by_voice

        answers = iter(["", "/end"])          # Enter = talk; then end the call
        out = io.StringIO()
        with PracticeService.open(load_settings()) as svc:
            events = svc.start("saas-discovery-ops")
            sid = next(events)["session_id"]
            ended = converse_by_voice(
                svc, sid, Console(file=out, width=200), lambda prompt: next(answers),
                persona=svc.library.persona("raj-ops"), first_events=events,
                stop_recording=lambda rec: rec.done.wait(60), max_seconds={mic.size / 16000},
            )
            transcript = svc.get(sid).transcript
        print(json.dumps({{"ended": ended is not None, "out": out.getvalue(), "transcript": transcript}}))
    """)
    assert result["ended"], result["out"]
    assert "Voice is not available" not in result["out"]
    assert "You (heard):" in result["out"]
    opening, rep = result["transcript"][0], result["transcript"][1]
    assert word_error_rate(ASK, rep["text"]) <= 0.35
    delivery = rep["delivery"]
    assert delivery["words"] and delivery["duration_s"] == pytest.approx(mic.size / 16000, abs=0.01)
    assert delivery["pause_s"] is not None and rep["speech_s"] > 1.0
    assert opening["speech_s"] > 1.0  # the buyer's opening was synthesised and played
    played = np.fromfile(tmp_path / "OUT.raw", dtype=np.float32)
    assert np.count_nonzero(played) > 22050  # more than a second of the buyer's voice reached the speaker


def test_no_audio_device_prints_the_reason_and_continues_in_text(settings: Settings) -> None:
    out = io.StringIO()
    answers = iter([ASK, "/end"])
    with PracticeService.open(settings) as svc:
        events = svc.start("saas-discovery-ops")
        sid = next(events)["session_id"]
        ended = converse_by_voice(
            svc, sid, Console(file=out, width=200), lambda prompt: next(answers),
            persona=svc.library.persona("raj-ops"), first_events=events,
            io=VoiceIO(audio_check=lambda: (False, NO_DEVICE)),
        )
        transcript = svc.get(sid).transcript
    text = out.getvalue()
    assert ended is not None
    assert f"Voice is not available: {NO_DEVICE} Continuing in text." in text
    assert transcript[1]["text"] == ASK and "delivery" not in transcript[1]


def test_practice_voice_flag_without_a_device_falls_back_to_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal_voice, "audio_available", lambda: (False, NO_DEVICE))
    result = CliRunner().invoke(app, ["practice", "--scenario", "saas-discovery-ops", "--voice"],
                                input=f"{ASK}\n/end\n")
    assert result.exit_code == 0, result.output
    assert "Voice is not available: No input audio device" in result.output
    assert "Continuing in text." in result.output and "outcome:" in result.output


class _FakePlayer:
    def __init__(self) -> None:
        self.clips: list[int] = []
        self.stops = 0

    def start(self) -> None: ...

    def enqueue(self, samples: Any, rate: int) -> None:
        self.clips.append(len(samples))

    def stop(self) -> None:
        self.stops += 1

    def close(self) -> None: ...


def test_hands_free_terminal_turn_ends_on_silence(settings: Settings, speech_clip: Callable[..., Path]) -> None:
    """--voice with a microphone: no Enter presses; the turn ends after the silence setting."""
    import threading
    import time

    from simulator.voice import Speech

    speech = decode_file(speech_clip(ASK, "ask.wav"), 16000)[0]
    audio = np.concatenate([np.zeros(8000, np.float32), speech, np.zeros(48000, np.float32)])
    player = _FakePlayer()

    class Mic:
        def __init__(self, on_chunk: Callable[[Any], None]) -> None:
            self.on_chunk = on_chunk

        def start(self) -> None:
            def run() -> None:
                for i in range(0, audio.size, 4000):
                    self.on_chunk(audio[i:i + 4000])
                    time.sleep(0.02)

            threading.Thread(target=run, daemon=True).start()

        def close(self) -> None: ...

    out = io.StringIO()
    with PracticeService.open(settings) as svc:
        events = svc.start("saas-discovery-ops")
        sid = next(events)["session_id"]

        def ask(_prompt: str) -> str:
            deadline = time.monotonic() + 120
            while len(svc.get(sid).transcript) < 3 and time.monotonic() < deadline:
                time.sleep(0.1)
            return "/end"

        ended = converse_by_voice(
            svc, sid, Console(file=out, width=200), ask, persona=svc.library.persona("raj-ops"),
            first_events=events, hands_free=True,
            io=VoiceIO(audio_check=lambda: (True, "ok"), tts_check=lambda: (True, ""), player=lambda: player,
                       microphone=Mic,
                       synthesize=lambda text, _how: Speech(np.zeros(22050, np.float32), 22050, "fake", "fake")),
        )
        transcript = svc.get(sid).transcript
    text = out.getvalue()
    assert ended is not None
    assert "You (heard):" in text and "Hands-free" in text
    assert word_error_rate(ASK, transcript[1]["text"]) <= 0.5 and "delivery" in transcript[1]
    assert player.clips, "the buyer's opening and reply were queued for the speaker"
