"""Thin handlers for the practice page: every decision is in the service layer.

Handlers take the services and the signed-in user and return or yield plain values
(:class:`CallUpdate`); :mod:`simulator.web.practice_ui` maps them onto components.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

from simulator.content.models import Persona, Scenario
from simulator.errors import SparringError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.session.events import EndedEvent, Reply, fold
from simulator.web.text import END_REASONS, esc, pretty_id, words_for

log = logging.getLogger(__name__)

Chat = list[dict[str, Any]]
Call = dict[str, Any]
"""The call in progress, kept in the browser session: session_id, scenario_id, persona_id, difficulty."""

UNAVAILABLE = (
    "⚠ The buyer's voice model is unavailable right now ({error}). Nothing was lost: "
    "your message is still in the box and the call is saved; try again in a moment, or ask "
    "your admin to check the model setting (SPARRING_LLM)."
)


NO_CALL_ON_PAGE = (
    "No call on this page. Start one, or — if you were in a call (the page was reloaded or the server "
    "restarted) — it is saved: pick it under **Your unfinished calls** and press **Continue call**."
)


@dataclass(frozen=True)
class CallUpdate:
    """What the practice page shows after each streamed step."""

    chat: Chat
    call: Call | None
    message: str = ""
    status: str = ""
    stage: str = ""
    ended: bool = False
    hints: list[str] = field(default_factory=list)


def scenario_choices(services: AppServices, actor: User | None = None) -> list[tuple[str, str]]:
    """(label, id) pairs for the scenario picker: the library, plus the published drills of the
    actor's teams (the Drill studio's, current version) when an actor is given."""
    return [choice_of(s) for s in services.drills.playable(actor)]


def choice_of(s: Scenario) -> tuple[str, str]:
    """A drill as the scenario picker lists it."""
    return (f"{s.title} [{pretty_id(s.kind)}]", s.id)


def persona_choices(services: AppServices, scenario_id: str | None) -> list[tuple[str, str]]:
    """(label, id) of the buyers this scenario works with, default first."""
    lib = services.practice.library
    if not scenario_id or scenario_id not in lib.scenarios:
        return []
    out = []
    for pid in lib.scenario(scenario_id).persona_ids():
        p = lib.personas.get(pid)
        if p is not None:
            out.append((f"{p.name}, {p.role}", pid))
    return out


def rubric_markdown(scenario: Scenario) -> str:
    """The competencies this drill is graded on, with weights and the five level descriptions."""
    try:
        from grading.rubric import rubric_for_scenario

        entries = rubric_for_scenario(scenario)
    except Exception:  # the grader is optional; without it, show the competency ids
        return "**Graded on:** " + ", ".join(esc(pretty_id(c)) for c in scenario.competencies)
    out = []
    for e in entries:
        mark = " (trained by this drill)" if e.trained else ""
        out += [f"**{esc(e.name)}** — weight {e.weight:.0%}{mark}  ", esc(e.description)]
        out += [f"{i}. {esc(level)}" for i, level in enumerate(e.levels, 1)]
        out.append("")
    return "\n".join(out)


def brief_markdown(services: AppServices, scenario_id: str | None, persona_id: str | None, difficulty: str) -> str:
    """The brief, objective, buyer and stages, shown before the call."""
    if not scenario_id:
        return "Pick a scenario."
    lib = services.practice.library
    try:
        s = lib.scenario(scenario_id)
        p = lib.persona(persona_id or s.persona)
    except SparringError as exc:
        return f"**{esc(exc)}**"
    return brief_text(s, p, difficulty)


def brief_text(s: Scenario, p: Persona, difficulty: str) -> str:
    """The brief of a scenario and buyer as the rep reads it (also the Drill studio's preview)."""
    variant = s.difficulties.get(difficulty)  # type: ignore[call-overload]
    stages = "\n".join(f"{i + 1}. **{esc(pretty_id(st.id))}**: {esc(st.goal)}" for i, st in enumerate(s.stages))
    return (
        f"### {esc(s.title)}\n"
        f"**Buyer:** {esc(p.name)}, {esc(p.role)} at {esc(p.company.name)}  \n"
        f"**Difficulty:** {esc(difficulty)} — {esc(variant.description if variant else '')}\n\n"
        f"**Brief:** {esc(s.brief)}\n\n**Objective:** {esc(s.objective)}\n\n**Stages:**\n{stages}"
    )


def stage_markdown(services: AppServices, scenario_id: str | None, stage: str | None) -> str:
    """'Stage 2 of 3 — discovery: <goal>' for the stage the call is in."""
    if not scenario_id or not stage:
        return ""
    try:
        stages = services.practice.library.scenario(scenario_id).stages
    except SparringError:
        return ""
    for i, st in enumerate(stages):
        if st.id == stage:
            return f"**Stage {i + 1} of {len(stages)} — {esc(pretty_id(st.id))}:** {esc(st.goal)}"
    return f"**Stage:** {esc(pretty_id(stage))}"


def _outcome_status(ended: EndedEvent) -> str:
    outcome = ended.get("outcome") or {}
    reason = words_for(END_REASONS, ended.get("end_reason"))
    verdict = "objective met" if outcome.get("success") else "objective not met yet"
    return f"**Call ended ({esc(reason)}) — {verdict}.** Your scorecard is below."


def _show(services: AppServices, update: CallUpdate, reply: Reply) -> CallUpdate:
    """The page state for the reply folded so far (the buyer's bubble is the last chat message)."""
    chat = update.chat
    if chat and chat[-1]["role"] == "assistant" and (reply.shown or reply.line is not None or not reply.ended):
        chat[-1]["content"] = esc(reply.buyer_text, keep_lines=True) or "…"
    stage = stage_markdown(services, (update.call or {}).get("scenario_id"), reply.stage) or update.stage
    status = update.status
    if reply.warnings:
        status = "⚠ " + esc(reply.warnings[-1])
    if reply.ended is not None:
        status = _outcome_status(reply.ended) + (f" ⚠ {esc(reply.warnings[-1])}" if reply.warnings else "")
    return replace(update, stage=stage, status=status, ended=update.ended or reply.ended is not None)


def _buyer_name(services: AppServices, call: Call | None) -> str:
    lib = services.practice.library
    persona = lib.personas.get((call or {}).get("persona_id") or "")
    return persona.name.split()[0] if persona else "The buyer"


def _your_turn(update: CallUpdate) -> CallUpdate:
    """The last step of a reply: say it is the rep's turn (unless a warning or the end is shown)."""
    if update.ended or update.status.startswith("⚠"):
        return update
    return replace(update, status="Your turn.")


def start_call(
    services: AppServices, actor: User, scenario_id: str | None, persona_id: str | None, difficulty: str
) -> Iterator[CallUpdate]:
    """Start a call; yields the page state as the buyer's opening streams."""
    if not scenario_id:
        yield CallUpdate([], None, status="Pick a scenario first.")
        return
    lib = services.practice.library
    if persona_id and persona_id not in {pid for _, pid in persona_choices(services, scenario_id)}:
        persona_id = None
    call: Call = {"scenario_id": scenario_id, "persona_id": persona_id, "difficulty": difficulty}
    update = CallUpdate([{"role": "assistant", "content": ""}], None, status="Calling…")
    reply = Reply()
    try:
        for event in services.sessions.start(actor, scenario_id, persona_id=persona_id, difficulty=difficulty):
            reply = fold(reply, event)
            if event["type"] == "session":
                call["session_id"] = event["session_id"]
                call["persona_id"] = persona_id or lib.scenario(scenario_id).persona
                update = replace(update, call=call, status=f"{_buyer_name(services, call)} is answering…")
                continue
            update = _show(services, update, reply)
            yield update
        yield _your_turn(update)
    except SparringError as exc:
        yield CallUpdate([], None, status=f"⚠ {esc(exc)}")
    except Exception as exc:  # the LLM backend failed in a way the engine could not absorb
        log.exception("could not start a call")
        yield CallUpdate(
            update.chat if update.call else [],
            update.call,
            status=UNAVAILABLE.format(error=esc(type(exc).__name__)),
        )


def send_message(
    services: AppServices, actor: User, call: Call | None, text: str, chat: Chat, stage: str = ""
) -> Iterator[CallUpdate]:
    """Send the rep's message; on any error before it is accepted the text stays in the box and the
    chat is unchanged. Validation and permission happen once, in the service (``accepted``)."""
    chat = list(chat or [])
    if not call or not call.get("session_id"):
        yield CallUpdate(chat, call, message=text, status=NO_CALL_ON_PAGE, stage=stage)
        return
    update = CallUpdate(chat, call, message=text, stage=stage)
    reply = Reply()
    try:
        for event in services.sessions.send(actor, call["session_id"], text or ""):
            reply = fold(reply, event)
            if event["type"] == "accepted":
                grown = [*chat, {"role": "user", "content": esc(event["text"], keep_lines=True)},
                         {"role": "assistant", "content": "…"}]
                update = CallUpdate(grown, call, status=f"{_buyer_name(services, call)} is answering…", stage=stage)
            else:
                update = _show(services, update, reply)
            yield update
        yield _your_turn(update)
    except SparringError as exc:
        if reply.rep_text is None:
            yield CallUpdate(chat, call, message=text, status=f"⚠ {esc(exc)}", stage=stage)
        else:
            yield replace(update, status=f"⚠ {esc(exc)}")
    except Exception as exc:
        log.exception("could not send a message")
        yield _after_failure(services, actor, call, text, reply.rep_text, chat, stage, exc)


def transcript_chat(transcript: list[Any]) -> Chat:
    """The stored transcript as chat messages (escaped)."""
    return [
        {
            "role": "assistant" if t["speaker"] == "buyer" else "user",
            "content": esc(t["text"], keep_lines=True),
        }
        for t in transcript
    ]


def _after_failure(
    services: AppServices,
    actor: User,
    call: Call,
    text: str,
    accepted: str | None,
    chat: Chat,
    stage: str,
    exc: Exception,
) -> CallUpdate:
    """After an unexpected failure: show what was saved; keep the text in the box unless it was saved."""
    status = UNAVAILABLE.format(error=esc(type(exc).__name__))
    try:
        view = services.sessions.view(actor, call["session_id"])
    except Exception:
        return CallUpdate(chat, call, message=text, status=status, stage=stage)
    reps = [t for t in view.transcript if t["speaker"] == "rep"]
    if accepted is not None and reps and reps[-1]["text"] == accepted and len(view.transcript) > len(chat):
        return CallUpdate(
            transcript_chat(view.transcript),
            call,
            message="",
            stage=stage,
            status=status.replace("your message is still in the box", "your message was saved")
            + " The buyer's reply is finished when you send your next line.",
        )
    return CallUpdate(chat, call, message=text, status=status, stage=stage)


def end_call(services: AppServices, actor: User, call: Call | None, chat: Chat) -> CallUpdate:
    """End the call (cutting short a reply in progress): the outcome is judged and the scorecard stored."""
    chat = list(chat or [])
    if not call or not call.get("session_id"):
        return CallUpdate(chat, call, status="No call in progress.")
    update = CallUpdate(chat, call, status="Call ended.")
    reply = Reply()
    try:
        for event in services.sessions.end(actor, call["session_id"]):
            reply = fold(reply, event)
            update = _show(services, update, reply) if event["type"] in ("warning", "ended") else update
    except SparringError as exc:
        return CallUpdate(chat, call, status=f"⚠ {esc(exc)}")
    except Exception as exc:
        log.exception("could not end a call")
        return CallUpdate(chat, call, status=UNAVAILABLE.format(error=esc(type(exc).__name__)))
    view = services.sessions.view(actor, call["session_id"])
    ended = view.record.status == "ended"
    return replace(update, chat=transcript_chat(view.transcript) or chat, ended=ended)


def unfinished_choices(services: AppServices, actor: User) -> list[tuple[str, str]]:
    """(label, id) of the rep's open calls, newest first: drill, buyer, turns, last activity."""
    lib = services.practice.library
    out = []
    for record in services.sessions.unfinished(actor):
        scenario = lib.scenarios.get(record.scenario_id)
        persona = lib.personas.get(record.persona_id)
        when = time.strftime("%d %b %H:%M", time.gmtime(record.updated_at))
        title = scenario.title if scenario else pretty_id(record.scenario_id)
        who = persona.name if persona else pretty_id(record.persona_id)
        out.append((f"{title} with {who} — {record.turn_count} lines so far, last at {when} UTC", record.id))
    return out


def continue_call(services: AppServices, actor: User, session_id: str | None) -> Iterator[CallUpdate]:
    """Reopen an unfinished call where it stopped (after a reload, a restart or a crash)."""
    if not session_id:
        yield CallUpdate([], None, status="Pick an unfinished call first.")
        return
    try:
        view = services.sessions.view(actor, session_id)
        record = view.record
        call: Call = {"session_id": record.id, "scenario_id": record.scenario_id,
                      "persona_id": record.persona_id, "difficulty": record.difficulty}
        update = CallUpdate(transcript_chat(view.transcript), call, status="Reopening the call…",
                            stage=stage_markdown(services, record.scenario_id, view.stage))
        yield update
        reply = Reply()
        for event in services.sessions.resume(actor, session_id):
            reply = fold(reply, event)
            if event["type"] == "warning" and not reply.ended:
                update = replace(update, chat=[*update.chat, {"role": "assistant", "content": "…"}])
            update = _show(services, update, reply)
            yield update
        view = services.sessions.view(actor, session_id)
        update = replace(update, chat=transcript_chat(view.transcript),
                         stage=stage_markdown(services, record.scenario_id, view.stage) or update.stage,
                         ended=view.record.status == "ended")
        yield _your_turn(update) if not update.status.startswith("⚠") else update
    except SparringError as exc:
        yield CallUpdate([], None, status=f"⚠ {esc(exc)}")
    except Exception as exc:
        log.exception("could not reopen a call")
        yield CallUpdate([], None, status=UNAVAILABLE.format(error=esc(type(exc).__name__)))


def ask_hint(services: AppServices, actor: User, call: Call | None) -> str:
    """A hint for the call in progress, with how many are left."""
    if not call or not call.get("session_id"):
        return "Start a call first."
    try:
        hint = services.hints.hint(actor, call["session_id"])
    except SparringError as exc:
        return f"{esc(exc)}"
    left = "no hints left" if hint.remaining == 0 else f"{hint.remaining} hint{'s' * (hint.remaining != 1)} left"
    return f"**Hint:** {esc(hint.text)}  \n<sub>{left} for this call</sub>"
