"""Thin handlers for the practice page: every decision is in the service layer."""

from __future__ import annotations

import html
from collections.abc import Iterator
from typing import Any

from simulator.errors import SparringError
from simulator.services.practice import PracticeService

Chat = list[dict[str, Any]]


def scenario_choices(service: PracticeService) -> list[tuple[str, str]]:
    """(label, id) pairs for the scenario picker."""
    return [(f"{s.title} [{s.kind.replace('_', ' ')}]", s.id) for s in service.scenarios()]


def brief_markdown(service: PracticeService, scenario_id: str | None, difficulty: str) -> str:
    """The brief, objective, buyer and competencies graded, shown before the call."""
    if not scenario_id:
        return "Pick a scenario."
    try:
        s = service.library.scenario(scenario_id)
        p = service.library.persona(s.persona)
    except SparringError as exc:
        return f"**{html.escape(str(exc))}**"
    variant = s.difficulties.get(difficulty)  # type: ignore[call-overload]
    stages = "\n".join(f"{i + 1}. **{st.id.replace('_', ' ')}**: {html.escape(st.goal)}" for i, st in enumerate(s.stages))
    return (
        f"### {html.escape(s.title)}\n"
        f"**Buyer:** {html.escape(p.name)}, {html.escape(p.role)} at {html.escape(p.company.name)}  \n"
        f"**Difficulty:** {difficulty} — {html.escape(variant.description if variant else '')}\n\n"
        f"**Brief:** {html.escape(s.brief)}\n\n**Objective:** {html.escape(s.objective)}\n\n"
        f"**Stages:**\n{stages}\n\n**Graded on:** {', '.join(c.replace('_', ' ') for c in s.competencies)}"
    )


def _apply(chat: Chat, event: dict[str, Any], streaming: list[str]) -> str | None:
    """Fold one event into the chat; returns a status message for warnings/endings."""
    kind = event["type"]
    if kind == "token":
        streaming[0] += event["text"]
        chat[-1]["content"] = streaming[0]
    elif kind == "line":
        chat[-1]["content"] = event["text"]
    elif kind == "warning":
        return "⚠️ " + event["text"]
    elif kind == "ended":
        outcome = event["outcome"]
        lines = [f"✅ {m}" for m in outcome["met"]] + [f"❌ {m}" for m in outcome["missed"]]
        return (f"**Call ended ({(event.get('end_reason') or '').replace('_', ' ')}) — "
                f"{'success' if outcome['success'] else 'not yet'}**\n\n" + "\n".join(f"- {x}" for x in lines))
    return None


def start_session(service: PracticeService, scenario_id: str, difficulty: str,
                  user_id: str | None) -> Iterator[tuple[Chat, str | None, str]]:
    """Start a call; yields (chat, session id, status) as the buyer's opening streams."""
    chat: Chat = [{"role": "assistant", "content": ""}]
    streaming = [""]
    session_id: str | None = None
    try:
        for event in service.start(scenario_id, difficulty=difficulty, user_id=user_id):
            if event["type"] == "session":
                session_id = event["session_id"]
                continue
            status = _apply(chat, event, streaming)
            yield chat, session_id, status or "Call in progress."
    except SparringError as exc:
        yield [], None, f"⚠️ {exc}"


def send_message(service: PracticeService, session_id: str | None, text: str, chat: Chat,
                 user_id: str | None) -> Iterator[tuple[Chat, str, str]]:
    """Send the rep's message; yields (chat, textbox value, status). On error the text stays in the box."""
    if not session_id:
        yield chat, text, "Start a call first."
        return
    try:
        text = service.validate_message(text)
    except SparringError as exc:
        yield chat, text, f"⚠️ {exc}"
        return
    chat = [*chat, {"role": "user", "content": text}, {"role": "assistant", "content": ""}]
    streaming = [""]
    status = "Call in progress."
    try:
        for event in service.send(session_id, text, user_id=user_id):
            status = _apply(chat, event, streaming) or status
            yield chat, "", status
    except SparringError as exc:
        yield chat[:-2], text, f"⚠️ {exc}"


def end_call(service: PracticeService, session_id: str | None, chat: Chat,
             user_id: str | None) -> Iterator[tuple[Chat, str]]:
    """End the call; yields (chat, status with the outcome)."""
    if not session_id:
        yield chat, "No call in progress."
        return
    status = "Call ended."
    try:
        for event in service.end(session_id, user_id=user_id):
            status = _apply(chat, event, [""]) or status
    except SparringError as exc:
        status = f"⚠️ {exc}"
    yield chat, status
