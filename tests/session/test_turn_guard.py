"""One turn at a time per session: threads, two real processes (SQLite and PostgreSQL), dead holders,
End cutting a reply short, and kill -9 mid-turn.

Each guard here has a test that fails without it: make ``SessionStore.claim_turn`` ignore the lease
and the race tests lose lines; drop the cancel flag and End takes the model's whole hang.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from grading.service import scorecard_hook
from simulator.config import Settings
from simulator.errors import PermissionDeniedError
from simulator.llm.base import ChatRequest
from simulator.llm.scripted import ScriptedLLM
from simulator.session import PracticeService
from simulator.session.guard import HOST
from simulator.store.sessions import TurnBusyError

WORKER = Path(__file__).with_name("race_worker.py")
QUESTION = "How does your team handle order exceptions today?"


def _settings(tmp_path: Path, url: str | None = None, **kw: Any) -> Settings:
    return Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", llm="template",
                    database_url=url, voice_mode="compose", **kw)


def _fast(request: ChatRequest) -> str:
    return "Well, go on."


def _rep_lines(turns: list[Any]) -> list[str]:
    return [t["text"] for t in turns if t["speaker"] == "rep"]


# --------------------------------------------------------------------------- two real processes


def _race(tmp_path: Path, url: str | None, tries: int, slot_s: float = 0.6) -> dict[str, Any]:
    settings = _settings(tmp_path, url)
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as service:
        sids = [list(service.start("saas-discovery-ops"))[0]["session_id"] for _ in range(tries)]
    go = tmp_path / "go"
    workers = [
        subprocess.Popen([sys.executable, str(WORKER), name, str(settings.data_dir), url or "", str(go), str(slot_s),
                          *sids], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("alpha", "beta")
    ]
    try:
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready", worker.stderr.read() if worker.stderr else ""
        go.write_text(str(time.time() + 0.5))
        outputs = [worker.communicate(timeout=60 + tries * slot_s)[0] for worker in workers]
    finally:
        for worker in workers:
            worker.kill()
    results = [json.loads(line) for out in outputs for line in out.splitlines() if line.startswith("{")]
    assert len(results) == 2 * tries, outputs
    accepted = {r["line"] for r in results if r["result"] == "accepted"}
    stats = {"accepted": len(accepted), "busy": sum(r["result"] == "busy" for r in results), "lost": 0,
             "disagree": 0, "errors": [r for r in results if r["result"] not in ("accepted", "busy")]}
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as service:
        for sid in sids:
            checkpoint = _rep_lines(service.runner.values(sid)["transcript"])
            stored = _rep_lines(service.store.get_turns(sid))
            stats["disagree"] += checkpoint != stored
            mine = {r["line"] for r in results if r["session"] == sid and r["result"] == "accepted"}
            stats["lost"] += sum(checkpoint.count(line) != 1 for line in mine)
    return stats


def _check_race(stats: dict[str, Any], tries: int) -> None:
    assert stats["errors"] == []
    assert stats["lost"] == 0 and stats["disagree"] == 0, stats
    assert stats["busy"] >= tries // 2, f"the processes hardly overlapped, so nothing was tested: {stats}"
    assert stats["accepted"] + stats["busy"] == 2 * tries


def test_two_processes_sending_at_once_lose_no_line_on_sqlite(tmp_path: Path) -> None:
    stats = _race(tmp_path, None, tries=12)
    _check_race(stats, 12)


@pytest.mark.postgres
def test_two_processes_sending_at_once_lose_no_line_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    stats = _race(tmp_path, pg_url, tries=12)
    _check_race(stats, 12)


# --------------------------------------------------------------------------- one process, threads


class Gate:
    """A voice model that waits until released (or a timeout) before answering."""

    def __init__(self, hold_s: float = 30.0) -> None:
        self.started = threading.Event()
        self.release = threading.Event()
        self.hold_s = hold_s

    def __call__(self, request: ChatRequest) -> str:
        if request.messages[-1]["content"].startswith(QUESTION[:20]):
            self.started.set()
            self.release.wait(self.hold_s)
        return "Well, go on."


@pytest.fixture
def gated(tmp_path: Path) -> Iterator[tuple[PracticeService, Gate, str]]:
    gate = Gate()
    settings = _settings(tmp_path, reply_deadline_s=60.0)
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=gate), on_session_end=scorecard_hook(settings)) as s:
        sid = list(s.start("saas-discovery-ops"))[0]["session_id"]
        yield s, gate, sid
        gate.release.set()


def _send_in_thread(service: PracticeService, sid: str, text: str) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.extend(service.send(sid, text))
        except Exception as exc:
            out.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, out


def test_a_second_message_while_the_buyer_answers_is_refused_and_nothing_is_lost(gated: Any) -> None:
    service, gate, sid = gated
    thread, first = _send_in_thread(service, sid, QUESTION)
    assert gate.started.wait(10)
    with pytest.raises(TurnBusyError, match="still answering"):
        list(service.send(sid, "Hello? Are you there?"))
    gate.release.set()
    thread.join(10)
    assert first[0]["type"] == "accepted"
    assert _rep_lines(service.get(sid).transcript) == [QUESTION]
    assert [e["type"] for e in service.send(sid, "Thanks. What happens next?")][0] == "accepted"


def test_end_cuts_a_hanging_reply_short_within_two_seconds_and_grades_the_call(gated: Any) -> None:
    service, gate, sid = gated
    thread, sent = _send_in_thread(service, sid, QUESTION)
    assert gate.started.wait(10)
    t0 = time.monotonic()
    events = list(service.end(sid))
    took = time.monotonic() - t0
    thread.join(5)
    assert took < 2.0, f"End took {took:.2f} s"
    assert [e["type"] for e in events].count("ended") == 1
    record = service.store.get_session(sid)
    assert record is not None and record.status == "ended" and record.scorecard is not None
    assert sent[0]["type"] == "accepted" and any(e["type"] == "line" for e in sent if isinstance(e, dict))
    assert _rep_lines(service.store.get_turns(sid)) == [QUESTION]


def test_another_users_turn_is_not_claimed(gated: Any) -> None:
    service, _gate, sid = gated

    class Mallory:
        id, disabled = "mallory", False

    with pytest.raises(PermissionDeniedError, match="no practice session"):
        list(service.send(sid, QUESTION, actor=Mallory()))
    record = service.store.get_session(sid)
    assert record is not None and record.turn_holder is None


# --------------------------------------------------------------------------- dead and stale holders


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_turn_held_by_a_dead_process_here_is_taken_over_at_once(tmp_path: Path) -> None:
    with PracticeService.open(_settings(tmp_path), llm=ScriptedLLM(fallback=_fast)) as service:
        sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
        service.store.claim_turn(sid, f"{HOST}/{_dead_pid()}/dead", 600)
        assert [e["type"] for e in service.send(sid, QUESTION)][0] == "accepted"


def test_a_live_holder_elsewhere_is_waited_for_until_its_lease_runs_out(tmp_path: Path) -> None:
    with PracticeService.open(_settings(tmp_path), llm=ScriptedLLM(fallback=_fast)) as service:
        sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
        service.store.claim_turn(sid, "other-machine/123/live", 0.5)
        with pytest.raises(TurnBusyError):
            list(service.send(sid, QUESTION))
        assert _rep_lines(service.get(sid).transcript) == []
        time.sleep(0.6)
        assert [e["type"] for e in service.send(sid, QUESTION)][0] == "accepted"


# --------------------------------------------------------------------------- kill -9 mid-turn

HANGING_SENDER = Path(__file__).with_name("hanging_sender.py")


def kill_mid_turn(data_dir: Path, sid: str, text: str, url: str | None = None) -> None:
    """Run a process that sends ``text`` and hangs in the buyer's reply; kill -9 it there."""
    proc = subprocess.Popen([sys.executable, str(HANGING_SENDER), str(data_dir), sid, text, *([url] if url else [])],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "answering"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.mark.parametrize("backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_after_kill_9_mid_turn_the_call_continues_with_no_turn_lost(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    """On PostgreSQL the process holds a turn's later checkpoints back until the run ends (one round
    trip for them and the interrupt), but never the first: the rep's accepted line is written before
    the buyer is asked, so it survives the kill."""
    url = request.getfixturevalue("pg_url") if backend == "postgres" else None
    settings = _settings(tmp_path, url, reply_deadline_s=20.0)
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as service:
        sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
        list(service.send(sid, "Hello, thanks for taking the call."))  # this process keeps its checkpoint
    for round_ in range(2):
        kill_mid_turn(settings.data_dir, sid, f"{QUESTION} ({round_})", url)
        with PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as service:
            assert [r.id for r in service.unfinished()] == [sid]
            events = list(service.resume(sid))
            assert any(e["type"] == "line" for e in events)
            view = service.get(sid)
            assert view.waiting_for_rep and _rep_lines(view.transcript)[-1] == f"{QUESTION} ({round_})"
            assert _rep_lines(service.store.get_turns(sid)) == _rep_lines(view.transcript)
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as service:
        assert [e["type"] for e in service.send(sid, "Thanks. Who else is involved?")][0] == "accepted"
        assert len(_rep_lines(service.store.get_turns(sid))) == 4
        assert _rep_lines(service.store.get_turns(sid)) == _rep_lines(service.get(sid).transcript)


def test_a_turn_left_unfinished_elsewhere_is_finished_before_the_next_message(tmp_path: Path) -> None:
    """Process A remembers the call was waiting for the rep; process B then died mid-turn on another
    machine. Once B's lease runs out, A must finish B's reply first, not trust what it remembered."""
    settings = _settings(tmp_path)
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as a, \
            PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as b:
        sid = list(a.start("saas-discovery-ops"))[0]["session_id"]
        list(a.send(sid, "Hello, thanks for taking the call."))  # A now remembers: waiting for the rep
        stream = b.send(sid, QUESTION)
        for event in stream:
            if event["type"] == "turn":
                break
        stream.close()  # B's run stops after the rep's turn, before the buyer's reply...
        b.store.claim_turn(sid, "other-machine/77/b", 0.3)  # ...and B's process is gone, its lease left
        time.sleep(0.4)
        events = list(a.send(sid, "Who else is involved in the decision?"))
        kinds = [e["type"] for e in events]
        assert kinds[0] == "accepted" and "warning" in kinds and kinds.count("line") == 2, kinds
        speakers = [t["speaker"] for t in a.get(sid).transcript]
        assert speakers == ["buyer", "rep", "buyer", "rep", "buyer", "rep", "buyer"]
        assert _rep_lines(a.store.get_turns(sid)) == ["Hello, thanks for taking the call.", QUESTION,
                                                      "Who else is involved in the decision?"]


# --------------------------------------------------------------------------- what a process keeps between turns


def _checkpoint_reads(service: PracticeService) -> list[int]:
    """Count the checkpointer's reads from the database (a cursor outside a write pipeline)."""
    saver: Any = service.runner.graph.checkpointer
    real = saver._cursor
    count = [0]

    @contextlib.contextmanager
    def counting(*args: Any, **kwargs: Any) -> Iterator[Any]:
        if not kwargs.get("pipeline"):
            count[0] += 1
        with real(*args, **kwargs) as cur:
            yield cur

    saver._cursor = counting
    return count


@pytest.mark.postgres
def test_a_process_uses_what_it_kept_only_while_nobody_else_ran_the_call(tmp_path: Path, pg_url: str) -> None:
    """On PostgreSQL a process serves the checkpoint it wrote itself while it holds the turn and
    nobody claimed the turn since it released it (``turn_seq``): no read per message. Once another
    process ran the call, the next turn reads the database, and no line of the other's is lost."""
    settings = _settings(tmp_path, pg_url)
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as a, \
            PracticeService.open(settings, llm=ScriptedLLM(fallback=_fast)) as b:
        sid = list(a.start("saas-discovery-ops"))[0]["session_id"]
        reads = _checkpoint_reads(a)
        for i in range(3):
            list(a.send(sid, f"{QUESTION} (a{i})"))
        assert reads[0] == 0, "a process that ran every turn still read the checkpoint"
        list(b.send(sid, "Who else is involved when you choose a tool like this?"))
        list(a.send(sid, "What does that cost your team each week?"))
        expected = [f"{QUESTION} (a0)", f"{QUESTION} (a1)", f"{QUESTION} (a2)",
                    "Who else is involved when you choose a tool like this?",
                    "What does that cost your team each week?"]
        assert _rep_lines(b.runner.values(sid)["transcript"]) == expected
        assert _rep_lines(b.store.get_turns(sid)) == expected
        transcript = b.runner.values(sid)["transcript"]
        assert [t["index"] for t in transcript] == list(range(len(transcript)))
        assert reads[0] >= 1
