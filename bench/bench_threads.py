"""How many llama.cpp threads should the embedded model use? Measured, quiet and under contention.

For each thread setting (generation/prompt threads: 1/1, cores/cores, and cores-1/cores) and each load
condition (quiet; another process burning one core; optionally burning every core), runs the same
buyer-like workload on the shipped Qwen2.5-Coder-1.5B model and prints medians of:

  prompt_tok_s   prompt processing speed on a fresh ~450-token chat prompt (a new session's first turn)
  ttft_s         time to first token of a follow-up turn whose prefix is already evaluated
                 (~60 new prompt tokens: the rep's message and the director's line), as in a session
  gen_tok_s      generation speed over 40 tokens

The burner is a separate process spinning in a tight loop (``os.sched_setaffinity`` is not used, so
the OS scheduler shares the cores as it would with a browser or another app).
Run: python bench/bench_threads.py [--repeats 5] [--burn-all]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from typing import Any

from simulator.config import Settings
from simulator.content.loader import load_library
from simulator.engine.prompts import buyer_system_prompt, rep_turn_for_voice
from simulator.llm.embedded import _load

REP_LINES = [
    ("Hi Raj, thanks for taking the call. How's your week going?", "Busy, as always. Peak season is coming."),
    ("How are you handling order exceptions today?",
     "Honestly, most of our order exceptions still go through email and a shared spreadsheet. My team "
     "spends about 15 hours a week just chasing handoffs."),
]
NEXT_REP = "It sounds like chasing handoffs eats a lot of time. What does that mean for your delivery promise?"
NEXT_GIST = ("We missed our two-day promise on about 8% of orders last quarter, and our CEO has started asking "
             "me about it every week.")


def _burn(stop: Any) -> None:  # pragma: no cover - runs in a child process
    x = 0
    while not stop.is_set():
        for _ in range(100_000):
            x = (x * 31 + 7) % 1_000_003


def _messages(settings: Settings, salt: str = "") -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    library = load_library()
    scenario = library.scenario("saas-discovery-ops")
    system = buyer_system_prompt(library.persona(scenario.persona), scenario) + salt
    history: list[dict[str, str]] = [{"role": "system", "content": system}]
    for rep, buyer in REP_LINES:
        history += [{"role": "user", "content": rep_turn_for_voice(rep, buyer)},
                    {"role": "assistant", "content": buyer}]
    follow = [*history, {"role": "user", "content": rep_turn_for_voice(NEXT_REP, NEXT_GIST)}]
    return history, follow


def _run(llama: Any, messages: list[dict[str, str]], max_tokens: int) -> tuple[float, float, int]:
    """(ttft_s, total_s, tokens) of one streamed chat completion."""
    started = time.perf_counter()
    first = None
    last = started
    n = 0
    for chunk in llama.create_chat_completion(messages=messages, stream=True, temperature=0.0,
                                              max_tokens=max_tokens, seed=1):
        if chunk["choices"][0]["delta"].get("content"):
            last = time.perf_counter()
            first = first or last
            n += 1
    return (first or last) - started, last - started, n


def measure(llama: Any, settings: Settings, threads: tuple[int, int], repeats: int) -> dict[str, float]:
    """``threads`` = (generation threads, prompt-processing threads)."""
    import llama_cpp

    llama_cpp.llama_set_n_threads(llama._ctx.ctx, threads[0], threads[1])
    prompt_speed: list[float] = []
    ttfts: list[float] = []
    gen: list[float] = []
    for i in range(repeats):
        # A fresh prompt: a salt in the system prompt defeats prefix reuse.
        history, follow = _messages(settings, salt=f"\n(run {threads}-{i}-{time.time_ns()})")
        llama.reset()
        ttft, _, _ = _run(llama, [*history, {"role": "user", "content": NEXT_REP[:6]}], 1)
        prompt_speed.append(llama.n_tokens / ttft)
        # The KV now holds the conversation up to the start of the rep's next message, as in a
        # session whose prefix was prefilled: the follow-up evaluates only the new turn.
        ttft, total, n = _run(llama, follow, 40)
        ttfts.append(ttft)
        if n > 1 and total > ttft:
            gen.append((n - 1) / (total - ttft))
    return {"prompt_tok_s": statistics.median(prompt_speed), "ttft_s": statistics.median(ttfts),
            "ttft_p90_s": sorted(ttfts)[int(0.9 * (len(ttfts) - 1))],
            "gen_tok_s": statistics.median(gen) if gen else 0.0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--burn-all", action="store_true", help="also measure with every core burnt")
    args = parser.parse_args()
    cores = os.cpu_count() or 2
    settings = Settings(llm="embedded", n_threads=cores, n_threads_batch=cores)
    shared, _ = _load(settings)
    llama = shared.llama
    conditions = [("quiet", 0), ("burn 1 core", 1)] + ([(f"burn {cores} cores", cores)] if args.burn_all else [])
    thread_counts = sorted({(1, 1), (cores, cores), (max(1, cores - 1), cores)})
    print(f"cores: {cores}; model: {shared.path.name}; n_batch {settings.n_batch}; repeats {args.repeats}")
    print("threads = generation/prompt-processing threads")
    print(f"{'condition':<14} {'threads':>7} {'prompt_tok_s':>12} {'ttft_s':>7} {'ttft_p90_s':>10} {'gen_tok_s':>9}")
    with shared.lock:
        for name, burners in conditions:
            stop = multiprocessing.Event()
            procs = [multiprocessing.Process(target=_burn, args=(stop,), daemon=True) for _ in range(burners)]
            for p in procs:
                p.start()
            try:
                time.sleep(0.5 if procs else 0.0)
                for threads in thread_counts:
                    r = measure(llama, settings, threads, args.repeats)
                    label = f"{threads[0]}/{threads[1]}"
                    print(f"{name:<14} {label:>7} {r['prompt_tok_s']:>12.1f} {r['ttft_s']:>7.2f} "
                          f"{r['ttft_p90_s']:>10.2f} {r['gen_tok_s']:>9.1f}", flush=True)
            finally:
                stop.set()
                for p in procs:
                    p.join(timeout=5)
        import llama_cpp

        llama_cpp.llama_set_n_threads(llama._ctx.ctx, settings.n_threads, settings.n_threads_batch)
    print(f"load average now: {os.getloadavg()[0]:.2f} (other processes on the machine inflate every figure)")


if __name__ == "__main__":
    main()
