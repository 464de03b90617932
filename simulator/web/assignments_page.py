"""The rep's Assignments tab: what their manager assigned, progress, and a button to start one."""

from __future__ import annotations

from typing import Any

import gradio as gr

from simulator.errors import SparringError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.services.assignments import Progress
from simulator.web.text import short
from simulator.web.ui_common import PageContext, table

HEADERS = ["Drill", "Difficulty", "Due", "Min score", "Attempts", "Best", "Status", "Note"]
STATUS_ICON = {
    "done": "✓ done",
    "open": "open",
    "overdue": "⚠ overdue",
    "out of attempts": "✗ out of attempts",
}


def progress_row(services: AppServices, p: Progress) -> list[Any]:
    """One table row of an assignment's progress."""
    a = p.assignment
    s = services.practice.library.scenarios.get(a.scenario_id)
    attempts = f"{p.attempts}" + (f" / {a.max_attempts}" if a.max_attempts else "")
    return [
        short(s.title if s else a.scenario_id, 60),
        a.difficulty,
        a.due_date.isoformat() if a.due_date else "",
        "" if a.min_score is None else f"{a.min_score:g}",
        attempts,
        "" if p.best_score is None else f"{p.best_score:.0f}",
        STATUS_ICON.get(p.status, p.status),
        short(a.note, 80),
    ]


def my_assignments(services: AppServices, actor: User) -> tuple[list[list[Any]], list[tuple[str, str]]]:
    """(rows, choices of the ones that can still be started)."""
    items = services.assignments.for_user(actor)
    rows = [progress_row(services, p) for p in items]
    lib = services.practice.library
    choices = []
    for p in items:
        if p.status in ("open", "overdue"):
            s = lib.scenarios.get(p.assignment.scenario_id)
            due = f" · due {p.assignment.due_date.isoformat()}" if p.assignment.due_date else ""
            choices.append(
                (
                    f"{short(s.title if s else p.assignment.scenario_id, 50)} · {p.assignment.difficulty}{due}",
                    p.assignment.id,
                )
            )
    return rows, choices


def build_assignments_tab(ctx: PageContext) -> None:
    """Lay out the rep's Assignments tab (needs the Practice tab built first)."""
    services = ctx.services
    practice = ctx.refs["practice"]
    with gr.Tab("My assignments", id="assignments", visible=False) as tab:
        refresh = gr.Button("Refresh", size="sm")
        rows = gr.Dataframe(
            headers=HEADERS, interactive=False, wrap=True, label="Assigned to you", elem_id="my-assignments"
        )
        with gr.Row():
            pick = gr.Dropdown(choices=[], label="Start an assignment", elem_id="assignment-pick", scale=3)
            go = gr.Button("Start this drill", variant="primary", elem_id="assignment-start", scale=1)

    def load(request: gr.Request) -> tuple[Any, Any]:
        data, choices = my_assignments(services, ctx.actor(request))
        return table(data, HEADERS), gr.Dropdown(choices=choices, value=choices[0][1] if choices else None)

    def start(assignment_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        if not assignment_id:
            raise gr.Error("Choose an assignment first.")
        try:
            item = services.assignments.start_check(ctx.actor(request), assignment_id)
        except SparringError as exc:
            raise gr.Error(str(exc)) from None
        return practice["pick"](item.scenario_id, item.difficulty)

    refresh.click(load, None, [rows, pick])
    tab.select(load, None, [rows, pick])
    go.click(start, [pick], practice["picker"]).success(
        practice["start"], practice["start_inputs"], practice["outputs"]
    )
    ctx.refs["assignments"] = {"tab": tab, "load": load, "outputs": [rows, pick]}
