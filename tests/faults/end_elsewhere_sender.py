"""Process A of the cross-process End test: send one rep line while the model server trickles.

    python end_elsewhere_sender.py DATA_DIR SESSION_ID TEXT BASE_URL MODEL [DATABASE_URL]

Opens the practice service on the shared store with the openai backend at BASE_URL (the fake server
of tests/faults, run by the test process), sends TEXT into SESSION_ID and prints every event as one
JSON line, then ``{"done": seconds}`` (or ``{"error": ...}``). The test presses End in its own
process (B) while this one is stuck in the buyer's reply (tests/faults/test_end_across_processes.py).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from simulator.config import Settings
from simulator.session import PracticeService


def main() -> None:
    data_dir, session_id, text, base_url, model = sys.argv[1:6]
    url = sys.argv[6] if len(sys.argv) > 6 else ""
    settings = Settings(data_dir=Path(data_dir), cache_dir=Path(data_dir) / "cache", llm="openai",
                        openai_base_url=base_url, openai_model=model, openai_api_key="sk-fake",
                        database_url=url or None, judge="off")
    with PracticeService.open(settings) as service:
        print(json.dumps({"ready": True}), flush=True)
        t0 = time.monotonic()
        try:
            for event in service.send(session_id, text):
                print(json.dumps(event, default=str), flush=True)
        except Exception as exc:  # reported to the test, which fails on it
            print(json.dumps({"error": f"{type(exc).__name__}: {exc}"}), flush=True)
        print(json.dumps({"done": time.monotonic() - t0}), flush=True)


if __name__ == "__main__":
    main()
