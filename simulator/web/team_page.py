"""The Team tab (managers and admins): dashboard, suggestions, assignments, review, CSV export."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import gradio as gr

from simulator.errors import SparringError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.web import charts
from simulator.web.assign_page import build_assign_section
from simulator.web.peer_review_page import build_review_activity
from simulator.web.review_page import build_review_section
from simulator.web.text import esc, short, when
from simulator.web.ui_common import PageContext, table

ACTIVITY_HEADERS = [
    "Rep",
    "Sessions",
    "Finished",
    "Last 7 days",
    "Last practised",
    "Average score",
    "Assignments done",
]
SUGGEST_HEADERS = ["Rep", "Weakest skill", "Average (1–5)", "Suggested drill", "Difficulty"]


def team_choices(services: AppServices, actor: User) -> list[tuple[str, str]]:
    """Teams the actor manages (all for an admin)."""
    managed = services.teams.managed_team_ids(actor)
    return [(short(t.name, 60), t.id) for t in services.teams.list_teams(actor) if t.id in managed]


def dashboard(
    services: AppServices, actor: User, team_id: str | None
) -> tuple[Any, Any, str, list[list[Any]], list[list[Any]]]:
    """(heatmap, activity chart, weakest-skills Markdown, activity rows, suggestion rows)."""
    if not team_id:
        return None, None, "_You do not manage a team yet. An admin makes you a team's manager._", [], []
    board = services.dashboards.team(actor, team_id)
    weak = (
        "\n".join(
            f"{i}. **{esc(board.names.get(c, c))}** — team average {v:.1f}/5"
            for i, (c, v) in enumerate(board.weakest_skills, 1)
        )
        or "_No scorecards yet._"
    )
    total = sum(a.assignments_total for a in board.activity)
    done = sum(a.assignments_done for a in board.activity)
    completion = f"{done}/{total} assignments done ({done / total:.0%})" if total else "no assignments yet"
    active = sum(1 for a in board.activity if a.last_7_days)
    md = (
        f"### {esc(board.team_name)}\n{len(board.reps)} reps · {active} practised in the last 7 days · "
        f"{completion}\n\n**Weakest skills across the team**\n{weak}"
    )
    rows = [
        [
            short(a.user.label, 40),
            a.sessions,
            a.ended,
            a.last_7_days,
            when(a.last_practised),
            "" if a.average_overall is None else f"{a.average_overall:.0f}",
            f"{a.assignments_done}/{a.assignments_total}",
        ]
        for a in board.activity
    ]
    lib = services.practice.library
    suggestions = []
    for s in services.dashboards.suggestions(actor, team_id):
        scen = lib.scenarios.get(s.scenario_id)
        suggestions.append(
            [
                short(s.user.label, 40),
                s.competency_name,
                f"{s.average:.1f}",
                short(scen.title if scen else s.scenario_id, 60),
                s.difficulty,
            ]
        )
    return charts.heatmap(board), charts.activity_chart(board), md, rows, suggestions


def export_csv(services: AppServices, actor: User, team_id: str | None, folder: Path) -> Path:
    """Write the team's scores and activity to a CSV file in ``folder``; returns its path."""
    if not team_id:
        raise SparringError("Choose a team to export.")
    text = services.dashboards.csv_export(actor, team_id)
    path = folder / f"sparring-team-{time.strftime('%Y%m%d-%H%M%S')}.csv"
    path.write_text(text, encoding="utf-8")
    return path


def export_link(services: AppServices, actor: User, team_id: str | None) -> str:
    """Store the team's CSV as a private export of ``actor``; returns the Markdown download link.

    The file is served only to ``actor``, once, within ``export_ttl_s`` (``/exports/<id>``,
    ``simulator/services/exports.py``), never from Gradio's shared file cache.
    """
    if not team_id:
        raise SparringError("Choose a team to export.")
    text = services.dashboards.csv_export(actor, team_id)
    export_id = services.exports.create(actor, f"sparring-team-{time.strftime('%Y%m%d-%H%M%S')}.csv", text)
    minutes = max(1, round(services.exports.ttl_s / 60))
    return (
        f"[⬇ Download the CSV](/exports/{export_id}) — for you only, once, within {minutes} minutes "
        "(then it is deleted)."
    )


def build_team_tab(ctx: PageContext) -> None:
    """Lay out the Team tab and its sub-tabs."""
    services = ctx.services
    with gr.Tab("Team", id="team", visible=False) as tab:
        with gr.Row():
            team = gr.Dropdown(choices=[], label="Team", elem_id="team-pick", scale=3)
            export = gr.Button("Export CSV (scores and activity)", elem_id="team-export", scale=1)
        csv_file = gr.Markdown(visible=False, elem_id="team-csv")
        with gr.Tabs():
            with gr.Tab("Dashboard", id="team-dashboard"):
                summary = gr.Markdown(elem_id="team-summary")
                with gr.Row():
                    heat = gr.Plot(label="Reps × competencies", elem_id="team-heatmap")
                    activity_plot = gr.Plot(label="Activity")
                activity = gr.Dataframe(
                    headers=ACTIVITY_HEADERS,
                    interactive=False,
                    label="Practice and completion",
                    elem_id="team-activity",
                )
                suggestions = gr.Dataframe(
                    headers=SUGGEST_HEADERS,
                    interactive=False,
                    label="Suggested assignments (each rep's weakest competency)",
                    elem_id="team-suggestions",
                )
                build_review_activity(ctx, team)  # peer review activity, last 30 days
            assign = build_assign_section(ctx)
            review = build_review_section(ctx)

    def show(team_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        try:
            heat_fig, act_fig, md, rows, sugg = dashboard(services, ctx.actor(request), team_id)
        except SparringError as exc:
            raise gr.Error(str(exc)) from None
        return md, heat_fig, act_fig, table(rows, ACTIVITY_HEADERS), table(sugg, SUGGEST_HEADERS)

    def load(request: gr.Request) -> tuple[Any, ...]:
        choices = team_choices(services, ctx.actor(request))
        first = choices[0][1] if choices else None
        return (
            gr.Dropdown(choices=choices, value=first),
            *show(first, request),
            *assign["refresh"](request),
            review["refresh"](request),
        )

    def on_export(team_id: str | None, request: gr.Request) -> Any:
        try:
            link = export_link(services, ctx.actor(request), team_id)
        except SparringError as exc:
            raise gr.Error(str(exc)) from None
        return gr.Markdown(value=link, visible=True)

    dash_outputs = [summary, heat, activity_plot, activity, suggestions]
    tab.select(load, None, [team, *dash_outputs, *assign["refresh_outputs"], *review["refresh_outputs"]])
    team.input(show, [team], dash_outputs)
    assign["created"].then(show, [team], dash_outputs)  # the dashboard follows a new assignment
    export.click(on_export, [team], csv_file)
    ctx.refs["team"] = {
        "tab": tab,
        "load": load,
        "load_outputs": [team, *dash_outputs, *assign["refresh_outputs"], *review["refresh_outputs"]],
    }
