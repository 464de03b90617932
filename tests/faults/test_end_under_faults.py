"""End works within 2 s while the model server misbehaves, and every call gets a scorecard.

The practice service runs against the real openai backend pointed at the fake server, with the
default deadlines (a 20 s reply deadline, a 60 s call timeout, the judge on as with any
OpenAI-compatible server). The rep presses End while the buyer's reply is stuck.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fake_openai_server import Behaviour, FakeOpenAIServer, settings_for

from grading.service import scorecard_hook
from simulator.session import PracticeService

QUESTION = "How does your team handle order exceptions today?"
FAULTS = [
    pytest.param(Behaviour.hang(), id="hang"),
    pytest.param(Behaviour.hang(after_tokens=2), id="hang-after-two-tokens"),
    pytest.param(Behaviour.trickle(5.0), id="trickle-a-token-every-5s"),
    pytest.param(Behaviour.slow_first_byte(30.0), id="slow-first-byte"),
]


@pytest.mark.parametrize("fault", FAULTS)
def test_end_cuts_a_stuck_reply_within_two_seconds_and_the_call_is_graded(
    fake_openai: FakeOpenAIServer, tmp_path: Any, fault: Behaviour
) -> None:
    settings = settings_for(fake_openai, tmp_path, judge="on")
    with PracticeService.open(settings, on_session_end=scorecard_hook(settings)) as service:
        sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
        fake_openai.behaviour = fault
        asked = len(fake_openai.requests)
        sent: list[Any] = []
        sender = threading.Thread(target=lambda: sent.extend(service.send(sid, QUESTION)))
        sender.start()
        deadline = time.monotonic() + 10
        while len(fake_openai.requests) == asked and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)  # the reply is under way (or stuck)
        t0 = time.monotonic()
        ended = list(service.end(sid))
        took = time.monotonic() - t0
        sender.join(5)
        assert took < 2.0, f"End took {took:.2f} s"
        assert not sender.is_alive()
        assert [e["type"] for e in ended].count("ended") == 1
        assert sent[0]["type"] == "accepted" and any(e["type"] == "line" for e in sent)
        record = service.store.get_session(sid)
        assert record is not None and record.status == "ended" and record.scorecard is not None
        assert any("judge skipped" in w for w in record.scorecard.get("warnings", [])), record.scorecard["warnings"]
        assert [t["text"] for t in service.store.get_turns(sid) if t["speaker"] == "rep"] == [QUESTION]


def test_every_reply_malformed_still_ends_with_a_scorecard(fake_openai: FakeOpenAIServer, tmp_path: Any) -> None:
    settings = settings_for(fake_openai, tmp_path, judge="on")
    fake_openai.behaviour = Behaviour.malformed_reply("body")
    with PracticeService.open(settings, on_session_end=scorecard_hook(settings)) as service:
        sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
        list(service.send(sid, QUESTION))
        t0 = time.monotonic()
        list(service.end(sid))
        took = time.monotonic() - t0
        record = service.store.get_session(sid)
    assert took < 2.0 and record is not None and record.scorecard is not None
