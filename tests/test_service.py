"""The practice service: the scripted fake LLM, acceptance check, bad input, persistence and resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from simulator.config import Settings
from simulator.errors import InvalidMessageError, PermissionDeniedError, SessionStateError, UnknownIdError
from simulator.llm.base import ChatRequest, LLMError
from simulator.llm.scripted import ScriptedLLM
from simulator.session import PracticeService


def _gist_of(request: ChatRequest) -> str:
    last = request.messages[-1]["content"]
    return last.rsplit('SAY: "', 1)[1].rstrip('"')


def echo_gist(request: ChatRequest) -> str:
    """A fake voice that says the gist in its own words: 'Well, ' + gist."""
    return "Well, " + _gist_of(request)


@pytest.fixture
def service(settings: Settings) -> Iterator[PracticeService]:
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=echo_gist), clock=lambda: 1_000.0) as svc:
        yield svc


def _lines(events: list[dict]) -> list[str]:
    return [e["text"] for e in events if e["type"] == "line"]


def test_tokens_stream_then_the_line(service: PracticeService) -> None:
    events = list(service.start("saas-discovery-ops"))
    assert events[0]["type"] == "session"
    tokens = [e["text"] for e in events if e["type"] == "token"]
    assert len(tokens) >= 2  # one token event per checked sentence
    assert "".join(tokens) == _lines(events)[0]
    assert _lines(events)[0].startswith("Well, ")  # the fake voice's words, not the gist alone


def test_prompt_prefix_is_byte_stable_and_direction_is_last(settings: Settings) -> None:
    llm = ScriptedLLM(fallback=echo_gist)
    with PracticeService.open(settings, llm=llm) as svc:
        sid = list(svc.start("saas-discovery-ops"))[0]["session_id"]
        list(svc.send(sid, "How are you handling order exceptions today?"))
        list(svc.send(sid, "What does that mean for your delivery promise?"))
    first, second, third = (r.messages for r in llm.requests)
    assert first[0] == second[0] == third[0]  # the system prompt never changes
    assert third[: len(second)] == (*second[:-1], third[len(second) - 1])
    assert third[:3] == (second[0], second[1], second[2])
    assert 'SAY: "' in third[-1]["content"] and third[-1]["content"].startswith("What does that mean")


def test_llm_line_missing_a_required_value_is_replaced_by_the_gist(settings: Settings) -> None:
    llm = ScriptedLLM(["Raj here. What's up?"])
    llm.enqueue("We do have a process and it takes a lot of my team's time each week.")
    with PracticeService.open(settings, llm=llm) as svc:
        sid = list(svc.start("saas-discovery-ops"))[0]["session_id"]
        events = list(svc.send(sid, "How are you handling order exceptions today?"))
        view = svc.get(sid)
    buyer = view.transcript[-1]
    assert buyer["voiced_by"] == "gist" and buyer["rejected"] is not None
    assert "15 hours" in buyer["text"] and "missing required value" in buyer["rejected"]
    assert [e for e in events if e["type"] == "line"][0]["replaced"] is True


def test_llm_speaking_as_the_seller_is_rejected(settings: Settings) -> None:
    llm = ScriptedLLM(["Raj speaking, I have got twenty minutes. Let me tell you about our platform."])
    with PracticeService.open(settings, llm=llm) as svc:
        sid = list(svc.start("saas-discovery-ops"))[0]["session_id"]
        first = svc.get(sid).transcript[0]
    assert first["voiced_by"] == "gist" and "seller" in (first["rejected"] or "")


def test_llm_errors_are_retried_then_the_gist_is_spoken(settings: Settings) -> None:
    llm = ScriptedLLM([LLMError("timeout"), LLMError("timeout"), LLMError("timeout")])
    with PracticeService.open(settings, llm=llm) as svc:
        events = list(svc.start("saas-discovery-ops"))
        sid = events[0]["session_id"]
        assert [e["type"] for e in events].count("retry") == 3
        assert any(e["type"] == "warning" and "failed" in e["text"] for e in events)
        view = svc.get(sid)
        assert view.waiting_for_rep and view.transcript[0]["rejected"] == "llm error: timeout"
        llm.enqueue("Well, it takes a lot of time. My team spends about 15 hours a week just chasing handoffs "
                    "on email and a shared spreadsheet for order exceptions.")
        list(svc.send(sid, "How are you handling order exceptions today?"))
        assert svc.get(sid).transcript[-1]["voiced_by"] == "llm"


def test_same_messages_give_same_moves_and_state(settings: Settings, tmp_path: Path) -> None:
    script = ["Hi Raj!", "How are you handling order exceptions today?", "Do you have a budget?",
              "Who else decides on tools like this?", "Can we meet Tuesday at 10am?"]
    runs = []
    for n in range(2):
        s = settings.model_copy(update={"data_dir": tmp_path / f"run{n}"})
        with PracticeService.open(s, llm=ScriptedLLM(fallback=echo_gist), clock=lambda: 5.0) as svc:
            sid = list(svc.start("saas-discovery-ops"))[0]["session_id"]
            for line in script:
                list(svc.send(sid, line))
            view = svc.get(sid)
            runs.append([_decision(t) for t in view.transcript])
    assert runs[0] == runs[1]


def _decision(record: dict) -> tuple:
    """What the rules decided on a turn, without the wording (two sessions may word it differently)."""
    move = record["move"] or {}
    state = {k: v for k, v in (record["state"] or {}).items() if k not in ("lines_said", "lines_used", "variety_seed")}
    return (record["speaker"], move.get("kind"), move.get("fact_id"), move.get("objection_id"),
            move.get("price"), move.get("required"), state)


def test_bad_input_is_refused_and_nothing_is_lost(service: PracticeService) -> None:
    sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
    with pytest.raises(InvalidMessageError, match="empty"):
        list(service.send(sid, "   "))
    with pytest.raises(InvalidMessageError, match="limit is 2,000"):
        list(service.send(sid, "x" * 2001))
    assert len(service.get(sid).transcript) == 1
    with pytest.raises(UnknownIdError, match=r"valid scenario ids: .*logistics-objection-price"):
        list(service.start("nope"))
    with pytest.raises(UnknownIdError, match="valid persona"):
        list(service.start("saas-discovery-ops", persona_id="nobody"))
    with pytest.raises(SessionStateError):
        list(service.send("missing", "hello"))


@dataclass(frozen=True)
class Rep:
    """A signed-in user as the conversation service sees one."""

    id: str
    disabled: bool = False


def test_a_rep_cannot_touch_another_users_session(service: PracticeService) -> None:
    alice, bob = Rep("alice"), Rep("bob")
    sid = list(service.start("saas-discovery-ops", actor=alice))[0]["session_id"]
    with pytest.raises(PermissionDeniedError, match="no practice session"):
        service.get(sid, actor=bob)
    for attempt in (lambda: service.send(sid, "hi", actor=bob), lambda: service.end(sid, actor=bob),
                    lambda: service.resume(sid, actor=bob)):
        with pytest.raises(PermissionDeniedError, match="no practice session"):
            list(attempt())
    with pytest.raises(PermissionDeniedError, match="disabled"):
        list(service.send(sid, "hi", actor=Rep("alice", disabled=True)))
    assert service.list(user_id="bob") == []
    assert [e["type"] for e in service.send(sid, "hi", actor=alice)][0] == "accepted"


def test_ending_stores_outcome_and_refuses_more_messages(service: PracticeService) -> None:
    sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
    list(service.send(sid, "How are you handling order exceptions today?"))
    events = list(service.end(sid))
    assert events[-1]["type"] == "ended"
    record = service.store.get_session(sid)
    assert record is not None and record.status == "ended" and record.outcome is not None
    assert len(service.store.get_turns(sid)) == 3
    with pytest.raises(SessionStateError, match="ended"):
        list(service.send(sid, "One more thing?"))


_CHILD = textwrap.dedent("""
    import sys, time
    from simulator.config import Settings
    from simulator.llm.base import LLMError
    from simulator.llm.scripted import ScriptedLLM
    from simulator.session import PracticeService

    def voice(request):
        if "budget" in request.messages[-1]["content"]:
            print("HANGING", flush=True)
            time.sleep(600)
        return "Well, " + request.messages[-1]["content"].rsplit('SAY: "', 1)[1].rstrip('"')

    with PracticeService.open(Settings(llm="template"), llm=ScriptedLLM(fallback=voice)) as svc:
        sid = list(svc.start("saas-discovery-ops"))[0]["session_id"]
        print("SESSION", sid, flush=True)
        for line in ["Hi Raj!", "How are you handling order exceptions today?",
                     "What does that mean for your delivery promise?",
                     "How are you thinking about budget for this?"]:
            list(svc.send(sid, line))
""")


def test_session_killed_mid_reply_resumes_with_every_turn(settings: Settings) -> None:
    env = {**os.environ, "SPARRING_DATA_DIR": str(settings.data_dir)}
    proc = subprocess.Popen([sys.executable, "-c", _CHILD], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    session_id = ""
    deadline = time.time() + 60
    for line in proc.stdout:
        if line.startswith("SESSION"):
            session_id = line.split()[1]
        if line.startswith("HANGING") or time.time() > deadline:
            break
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert session_id

    with PracticeService.open(settings, llm=ScriptedLLM(fallback=echo_gist)) as svc:
        before = svc.get(session_id)
        assert not before.waiting_for_rep  # the buyer's reply was cut off
        assert [t["speaker"] for t in before.transcript] == ["buyer", "rep"] * 4
        events = list(svc.resume(session_id))
        assert any(e["type"] == "warning" for e in events)
        after = svc.get(session_id)
        assert after.waiting_for_rep
        assert after.transcript[:8] == before.transcript
        assert after.transcript[-1]["speaker"] == "buyer"
        assert len(svc.store.get_turns(session_id)) == 9
        list(svc.send(session_id, "Who else is involved in the decision?"))
        assert len(svc.get(session_id).transcript) == 11


def test_a_refusal_from_the_model_never_reaches_the_stream(settings: Settings) -> None:
    llm = ScriptedLLM(["I'm sorry, but I can't assist with that request. As an AI, I don't take calls."])
    with PracticeService.open(settings, llm=llm) as svc:
        events = list(svc.start("saas-discovery-ops"))
        first = svc.get(events[0]["session_id"]).transcript[0]
    shown = "".join(e["text"] for e in events if e["type"] == "token")
    assert "sorry" not in shown.lower() and "AI" not in shown
    assert first["voiced_by"] == "gist" and shown == first["text"] == _lines(events)[0]


class _DropsOnce:
    """Streams one good sentence, then the connection drops; the next call streams a whole line."""

    generative = True
    name = "flaky"

    def __init__(self) -> None:
        self.calls = 0

    def stream_chat(self, request: ChatRequest) -> Iterator[str]:
        self.calls += 1
        if self.calls == 1:
            yield "Well, Raj here. "
            yield "I have"
            raise LLMError("connection dropped")
        head, tail = echo_gist(request).split(" ", 1)
        yield head + " "
        yield tail

    def complete_json(self, request: ChatRequest) -> dict[str, str]:
        raise LLMError("unused")


def test_a_retry_through_the_service_resets_the_bubble(settings: Settings) -> None:
    with PracticeService.open(settings, llm=_DropsOnce()) as svc:
        events = list(svc.start("saas-discovery-ops"))
    kinds = [e["type"] for e in events]
    assert kinds.index("token") < kinds.index("reset") < kinds.index("retry") < kinds.index("line")
    bubble = ""
    for e in events:
        if e["type"] == "reset":
            bubble = ""
        elif e["type"] == "token":
            bubble += e["text"]
    assert bubble == _lines(events)[0] and bubble.count("Raj") == 1  # the retry did not pile onto the first try
