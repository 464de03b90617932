"""Web app speed: time to the first page, and per-message overhead with 20 simultaneous users.

    python bench/bench_web.py                 # both measurements
    python bench/bench_web.py --skip-startup  # only the 20-user run
    python bench/bench_web.py --users 20 --messages 10

1. ``python app.py`` in a fresh process (empty data dir, free port) until ``GET /`` answers 200:
   the whole cold start (imports, store, first admin, page build, server). Models load lazily, so
   the backend setting does not change this figure.
2. N simulated users in N threads, each starting a call and sending M messages through the page
   handlers and the service layer (accounts, authorization, engine, SQLite store and checkpoints),
   with the scripted fake LLM answering instantly: every message's wall time is overhead. Run twice:
   with a think time before each message (~1 s, like a person typing; the p95 target applies
   here) and as a burst with no pause at all (every user's next message the moment the reply is in:
   throughput-bound, reported for capacity planning). Checks: no errors, every turn stored
   (1 opening + 2 per message), then each call is ended and graded.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LINES = [
    "Hi Raj, thanks for making time today.",
    "How are you handling order exceptions today?",
    "What does that cost your team each week?",
    "How does that affect your delivery promise?",
    "Who else is involved when you choose a tool like this?",
    "What budget have you set aside for fixing this?",
    "What would a good outcome look like for you this quarter?",
    "It sounds like the spreadsheet is the bottleneck. What have you tried so far?",
    "What happens if nothing changes in the next six months?",
    "Can we meet Tuesday at 10am with your team to walk through it?",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def first_page_seconds(timeout_s: float = 60.0) -> float:
    """Seconds from launching ``python app.py`` until the first page is served."""
    with tempfile.TemporaryDirectory() as tmp:
        port = _free_port()
        env = {
            **os.environ,
            "SPARRING_DATA_DIR": tmp,
            "SPARRING_PORT": str(port),
            "GRADIO_ANALYTICS_ENABLED": "False",
        }
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "app.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            while time.perf_counter() - start < timeout_s:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as resp:
                        if resp.status == 200:
                            return time.perf_counter() - start
                except OSError:
                    time.sleep(0.05)
                if proc.poll() is not None:
                    raise RuntimeError(f"app.py exited early:\n{proc.stderr.read() if proc.stderr else ''}")
            raise TimeoutError(f"no page within {timeout_s} s")
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def simulated_users(users: int, messages: int, think_s: float = 0.0) -> dict[str, Any]:
    """Per-message overhead through the page handlers and services, ``users`` at once.

    ``think_s``: mean pause of a simulated user before each message (uniform 0.5x-1.5x, seeded);
    0 sends every next message the moment the reply is in (a burst, the worst case).
    """
    from simulator.config import Settings
    from simulator.llm.base import ChatRequest
    from simulator.llm.scripted import ScriptedLLM
    from simulator.services.app_services import AppServices
    from simulator.services.passwords import Passwords, fast_hasher
    from simulator.services.practice import PracticeService
    from simulator.web import practice_page as page

    def voice(request: ChatRequest) -> str:
        last = request.messages[-1]["content"]
        return "Well, " + last.rsplit('SAY: "', 1)[1].rstrip('"') if 'SAY: "' in last else "Well."

    hook_factory: Callable[[Settings], Any] | None
    try:
        from grading.service import scorecard_hook as hook_factory
    except ImportError:
        hook_factory = None

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp), cache_dir=Path(tmp) / "cache", llm="template")
        hook = hook_factory(settings) if hook_factory is not None else None
        with PracticeService.open(settings, llm=ScriptedLLM(fallback=voice), on_session_end=hook) as practice:
            services = AppServices.build(practice, passwords=Passwords(fast_hasher()))
            accounts = [
                services.accounts.create_user(f"rep{i:02d}", password="bench password 1")[0]
                for i in range(users)
            ]
            latencies: list[float] = []
            errors: list[str] = []
            sessions: dict[str, str] = {}
            lock = threading.Lock()
            barrier = threading.Barrier(users)

            def run(n: int) -> None:
                actor = accounts[n]
                rng = random.Random(n)
                try:
                    update = list(page.start_call(services, actor, "saas-discovery-ops", None, "easy"))[-1]
                    if update.call is None:
                        raise RuntimeError(update.status)
                    barrier.wait()
                    for i in range(messages):
                        if think_s:
                            time.sleep(think_s * rng.uniform(0.5, 1.5))
                        t0 = time.perf_counter()
                        update = list(
                            page.send_message(
                                services, actor, update.call, LINES[i % len(LINES)], update.chat, update.stage
                            )
                        )[-1]
                        elapsed = time.perf_counter() - t0
                        if update.status.startswith("⚠") or update.message:
                            raise RuntimeError(update.status)
                        with lock:
                            latencies.append(elapsed)
                    with lock:
                        sessions[actor.id] = str((update.call or {})["session_id"])
                except Exception as exc:
                    with lock:
                        errors.append(f"user {n}: {exc!r}")

            threads = [threading.Thread(target=run, args=(n,)) for n in range(users)]
            wall = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            wall = time.perf_counter() - wall
            lost = 0
            for actor in accounts:
                sid = sessions.get(actor.id)
                if sid is None:
                    continue
                stored = practice.store.get_turns(sid)
                lost += max(0, 1 + 2 * messages - len(stored))
            t0 = time.perf_counter()
            graded = 0
            for actor in accounts:
                sid = sessions.get(actor.id)
                if sid and page.end_call(services, actor, {"session_id": sid}, []).ended:
                    graded += practice.store.get_session(sid).scorecard is not None  # type: ignore[union-attr]
            end_s = (time.perf_counter() - t0) / max(1, len(sessions))
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")
    return {
        "users": users,
        "messages_each": messages,
        "messages": len(latencies),
        "errors": errors,
        "lost_turns": lost,
        "median_ms": statistics.median(ordered) * 1000 if ordered else float("nan"),
        "p95_ms": p95 * 1000,
        "max_ms": ordered[-1] * 1000 if ordered else float("nan"),
        "wall_s": wall,
        "graded": graded,
        "end_and_grade_ms": end_s * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument(
        "--think", type=float, default=1.0, help="mean seconds a user pauses before a message"
    )
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--startup-runs", type=int, default=3)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    ok = True
    if not args.skip_startup:
        runs = [first_page_seconds() for _ in range(args.startup_runs)]
        print(
            f"python app.py -> first page: {', '.join(f'{r:.2f}' for r in runs)} s "
            f"(median {statistics.median(runs):.2f} s; target <= 10 s)"
        )
        ok &= statistics.median(runs) <= 10
    for think in (args.think, 0.0):
        r = simulated_users(args.users, args.messages, think)
        mode = f"think time ~{think:g} s" if think else "burst, no think time"
        print(
            f"{r['users']} users x {r['messages_each']} messages ({mode}): {r['messages']} sent, "
            f"{len(r['errors'])} errors, {r['lost_turns']} turns lost; "
            f"per message median {r['median_ms']:.1f} ms, "
            f"p95 {r['p95_ms']:.1f} ms, max {r['max_ms']:.1f} ms; wall {r['wall_s']:.1f} s; "
            f"end + grade {r['graded']}/{r['users']} ({r['end_and_grade_ms']:.0f} ms per call)"
        )
        for e in r["errors"][:5]:
            print("  error:", e)
        ok &= not r["errors"] and r["lost_turns"] == 0
        if think:
            ok &= r["p95_ms"] <= 100
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
