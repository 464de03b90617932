"""Peer review on the page (docs/peer-review.md): the Peer review tab, the share controls and the
side-by-side view under a call, and the review-activity block of the manager's dashboard.

Thin handlers over :class:`~simulator.services.peer_review.PeerReviewService`, which checks every
permission itself: the lists below only offer what the service would accept.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import gradio as gr

from simulator.content.competencies import COMPETENCY_IDS
from simulator.errors import SparringError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.services.peer_review import Comparison, CompetencyReview, Review, ReviewSheet
from simulator.web.text import esc, pretty_id, short, when
from simulator.web.ui_common import PageContext, table

SLOTS = len(COMPETENCY_IDS)
"""One form block per competency a drill can have (the drill's rubric fills the first ones)."""
NOT_SHOWN = 0
"""The level radio's value for 'not shown in this call'."""
SHARED_HEADERS = ["Shared", "Rep", "Call", "Score", "Shared with", "Your review"]
ACTIVITY_HEADERS = ["Rep", "Calls shared", "Reviews given", "Reviews received", "Waiting for their review"]
QUOTE = 160


# ---------------------------------------------------------------------------------------- plain functions


def call_title(services: AppServices, record: Any) -> str:
    scenario = services.practice.library.scenarios.get(record.scenario_id)
    return short(scenario.title if scenario else pretty_id(record.scenario_id), 60)


def shared_list(services: AppServices, actor: User) -> tuple[list[list[Any]], list[tuple[str, str]]]:
    """(table rows, picker choices) of the calls shared with the actor."""
    rows, choices = [], []
    for call in services.peer_review.shared_with_me(actor):
        title = call_title(services, call.record)
        score = call.record.overall_score
        rows.append(
            [when(call.shared_at), short(call.owner.label, 40), f"{title} · {call.record.difficulty}",
             "" if score is None else f"{score:.0f}", call.via, call.status]
        )
        choices.append((f"{short(call.owner.label, 30)} · {title} · {when(call.record.created_at)} · {call.status}",
                        call.record.id))
    return rows, choices


def transcript_chat(turns: list[Any]) -> list[dict[str, Any]]:
    """The call as chat bubbles, each with its turn number (what reviewers cite)."""
    return [
        {
            "role": "assistant" if t["speaker"] == "buyer" else "user",
            "content": f"<sub>turn {t['index']} · {'buyer' if t['speaker'] == 'buyer' else 'rep'}</sub>\n\n"
            f"{esc(t['text'], keep_lines=True)}",
        }
        for t in turns
    ]


def line_choices(turns: list[Any], speaker: str) -> list[tuple[str, int]]:
    return [(f"turn {t['index']}: {short(t['text'], 90)}", int(t["index"])) for t in turns if t["speaker"] == speaker]


def level_choices(levels: list[str]) -> list[tuple[str, int]]:
    return [("Not shown in this call", NOT_SHOWN)] + [(f"{i} — {short(text, 110)}", i) for i, text in
                                                       enumerate(levels, 1)]


def review_markdown(review: Review, turns: Mapping[int, Any], names: Mapping[str, str]) -> str:
    """One review in words: each competency's level, comment and cited lines; buyer moments; overall."""
    head = f"**{esc(review.reviewer_name)}**" + (
        f" — submitted {when(review.submitted_at)}" if review.submitted else " — draft (not visible to the rep yet)"
    )
    out = [head]
    if review.comment:
        out.append(f"> {esc(review.comment, keep_lines=True)}")
    for cid, item in review.competencies.items():
        level = "not shown in this call" if item.level is None else f"level {item.level}"
        line = f"- *{esc(names.get(cid, pretty_id(cid)))}* — {level}"
        if item.comment:
            line += f": {esc(item.comment, keep_lines=True)}"
        out.append(line)
        for t in item.turns:
            turn = turns.get(t)
            if turn is not None:
                out.append(f"  - turn {t} (rep): “{esc(turn['text'], limit=QUOTE)}”")
    if review.moments:
        out.append("- *Buyer moments to look at:*")
        for t in review.moments:
            turn = turns.get(t)
            if turn is not None:
                out.append(f"  - turn {t} (buyer): “{esc(turn['text'], limit=QUOTE)}”")
    return "\n".join(out)


def comparison_markdown(cmp: Comparison) -> str:
    """Automatic and peer scores side by side, per competency, then every review in full."""
    if not cmp.reviews:
        return ("_No peer review yet. Share the call with a teammate: their scores appear here beside the automatic "
                "ones._")
    names = [esc(short(r.reviewer_name, 24)) for r in cmp.reviews]
    out = [
        "| Competency | Automatic | " + " | ".join(names) + " | Peers' mean | Gap |",
        "|---|---|" + "---|" * len(names) + "---|---|",
    ]

    def cell(v: float | int | None) -> str:
        return "—" if v is None else f"{v:g}"

    for row in cmp.rows:
        gap = row.gap
        flag = "" if gap is None or abs(gap) < 1 else ("peers see it higher" if gap > 0 else "peers see it lower")
        mean = row.peer_mean
        out.append(
            f"| {esc(row.name)} | {cell(row.automatic)} | " + " | ".join(cell(p) for p in row.peers)
            + f" | {'—' if mean is None else f'{mean:.1f}'} | {flag} |"
        )
    out.append("\n_Levels 1–5 on the same rubric; — = not scored (automatic) or not shown in this call (peer). "
               "A difference of a level or more is worth talking through._\n")
    names_by_id = {row.competency_id: row.name for row in cmp.rows}
    out += [review_markdown(r, cmp.transcript, names_by_id) + "\n" for r in cmp.reviews]
    return "\n".join(out)


def shares_markdown(services: AppServices, actor: User, session_id: str) -> tuple[str, list[tuple[str, str]]]:
    """(who the call is shared with, choices for 'stop sharing')."""
    infos = services.peer_review.shares(actor, session_id)
    if not infos:
        return "_Not shared with anyone yet._", []
    lines = [f"- {esc(i.target)} — shared {when(i.share.shared_at)} by {esc(i.by)}" for i in infos]
    return "**Shared with:**\n" + "\n".join(lines), [(short(i.target, 60), i.share.id) for i in infos]


# ---------------------------------------------------------------------------------------- the Peer review tab


def _slot_updates(sheet: ReviewSheet | None) -> list[Any]:
    """For each slot: group visibility, header, level radio, cited-lines box, comment."""
    out: list[Any] = []
    entries = sheet.rubric if sheet else []
    turns = sheet.transcript if sheet else []
    own = sheet.review.competencies if sheet and sheet.review else {}
    rep_lines = line_choices(turns, "rep")
    for i in range(SLOTS):
        if i >= len(entries):
            out += [gr.update(visible=False), "", gr.update(value=None), gr.update(value=[]), gr.update(value="")]
            continue
        e = entries[i]
        mine = own.get(e.id)
        level = None if mine is None else (NOT_SHOWN if mine.level is None else mine.level)
        header = (f"#### {esc(e.name)}" + (" · trained in this drill" if e.trained else "")
                  + f"\n{esc(e.description)}  \n_Weight in this drill: {e.weight:.0%}_")
        out += [
            gr.update(visible=True),
            header,
            gr.update(choices=level_choices(e.levels), value=level),
            gr.update(choices=rep_lines, value=list(mine.turns) if mine else []),
            gr.update(value=mine.comment if mine else ""),
        ]
    return out


def open_sheet(services: AppServices, actor: User, session_id: str | None) -> tuple[Any, ...]:
    """Everything the tab shows for one call: title, transcript, form slots, moments, comment, buttons,
    status and the actor's own review."""
    if not session_id:
        return ("Choose a call from the list.", [], *_slot_updates(None), gr.update(choices=[], value=[]), "",
                gr.update(visible=False), "", "")
    try:
        sheet = services.peer_review.sheet(actor, session_id)
    except SparringError as exc:
        return (f"⚠ {esc(exc)}", [], *_slot_updates(None), gr.update(choices=[], value=[]), "",
                gr.update(visible=False), "", "")
    rec = sheet.record
    persona = services.practice.library.personas.get(rec.persona_id)
    title = (f"### {esc(call_title(services, rec))}\n{esc(sheet.owner.label)}'s call with "
             f"{esc(persona.name if persona else pretty_id(rec.persona_id))} · {esc(rec.difficulty)} · "
             f"{when(rec.created_at)} · {len(sheet.transcript)} turns\n\n"
             "Read the call, then score each competency on the rubric: pick the level that describes what the "
             "rep did, tick the rep's lines that show it and say why. The automatic score stays hidden until you "
             "submit, so it does not sway you.")
    review = sheet.review
    names = {e.id: e.name for e in sheet.rubric}
    turns = {t["index"]: t for t in sheet.transcript}
    mine = review_markdown(review, turns, names) if review and review.submitted else ""
    if review and review.submitted:
        mine = "### Your review\n" + mine
    status = f"_{esc(sheet.why_not)}_" if sheet.why_not else ("_Draft saved " + when(review.updated_at) + "._"
                                                               if review else "")
    form = sheet.can_review
    return (
        title,
        transcript_chat(sheet.transcript),
        *(_slot_updates(sheet) if form else _slot_updates(None)),
        gr.update(choices=line_choices(sheet.transcript, "buyer"), value=list(review.moments) if review else []),
        review.comment if review and form else "",
        gr.update(visible=form),
        status,
        mine,
    )


def save_review(
    services: AppServices, actor: User, session_id: str | None, values: list[Any], moments: list[Any] | None,
    comment: str, *, submit: bool,
) -> str:
    """Save (or submit) the form; ``values`` is (level, turns, comment) per slot. Returns a status line."""
    if not session_id:
        return "⚠ Choose a call to review first."
    try:
        sheet = services.peer_review.sheet(actor, session_id)
        competencies: dict[str, CompetencyReview] = {}
        for i, entry in enumerate(sheet.rubric[:SLOTS]):
            level, turns, text = values[3 * i: 3 * i + 3]
            if level is None:
                continue  # unanswered
            level = int(level)
            competencies[entry.id] = CompetencyReview(None if level == NOT_SHOWN else level, list(turns or []),
                                                      str(text or ""))
        review = services.peer_review.save(actor, session_id, competencies, comment or "", moments=list(moments or []),
                                           submit=submit)
    except (SparringError, ValueError, TypeError) as exc:
        return f"⚠ {esc(exc)}"
    if review.submitted:
        return f"✓ Review submitted {when(review.submitted_at)}. {esc(sheet.owner.label)} can see it now."
    return f"✓ Draft saved {when(review.updated_at)}. Only you can see it until you submit."


def build_peer_review_tab(ctx: PageContext) -> None:
    """Lay out the Peer review tab (every role) and wire its events."""
    services = ctx.services
    with gr.Tab("Peer review", id="reviews", visible=False) as tab:
        gr.Markdown(
            "### Calls shared with you\nTeammates share finished calls for you to score on the same rubric as "
            "the automatic grader. Share one of yours from the **History** tab."
        )
        refresh = gr.Button("Refresh", size="sm", elem_id="pr-refresh")
        shared = gr.Dataframe(headers=SHARED_HEADERS, interactive=False, label="Shared with me", elem_id="pr-shared")
        pick = gr.Dropdown(choices=[], label="Review a call", allow_custom_value=True, elem_id="pr-pick")
        title = gr.Markdown(elem_id="pr-title")
        with gr.Row():
            chat = gr.Chatbot(label="Transcript", height=720, elem_id="pr-chat")
            with gr.Column(elem_id="pr-form"):
                slots: list[Any] = []
                for i in range(SLOTS):
                    with gr.Group(visible=False, elem_id=f"pr-slot-{i}") as group:
                        header = gr.Markdown()
                        level = gr.Radio(choices=[], label="Level", elem_id=f"pr-level-{i}")
                        cited = gr.CheckboxGroup(choices=[], label="The rep's lines that show it",
                                                 elem_id=f"pr-cited-{i}")
                        note = gr.Textbox(label="Comment", lines=2, max_lines=6, elem_id=f"pr-note-{i}")
                    slots.append((group, header, level, cited, note))
                with gr.Group(visible=False) as actions:
                    moments = gr.CheckboxGroup(choices=[], label="Buyer moments the rep should look at (optional)",
                                               elem_id="pr-moments")
                    overall = gr.Textbox(label="Overall comment: one thing to keep doing, one to change", lines=3,
                                         elem_id="pr-overall")
                    with gr.Row():
                        save = gr.Button("Save draft", elem_id="pr-save")
                        submit = gr.Button("Submit review", variant="primary", elem_id="pr-submit")
                status = gr.Markdown(elem_id="pr-status")
                mine = gr.Markdown(elem_id="pr-mine")

    slot_components = [c for slot in slots for c in slot]
    value_components = [c for _, _, level, cited, note in slots for c in (level, cited, note)]
    open_outputs = [title, chat, *slot_components, moments, overall, actions, status, mine]

    def load(current: str | None, request: gr.Request) -> tuple[Any, Any]:
        try:
            rows, choices = shared_list(services, ctx.actor(request))
        except SparringError as exc:
            raise gr.Error(str(exc)) from None
        keep = current if current in {sid for _, sid in choices} else None  # the call being reviewed stays open
        return table(rows, SHARED_HEADERS), gr.Dropdown(choices=choices, value=keep)

    def on_pick(sid: str | None, request: gr.Request) -> tuple[Any, ...]:
        return open_sheet(services, ctx.actor(request), sid)

    def on_save(data: dict[Any, Any], actor: User, submit_it: bool) -> tuple[Any, ...]:
        sid = data.get(pick)
        values = [data.get(c) for c in value_components]
        message = save_review(services, actor, sid, values, data.get(moments), data.get(overall) or "",
                              submit=submit_it)
        if message.startswith("✓") and submit_it:
            fresh = open_sheet(services, actor, sid)
            return (*fresh[:-2], message, fresh[-1])
        return (*(gr.update() for _ in open_outputs[:-2]), message, gr.update())

    def on_submit(data: dict[Any, Any], request: gr.Request) -> tuple[Any, ...]:
        return on_save(data, ctx.actor(request), True)

    def on_draft(data: dict[Any, Any], request: gr.Request) -> tuple[Any, ...]:
        return on_save(data, ctx.actor(request), False)

    form_inputs = {pick, *value_components, moments, overall}
    refresh.click(load, [pick], [shared, pick])
    tab.select(load, [pick], [shared, pick])
    pick.input(on_pick, [pick], open_outputs)
    save.click(on_draft, form_inputs, open_outputs)
    submit.click(on_submit, form_inputs, open_outputs).then(load, [pick], [shared, pick])
    ctx.refs["reviews"] = {"tab": tab}


# ---------------------------------------------------------------------------------------- under a call


def build_share_section(ctx: PageContext, pick: Any, *, prefix: str, manager: bool = False) -> None:
    """'Share with…', the shares and the side-by-side view for the call chosen in ``pick`` (the rep's
    History, or a manager's Review & coach, which can also open the call to a team)."""
    services = ctx.services
    with gr.Accordion("Peer review of this call", open=True, elem_id=f"{prefix}-peer"):
        shares_md = gr.Markdown(elem_id=f"{prefix}-shares")
        with gr.Row():
            who = gr.Dropdown(choices=[], label="Share with…", elem_id=f"{prefix}-share-who", scale=3)
            share = gr.Button("Share", elem_id=f"{prefix}-share", scale=1)
        if manager:
            with gr.Row():
                team = gr.Dropdown(choices=[], label="Open to a whole team", elem_id=f"{prefix}-share-team", scale=3)
                open_team = gr.Button("Open to the team", elem_id=f"{prefix}-open-team", scale=1)
        with gr.Row():
            stop_pick = gr.Dropdown(choices=[], label="Stop sharing with…", elem_id=f"{prefix}-unshare-who", scale=3)
            stop = gr.Button("Stop sharing", variant="stop", elem_id=f"{prefix}-unshare", scale=1)
        status = gr.Markdown(elem_id=f"{prefix}-share-status")
        compare = gr.Markdown(elem_id=f"{prefix}-compare")

    outputs = [shares_md, who, stop_pick, compare]
    if manager:
        outputs.append(team)

    def state(actor: User, sid: str | None) -> tuple[Any, ...]:
        blank: tuple[Any, ...] = ("", gr.Dropdown(choices=[], value=None), gr.Dropdown(choices=[], value=None), "")
        if manager:
            blank += (gr.Dropdown(choices=[], value=None),)
        if not sid:
            return blank
        try:
            comparison = services.peer_review.comparison(actor, sid)
            record = comparison.record
            if record.status != "ended":
                return ("_Calls can be shared once they have ended._", *blank[1:])
            md, stops = shares_markdown(services, actor, sid)
            mates = [(f"{short(u.label, 40)} ({u.username})", u.id) for u in services.peer_review.teammates(actor, sid)]
            cmp = comparison_markdown(comparison)
            teams: list[tuple[str, str]] = []
            if manager:
                managed = services.teams.managed_team_ids(actor)
                owner_teams = services.teams.team_ids_of(record.user_id or "")
                teams = [(short(t.name, 60), t.id) for t in services.teams.list_teams(actor)
                         if t.id in managed and t.id in owner_teams]
        except SparringError as exc:
            return (f"⚠ {esc(exc)}", *blank[1:])
        out: tuple[Any, ...] = (md, gr.Dropdown(choices=mates, value=None), gr.Dropdown(choices=stops, value=None),
                                "### Peer and automatic scores, side by side\n" + cmp)
        if manager:
            out += (gr.Dropdown(choices=teams, value=teams[0][1] if len(teams) == 1 else None),)
        return out

    def on_pick(sid: str | None, request: gr.Request) -> tuple[Any, ...]:
        return ("", *state(ctx.actor(request), sid))

    def act(sid: str | None, value: str | None, what: str, request: gr.Request) -> tuple[Any, ...]:
        actor = ctx.actor(request)
        try:
            if what == "share":
                services.peer_review.share_with(actor, sid or "", value)
                message = "✓ Shared. They find it on their **Peer review** tab."
            elif what == "team":
                services.peer_review.open_to_team(actor, sid or "", value)
                message = "✓ Opened to the team: every member finds it on their **Peer review** tab."
            else:
                services.peer_review.unshare(actor, value)
                message = "✓ Stopped sharing: they can no longer open this call."
        except SparringError as exc:
            return (f"⚠ {esc(exc)}", *(gr.update() for _ in outputs))
        return (message, *state(actor, sid))

    def on_share(sid: str | None, value: str | None, request: gr.Request) -> tuple[Any, ...]:
        return act(sid, value, "share", request)

    def on_stop(sid: str | None, value: str | None, request: gr.Request) -> tuple[Any, ...]:
        return act(sid, value, "stop", request)

    pick.change(on_pick, [pick], [status, *outputs])  # also when the page resets the picker
    share.click(on_share, [pick, who], [status, *outputs])
    stop.click(on_stop, [pick, stop_pick], [status, *outputs])
    if manager:

        def on_team(sid: str | None, value: str | None, request: gr.Request) -> tuple[Any, ...]:
            return act(sid, value, "team", request)

        open_team.click(on_team, [pick, team], [status, *outputs])


# ---------------------------------------------------------------------------------------- the dashboard


def activity_rows(services: AppServices, actor: User, team_id: str | None) -> list[list[Any]]:
    if not team_id:
        return []
    return [
        [short(a.user.label, 40), a.calls_shared, a.reviews_given, a.reviews_received, a.waiting]
        for a in services.peer_review.team_activity(actor, team_id)
    ]


def build_review_activity(ctx: PageContext, team: Any) -> None:
    """The dashboard's 'Peer review (last 30 days)' table, following the Team picker."""
    services = ctx.services
    frame = gr.Dataframe(headers=ACTIVITY_HEADERS, interactive=False, label="Peer review (last 30 days)",
                         elem_id="team-peer-activity")

    def show(team_id: str | None, request: gr.Request) -> Any:
        try:
            return table(activity_rows(services, ctx.actor(request), team_id), ACTIVITY_HEADERS)
        except SparringError as exc:
            raise gr.Error(str(exc)) from None

    team.change(show, [team], [frame])
