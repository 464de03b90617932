"""One of two real processes racing to send into the same sessions (tests/session/test_turn_guard.py).

    python race_worker.py NAME DATA_DIR DATABASE_URL GO_FILE SLOT_S SESSION_ID...

Opens the practice service on the shared store with a voice model that takes ``SLOT_S / 2`` per
reply, prints ``ready``, waits for GO_FILE (it holds the start time), then at ``start + i * SLOT_S``
sends one line into session ``i``. Before each try both workers meet at a barrier (files next to
GO_FILE): on a loaded machine a worker that fell behind its schedule would otherwise send into
session ``i`` after the other's reply was over, and the try would test nothing. Prints one JSON
line per try: the session, the line and what happened (``accepted``, ``busy`` or the error).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from simulator.config import Settings
from simulator.errors import SparringError
from simulator.llm.base import ChatRequest
from simulator.llm.scripted import ScriptedLLM
from simulator.session import PracticeService
from simulator.store.sessions import TurnBusyError


def _meet(go: Path, name: str, i: int, timeout_s: float) -> None:
    """Wait (up to ``timeout_s``) until the other worker has reached try ``i`` too."""
    (go.parent / f"{go.name}.{i}.{name}").touch()
    deadline = time.time() + timeout_s
    while len(list(go.parent.glob(f"{go.name}.{i}.*"))) < 2 and time.time() < deadline:
        time.sleep(0.002)


def main() -> None:
    name, data_dir, url, go_file, slot = sys.argv[1:6]
    session_ids = sys.argv[6:]
    slot_s = float(slot)

    def slow_voice(request: ChatRequest) -> str:
        time.sleep(slot_s / 2)
        return "Well, go on."

    settings = Settings(data_dir=Path(data_dir), llm="template", database_url=url or None, voice_mode="compose",
                        reply_deadline_s=30.0)
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=slow_voice)) as service:
        print("ready", flush=True)
        go = Path(go_file)
        while not go.exists():
            time.sleep(0.01)
        start = float(go.read_text())
        for i, sid in enumerate(session_ids):
            time.sleep(max(0.0, start + i * slot_s - time.time()))
            _meet(go, name, i, timeout_s=slot_s * 10)
            line = f"{name} asks question {i}: how does your team handle exceptions today?"
            try:
                events = list(service.send(sid, line))
                result = "accepted" if events and events[0]["type"] == "accepted" else "no-accept"
            except TurnBusyError:
                result = "busy"
            except SparringError as exc:
                result = f"error: {exc}"
            print(json.dumps({"session": sid, "line": line, "result": result}), flush=True)


if __name__ == "__main__":
    main()
