"""Per-turn orchestration overhead with the scripted fake LLM (target: median ≤ 10 ms).

Measures, in one run, three layers so each cost is visible:
  1. analyse + direct alone (pure Python rules, the baseline),
  2. the LangGraph graph with an in-memory checkpointer,
  3. the full service turn: graph + SQLite checkpoint (durability=sync) + store writes.
The fake LLM answers instantly, so (3) is all overhead. Run: python bench/bench_engine.py [-n 200]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from simulator.config import Settings
from simulator.content.loader import load_library
from simulator.engine.context import SessionContext
from simulator.engine.director import direct, initial_state
from simulator.engine.understand import analyse
from simulator.llm.base import ChatRequest
from simulator.llm.scripted import ScriptedLLM
from simulator.session import PracticeService
from simulator.session.runner import ConversationRunner, rep_message

REP_LINES = [
    "Hi Raj, thanks for taking the call. How's your week going?",
    "How are you handling order exceptions today?",
    "It sounds like chasing handoffs eats a lot of time. What does that mean for your delivery promise?",
    "Who else is involved when you decide on a tool like this?",
    "Do you have a budget for this?",
    "What would success look like for you by the end of the quarter?",
    "How do your team's tools fit together today?",
    "What happened with tools you tried before?",
]


def echo_gist(request: ChatRequest) -> str:
    return request.messages[-1]["content"].rsplit('SAY: "', 1)[1].rstrip('"')


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_rules(n: int) -> list[float]:
    lib = load_library()
    sc = lib.scenario("saas-discovery-ops")
    ctx = SessionContext(persona=lib.persona(sc.persona), scenario=sc, difficulty="medium", llm=ScriptedLLM())
    state = initial_state(ctx.director)
    times = []
    for i in range(n):
        line = REP_LINES[i % len(REP_LINES)]
        t0 = time.perf_counter()
        a = analyse(line, ctx.analysis_context("previous line"))
        new_state, _ = direct(ctx.director, state, a, line)
        times.append((time.perf_counter() - t0) * 1000)
        if new_state["ended"]:
            state = initial_state(ctx.director)
    return times


def bench_graph_memory(n: int) -> list[float]:
    lib = load_library()
    sc = lib.scenario("saas-discovery-ops")
    ctx = SessionContext(persona=lib.persona(sc.persona), scenario=sc, difficulty="easy",
                         llm=ScriptedLLM(fallback=echo_gist))
    runner = ConversationRunner()
    times: list[float] = []
    while len(times) < n:
        thread = uuid.uuid4().hex
        runner.run(thread, ctx, {"session_id": "b"})
        for line in REP_LINES[:6]:
            t0 = time.perf_counter()
            runner.run(thread, ctx, rep_message(line))
            times.append((time.perf_counter() - t0) * 1000)
    return times[:n]


def bench_service(n: int, data_dir: Path) -> list[float]:
    settings = Settings(data_dir=data_dir, llm="template")
    times: list[float] = []
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=echo_gist)) as svc:
        while len(times) < n:
            sid = list(svc.start("saas-discovery-ops", difficulty="easy"))[0]["session_id"]
            for line in REP_LINES[:6]:
                t0 = time.perf_counter()
                for _ in svc.send(sid, line):
                    pass
                times.append((time.perf_counter() - t0) * 1000)
    return times[:n]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=200, help="turns per layer")
    args = parser.parse_args()
    bench_rules(50), bench_graph_memory(12)  # warm-up: imports, regex compilation
    rules = bench_rules(args.n)
    graph = bench_graph_memory(args.n)
    with tempfile.TemporaryDirectory() as tmp:
        service = bench_service(args.n, Path(tmp))
    for name, values in (("rules (analyse + direct)", rules), ("graph, in-memory checkpointer", graph),
                         ("service turn (graph + SQLite checkpoint + store)", service)):
        print(f"{name}: median {statistics.median(values):.2f} ms, p95 {pct(values, 0.95):.2f} ms (n={len(values)})")
    print(f"service_turn_median_ms: {statistics.median(service):.2f}  (target <= 10)")
    print(f"ratio service/rules: {statistics.median(service) / statistics.median(rules):.1f}x")


if __name__ == "__main__":
    main()
