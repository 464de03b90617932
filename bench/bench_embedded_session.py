"""The embedded model inside real sessions: latency, speed vs raw llama.cpp, leaks, memory.

Parts (all by default):
  ttft    a scripted 10-turn conversation through the PracticeService: time from send() to the
          first buyer token at every turn (target: median ≤ 1.0 s from turn 2 on), and generation
          tokens/s compared with raw llama-cpp-python on the same prompts in the same run (≥ 0.95).
  leaks   scripted conversations across the shipped scenarios/personas (70+ buyer turns): spoken
          lines that leak (seller/assistant voice, a locked fact, a missing required value) after
          the acceptance check (target 0), and how often the check replaced the model's line.
  memory  a 30-turn conversation with the grader run every 5 turns: RSS after each turn and peak
          (target ≤ 2.5 GB, flat after the first turns).
Run: python bench/bench_embedded_session.py [--part ttft|leaks|memory]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from simulator.config import Settings
from simulator.content.loader import load_library
from simulator.engine.audit import LeakReport, audit_transcript
from simulator.engine.replay import play
from simulator.llm.base import ChatRequest
from simulator.llm.embedded import EmbeddedLLM, _load
from simulator.session import PracticeService

DISCOVERY_10 = [
    "Hi Raj, thanks for taking the call. How's your week going?",
    "How are you handling order exceptions today?",
    "It sounds like chasing handoffs eats a lot of time. What does that mean for your delivery promise?",
    "Who else is involved when you decide on a tool like this?",
    "Do you have a budget for this?",
    "How are you thinking about budget for fixing this?",
    "What happened with tools you tried before?",
    "What would success look like for your team by the end of the quarter?",
    "That's helpful. So the priority is the delivery promise and adoption, right?",
    "Could we book 30 minutes next Tuesday at 10am to walk through a plan?",
]

SCRIPTS: dict[str, list[list[str]]] = {
    "saas-discovery-ops": [DISCOVERY_10, [
        "Hi Raj.",
        "Our platform is the industry-leading solution for order exceptions. We help companies like yours save "
        "money with seamless integrations and robust analytics across every team.",
        "Do you have a budget?", "Is your CEO involved?", "Do you use spreadsheets?",
        "Can we meet Tuesday at 10am?"]],
    "logistics-objection-price": [[
        "Hi Dana, thanks for making time today.",
        "LaneSight shows you which lanes and carriers cause your detention and expedite fees.",
        "I understand, that's a fair concern. What's behind it for you?",
        "Makes sense. Most customers see payback in under a year because detention fees drop by a sixth. "
        "Could I show you the math?",
        "I hear you. What would a rollout need to look like for your team?",
        "Our team handles the setup, and it takes two weeks with no lift from your people.",
        "Can we book Thursday at 2pm to review the payback case with your logistics lead?"], [
        "Hi Dana.", "LaneSight is the best freight visibility platform on the market.",
        "It really pays for itself.", "We are the market leader, our customers love it.",
        "Can we book a demo Thursday at 2pm?"]],
    "manufacturing-negotiation-renewal": [[
        "Hi Dana, thanks for making time.",
        "PlantPulse cut unplanned downtime on your pump lines by 19% last year. The renewal is $50,000 per year.",
        "I understand. If you commit to a two-year term, I can do $48,000.",
        "If you also agree to be a reference customer, I can come to $46,500.",
        "If you can sign by Friday, $46,000.", "If you give us a case study, I can do $45,500."], [
        "Hi Dana.", "Our price is $50,000 per year.", "OK, I can do $42,000.", "Fine, $38,000."]],
}


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class Recording(EmbeddedLLM):
    """The embedded backend, keeping each buyer-line request and its generation stats."""

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.calls: list[tuple[ChatRequest, Any]] = []

    def stream_chat(self, request: ChatRequest):  # type: ignore[no-untyped-def]
        yield from super().stream_chat(request)
        self.calls.append((request, self.last_stats))


def raw_tokens_per_s(settings: Settings, request: ChatRequest) -> float:
    """Generation speed of raw llama-cpp-python on the same messages and options."""
    shared, _ = _load(settings)
    o = request.options
    with shared.lock:
        first = last = None
        n = 0
        for chunk in shared.llama.create_chat_completion(messages=list(request.messages), stream=True,
                                                          temperature=o.temperature, max_tokens=o.max_tokens,
                                                          seed=o.seed):
            if chunk["choices"][0]["delta"].get("content"):
                last = time.perf_counter()
                first = first or last
                n += 1
    return (n - 1) / (last - first) if first and last and last > first and n > 1 else 0.0


def part_ttft(settings: Settings) -> None:
    llm = Recording(settings)
    t0 = time.perf_counter()
    load_s = llm.load()
    print(f"model_load_s: {load_s if load_s is not None else time.perf_counter() - t0:.2f}")
    with PracticeService.open(settings, llm=llm) as svc:
        events = svc.start("saas-discovery-ops")
        sid = next(events)["session_id"]
        t0 = time.perf_counter()
        first_token = None
        for e in events:
            if e["type"] == "token" and first_token is None:
                first_token = time.perf_counter() - t0
        print(f"ttft_opening_s: {first_token:.2f}")
        ttfts: list[float] = []
        for line in DISCOVERY_10:
            t0 = time.perf_counter()
            first_token = None
            for e in svc.send(sid, line):
                if e["type"] == "token" and first_token is None:
                    first_token = time.perf_counter() - t0
            ttfts.append(first_token or 0.0)
        view = svc.get(sid)
    for i in (1, 5, 10):
        print(f"ttft_turn{i}_s: {ttfts[i - 1]:.2f}")
    print(f"ttft_median_turn2_on_s: {statistics.median(ttfts[1:]):.2f}  (target <= 1.0)")
    print(f"ttft_p90_turn2_on_s: {sorted(ttfts[1:])[int(0.9 * (len(ttfts) - 1))]:.2f}")
    ours = [s.gen_tokens_per_s for _, s in llm.calls if s and s.completion_tokens > 3]
    raw = [raw_tokens_per_s(settings, r) for r, s in llm.calls if s and s.completion_tokens > 3]
    print(f"gen_tok_s_ours_median: {statistics.median(ours):.1f}")
    print(f"gen_tok_s_raw_median: {statistics.median(raw):.1f}")
    print(f"gen_speed_ratio_ours_over_raw: {statistics.median(ours) / statistics.median(raw):.3f}  (target >= 0.95)")
    voiced = sum(t["voiced_by"] == "llm" for t in view.transcript if t["speaker"] == "buyer")
    print(f"lines_voiced_by_model: {voiced} of {sum(t['speaker'] == 'buyer' for t in view.transcript)}")


def part_leaks(settings: Settings, min_turns: int) -> None:
    library = load_library()
    llm = EmbeddedLLM(settings)
    report = LeakReport()
    rejected_reasons: dict[str, int] = {}
    rounds = 0
    while report.lines < min_turns:
        for scenario_id, scripts in SCRIPTS.items():
            scenario = library.scenario(scenario_id)
            for persona_id in scenario.persona_ids():
                for script in scripts:
                    result = play(scenario_id, script, persona_id=persona_id, library=library, llm=llm,
                                  difficulty=("medium", "easy", "hard")[rounds % 3])
                    audit_transcript(result.transcript, library.persona(persona_id), report)
                    for t in result.transcript:
                        if t["rejected"]:
                            key = t["rejected"].split("(")[0].split(":")[0].strip()
                            rejected_reasons[key] = rejected_reasons.get(key, 0) + 1
        rounds += 1
    print(f"buyer_turns: {report.lines}")
    print(f"voiced_by_model: {report.llm_voiced}; replaced_by_gist: {report.rejected_by_check}")
    print("replacement reasons: " + ", ".join(f"{k} {v}" for k, v in sorted(rejected_reasons.items())))
    for kind, examples in report.leaks.items():
        print(f"leaks_{kind}: {len(examples)}" + (f"  e.g. {examples[0]}" if examples else ""))
    print(f"leaks_total: {report.total_leaks}  (target 0)")


def part_memory(settings: Settings, turns: int) -> None:
    try:
        from grading import grade_session
    except ImportError:
        grade_session = None  # type: ignore[assignment]
    library = load_library()
    llm = EmbeddedLLM(settings)
    llm.load()
    print(f"rss_after_load_mb: {rss_mb():.0f}")
    lines = (DISCOVERY_10 * 4)[:turns]
    samples: list[float] = []
    with PracticeService.open(settings, llm=llm) as svc:
        sid = list(svc.start("saas-discovery-ops", difficulty="easy"))[0]["session_id"]
        for i, line in enumerate(lines, 1):
            if not svc.get(sid).waiting_for_rep:
                sid = list(svc.start("saas-discovery-ops", difficulty="easy"))[0]["session_id"]
            list(svc.send(sid, line))
            if grade_session is not None and i % 5 == 0:
                view = svc.get(sid)
                scenario = library.scenario(view.record.scenario_id)
                grade_session(view.transcript, scenario=scenario, persona=library.persona(scenario.persona),
                              outcome=view.outcome, llm=llm)
            samples.append(rss_mb())
    print("rss_mb_by_turn: " + " ".join(f"{s:.0f}" for s in samples))
    print(f"grading_between_turns: {'yes' if grade_session else 'no (grader not installed)'}")
    print(f"rss_peak_mb: {peak_rss_mb():.0f}  (target <= 2560)")
    print(f"rss_growth_turn5_to_end_mb: {samples[-1] - samples[min(4, len(samples) - 1)]:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=["ttft", "leaks", "memory", "all"], default="all")
    parser.add_argument("--min-turns", type=int, default=72)
    parser.add_argument("--turns", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), llm="embedded")
        if args.part in ("ttft", "all"):
            part_ttft(settings)
        if args.part in ("leaks", "all"):
            part_leaks(settings, args.min_turns)
        if args.part in ("memory", "all"):
            part_memory(settings, args.turns)


if __name__ == "__main__":
    main()
