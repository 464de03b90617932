"""The manager's assignment form and list (the services decide who may assign what to whom)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import gradio as gr

from simulator.errors import SparringError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.services.assignments import AssignmentError
from simulator.web.practice_page import scenario_choices
from simulator.web.text import esc, short
from simulator.web.ui_common import PageContext, table

LIST_HEADERS = ["Drill", "Difficulty", "Assigned to", "Due", "Min score", "Max attempts", "Done", "Note"]
KIND_LABELS = [("A rep", "user"), ("A team", "team"), ("A cohort", "cohort")]


def target_choices(services: AppServices, actor: User, kind: str) -> list[tuple[str, str]]:
    """Who the actor may assign to, for one kind of target."""
    if kind == "team":
        return [
            (short(t.name, 60), t.id)
            for t in services.teams.list_teams(actor)
            if t.id in services.teams.managed_team_ids(actor)
        ]
    if kind == "cohort":
        return [
            (short(c.name, 60), c.id)
            for c in services.cohorts.list_cohorts(actor)
            if services.cohorts.can_assign(actor, c.id)
        ]
    seen: dict[str, str] = {}
    for team_id in sorted(services.teams.managed_team_ids(actor)):
        for u in services.teams.members(actor, team_id):
            seen[u.id] = f"{short(u.label, 40)} ({u.username})"
    return sorted(((label, uid) for uid, label in seen.items()), key=lambda x: x[0].lower())


def parse_form(due: str | None, min_score: Any, max_attempts: Any) -> tuple[dt.date | None, float | None, int | None]:
    """Turn the form's text and numbers into values, with a clear message for each bad one."""
    due_date = None
    if due and str(due).strip():
        try:
            due_date = dt.date.fromisoformat(str(due).strip()[:10])
        except ValueError:
            raise AssignmentError("Write the due date as YYYY-MM-DD, e.g. 2026-12-01 (or leave it empty).") from None
    score = None
    if min_score is not None and str(min_score).strip():
        try:
            score = float(str(min_score).strip())
        except (TypeError, ValueError):
            raise AssignmentError("The minimum score must be a number from 0 to 100.") from None
        if score != score:  # NaN
            raise AssignmentError("The minimum score must be a number from 0 to 100.")
    attempts = None
    if max_attempts is not None and str(max_attempts).strip():
        try:
            value = float(str(max_attempts).strip())
        except (TypeError, ValueError):
            raise AssignmentError("Maximum attempts must be a whole number (or empty for no limit).") from None
        if value != value or value != int(value):
            raise AssignmentError("Maximum attempts must be a whole number (or empty for no limit).")
        attempts = int(value)
    return due_date, score, attempts


def create(
    services: AppServices,
    actor: User,
    scenario_id: str | None,
    difficulty: str | None,
    kind: str | None,
    target_id: str | None,
    due: str | None,
    min_score: Any,
    max_attempts: Any,
    note: str | None,
) -> str:
    """Create an assignment from the form; returns a status line (✓ or ⚠ with the reason)."""
    try:
        due_date, score, attempts = parse_form(due, min_score, max_attempts)
        item = services.assignments.create(
            actor,
            scenario_id=scenario_id or "",
            difficulty=difficulty or "",
            target_kind=kind or "",
            target_id=target_id or "",
            due_date=due_date,
            min_score=score,
            max_attempts=attempts,
            note=note or "",
        )
    except SparringError as exc:
        return f"⚠ {esc(exc)}"
    s = services.practice.library.scenarios.get(item.scenario_id)
    who = len(services.assignments.assignee_ids(item))
    return f"✓ Assigned **{esc(s.title if s else item.scenario_id)}** ({item.difficulty}) to {who} rep(s)."


def assignment_rows(services: AppServices, actor: User) -> list[list[Any]]:
    """Every assignment the actor manages, with how many assignees are done."""
    lib = services.practice.library
    names = {
        **{t.id: t.name for t in services.teams.list_teams(actor)},
        **{c.id: c.name for c in services.cohorts.list_cohorts(actor)},
    }
    rows = []
    for a in services.assignments.visible(actor):
        ids = services.assignments.assignee_ids(a)
        done = sum(1 for uid in ids if services.assignments.progress(a, uid).done)
        if a.target_kind == "user":
            u = services.accounts.get(a.target_id)
            target = f"rep: {u.label if u else '?'}"
        else:
            target = f"{a.target_kind}: {names.get(a.target_id, '?')}"
        s = lib.scenarios.get(a.scenario_id)
        rows.append(
            [
                short(s.title if s else a.scenario_id, 50),
                a.difficulty,
                short(target, 50),
                a.due_date.isoformat() if a.due_date else "",
                "" if a.min_score is None else f"{a.min_score:g}",
                a.max_attempts or "",
                f"{done}/{len(ids)}",
                short(a.note, 60),
            ]
        )
    return rows


def suggestion_choices(services: AppServices, actor: User) -> list[tuple[str, str]]:
    """Drills suggested from each rep's weakest competency; values are 'user|scenario|difficulty'."""
    lib = services.practice.library
    out = []
    for team_id in sorted(services.teams.managed_team_ids(actor)):
        for sug in services.dashboards.suggestions(actor, team_id):
            scen = lib.scenarios.get(sug.scenario_id)
            label = (
                f"{short(sug.user.label, 30)}: {short(scen.title if scen else sug.scenario_id, 50)} "
                f"({sug.difficulty}) — {sug.why}"
            )
            out.append((label, f"{sug.user.id}|{sug.scenario_id}|{sug.difficulty}"))
    return out


def build_assign_section(ctx: PageContext) -> dict[str, Any]:
    """The 'Assignments' sub-tab of the Team tab; returns components the Team tab refreshes."""
    services = ctx.services
    choices = scenario_choices(services)
    with gr.Tab("Assignments", id="team-assign"):
        suggest = gr.Dropdown(
            choices=[],
            label="Suggestions from each rep's weakest competency (fills the form)",
            elem_id="assign-suggest",
        )
        with gr.Row():
            scenario = gr.Dropdown(
                choices=choices,
                value=choices[0][1] if choices else None,
                label="Scenario",
                elem_id="assign-scenario",
            )
            difficulty = gr.Radio(
                ["easy", "medium", "hard"], value="medium", label="Difficulty", elem_id="assign-difficulty"
            )
        with gr.Row():
            kind = gr.Radio(KIND_LABELS, value="user", label="Assign to", elem_id="assign-kind")
            target = gr.Dropdown(choices=[], label="Who", elem_id="assign-target")
        with gr.Row():
            due = gr.Textbox(label="Due date (YYYY-MM-DD, optional)", elem_id="assign-due")
            min_score = gr.Textbox(label="Minimum score (0–100, optional)", placeholder="e.g. 70", elem_id="assign-min")
            max_attempts = gr.Textbox(label="Maximum attempts (optional)", placeholder="e.g. 3", elem_id="assign-max")
        note = gr.Textbox(label="Note to the rep (optional)", max_lines=3, elem_id="assign-note")
        create_btn = gr.Button("Assign", variant="primary", elem_id="assign-create")
        status = gr.Markdown(elem_id="assign-status")
        listing = gr.Dataframe(
            headers=LIST_HEADERS, interactive=False, wrap=True, label="Assignments", elem_id="assign-list"
        )

    def on_kind(k: str, request: gr.Request) -> Any:
        options = target_choices(services, ctx.actor(request), k)
        return gr.Dropdown(choices=options, value=options[0][1] if options else None)

    def on_create(
        scenario_id: str | None,
        diff: str | None,
        k: str | None,
        target_id: str | None,
        due_text: str | None,
        score: Any,
        attempts: Any,
        note_text: str | None,
        request: gr.Request,
    ) -> tuple[Any, Any]:
        actor = ctx.actor(request)
        if scenario_id and not services.drills.may_play(actor, scenario_id):
            refused = "⚠ That drill is not one of your teams' drills."
            return refused, table(assignment_rows(services, actor), LIST_HEADERS)
        message = create(services, actor, scenario_id, diff, k, target_id, due_text, score, attempts, note_text)
        return message, table(assignment_rows(services, actor), LIST_HEADERS)

    def refresh(request: gr.Request) -> tuple[Any, Any, Any, Any]:
        actor = ctx.actor(request)
        options = target_choices(services, actor, "user")
        drills = scenario_choices(services, actor)  # the library and the actor's teams' published drills
        return (
            gr.Dropdown(choices=options, value=options[0][1] if options else None),
            table(assignment_rows(services, actor), LIST_HEADERS),
            gr.Dropdown(choices=suggestion_choices(services, actor), value=None),
            gr.Dropdown(choices=drills),
        )

    def on_suggest(value: str | None, request: gr.Request) -> tuple[Any, ...]:
        parts = (value or "").split("|")
        if len(parts) != 3:
            return gr.update(), gr.update(), gr.update(), gr.update()
        options = target_choices(services, ctx.actor(request), "user")
        return (
            gr.Dropdown(value=parts[1]),
            gr.Radio(value=parts[2]),
            gr.Radio(value="user"),
            gr.Dropdown(choices=options, value=parts[0]),
        )

    kind.input(on_kind, [kind], target)
    suggest.input(on_suggest, [suggest], [scenario, difficulty, kind, target])
    created = create_btn.click(
        on_create, [scenario, difficulty, kind, target, due, min_score, max_attempts, note], [status, listing]
    )
    return {
        "created": created,
        "refresh": refresh,
        "refresh_outputs": [target, listing, suggest, scenario],
        "form": [scenario, difficulty, kind, target],
        "kind": kind,
    }
