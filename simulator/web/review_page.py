"""The manager's review: open a team member's session and scorecard, record a coaching note."""

from __future__ import annotations

from typing import Any

import gradio as gr

from simulator.errors import SparringError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.web.assign_page import target_choices
from simulator.web.history_page import session_label
from simulator.web.peer_review_page import build_share_section
from simulator.web.session_view import notes_markdown, session_panel
from simulator.web.text import esc
from simulator.web.ui_common import PageContext


def session_choices(services: AppServices, actor: User, rep_id: str | None) -> list[tuple[str, str]]:
    """A team member's sessions for the picker (refused for reps the actor does not manage)."""
    if not rep_id:
        return []
    return [(session_label(services, r), r.id) for r in services.sessions.history(actor, rep_id, limit=100)]


def save_note(
    services: AppServices,
    actor: User,
    rep_id: str | None,
    session_id: str | None,
    coached: str,
    changed: str,
    plan: str,
) -> tuple[str, str]:
    """Record a note on the open session (or on the rep); returns (status, notes Markdown)."""
    try:
        services.coaching.add(
            actor,
            rep_id=rep_id,
            session_id=session_id or None,
            coached=coached,
            changed=changed,
            action_plan=plan,
        )
    except SparringError as exc:
        return f"⚠ {esc(exc)}", notes_markdown(services, actor, rep_id, session_id) if rep_id else ""
    return "✓ Note saved.", notes_markdown(services, actor, rep_id or "", None)


def build_review_section(ctx: PageContext) -> dict[str, Any]:
    """The 'Review & coach' sub-tab of the Team tab."""
    services = ctx.services
    with gr.Tab("Review & coach", id="team-review"):
        with gr.Row():
            rep = gr.Dropdown(choices=[], label="Rep", elem_id="review-rep")
            session = gr.Dropdown(choices=[], label="Session", elem_id="review-session")
        title = gr.Markdown()
        with gr.Row():
            chat = gr.Chatbot(label="Transcript", height=640, elem_id="review-chat")
            with gr.Column():
                plot = gr.Plot(label="Competencies")
                card = gr.Markdown(elem_id="review-card")
        gr.Markdown("### Coaching note")
        coached = gr.Textbox(label="What was coached", lines=2, elem_id="note-coached")
        changed = gr.Textbox(label="What changed", lines=2, elem_id="note-changed")
        plan = gr.Textbox(label="Action plan", lines=2, elem_id="note-plan")
        save = gr.Button("Save note", variant="primary", elem_id="note-save")
        status = gr.Markdown(elem_id="note-status")
        notes = gr.Markdown(elem_id="notes")
        build_share_section(ctx, session, prefix="review", manager=True)  # open to the team; peer scores

    def on_rep(rep_id: str | None, request: gr.Request) -> tuple[Any, Any]:
        actor = ctx.actor(request)
        try:
            choices = session_choices(services, actor, rep_id)
        except SparringError as exc:
            raise gr.Error(str(exc)) from None
        return gr.Dropdown(choices=choices, value=None), notes_markdown(services, actor, rep_id) if rep_id else ""

    def on_session(sid: str | None, request: gr.Request) -> tuple[Any, ...]:
        panel = session_panel(services, ctx.actor(request), sid)
        return (
            panel.title or panel.error,
            panel.chat,
            panel.scorecard,
            panel.chart,
            panel.notes or gr.update(),
        )

    def on_save(rep_id: str | None, sid: str | None, a: str, b: str, c: str, request: gr.Request) -> tuple[Any, ...]:
        message, md = save_note(services, ctx.actor(request), rep_id, sid, a, b, c)
        ok = message.startswith("✓")
        return message, md, *(("", "", "") if ok else (gr.update(), gr.update(), gr.update()))

    def refresh(request: gr.Request) -> Any:
        options = target_choices(services, ctx.actor(request), "user")
        return gr.Dropdown(choices=options, value=None)

    rep.input(on_rep, [rep], [session, notes])
    session.input(on_session, [session], [title, chat, card, plot, notes])
    save.click(on_save, [rep, session, coached, changed, plan], [status, notes, coached, changed, plan])
    return {"refresh": refresh, "refresh_outputs": [rep]}
