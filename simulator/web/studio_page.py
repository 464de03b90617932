"""The Drill studio tab (managers and admins): build a team's own drill in forms, check, publish,
roll back and export it. Thin handlers over :class:`simulator.services.drills.DrillService`, which
checks every permission (a rep, or a manager of another team, is refused there, whatever the page
shows); the form's mapping to the drill's JSON is :mod:`simulator.web.drill_form`."""

from __future__ import annotations

import re
from typing import Any

import gradio as gr

from simulator.content.validate import known_competencies
from simulator.errors import SparringError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.services.drills import CheckReport, Validation
from simulator.store.drills import DraftRecord, VersionRecord
from simulator.web.drill_form import FIELDS, SECTIONS, from_form, to_form
from simulator.web.practice_page import brief_text, rubric_markdown
from simulator.web.text import esc, pretty_id, short, when
from simulator.web.ui_common import PageContext, table

VERSION_HEADERS = ["Version", "Published", "By", "Reps get it", "Note"]
INTRO = (
    "Build your team's own drill: clone a library drill or one of your team's, edit the buyer and the "
    "scenario, **Check** it (a scripted strong rep must win and a weak one lose at every difficulty), then "
    "**Publish**. Your team's reps see the published version on the Practice tab; every publish is a new "
    "version, and sessions keep the version they were played on."
)


def _problems_markdown(found: Validation, next_step: str = "**Check** it next.") -> str:
    if not found.problems:
        return f"✓ No problems found. {next_step}".strip()
    lines = [f"**{len(found.problems)} problem(s) to fix:**"]
    lines += [f"- **{esc(p.part)} · {esc(p.field)}**: {esc(p.message)}" for p in found.problems[:40]]
    return "\n".join(lines)


def report_markdown(report: CheckReport | None, current: bool = True, published: int | None = None) -> str:
    """The last check as the manager reads it."""
    if report is None:
        return "Not checked yet."
    head = "✓ **Check passed.**" if report.passed else "✗ **Check failed.**"
    if not current:
        head += " The drill changed since: **check it again** before publishing."
    elif report.passed:
        head += f" Published as version {published}." if published else " You can publish it."
    out = [f"{head} ({when(report.at)})"]
    out += [f"- {esc(p)}" for p in report.problems]
    if report.runs:
        out += ["", "| rep | difficulty | result | turns | as expected |", "|---|---|---|---|---|"]
        out += [f"| {r.rep} | {r.difficulty} | {'won' if r.success else 'lost'} | {r.rep_turns} | "
                f"{'✓' if r.as_expected else '✗'} |" for r in report.runs]
    out += ["", f"**Sample conversation:** {esc(report.sample_note)}"]
    for turn in report.sample or []:
        out.append(f"> **{'Rep' if turn['speaker'] == 'rep' else 'Buyer'}:** {esc(turn['text'])}")
    return "\n".join(out)


def preview(found: Validation, difficulty: str) -> tuple[str, str]:
    """The brief and the rubric exactly as the Practice tab shows them to a rep."""
    if found.persona is None or found.scenario is None:
        return "Fix the problems above to see the brief.", ""
    return brief_text(found.scenario, found.persona, difficulty), rubric_markdown(found.scenario)


def version_rows(services: AppServices, versions: list[VersionRecord]) -> list[list[Any]]:
    rows = []
    for v in versions:
        author = services.accounts.get(v.author_id) if v.author_id else None
        note = f"rolled back to version {v.source_version}" if v.source_version else ""
        rows.append([v.version, when(v.created_at), author.label if author else "", "yes" if v.published else "",
                     note])
    return rows


def drill_choices(services: AppServices, actor: User, team_id: str | None) -> list[tuple[str, str]]:
    out = []
    for d in services.drills.summaries(actor):
        if d.draft.team_id == team_id:
            state = f"v{d.current_version} published" if d.current_version else "draft"
            out.append((f"{short(d.title, 70)} · {state}", d.draft.id))
    return out


def build_studio_tab(ctx: PageContext) -> None:
    """Lay out the Drill studio tab and wire its events (registers ``ctx.refs['studio']``)."""
    services = ctx.services
    comps: list[Any] = []
    with gr.Tab("Drill studio", id="studio", visible=False) as tab:
        gr.Markdown(INTRO)
        with gr.Row():
            team = gr.Dropdown(choices=[], label="Team", elem_id="studio-team", scale=1)
            drill = gr.Dropdown(choices=[], label="Drill", elem_id="studio-drill", scale=2)
        with gr.Row():
            source = gr.Dropdown(choices=[], label="New drill from", elem_id="studio-source", scale=2)
            clone = gr.Button("Clone into a new draft", elem_id="studio-clone", scale=1)
        drill_id = gr.Textbox(visible=False, elem_id="studio-drill-id")
        status = gr.Markdown(elem_id="studio-status")
        with gr.Row():
            save = gr.Button("Save draft", elem_id="studio-save")
            check = gr.Button("Check", variant="primary", elem_id="studio-check")
            publish = gr.Button("Publish", variant="primary", elem_id="studio-publish")
        problems = gr.Markdown(elem_id="studio-problems")
        with gr.Tabs():
            for section in SECTIONS:
                with gr.Tab(section):
                    for f in FIELDS:
                        if f.section == section:
                            comps.append(_component(f))
            with gr.Tab("Preview", id="studio-preview-tab"):
                level = gr.Radio(["easy", "medium", "hard"], value="medium", label="Difficulty",
                                 elem_id="studio-preview-level")
                brief = gr.Markdown(elem_id="studio-brief")
                with gr.Accordion("Rubric: what this call is graded on", open=True):
                    rubric = gr.Markdown(elem_id="studio-rubric")
            with gr.Tab("Check and versions", id="studio-versions-tab"):
                report = gr.Markdown(elem_id="studio-report")
                versions = gr.Dataframe(headers=VERSION_HEADERS, interactive=False, label="Versions",
                                        elem_id="studio-versions")
                with gr.Row():
                    version = gr.Dropdown(choices=[], label="Version", elem_id="studio-version",
                                          allow_custom_value=True)  # checked by the handler and the service
                    rollback = gr.Button("Roll back to this version", elem_id="studio-rollback")
                    export = gr.Button("Export as YAML (zip)", elem_id="studio-export")
                link = gr.Markdown(elem_id="studio-export-link")
    ordered = comps  # FIELDS are listed section by section, in SECTIONS order

    def actor_of(request: gr.Request) -> User:
        return ctx.actor(request)

    def draft_of(actor: User, did: str | None) -> DraftRecord:
        try:
            return services.drills.get(actor, did or "")
        except SparringError as exc:
            raise gr.Error(str(exc)) from None

    def show(actor: User, draft: DraftRecord | None, note: str, diff: str = "medium") -> tuple[Any, ...]:
        """[drill, drill_id, status, problems, brief, rubric, report, versions, version, *fields]."""
        if draft is None:
            blank = [gr.update() for _ in FIELDS]
            return (gr.Dropdown(choices=[], value=None), "", note, "", "", "", "", table([], VERSION_HEADERS),
                    gr.Dropdown(choices=[], value=None), *blank)
        found = services.drills.validate(draft.persona, draft.scenario, team_id=draft.team_id, drill_id=draft.id)
        b, r = preview(found, diff)
        last = CheckReport.from_dict(draft.check_report) if draft.check_report else None
        vers = services.drills.versions(actor, draft.id)
        options = [(f"version {v.version}", str(v.version)) for v in vers]
        listed = gr.Dropdown(choices=drill_choices(services, actor, draft.team_id), value=draft.id)
        live = next((v for v in vers if v.published and v.content_hash == draft.content_hash), None)
        step = ("" if live else "**Publish** it when ready." if draft.check_is_current and draft.check_passed
                else "**Check** it next.")
        shown_report = report_markdown(last, draft.check_is_current, live.version if live else None)
        return (listed, draft.id, note, _problems_markdown(found, step), b, r, shown_report,
                table(version_rows(services, vers), VERSION_HEADERS),
                gr.Dropdown(choices=[("the draft", ""), *options], value=""),
                *to_form(draft.persona, draft.scenario))

    shown = [drill, drill_id, status, problems, brief, rubric, report, versions, version, *ordered]

    def load(did: str | None, request: gr.Request) -> tuple[Any, ...]:
        actor = actor_of(request)
        try:
            teams = services.drills.manageable_teams(actor)
        except SparringError as exc:
            raise gr.Error(str(exc)) from None
        sources = gr.Dropdown(choices=services.drills.clone_sources(actor), value=None)
        if did:  # back from another tab: keep the drill open, with any edits not saved yet
            try:
                draft = services.drills.get(actor, did)
            except SparringError:
                draft = None
            if draft is not None:
                listed = gr.Dropdown(choices=drill_choices(services, actor, draft.team_id), value=draft.id)
                return (gr.Dropdown(choices=teams, value=draft.team_id), sources, listed,
                        *(gr.update() for _ in shown[1:]))
        team_id = teams[0][1] if teams else None
        options = drill_choices(services, actor, team_id)
        first = options[0][1] if options else None
        draft = services.drills.get(actor, first) if first else None
        note = "" if teams else "You manage no team yet: an admin makes you a team's manager."
        return (gr.Dropdown(choices=teams, value=team_id), sources, *show(actor, draft, note))

    def on_team(team_id: str | None, request: gr.Request) -> tuple[Any, ...]:
        actor = actor_of(request)
        options = drill_choices(services, actor, team_id)
        first = options[0][1] if options else None
        draft = draft_of(actor, first) if first else None
        return show(actor, draft, "")

    def on_open(did: str | None, request: gr.Request) -> tuple[Any, ...]:
        actor = actor_of(request)
        return show(actor, draft_of(actor, did), "")

    def on_clone(team_id: str | None, src: str | None, request: gr.Request) -> tuple[Any, ...]:
        actor = actor_of(request)
        if not team_id or not src:
            raise gr.Error("Pick a team and a drill to start from.")
        try:
            draft = services.drills.clone(actor, team_id, src)
        except SparringError as exc:
            raise gr.Error(str(exc)) from None
        return show(actor, draft, f"New draft **{esc(draft.scenario.get('title'))}**: edit it, then Check.")

    def current(actor: User, did: str, values: tuple[Any, ...]) -> tuple[DraftRecord, dict[str, Any], dict[str, Any]]:
        draft = draft_of(actor, did)
        persona, scenario = from_form(draft.persona, draft.scenario, list(values))
        return draft, persona, scenario

    def on_live(request: gr.Request, did: str | None, diff: str, *values: Any) -> tuple[str, str, str]:
        """Live validation of what is in the form (nothing saved)."""
        if not did:
            return "", "", ""
        actor = actor_of(request)
        draft, persona, scenario = current(actor, did, values)
        found = services.drills.validate(persona, scenario, team_id=draft.team_id, drill_id=draft.id)
        return (_problems_markdown(found), *preview(found, diff))

    def save_form(actor: User, did: str | None, values: tuple[Any, ...]) -> DraftRecord:
        if not did:
            raise gr.Error("Clone a drill first (New drill from … → Clone).")
        draft, persona, scenario = current(actor, did, values)
        try:
            services.drills.save(actor, draft.id, persona, scenario)
        except SparringError as exc:
            raise gr.Error(str(exc)) from None
        return draft_of(actor, draft.id)

    def on_save(request: gr.Request, did: str | None, diff: str, *values: Any) -> tuple[Any, ...]:
        actor = actor_of(request)
        draft = save_form(actor, did, values)
        return show(actor, draft, "Saved.", diff)

    def on_check(request: gr.Request, did: str | None, diff: str, *values: Any) -> tuple[Any, ...]:
        actor = actor_of(request)
        draft = save_form(actor, did, values)
        try:
            result = services.drills.check(actor, draft.id)
        except SparringError as exc:
            raise gr.Error(str(exc)) from None
        note = "✓ Check passed: you can publish it." if result.passed else "✗ Check failed: see below."
        return show(actor, draft_of(actor, draft.id), note, diff)

    def on_publish(request: gr.Request, did: str | None, diff: str, *values: Any) -> tuple[Any, ...]:
        actor = actor_of(request)
        draft = save_form(actor, did, values)  # what is on screen is what gets published (or refused)
        try:
            published = services.drills.publish(actor, draft.id)
        except SparringError as exc:
            return show(actor, draft_of(actor, draft.id), f"⚠ {esc(exc)}", diff)
        return show(actor, draft_of(actor, draft.id),
                    f"Published **version {published.version}**: your team's reps see it on the Practice tab.", diff)

    def on_rollback(did: str | None, chosen: str | None, request: gr.Request) -> tuple[Any, ...]:
        actor = actor_of(request)
        draft = draft_of(actor, did)
        if not chosen or not re.fullmatch(r"\d{1,6}", str(chosen)):
            return show(actor, draft, "Pick a published version to roll back to.")
        try:
            new = services.drills.rollback(actor, draft.id, int(chosen))
        except SparringError as exc:
            return show(actor, draft, f"⚠ {esc(exc)}")
        return show(actor, draft, f"Version {esc(chosen)} is current again (published as version {new.version}).")

    def on_export(did: str | None, chosen: str | None, request: gr.Request) -> str:
        actor = actor_of(request)
        draft = draft_of(actor, did)
        number = int(chosen) if chosen and re.fullmatch(r"\d{1,6}", str(chosen)) else None
        try:
            data = services.drills.export_zip(actor, draft.id, number)
        except SparringError as exc:
            raise gr.Error(str(exc)) from None
        name = f"{draft.scenario.get('id', 'drill')}{f'-v{number}' if number else ''}.zip"
        export_id = services.exports.create(actor, name, data)
        minutes = max(1, round(services.exports.ttl_s / 60))
        return (f"[⬇ Download {esc(name)}](/exports/{export_id}) — personas/ and scenarios/ YAML that "
                f"`sparring validate` checks; for you only, once, within {minutes} minutes.")

    head = [team, source]
    tab.select(load, [drill_id], [*head, *shown])
    team.input(on_team, [team], shown)
    drill.input(on_open, [drill], shown)
    clone.click(on_clone, [team, source], shown)
    form_inputs = [drill_id, level, *ordered]
    live_out = [problems, brief, rubric]
    gr.on([*(c.blur for c in ordered if isinstance(c, gr.Textbox | gr.Number)),
           *(c.input for c in ordered if not isinstance(c, gr.Textbox | gr.Number)),
           level.input], on_live, form_inputs, live_out, trigger_mode="always_last", show_progress="hidden")
    save.click(on_save, form_inputs, shown)
    check.click(on_check, form_inputs, shown)
    publish.click(on_publish, form_inputs, shown)
    rollback.click(on_rollback, [drill_id, version], shown)
    export.click(on_export, [drill_id, version], link)
    ctx.refs["studio"] = {"tab": tab, "load": load}


def _component(f: Any) -> Any:
    elem = "studio-" + f.key.replace(".", "-").replace("_", "-")
    info = f.info or None
    if f.kind == "table":
        return gr.Dataframe(headers=list(f.columns), datatype="str", interactive=True, wrap=True, label=f.label,
                            elem_id=elem)
    if f.kind in ("long", "lines"):
        return gr.Textbox(label=f.label, lines=3, max_lines=12, elem_id=elem, info=info)
    if f.kind in ("float", "int"):
        return gr.Number(label=f.label, precision=0 if f.kind == "int" else None, elem_id=elem, info=info)
    if f.kind == "bool":
        return gr.Checkbox(label=f.label, elem_id=elem, info=info)
    if f.kind == "choice":
        return gr.Dropdown(choices=list(f.choices), label=f.label, elem_id=elem, info=info)
    if f.kind == "multi":
        return gr.CheckboxGroup(choices=[(pretty_id(c), c) for c in known_competencies()], label=f.label, elem_id=elem)
    return gr.Textbox(label=f.label, elem_id=elem, info=info)
