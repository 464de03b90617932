"""Conversation safety (issue 12): races between processes, kill -9 mid-turn, End under a hanging model.

    python bench/bench_sessions.py                       # SQLite; PostgreSQL too when SPARRING_TEST_DATABASE_URL is set
    python bench/bench_sessions.py --tries 100 --kills 10 --ends 10

1. **Two-process race**: two real processes open the practice service on one store and, at the same
   instants, each send a line into the same session (the voice model takes half a slot, so the two
   turns overlap). Per try exactly one may be accepted; reported: accepted, refused ("busy"), lost
   lines (accepted but missing from the checkpoint) and sessions where the checkpoint and the turns
   table disagree.
2. **kill -9 mid-turn**: a process sends a line and is killed while the buyer's reply is being
   generated; a fresh process then lists the call as unfinished, reopens it (finishing the reply)
   and the rep sends the next line. Reported: calls that continued, turns lost, time to reopen.
3. **End under a hanging model**: while the voice model hangs, End is pressed; reported: how long
   End took (the call ended and was graded).
4. **Turn lease cost**: claim + release of a session's turn (two UPDATE statements), median.

Uses the scripted fake LLM (the figures are about the conversation path, not the model) and the
worker scripts of tests/session/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORKERS = ROOT / "tests" / "session"

from grading.service import scorecard_hook  # noqa: E402
from simulator.config import Settings  # noqa: E402
from simulator.llm.base import ChatRequest  # noqa: E402
from simulator.llm.scripted import ScriptedLLM  # noqa: E402
from simulator.session import PracticeService  # noqa: E402
from simulator.store.scratch import scratch_schema  # noqa: E402

QUESTION = "How does your team handle order exceptions today?"


def _fast(request: ChatRequest) -> str:
    return "Well, go on."


def _settings(data_dir: Path, url: str | None, **kw: Any) -> Settings:
    # the service makes the data folder only for SQLite; the race's start file lives there on PostgreSQL too
    data_dir.mkdir(parents=True, exist_ok=True)
    return Settings(data_dir=data_dir, cache_dir=data_dir / "cache", llm="template", database_url=url,
                    voice_mode="compose", **kw)


def _rep_lines(turns: list[Any]) -> list[str]:
    return [t["text"] for t in turns if t["speaker"] == "rep"]


def race(data_dir: Path, url: str | None, tries: int, slot_s: float) -> dict[str, Any]:
    settings = _settings(data_dir, url)
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as service:
        sids = [list(service.start("saas-discovery-ops"))[0]["session_id"] for _ in range(tries)]
    go = data_dir / "go"
    procs = [subprocess.Popen([sys.executable, str(WORKERS / "race_worker.py"), name, str(data_dir), url or "",
                               str(go), str(slot_s), *sids], stdout=subprocess.PIPE, text=True)
             for name in ("alpha", "beta")]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    started = time.perf_counter()
    go.write_text(str(time.time() + 0.5))
    outs = [proc.communicate(timeout=120 + tries * slot_s)[0] for proc in procs]
    took = time.perf_counter() - started
    results = [json.loads(line) for out in outs for line in out.splitlines() if line.startswith("{")]
    stats: dict[str, Any] = {"tries": tries, "accepted": 0, "busy": 0, "other": 0, "lost": 0, "disagree": 0,
                             "both_accepted": 0, "seconds": round(took, 1)}
    for r in results:
        key = r["result"] if r["result"] in ("accepted", "busy") else "other"
        stats[key] += 1
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as service:
        for sid in sids:
            checkpoint = _rep_lines(service.runner.values(sid)["transcript"])
            stored = _rep_lines(service.store.get_turns(sid))
            mine = [r["line"] for r in results if r["session"] == sid and r["result"] == "accepted"]
            stats["both_accepted"] += len(mine) > 1
            stats["disagree"] += checkpoint != stored
            stats["lost"] += sum(checkpoint.count(line) != 1 for line in mine)
    return stats


def kill_rounds(data_dir: Path, url: str | None, rounds: int) -> dict[str, Any]:
    """Per round a new call: one line answered, the next killed mid-reply, then reopened and continued."""
    settings = _settings(data_dir, url, reply_deadline_s=20.0)
    continued, lost, reopen_s = 0, 0, []
    for n in range(rounds):
        with PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as service:
            sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
            list(service.send(sid, "Hi Raj, thanks for taking the call."))
        text = f"{QUESTION} (round {n})"
        proc = subprocess.Popen([sys.executable, str(WORKERS / "hanging_sender.py"), str(data_dir), sid, text,
                                 url or ""], stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "answering"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        with PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as service:
            t0 = time.perf_counter()
            listed = sid in [r.id for r in service.unfinished()]
            list(service.resume(sid))
            reopen_s.append(time.perf_counter() - t0)
            view = service.get(sid)
            reps = _rep_lines(view.transcript)
            nxt = list(service.send(sid, "Who else is involved in the decision?"))
            ok = listed and view.waiting_for_rep and reps[-1] == text and nxt[0]["type"] == "accepted"
            stored = _rep_lines(service.store.get_turns(sid))
            lost += (reps.count(text) != 1) + (stored != _rep_lines(service.get(sid).transcript))
            continued += ok
    return {"rounds": rounds, "continued": continued, "lost": lost,
            "reopen_median_s": round(statistics.median(reopen_s), 3), "reopen_max_s": round(max(reopen_s), 3)}


def end_under_hang(data_dir: Path, url: str | None, rounds: int) -> dict[str, Any]:
    release = threading.Event()
    started = threading.Event()

    def hang(request: ChatRequest) -> str:
        if request.messages[-1]["content"].startswith(QUESTION[:20]):
            started.set()
            release.wait(60)
        return "Well, go on."

    settings = _settings(data_dir, url, reply_deadline_s=60.0)
    times, graded = [], 0
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=hang), on_session_end=scorecard_hook(settings)) as svc:
        for _ in range(rounds):
            started.clear()
            sid = list(svc.start("saas-discovery-ops"))[0]["session_id"]
            sender = threading.Thread(target=lambda sid=sid: list(svc.send(sid, QUESTION)))
            sender.start()
            started.wait(10)
            t0 = time.perf_counter()
            list(svc.end(sid))
            times.append(time.perf_counter() - t0)
            sender.join(10)
            record = svc.store.get_session(sid)
            graded += bool(record and record.status == "ended" and record.scorecard)
        release.set()
    return {"rounds": rounds, "graded": graded, "end_median_s": round(statistics.median(times), 3),
            "end_max_s": round(max(times), 3)}


def lease_cost(data_dir: Path, url: str | None, n: int) -> dict[str, Any]:
    settings = _settings(data_dir, url)
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as service:
        sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
        times = []
        for _ in range(n):
            t0 = time.perf_counter()
            with service.guard.hold(sid):
                pass
            times.append((time.perf_counter() - t0) * 1000)
    return {"n": n, "claim_release_median_ms": round(statistics.median(times), 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tries", type=int, default=100)
    parser.add_argument("--slot", type=float, default=0.5, help="seconds between race tries")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--ends", type=int, default=10)
    parser.add_argument("--database-url", default=os.environ.get("SPARRING_TEST_DATABASE_URL"),
                        help="also run on this PostgreSQL (a fresh schema, dropped after)")
    args = parser.parse_args()
    backends: list[tuple[str, str | None]] = [("sqlite", None)]
    if args.database_url:
        backends.append(("postgresql", args.database_url))
    for name, base in backends:
        with (
            tempfile.TemporaryDirectory() as tmp,
            scratch_schema(base, prefix="bench") if base else contextlib.nullcontext() as url,
        ):
            root = Path(tmp)
            print(f"== {name}")
            print("race      ", race(root / "race", url, args.tries, args.slot), flush=True)
            print("kill -9   ", kill_rounds(root / "kill", url, args.kills), flush=True)
            print("end/hang  ", end_under_hang(root / "end", url, args.ends), flush=True)
            print("lease     ", lease_cost(root / "lease", url, 200), flush=True)


if __name__ == "__main__":
    main()
