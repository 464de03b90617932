"""Benchmark one voice turn without the LLM: STT of ~5 s of speech + TTS of a 20-word reply.

Models are loaded once (load times are printed separately), then each step runs ``--reps`` times.
Prints median and p90 wall seconds for STT, TTS and their sum, per STT model and TTS engine, and the
median CPU seconds of the process (all threads). On a shared machine wall time grows with the load
average; CPU seconds ÷ 2 is the wall time the step needs on 2 idle cores (both libraries use 2
threads). Target on 2 cores: median sum ≤ 1.5 s.

    python bench/bench_voice.py                 # tiny.en and base, neural and espeak-ng
    python bench/bench_voice.py --models tiny.en --engines neural --reps 10
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.voice.audio_io import decode_file, resample, write_wav
from simulator.voice.stt import SpeechToText
from simulator.voice.tts import VoiceSetting, available_engines, synthesize
from simulator.voice.tts_neural import default_neural_voice
from simulator.voice.wer import word_error_rate

REP_SPEECH = (
    "Thanks for taking the call today. I wanted to understand how your team handles onboarding right now."
)
REPLY = (
    "Honestly the price is the problem. We signed with your competitor last year, "
    "and switching again is a hard sell."
)


def cpu_now() -> float:
    """CPU seconds used so far by this process (all threads) and its finished children (espeak-ng)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def rep_clip(folder: Path) -> Path:
    """~5 s of the rep speaking: espeak-ng if present, else the neural voice, as 16 kHz mono WAV."""
    out = folder / "rep.wav"
    espeak = shutil.which("espeak-ng")
    if espeak:
        raw = folder / "rep_raw.wav"
        subprocess.run([espeak, "-w", str(raw), REP_SPEECH], check=True)
        samples = decode_file(raw)[0]
    else:
        speech = synthesize(REP_SPEECH, VoiceSetting("neural"))
        samples = resample(speech.samples, speech.sample_rate, 16000)
    write_wav(out, samples, 16000)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--models", nargs="+", default=["tiny.en", "base"], choices=["tiny.en", "base"])
    parser.add_argument("--engines", nargs="+", default=["neural", "espeak"], choices=["neural", "espeak"])
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()

    engines = [e for e in args.engines if e in available_engines()]
    skipped = sorted(set(args.engines) - set(engines))
    print(
        f"cpus={os.cpu_count()} loadavg(1m)={os.getloadavg()[0]:.2f} reps={args.reps}"
        + (f" (not available: {', '.join(skipped)})" if skipped else "")
    )
    with tempfile.TemporaryDirectory() as tmp:
        clip = rep_clip(Path(tmp))
        clip_seconds = decode_file(clip)[0].size / 16000
        print(f"STT input: {clip_seconds:.1f} s of speech; TTS input: {len(REPLY.split())} words")

        tts_times: dict[str, list[float]] = {}
        tts_cpu: dict[str, list[float]] = {}
        print("\nload times (once per process):")
        if "neural" in engines:
            voice = default_neural_voice()
            start = time.perf_counter()
            voice.load()
            print(f"  TTS neural (joe, onnxruntime + gruut): {time.perf_counter() - start:.2f} s")
        stts: dict[str, SpeechToText] = {}
        for model in args.models:
            stt = SpeechToText(model)  # type: ignore[arg-type]
            start = time.perf_counter()
            stt.load()
            print(f"  STT {model}: {time.perf_counter() - start:.2f} s")
            stts[model] = stt

        durations: dict[str, float] = {}
        for engine in engines:
            setting = VoiceSetting(engine, "joe" if engine == "neural" else "en-us")
            synthesize(REPLY, setting)  # warm-up
            times, cpu = [], []
            for _ in range(args.reps):
                start, cpu_start = time.perf_counter(), cpu_now()
                speech = synthesize(REPLY, setting)
                times.append(time.perf_counter() - start)
                cpu.append(cpu_now() - cpu_start)
            tts_times[engine] = times
            tts_cpu[engine] = cpu
            durations[engine] = speech.duration

        print(f"\n{'step':<34}{'median s':>10}{'p90 s':>9}{'cpu s':>9}")
        for engine, times in tts_times.items():
            label = f"TTS {engine} ({durations[engine]:.1f} s audio)"
            cpu_med = statistics.median(tts_cpu[engine])
            print(f"{label:<34}{statistics.median(times):>10.3f}{pct(times, 0.9):>9.3f}{cpu_med:>9.3f}")
        for model, stt in stts.items():
            stt.transcribe(clip)  # warm-up
            times, cpu, wers = [], [], []
            for _ in range(args.reps):
                start, cpu_start = time.perf_counter(), cpu_now()
                result = stt.transcribe(clip)
                times.append(time.perf_counter() - start)
                cpu.append(cpu_now() - cpu_start)
                wers.append(word_error_rate(REP_SPEECH, result.text))
            print(f"{f'STT {model} (WER {statistics.mean(wers):.0%})':<34}"
                  f"{statistics.median(times):>10.3f}{pct(times, 0.9):>9.3f}{statistics.median(cpu):>9.3f}")
            for engine, tts in tts_times.items():
                total = [a + b for a, b in zip(times, tts, strict=True)]
                total_cpu = [a + b for a, b in zip(cpu, tts_cpu[engine], strict=True)]
                med = statistics.median(total)
                verdict = "ok" if med <= 1.5 else "over 1.5 s target"
                label = f"  sum STT {model} + TTS {engine}"
                print(f"{label:<34}{med:>10.3f}{pct(total, 0.9):>9.3f}{statistics.median(total_cpu):>9.3f}"
                      f"  {verdict}")
    print(f"\nloadavg(1m) at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
