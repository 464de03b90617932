"""The History tab (past sessions with transcript replay) and the Progress tab (plots per competency)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from simulator.errors import SparringError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.services.scorecards import overall, pretty
from simulator.store.sessions import SessionRecord
from simulator.web import charts
from simulator.web.peer_review_page import build_share_section
from simulator.web.session_view import session_panel
from simulator.web.text import STATUS_WORDS, short, when, words_for
from simulator.web.ui_common import PageContext, table

HISTORY_HEADERS = ["When", "Scenario", "Difficulty", "Status", "Turns", "Score"]
PROGRESS_HEADERS = ["Competency", "First", "Latest", "Best", "Sessions"]


def session_label(services: AppServices, r: SessionRecord) -> str:
    """'2026-11-23 14:05 · Discovery call … · 72/100' for pickers."""
    s = services.practice.library.scenarios.get(r.scenario_id)
    score = overall(r)
    tail = f" · {score:.0f}/100" if score is not None else f" · {words_for(STATUS_WORDS, r.status)}"
    return f"{when(r.created_at)} · {short(s.title if s else r.scenario_id, 48)} · {r.difficulty}{tail}"


def history(
    services: AppServices, actor: User, user_id: str | None = None
) -> tuple[list[list[Any]], list[tuple[str, str]]]:
    """(table rows, picker choices) of a user's sessions, newest first."""
    records = services.sessions.history(actor, user_id, limit=100)
    lib = services.practice.library
    rows = []
    for r in records:
        s = lib.scenarios.get(r.scenario_id)
        score = overall(r)
        rows.append(
            [
                when(r.created_at),
                short(s.title if s else r.scenario_id, 60),
                r.difficulty,
                words_for(STATUS_WORDS, r.status),
                r.turn_count,
                "" if score is None else f"{score:.0f}",
            ]
        )
    return rows, [(session_label(services, r), r.id) for r in records]


def progress(services: AppServices, actor: User, user_id: str | None = None) -> tuple[Any, Any, list[list[Any]]]:
    """(competency chart, overall chart, summary rows) of a user's graded sessions."""
    points = services.dashboards.progress(actor, user_id)
    rows = []
    for cid in sorted({c for p in points for c in p.scores}):
        series = [p.scores[cid] for p in points if cid in p.scores]
        name = next((p.names[cid] for p in reversed(points) if cid in p.names), pretty(cid))
        rows.append([name, f"{series[0]:g}", f"{series[-1]:g}", f"{max(series):g}", len(series)])
    lib = services.practice.library
    titles = {sid: s.title for sid, s in lib.scenarios.items()}
    return charts.progress_chart(points), charts.overall_chart(points, titles), rows


def build_history_tabs(ctx: PageContext) -> None:
    """Lay out the History and Progress tabs and wire their events."""
    services = ctx.services
    with gr.Tab("History", id="history", visible=False) as hist_tab:
        with gr.Row():
            refresh = gr.Button("Refresh", size="sm")
        sessions = gr.Dataframe(
            headers=HISTORY_HEADERS, interactive=False, label="Your sessions", elem_id="history-table"
        )
        pick = gr.Dropdown(choices=[], label="Replay a session", elem_id="history-pick")
        title = gr.Markdown()
        with gr.Row():
            replay = gr.Chatbot(label="Transcript", height=640, elem_id="history-chat")
            with gr.Column():
                plot = gr.Plot(label="Competencies")
                card = gr.Markdown(elem_id="history-card")
        notes = gr.Markdown()
        build_share_section(ctx, pick, prefix="history")  # share with a teammate; peer vs automatic
    with gr.Tab("Progress", id="progress", visible=False) as prog_tab:
        prog_refresh = gr.Button("Refresh", size="sm")
        comp_plot = gr.Plot(label="Per competency", elem_id="progress-chart")
        overall_plot = gr.Plot(label="Overall")
        summary = gr.Dataframe(headers=PROGRESS_HEADERS, interactive=False, label="Summary")

    def load_history(request: gr.Request) -> tuple[Any, Any]:
        rows, choices = history(services, ctx.actor(request))
        return table(rows, HISTORY_HEADERS), gr.Dropdown(choices=choices, value=None)

    def open_session(sid: str | None, request: gr.Request) -> tuple[Any, ...]:
        panel = session_panel(services, ctx.actor(request), sid)
        return panel.title or panel.error, panel.chat, panel.scorecard, panel.chart, panel.notes

    def load_progress(request: gr.Request) -> tuple[Any, Any, Any]:
        try:
            a, b, rows = progress(services, ctx.actor(request))
        except SparringError as exc:
            raise gr.Error(str(exc)) from None
        return a, b, table(rows, PROGRESS_HEADERS)

    refresh.click(load_history, None, [sessions, pick])
    hist_tab.select(load_history, None, [sessions, pick])
    pick.input(open_session, [pick], [title, replay, card, plot, notes])
    prog_refresh.click(load_progress, None, [comp_plot, overall_plot, summary])
    prog_tab.select(load_progress, None, [comp_plot, overall_plot, summary])
    ctx.refs["history"] = {"tab": hist_tab}
    ctx.refs["progress"] = {"tab": prog_tab}
