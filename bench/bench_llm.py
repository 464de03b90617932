"""Benchmark the embedded backend against raw llama-cpp-python on a scripted 10-turn buyer chat.

Both runs use the same model file, threads, n_batch and n_ctx, the same system prompt and rep lines,
and each keeps its own replies in its history (a natural conversation). After turn JUDGE_AFTER both
make the same grader-style JSON call, so the next turn shows whether the conversation prefix survived
(EmbeddedLLM: RAM prefix cache; raw Llama: no cache, the judge prompt replaced the context).

Run:  python bench/bench_llm.py [--turns 10] [--max-tokens 60] [--model-path X.gguf]
Prints plain ``name: value`` lines. Peak RSS is read from /proc/self/status (Linux) or getrusage.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from simulator.config import Settings
from simulator.llm.base import ChatMessage, ChatRequest, GenerationOptions
from simulator.llm.embedded import EmbeddedLLM
from simulator.llm.guard import allow_real_models
from simulator.llm.model_files import resolve_model_path

SYSTEM_PROMPT = """\
You are Dana Whitfield, head of operations at Northline Freight, a regional less-than-truckload
carrier with 400 trucks, 620 drivers and three terminals (Columbus, Indianapolis, Louisville). You are
on a 30-minute discovery call with a sales rep from RouteWise, a routing and dispatch software vendor.

Who you are: 19 years in trucking, promoted from dispatcher. Busy, polite, direct and skeptical. You
have sat through many vendor demos that promised savings and delivered spreadsheets. You respect reps
who ask good questions and listen; you get short with reps who pitch features before they understand
your operation.

Your situation (reveal a fact only when the rep asks a relevant, open question; never volunteer all):
- Dispatchers plan next-day routes by hand every evening in a shared spreadsheet: two people, three hours.
- On-time delivery fell from 94% to 88% last quarter; your largest customer, a grocery chain, complained
  twice.
- Overtime for dispatch was about $140,000 last year.
- You tried a routing tool in 2021; drivers hated it because it ignored dock hours, so it was dropped.
- Budget: anything above $50,000 a year needs the COO, Marcus Lee, who wants payback within a year.
- Timeline: the grocery contract renews in five months; you want improvement before then.

How you speak: one or two short sentences, first person, as Dana. Plain words, no lists, no sales
jargon. Never speak as the rep, never describe the rep's product, never mention these instructions."""

REP_TURNS = (
    "Hi Dana, thanks for making time today. How's your week going?",
    "Could you walk me through how your team plans routes today?",
    "How long does that take each evening?",
    "What happens when a driver calls in sick at 5 a.m.?",
    "How has on-time delivery been trending lately?",
    "What has that meant for your customers?",
    "Have you tried any routing tools before?",
    "What made it fail for your drivers?",
    "If you fixed this, what would change for you personally?",
    "Who else would weigh in on a decision like this?",
)

JUDGE_AFTER = 6
"""The judge call runs after this turn; the next turn is the 'after judge' measurement."""

JUDGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "question_type": {"type": "string", "enum": ["open", "closed", "pitch", "other"]},
        "score": {"type": "integer", "enum": [1, 2, 3, 4, 5]},
    },
    "required": ["question_type", "score"],
}


def judge_messages(rep_line: str) -> list[ChatMessage]:
    """A short grader-style prompt (different from the chat prompt, so it evicts it from the context)."""
    return [
        ChatMessage(
            role="system",
            content="You grade sales discovery questions. Reply in JSON: the question "
            "type (open, closed, pitch, other) and a 1-5 score for how well it uncovers needs.",
        ),
        ChatMessage(role="user", content=f'Rep question: "{rep_line}"'),
    ]


@dataclass
class Turn:
    ttft_s: float
    total_s: float
    tokens: int
    text: str

    @property
    def gen_span_s(self) -> float:
        return self.total_s - self.ttft_s

    @property
    def gen_tokens_per_s(self) -> float:
        return (self.tokens - 1) / self.gen_span_s if self.tokens > 1 and self.gen_span_s > 0 else 0.0


@dataclass
class RunResult:
    load_s: float
    turns: list[Turn] = field(default_factory=list)
    judge_s: float = 0.0
    judge_result: str = ""
    prompt_tokens_evaluated: list[int] = field(default_factory=list)
    peak_rss_mb: float = 0.0


def timed_stream(chunks: Iterator[str], started: float) -> Turn:
    """Consume a text stream, timing the first and last chunk (identically for both runs)."""
    first: float | None = None
    last = started
    parts: list[str] = []
    for text in chunks:
        if not text:
            continue
        last = time.perf_counter()
        if first is None:
            first = last
        parts.append(text)
    return Turn(
        ttft_s=(first or last) - started, total_s=last - started, tokens=len(parts), text="".join(parts)
    )


def raw_text_chunks(stream: Any) -> Iterator[str]:
    for chunk in stream:
        text = chunk["choices"][0]["delta"].get("content")
        if text:
            yield text


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_average() -> str:
    """The 1/5/15-minute load averages (the benchmark is noisy when other work runs)."""
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


class OursSession:
    """One conversation through EmbeddedLLM (the shared model, its prefix cache)."""

    def __init__(self, llm: EmbeddedLLM, max_tokens: int) -> None:
        self.llm = llm
        self.options = GenerationOptions(max_tokens=max_tokens, temperature=0.3, seed=7)
        self.history: list[ChatMessage] = [ChatMessage(role="system", content=SYSTEM_PROMPT)]
        self.prompt_tokens_evaluated: list[int] = []

    def turn(self, rep_line: str) -> Turn:
        self.history.append(ChatMessage(role="user", content=rep_line))
        request = ChatRequest(messages=tuple(self.history), options=self.options, purpose="buyer-line")
        turn = timed_stream(self.llm.stream_chat(request), time.perf_counter())
        assert self.llm.last_stats is not None
        self.prompt_tokens_evaluated.append(self.llm.last_stats.prompt_tokens_evaluated)
        self.history.append(ChatMessage(role="assistant", content=turn.text))
        return turn

    def judge(self, rep_line: str) -> str:
        request = ChatRequest(messages=tuple(judge_messages(rep_line)), json_schema=JUDGE_SCHEMA,
                              options=GenerationOptions(max_tokens=40, temperature=0.0, seed=7),
                              purpose="judge")
        return json.dumps(self.llm.complete_json(request))


class RawSession:
    """The same conversation through raw ``Llama.create_chat_completion`` (no prefix cache)."""

    def __init__(self, llama: Any, max_tokens: int) -> None:
        self.llama = llama
        self.max_tokens = max_tokens
        self.history: list[dict[str, str]] = [{"role": "system", "content": SYSTEM_PROMPT}]

    def turn(self, rep_line: str) -> Turn:
        self.history.append({"role": "user", "content": rep_line})
        started = time.perf_counter()
        stream = self.llama.create_chat_completion(messages=self.history, stream=True, temperature=0.3,
                                                   max_tokens=self.max_tokens, seed=7)
        turn = timed_stream(raw_text_chunks(stream), started)
        self.history.append({"role": "assistant", "content": turn.text})
        return turn

    def judge(self, rep_line: str) -> str:
        reply = self.llama.create_chat_completion(
            messages=judge_messages(rep_line), temperature=0.0, max_tokens=40, seed=7,
            response_format={"type": "json_object", "schema": JUDGE_SCHEMA})
        return str(reply["choices"][0]["message"]["content"])


def converse(sessions: dict[str, OursSession | RawSession], results: dict[str, RunResult],
             turns: int) -> None:
    """Run the scripted turns, alternating sessions turn by turn (so machine-load swings hit both)."""
    for i, rep_line in enumerate(REP_TURNS[:turns], start=1):
        for name, session in sessions.items():
            results[name].turns.append(session.turn(rep_line))
            if i == JUDGE_AFTER:
                started = time.perf_counter()
                results[name].judge_result = session.judge(rep_line)
                results[name].judge_s = time.perf_counter() - started


def gen_tokens_per_s(result: RunResult) -> float:
    """Generation speed over all turns: (tokens - 1 per turn) / time from first to last chunk."""
    tokens = sum(max(t.tokens - 1, 0) for t in result.turns)
    span = sum(t.gen_span_s for t in result.turns if t.tokens > 1)
    return tokens / span if span > 0 else 0.0


def report(prefix: str, r: RunResult, *, rss: bool = True) -> None:
    ttft = [t.ttft_s for t in r.turns]
    print(f"{prefix}_load_s: {r.load_s:.2f}")
    for n in (1, 5, 10):
        if n <= len(ttft):
            print(f"{prefix}_ttft_turn{n}_s: {ttft[n - 1]:.2f}")
    if len(ttft) > 1:
        print(f"{prefix}_ttft_median_turn2plus_s: {statistics.median(ttft[1:]):.2f}")
    if len(ttft) > JUDGE_AFTER:
        print(f"{prefix}_ttft_after_judge_s: {ttft[JUDGE_AFTER]:.2f}")
    print(f"{prefix}_judge_s: {r.judge_s:.2f}")
    print(f"{prefix}_judge_result: {r.judge_result}")
    print(f"{prefix}_gen_tokens: {sum(t.tokens for t in r.turns)}")
    print(f"{prefix}_gen_tok_s: {gen_tokens_per_s(r):.2f}")
    print(f"{prefix}_ttft_all_s: {' '.join(f'{x:.2f}' for x in ttft)}")
    if r.prompt_tokens_evaluated:
        print(f"{prefix}_prompt_tokens_evaluated: {' '.join(map(str, r.prompt_tokens_evaluated))}")
    if rss:
        print(f"{prefix}_peak_rss_mb: {r.peak_rss_mb:.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--max-tokens", type=int, default=60)
    parser.add_argument("--model-path", type=Path, default=None)
    parser.add_argument("--no-raw", action="store_true", help="skip the raw llama-cpp-python comparison")
    parser.add_argument("--show-replies", action="store_true")
    args = parser.parse_args(argv)

    allow_real_models(True)
    settings = Settings(model_path=args.model_path) if args.model_path else Settings()
    model_path = resolve_model_path(settings)
    print(f"model: {model_path}")
    print(f"n_threads: {settings.n_threads}\nn_batch: {settings.n_batch}\nn_ctx: {settings.n_ctx}")
    print(f"prefix_cache_bytes: {settings.prefix_cache_bytes}")
    print(f"loadavg_at_start: {load_average()}")

    # Phase 1: EmbeddedLLM alone (load time, time to first token, judge, peak RSS).
    llm = EmbeddedLLM(settings)
    started = time.perf_counter()
    llm.load()
    ours = RunResult(load_s=time.perf_counter() - started)
    session = OursSession(llm, args.max_tokens)
    converse({"ours": session}, {"ours": ours}, args.turns)
    ours.prompt_tokens_evaluated = session.prompt_tokens_evaluated
    ours.peak_rss_mb = peak_rss_mb()
    cache = llm.prefix_cache
    print(f"ours_prefix_cache: entries={len(cache)} bytes={cache.cache_size} hits={cache.hits} "
          f"misses={cache.misses} evictions={cache.evictions}")
    report("ours", ours)
    if args.show_replies:
        for i, t in enumerate(ours.turns, 1):
            print(f"ours_reply_{i}: {t.text!r}")
    if args.no_raw:
        return 0

    # Phase 2: raw llama-cpp-python and a second EmbeddedLLM conversation, alternating turn by turn,
    # for a generation-speed ratio that shared-machine load swings affect equally.
    import llama_cpp

    started = time.perf_counter()
    llama = llama_cpp.Llama(model_path=str(model_path), n_ctx=settings.n_ctx, n_batch=settings.n_batch,
                            n_threads=settings.n_threads, n_threads_batch=settings.n_threads, verbose=False)
    raw = RunResult(load_s=time.perf_counter() - started)
    ours2 = RunResult(load_s=0.0)
    session2 = OursSession(llm, args.max_tokens)
    converse({"raw": RawSession(llama, args.max_tokens), "ours2": session2},
             {"raw": raw, "ours2": ours2}, args.turns)
    ours2.prompt_tokens_evaluated = session2.prompt_tokens_evaluated
    report("raw", raw, rss=False)
    print(f"ours_interleaved_gen_tok_s: {gen_tokens_per_s(ours2):.2f}")
    print(f"ours_interleaved_ttft_after_judge_s: {ours2.turns[JUDGE_AFTER].ttft_s:.2f}"
          if len(ours2.turns) > JUDGE_AFTER else "")
    print(f"loadavg_at_end: {load_average()}")
    raw_speed = gen_tokens_per_s(raw)
    ratio = gen_tokens_per_s(ours2) / raw_speed if raw_speed else 0.0
    print(f"gen_tok_s_ratio_ours_over_raw: {ratio:.3f}")
    # Adjacent turns (raw then ours) see similar machine load: the median of their ratios is the
    # figure least affected by other work on a shared box.
    pairs = [o.gen_tokens_per_s / r.gen_tokens_per_s for r, o in zip(raw.turns, ours2.turns, strict=True)
             if r.tokens > 1 and o.tokens > 1 and r.gen_tokens_per_s > 0]
    if pairs:
        print(f"gen_tok_s_ratio_median_of_turn_pairs: {statistics.median(pairs):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
