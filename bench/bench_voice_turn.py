"""Benchmark a whole voice turn: the rep's speech → STT → the practice service turn → the buyer's first audio.

For each turn the clock starts when the rep's recording is handed over (the end of their speech):
speech-to-text of ~5 s of espeak-ng speech, ``PracticeService.send(..., speech=...)`` streaming the
buyer's reply, and text-to-speech of the reply's **first sentence as soon as it is complete in the
token stream**. Reported: the median time to that first audio, and for comparison the time to audio
when the whole final line is synthesised after the stream ends (what the terminal and browser
handlers do today). Backends: ``template`` (no model) and ``embedded`` (the shipped llama.cpp model,
real weights). One session per backend, a different rep line every turn (a new session when the
call ends or the lines run out); models are loaded and warmed up first (load times printed).

    python bench/bench_voice_turn.py                       # template and embedded, 8 turns each
    python bench/bench_voice_turn.py --backends template --turns 5
    python bench/bench_voice_turn.py --hands-free          # also the hands-free path, same run

``--hands-free`` adds, per backend and in the same run, the hands-free path
(:class:`simulator.voice.handsfree.HandsFreeCall`): the rep's clip is fed in 0.25 s chunks at real
time, the VAD ends the turn after ``--end-silence-ms``, speech-to-text ran on the pieces while the rep
spoke (``--no-incremental`` to compare), and the buyer's first sentence is synthesised as soon as it
is checked. Reported from the end of the rep's speech: ``hf.transcript_ready`` and ``hf.first_audio``
(which include the silence the turn needs to end), and ``hf.first_audio_after_turn_end`` (without it).
Compare with the old path's ``whole_line_audio`` (push-to-talk: STT of the whole recording after it
arrives, the whole line synthesised after the reply), measured in the same run.

Prints plain ``name: value`` lines (seconds unless the name says otherwise).
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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.config import Settings
from simulator.llm.guard import allow_real_models
from simulator.session import PracticeService
from simulator.voice import (
    SentenceSplitter,
    VoiceSetting,
    get_stt,
    persona_voice_setting,
    preload_tts,
    speech_payload,
    synthesize,
)
from simulator.voice.audio_io import FloatArray, decode_file
from simulator.voice.handsfree import HandsFreeCall
from simulator.voice.tts import available_engines

SCENARIO = "saas-discovery-ops"
REP_LINES = (
    "Thanks for making the time today, Raj. How are you handling order exceptions across your team right now?",
    "It sounds like chasing those handoffs eats a lot of time. What does that mean for your delivery promise?",
    "Who else on your side gets involved when you decide on changing a process like this one?",
    "What happened with the tools you tried before, and what would you want to be different this time?",
    "How are you thinking about budget for fixing this problem over the next two quarters?",
    "What would success look like for your team by the end of this quarter, in your own words?",
    "That is helpful. So the priority is the delivery promise and getting your team to adopt it, right?",
    "Could we book thirty minutes next Tuesday at ten to walk through a plan with your operations lead?",
)


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


def loadavg() -> float:
    return os.getloadavg()[0]


def make_clips(folder: Path) -> list[tuple[str, FloatArray]]:
    """Each rep line spoken by espeak-ng, as 16 kHz mono float32."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise SystemExit("espeak-ng is needed to make the rep's speech (apt-get install espeak-ng)")
    clips = []
    for i, line in enumerate(REP_LINES):
        raw = folder / f"rep{i}.wav"
        subprocess.run([espeak, "-w", str(raw), line], check=True, capture_output=True)
        clips.append((line, decode_file(raw, 16000)[0]))
    return clips


@dataclass
class Turn:
    stt: float
    first_token: float | None
    first_sentence: float | None
    first_audio: float
    reply_done: float
    whole_line_audio: float
    streamed_first_kept: bool
    """The sentence spoken early is also the start of the final line (not replaced by the acceptance check)."""


@dataclass
class Run:
    backend: str
    llm_load: float
    turns: list[Turn] = field(default_factory=list)
    sessions: int = 0


def voice_turn(svc: PracticeService, sid: str, samples: FloatArray, setting: VoiceSetting) -> tuple[Turn, bool]:
    """One timed turn. Returns the timings and whether the call ended."""
    t0 = time.perf_counter()
    heard = get_stt().transcribe(samples)
    t_stt = time.perf_counter() - t0
    speech = speech_payload(heard)
    splitter = SentenceSplitter()
    first_token = first_sentence = first_audio = None
    early = ""
    final = ""
    ended = False
    for event in svc.send(sid, heard.text or "Hello?", speech=speech):
        kind = event["type"]
        if kind == "token":
            first_token = first_token or time.perf_counter() - t0
            if first_audio is None:
                for sentence in splitter.feed(event["text"]):
                    first_sentence = time.perf_counter() - t0
                    synthesize(sentence, setting)
                    first_audio, early = time.perf_counter() - t0, sentence
                    break
        elif kind == "line":
            final = event["text"]
        elif kind == "ended":
            ended = True
    reply_done = time.perf_counter() - t0
    if first_audio is None:  # the reply was one short sentence: it completes with the stream
        early = splitter.flush() or final
        first_sentence = time.perf_counter() - t0
        synthesize(early, setting)
        first_audio = time.perf_counter() - t0
    t1 = time.perf_counter()
    synthesize(final, setting)
    whole = reply_done + (time.perf_counter() - t1)
    kept = final.strip().startswith(early.strip()[:-1]) if early else False
    return Turn(t_stt, first_token, first_sentence, first_audio, reply_done, whole, kept), ended


def run_backend(backend: str, clips: list[tuple[str, FloatArray]], turns: int, data: Path) -> Run:
    settings = Settings(data_dir=data / backend, llm=backend)  # type: ignore[arg-type]
    with PracticeService.open(settings) as svc:
        persona = svc.library.persona(svc.library.scenario(SCENARIO).persona)
        setting = persona_voice_setting(persona.voice)
        t = time.perf_counter()
        sid = list(svc.start(SCENARIO))[0]["session_id"]  # loads the model and voices the opening
        run = Run(backend, time.perf_counter() - t)
        voice_turn(svc, sid, clips[-1][1], setting)  # warm-up turn, not counted
        sid, used = list(svc.start(SCENARIO))[0]["session_id"], 0
        run.sessions = 1
        for _ in range(turns):
            if used == len(clips):
                sid, used = list(svc.start(SCENARIO))[0]["session_id"], 0
                run.sessions += 1
            turn, ended = voice_turn(svc, sid, clips[used][1], setting)
            run.turns.append(turn)
            used += 1
            if ended:
                used = len(clips)
    return run


@dataclass
class HandsFreeRun:
    backend: str
    incremental: bool
    end_silence_ms: int
    transcript_ready: list[float] = field(default_factory=list)
    first_audio: list[float] = field(default_factory=list)
    partial_runs: list[int] = field(default_factory=list)
    final_tail_s: list[float] = field(default_factory=list)


def _feed_real_time(call: HandsFreeCall, audio: FloatArray, chunk_s: float = 0.25) -> None:
    step = int(chunk_s * 16000)
    next_at = time.perf_counter()
    for i in range(0, audio.size, step):
        next_at += chunk_s
        time.sleep(max(0.0, next_at - time.perf_counter()))
        call.feed(16000, audio[i:i + step])


def run_hands_free(backend: str, clips: list[tuple[str, FloatArray]], turns: int, data: Path, *,
                   end_silence_ms: int, incremental: bool) -> HandsFreeRun:
    settings = Settings(data_dir=data / f"hf-{backend}-{incremental}", llm=backend)  # type: ignore[arg-type]
    out = HandsFreeRun(backend, incremental, end_silence_ms)
    silence = np.zeros(int((end_silence_ms / 1000 + 0.6) * 16000), dtype=np.float32)
    with PracticeService.open(settings) as svc:
        persona = svc.library.persona(svc.library.scenario(SCENARIO).persona)
        setting = persona_voice_setting(persona.voice)

        def new_call() -> HandsFreeCall:
            sid = list(svc.start(SCENARIO))[0]["session_id"]
            return HandsFreeCall(svc, sid, setting=setting, end_silence_ms=end_silence_ms,
                                 incremental=incremental, on_clip=lambda _clip: None)

        call, used = new_call(), 0
        for n in range(turns + 1):  # the first turn warms up and is not counted
            if used == len(clips) or call.ended is not None:
                call.close()
                call, used = new_call(), 0
            before = len(call.timings)
            _feed_real_time(call, np.concatenate([silence[:4000], clips[used][1], silence]))
            used += 1
            deadline = time.monotonic() + 120
            while (call.answering or len(call.timings) == before) and time.monotonic() < deadline:
                _feed_real_time(call, silence[:4000])  # the microphone stays open: quiet room
            if n == 0 or len(call.timings) == before:
                continue
            timing = call.timings[-1]
            if "transcript_ready" in timing and "first_clip" in timing:
                out.transcript_ready.append(timing["transcript_ready"] - timing["end_of_speech"])
                out.first_audio.append(timing["first_clip"] - timing["end_of_speech"])
        call.close()
    return out


def report_hands_free(run: HandsFreeRun) -> list[str]:
    name = f"{run.backend}.hf{'' if run.incremental else '_no_partial'}"
    silence = run.end_silence_ms / 1000
    out = [f"{name}.turns: {len(run.first_audio)}", f"{name}.end_silence_s: {silence:.3f}"]
    for label, values in (("transcript_ready", run.transcript_ready), ("first_audio", run.first_audio),
                          ("first_audio_after_turn_end", [v - silence for v in run.first_audio])):
        if values:
            out += [f"{name}.{label}_median_s: {statistics.median(values):.3f}",
                    f"{name}.{label}_p90_s: {pct(values, 0.9):.3f}"]
    return out


def report(run: Run) -> list[str]:
    b = run.backend

    def line(name: str, values: list[float]) -> list[str]:
        return [f"{b}.{name}_median_s: {statistics.median(values):.3f}", f"{b}.{name}_p90_s: {pct(values, 0.9):.3f}"]

    ts = run.turns
    out = [f"{b}.turns: {len(ts)}", f"{b}.sessions: {run.sessions}", f"{b}.llm_load_and_opening_s: {run.llm_load:.3f}"]
    out += line("stt", [t.stt for t in ts])
    tokens = [t.first_token for t in ts if t.first_token is not None]
    if tokens:
        out += line("first_token", tokens)
    out += line("first_sentence", [t.first_sentence or 0.0 for t in ts])
    out += line("first_audio", [t.first_audio for t in ts])
    out += line("reply_done", [t.reply_done for t in ts])
    out += line("whole_line_audio", [t.whole_line_audio for t in ts])
    out.append(f"{b}.early_sentence_kept: {sum(t.streamed_first_kept for t in ts)}/{len(ts)}")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["template", "embedded"], choices=["template", "embedded"])
    parser.add_argument("--turns", type=int, default=8)
    parser.add_argument("--hands-free", action="store_true", help="also measure the hands-free path")
    parser.add_argument("--end-silence-ms", type=int, default=Settings().voice_end_silence_ms)
    parser.add_argument("--no-incremental", action="store_true", help="hands-free without partial STT too")
    args = parser.parse_args()
    allow_real_models(True)
    print(f"cpus: {os.cpu_count()}")
    print(f"loadavg_1m_start: {loadavg():.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        clips = make_clips(Path(tmp))
        seconds = [c[1].size / 16000 for c in clips]
        print(f"rep_speech_median_s: {statistics.median(seconds):.2f}")
        print(f"stt_model: {get_stt().model_name}")
        print(f"tts_engine: {(available_engines() or ('none',))[0]}")
        t = time.perf_counter()
        get_stt().load()
        print(f"stt_load_s: {time.perf_counter() - t:.3f}")
        print(f"tts_load_s: {preload_tts():.3f}")
        for backend in args.backends:
            for line in report(run_backend(backend, clips, args.turns, Path(tmp))):
                print(line, flush=True)
            if args.hands_free:
                for incremental in (True, False) if args.no_incremental else (True,):
                    hf = run_hands_free(backend, clips, args.turns, Path(tmp), end_silence_ms=args.end_silence_ms,
                                        incremental=incremental)
                    for line in report_hands_free(hf):
                        print(line, flush=True)
    print(f"loadavg_1m_end: {loadavg():.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
