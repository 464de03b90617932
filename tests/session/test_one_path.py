"""One conversation path: one validation, one permission rule for typed and spoken messages, one
session-row read per message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from simulator.config import Settings
from simulator.errors import PermissionDeniedError
from simulator.llm.scripted import ScriptedLLM
from simulator.services.access import User
from simulator.session import PracticeService
from simulator.web import voice_panel

QUESTION = "How does your team handle order exceptions today?"


@pytest.fixture
def service(tmp_path: Path) -> Iterator[PracticeService]:
    settings = Settings(data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", llm="template")
    with PracticeService.open(settings, llm=ScriptedLLM(fallback=lambda r: "Well, go on.")) as s:
        yield s


RITA = User(id="rita", username="rita", display_name="Rita", role="rep")


def _spoken(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    """Skip the microphone and speech-to-text: the recording 'says' ``text``."""

    class Heard:
        duration = 2.0
        words: tuple[Any, ...] = ()
        is_empty = False

    Heard.text = text  # type: ignore[attr-defined]
    monkeypatch.setattr(voice_panel, "_heard", lambda path: (Heard(), ""))
    monkeypatch.setattr(voice_panel, "speech_payload", lambda *a, **k: None)
    monkeypatch.setattr(voice_panel, "_speak", lambda *a, **k: (None, ""))


def test_typed_and_spoken_messages_follow_one_permission_rule(
    service: PracticeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session started at the terminal (no owner) is not a signed-in rep's, typed or spoken."""
    terminal_sid = list(service.start("saas-discovery-ops"))[0]["session_id"]
    _spoken(monkeypatch, QUESTION)
    with pytest.raises(PermissionDeniedError):
        list(service.send(terminal_sid, QUESTION, actor=RITA))
    spoken = list(voice_panel.rep_audio_to_turn(service, terminal_sid, "clip.wav", RITA, chat=[]))
    assert "no practice session" in spoken[-1][3] and spoken[-1][0] == []
    assert [t["speaker"] for t in service.get(terminal_sid).transcript] == ["buyer"]
    # her own session takes both
    own = list(service.start("saas-discovery-ops", actor=RITA))[0]["session_id"]
    assert list(service.send(own, QUESTION, actor=RITA))[0]["type"] == "accepted"
    steps = list(voice_panel.rep_audio_to_turn(service, own, "clip.wav", RITA, chat=[]))
    assert steps[-1][3] == "Your turn." and steps[-1][0][-2]["content"] == QUESTION


def test_a_message_is_validated_once_and_the_session_row_is_read_once(
    service: PracticeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    sid = list(service.start("saas-discovery-ops", actor=RITA))[0]["session_id"]
    list(service.send(sid, "Hello there, thanks for taking the call.", actor=RITA))  # warm the caches
    validations = []
    real_validate = service.validate_message

    def counting_validate(text: str) -> str:
        validations.append(text)
        return real_validate(text)

    monkeypatch.setattr(service, "validate_message", counting_validate)
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()).lower())

    event.listen(service.store.engine, "before_cursor_execute", record)
    try:
        events = list(service.send(sid, "  " + QUESTION + "  ", actor=RITA))
    finally:
        event.remove(service.store.engine, "before_cursor_execute", record)
    assert events[0] == {"type": "accepted", "text": QUESTION}
    assert len(validations) == 1
    reads = [s for s in statements if s.startswith("select") and "from sessions" in s]
    claims = [s for s in statements if s.startswith("update sessions") and "returning" in s]
    assert reads == [] and len(claims) == 1, statements  # the claim returns the row: no separate read
    session_writes = [s for s in statements if s.startswith(("update sessions", "with"))]
    assert len(session_writes) == 2, statements  # the claim, then the lines stored with the release
