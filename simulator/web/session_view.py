"""One session on the page: transcript replay, scorecard, hints used and coaching notes.

Used by the rep's practice page (after the call), their history, and a manager's review.
Reading goes through the services, which refuse sessions the user may not open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.errors import SparringError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.services.scorecards import next_drill_id, overall
from simulator.web import charts
from simulator.web.scorecard_view import (
    coaching_markdown,
    competencies_markdown,
    headline,
    metrics_markdown,
)
from simulator.web.text import STATUS_WORDS, esc, pretty_id, when, words_for


@dataclass(frozen=True)
class SessionPanel:
    """Everything shown for one session."""

    title: str
    chat: list[dict[str, Any]]
    headline: str
    chart: Any
    metrics: str
    coaching: str
    competencies: str
    notes: str
    next_drill: str | None
    error: str = ""

    @property
    def scorecard(self) -> str:
        """Every section of the scorecard as one Markdown text."""
        return "\n\n".join(p for p in (self.headline, self.metrics, self.coaching, self.competencies) if p)


def empty_panel(message: str = "") -> SessionPanel:
    """A panel with nothing in it (and an optional message)."""
    return SessionPanel("", [], message, None, "", "", "", "", None, error=message)


def notes_markdown(services: AppServices, actor: User, rep_id: str, session_id: str | None = None) -> str:
    """Coaching notes on a rep (or one session), newest first, every field escaped."""
    try:
        notes = services.coaching.for_rep(actor, rep_id, session_id=session_id)
    except SparringError as exc:
        return esc(exc)
    if not notes:
        return "_No coaching notes yet._"
    out = []
    for n in notes:
        out.append(f"**{when(n.created_at)} — {esc(n.manager_name or 'manager')}**")
        for label, value in (
            ("Coached", n.coached),
            ("What changed", n.changed),
            ("Action plan", n.action_plan),
        ):
            if value:
                out.append(f"- *{label}:* {esc(value, keep_lines=True)}")
        out.append("")
    return "\n".join(out)


def session_panel(services: AppServices, actor: User, session_id: str | None) -> SessionPanel:
    """The session's transcript, scorecard, chart, metrics, hints and notes (if the actor may see it)."""
    if not session_id:
        return empty_panel("Choose a session.")
    try:
        view = services.sessions.view(actor, session_id)
        hints = services.hints.history(actor, session_id)
    except SparringError as exc:
        return empty_panel(f"⚠ {esc(exc)}")
    rec = view.record
    lib = services.practice.library
    scenario = lib.scenarios.get(rec.scenario_id)
    persona = lib.personas.get(rec.persona_id)
    chat = [
        {
            "role": "assistant" if t["speaker"] == "buyer" else "user",
            "content": f"<sub>turn {t['index']} · {esc(pretty_id(t['stage']))}</sub>\n\n"
            f"{esc(t['text'], keep_lines=True)}",
        }
        for t in view.transcript
    ]
    score = overall(rec)
    title = (
        f"### {esc(scenario.title if scenario else rec.scenario_id)}\n"
        f"{esc(persona.name if persona else rec.persona_id)} · {esc(rec.difficulty)} · "
        f"{when(rec.created_at)} · "
        f"{words_for(STATUS_WORDS, rec.status)}" + (f" · **{score:.0f}/100**" if score is not None else "")
    )
    if hints:
        title += "\n\n**Hints used:** " + " ".join(f"(turn {h['rep_turn']}) {esc(h['text'])}" for h in hints)
    card = rec.scorecard
    notes = notes_markdown(services, actor, rec.user_id, rec.id) if rec.user_id else ""
    if rec.status != "ended":
        return SessionPanel(
            title,
            chat,
            "_This call is still in progress: the scorecard appears when it ends._",
            None,
            "",
            "",
            "",
            notes,
            None,
        )
    chart = charts.competency_chart(card) if card else None
    return SessionPanel(
        title,
        chat,
        headline(card),
        chart,
        metrics_markdown(card),
        coaching_markdown(card),
        competencies_markdown(card),
        notes,
        next_drill_id(card),
    )
