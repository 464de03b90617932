"""Send one rep line and hang in the buyer's reply, to be killed with SIGKILL mid-turn.

    python hanging_sender.py DATA_DIR SESSION_ID TEXT [DATABASE_URL]

Prints ``answering`` once the voice model was asked for the buyer's reply (the rep's line is in
the checkpoint by then), then sleeps. Used by tests/session/test_turn_guard.py and
bench/bench_sessions.py.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from simulator.config import Settings
from simulator.llm.base import ChatRequest
from simulator.llm.scripted import ScriptedLLM
from simulator.session import PracticeService


def hang(request: ChatRequest) -> str:
    if request.messages[-1]["content"].startswith(sys.argv[3][:20]):
        print("answering", flush=True)
        time.sleep(600)
    return "Well, go on."


def main() -> None:
    url = sys.argv[4] if len(sys.argv) > 4 else None
    settings = Settings(data_dir=Path(sys.argv[1]), llm="template", voice_mode="compose", reply_deadline_s=900.0,
                        database_url=url or None)
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=hang)) as service:
        list(service.send(sys.argv[2], sys.argv[3]))


if __name__ == "__main__":
    main()
