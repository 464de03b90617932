"""End pressed on one app process stops the reply running on another (no sticky sessions).

Process A (``end_elsewhere_sender.py``, a real subprocess) sends a rep line; the fake model server
trickles one token every 5 s, so A's reply would take minutes. The test process is process B, with
its own practice service on the same store: it presses End. B has no reply of its own to cut short,
so it asks through the database (``sessions.turn_cancel``); A's guard notices within about half a
second, the reply stops with the checked line, A releases the turn, and B ends and grades the call.
On SQLite (one file shared by both) and on PostgreSQL.

Without the cross-process request (``SessionStore.request_cancel`` made a no-op, or the watcher in
``TurnGuard`` never looking) B waits its 3 s for the turn and answers "the buyer is still answering".
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from fake_openai_server import Behaviour, FakeOpenAIServer, settings_for

from grading.service import scorecard_hook
from simulator.session import PracticeService

QUESTION = "How does your team handle order exceptions today?"
SENDER = Path(__file__).with_name("end_elsewhere_sender.py")


def _end_from_another_process(fake_openai: FakeOpenAIServer, tmp_path: Path, url: str | None) -> None:
    settings = settings_for(fake_openai, tmp_path, judge="off", database_url=url)
    with PracticeService.open(settings, on_session_end=scorecard_hook(settings)) as service_b:
        opened: list[Any] = list(service_b.start("saas-discovery-ops"))
        sid = opened[0]["session_id"]
        fake_openai.behaviour = Behaviour.trickle(5.0)
        asked = len(fake_openai.requests)
        a = subprocess.Popen(
            [sys.executable, str(SENDER), str(settings.data_dir), sid, QUESTION, fake_openai.url, fake_openai.model,
             url or ""], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            assert a.stdout is not None
            assert json.loads(a.stdout.readline() or "{}").get("ready"), a.stderr.read() if a.stderr else ""
            deadline = time.monotonic() + 30
            while len(fake_openai.requests) == asked and time.monotonic() < deadline:
                time.sleep(0.02)
            assert len(fake_openai.requests) > asked, "process A never asked the model for the reply"
            time.sleep(0.3)  # A's reply is under way, one token every 5 s
            assert service_b.store.get_session(sid).turn_holder is not None  # type: ignore[union-attr]
            assert not service_b.guard.busy_here(sid)  # the reply runs in A, not here
            t0 = time.monotonic()
            ended = list(service_b.end(sid))
            took = time.monotonic() - t0
            out, err = a.communicate(timeout=20)
        finally:
            a.kill()
        events: list[dict[str, Any]] = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
        assert took < 2.0, f"End on process B took {took:.2f} s"
        assert not [e for e in events if "error" in e], (events, err[-2000:])
        assert events[0] == {"type": "accepted", "text": QUESTION}, events
        assert any(e.get("type") == "line" for e in events), events
        assert any("cut short" in e.get("text", "") for e in events if e.get("type") == "warning"), events
        assert events[-1]["done"] < took + 5.0
        assert [e["type"] for e in ended].count("ended") == 1, ended
        record = service_b.store.get_session(sid)
        assert record is not None and record.status == "ended" and record.scorecard is not None
        assert record.turn_holder is None
        stored = service_b.store.get_turns(sid)
        checkpoint = service_b.runner.values(sid)["transcript"]
        assert [(t["speaker"], t["text"]) for t in stored] == [(t["speaker"], t["text"]) for t in checkpoint]
        rep = [i for i, t in enumerate(stored) if t["speaker"] == "rep"]
        assert [stored[i]["text"] for i in rep] == [QUESTION]
        assert stored[rep[0] + 1]["speaker"] == "buyer" and stored[rep[0] + 1]["text"], stored


def test_end_on_another_process_stops_the_reply_within_two_seconds_on_sqlite(
    fake_openai: FakeOpenAIServer, tmp_path: Path
) -> None:
    _end_from_another_process(fake_openai, tmp_path, None)


@pytest.mark.postgres
def test_end_on_another_process_stops_the_reply_within_two_seconds_on_postgresql(
    fake_openai: FakeOpenAIServer, tmp_path: Path, pg_url: str
) -> None:
    _end_from_another_process(fake_openai, tmp_path, pg_url)
