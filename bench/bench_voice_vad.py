"""Choose the hands-free VAD by measuring: Silero (faster-whisper's ONNX model) vs the energy detector.

On the real recordings in ``tests/voice/data/real`` (see its README), each padded with 1 s of room
noise before and 1.5 s after and mixed with white noise at several SNRs, every detector runs as the
hands-free turn detector does (``end_silence_ms`` 700). Reported per detector and SNR: clips whose
turn was found as exactly one start and one end (``turns_ok``), starts on 5 s of noise alone
(``false_starts``), the error of the detected speech start against the clip's start (``onset_err_s``),
and compute per second of audio (``cpu_ms_per_s``).

    python bench/bench_voice_vad.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.voice.audio_io import decode_file
from simulator.voice.vad import EnergyVad, SileroVad, TurnDetector

REAL = Path(__file__).resolve().parents[1] / "tests" / "voice" / "data" / "real"
RATE = 16000


def noise_at(signal_rms: float, snr_db: float, n: int, rng: np.random.Generator) -> np.ndarray:
    return (rng.standard_normal(n) * signal_rms / (10 ** (snr_db / 20))).astype(np.float32)


def main() -> int:
    clips = [decode_file(p, RATE)[0] for p in sorted(REAL.glob("*.flac"))]
    print(f"clips: {len(clips)}")
    for snr in (None, 20.0, 10.0, 0.0):
        for make in (SileroVad, EnergyVad):
            rng = np.random.default_rng(7)
            ok, onset_err, cpu, seconds = 0, [], 0.0, 0.0
            for clip in clips:
                rms = float(np.sqrt(np.mean(clip**2)))
                audio = np.concatenate([np.zeros(RATE, np.float32), clip, np.zeros(int(1.5 * RATE), np.float32)])
                if snr is not None:
                    audio = audio + noise_at(rms, snr, audio.size, rng)
                detector = TurnDetector(vad=make(), end_silence_ms=700)
                start = time.process_time()
                events = [e for i in range(0, audio.size, 4000) for e in detector.feed(audio[i:i + 4000])]
                cpu += time.process_time() - start
                seconds += audio.size / RATE
                kinds = [e.kind for e in events]
                if kinds == ["speech_start", "turn_end"]:
                    ok += 1
                    onset_err.append(abs(events[0].at_s - 1.0))
            quiet = noise_at(0.05, snr if snr is not None else 60.0, 5 * RATE, rng)
            detector = TurnDetector(vad=make(), end_silence_ms=700)
            false_starts = sum(e.kind == "speech_start" for i in range(0, quiet.size, 4000)
                               for e in detector.feed(quiet[i:i + 4000]))
            label = "clean" if snr is None else f"snr{snr:g}db"
            name = make().name
            print(f"{name}.{label}.turns_ok: {ok}/{len(clips)}")
            print(f"{name}.{label}.false_starts_in_5s_noise: {false_starts}")
            if onset_err:
                print(f"{name}.{label}.onset_err_median_s: {statistics.median(onset_err):.3f}")
            print(f"{name}.{label}.cpu_ms_per_s: {1000 * cpu / seconds:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
