"""The Home tab: what to do next, per role, opened after sign-in.

- A rep: an unfinished call to continue, the open assignment due first, today's cohort drill, or
  the drill their last scorecard suggests; and their streak.
- A manager: their team's gaps: the weakest skills, reps who have not practised this week,
  assignments overdue or not done, with the suggested drill for each weak rep.
- An admin: the setup steps (teams, managers, reps, a cohort), each ticked when it is done.

One button does the first thing on the list (start or continue a call, or open the tab where
the work is). Everything comes from the existing services; nothing here decides anything new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

import gradio as gr

from simulator.errors import SparringError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.services.assignments import Progress
from simulator.services.cohorts import local_day
from simulator.services.scorecards import next_drill_id
from simulator.web.text import esc
from simulator.web.ui_common import PageContext, time_zone_of

Action = list[str]
"""What the Home button does: ``["continue", session_id]``, ``["start", scenario_id, difficulty]``
or ``["tab", tab_id]``."""


@dataclass
class HomeView:
    """The Home tab's text and its one button (label and action; no button when ``action`` is None)."""

    markdown: str
    button: str = ""
    action: Action | None = None
    items: list[str] = field(default_factory=list)


def _title(services: AppServices, scenario_id: str) -> str:
    s = services.practice.library.scenarios.get(scenario_id)
    return s.title if s else scenario_id


def _assignment_due_first(items: list[Progress]) -> Progress | None:
    """The open assignment to do first: overdue ones, then by due date (undated last)."""
    open_ = [p for p in items if p.status in ("open", "overdue")]
    far = dt.date.max
    open_.sort(key=lambda p: (p.status != "overdue", p.assignment.due_date or far))
    return open_[0] if open_ else None


def rep_home(services: AppServices, actor: User, tz: tzinfo | None = None) -> HomeView:
    """What a rep should do next, most urgent first."""
    lines: list[str] = []
    action: Action | None = None
    button = ""

    def offer(text: str, label: str, act: Action) -> None:
        nonlocal action, button
        lines.append(text if action is not None else f"**→ {text}**")
        if action is None:
            action, button = act, label

    unfinished = services.sessions.unfinished(actor)
    if unfinished:
        record = unfinished[0]
        more = f" (and {len(unfinished) - 1} more on the Practice tab)" if len(unfinished) > 1 else ""
        offer(
            f"Finish your call: **{esc(_title(services, record.scenario_id))}**, "
            f"{record.turn_count} lines so far{more}.",
            "Continue your call",
            ["continue", record.id],
        )
    first = _assignment_due_first(services.assignments.for_user(actor))
    if first is not None:
        a = first.assignment
        due = f", due {a.due_date.isoformat()}" if a.due_date else ""
        late = " — **overdue**" if first.status == "overdue" else ""
        need = f", score {a.min_score:g}+ to pass" if a.min_score is not None else ""
        note = f"  \n_Your manager's note: {esc(a.note, limit=200)}_" if a.note else ""
        offer(
            f"Your assignment: **{esc(_title(services, a.scenario_id))}** ({a.difficulty}{due}{need}){late}.{note}",
            "Start your assignment",
            ["start", a.scenario_id, a.difficulty],
        )
    streak = ""
    ended = services.leaderboard.ended_sessions(actor.id)
    today = services.cohorts.today(tz)
    for cohort in services.cohorts.cohorts_of(actor.id)[:1]:
        drill = services.cohorts.daily_drill(cohort, ended, tz=tz)
        if drill is None:
            lines.append(f"Your cohort **{esc(cohort.name)}** starts on {cohort.start_date}.")
            continue
        done = any(s.scenario_id == drill.scenario_id and local_day(s.created_at, tz) == today for s in ended)
        title = esc(_title(services, drill.scenario_id))
        if done:
            lines.append(f"✓ Today's drill is done: {title}. Come back tomorrow for the next one.")
        else:
            offer(f"Today's drill (day {drill.day} of **{esc(cohort.name)}**): **{title}** ({drill.difficulty}).",
                  "Start today's drill", ["start", drill.scenario_id, drill.difficulty])
        try:
            me = next((r for r in services.leaderboard.standings(actor, cohort.id, tz=tz) if r.user_id == actor.id),
                      None)
        except SparringError:
            me = None
        if me is not None:
            streak = (f"{me.streak}-day streak (best {me.best_streak}) · {me.points} points · "
                      f"rank {me.rank} in {esc(cohort.name)}")
    if action is None and ended:
        suggested = next_drill_id(ended[0].scorecard)
        if suggested and suggested in services.practice.library.scenarios:
            offer(f"Suggested by your last scorecard: **{esc(_title(services, suggested))}**.",
                  "Start the suggested drill", ["start", suggested, ended[0].difficulty])
    if action is None:
        offer("Pick any drill on the Practice tab: read the brief, then start the call.",
              "Open Practice", ["tab", "practice"])
    head = "## What to do next"
    tail = f"\n\n<sub>{streak}</sub>" if streak else ""
    return HomeView(head + "\n\n" + "\n\n".join(lines) + tail, button, action, lines)


def manager_home(services: AppServices, actor: User) -> HomeView:
    """A manager's team gaps: weakest skills, quiet reps, assignments not done."""
    lines: list[str] = []
    team_ids = sorted(services.teams.managed_team_ids(actor))
    if not team_ids:
        return HomeView("## Your team\n\nYou do not manage a team yet. An admin makes you a team's manager "
                        "(Admin tab → Memberships).")
    names = {t.id: t.name for t in services.teams.list_teams(actor)}
    lib = services.practice.library
    for team_id in team_ids[:3]:
        board = services.dashboards.team(actor, team_id)
        lines.append(f"### {esc(names.get(team_id, board.team_name))}: {len(board.reps)} reps")
        if not board.reps:
            lines.append("No reps on this team yet: ask an admin to add them.")
            continue
        weak = ", ".join(f"**{esc(board.names.get(c, c))}** ({v:.1f}/5)" for c, v in board.weakest_skills[:2])
        lines.append(f"- Weakest skills across the team: {weak}" if weak else "- No scorecards yet.")
        quiet = [a.user.label for a in board.activity if not a.last_7_days]
        if quiet:
            lines.append(f"- Not practised in the last 7 days: {esc(', '.join(quiet), limit=200)}")
        total = sum(a.assignments_total for a in board.activity)
        done = sum(a.assignments_done for a in board.activity)
        lines.append(f"- Assignments: {done}/{total} done" if total else "- No assignments yet.")
        for s in services.dashboards.suggestions(actor, team_id)[:3]:
            scen = lib.scenarios.get(s.scenario_id)
            lines.append(f"- Suggested for {esc(s.user.label)}: **{esc(scen.title if scen else s.scenario_id)}** "
                         f"({s.difficulty}) — weakest skill {esc(s.competency_name.lower())} ({s.average:.1f}/5)")
    return HomeView("## Your team's gaps\n\n" + "\n".join(lines), "Open the Team tab to assign drills",
                    ["tab", "team"], lines)


def admin_home(services: AppServices, actor: User) -> HomeView:
    """The setup steps, each ticked when done."""
    teams = services.teams.list_teams(actor)
    users = services.accounts.list_users(actor)
    managers = reps_in_team = 0
    for t in teams:
        everyone = services.teams.members(actor, t.id, include_managers=True)
        members = {u.id for u in services.teams.members(actor, t.id)}
        managers += sum(1 for u in everyone if u.id not in members)
        reps_in_team += sum(1 for u in everyone if u.id in members and u.role == "rep")
    cohorts = services.cohorts.list_cohorts(actor)
    in_cohort = any(services.cohorts.member_ids(c.id) for c in cohorts)
    waiting = [u.username for u in users if u.id != actor.id and services.accounts.must_change_password(u.id)]
    steps = [
        (True, "Choose your own password (done at your first sign-in)."),
        (bool(teams), "Create a team (Admin → Teams and cohorts)."),
        (managers > 0, "Create a manager and make them the team's manager (Admin → Create a user, role "
                       "manager, with the team)."),
        (reps_in_team > 0, "Create the reps, each on their team (role rep)."),
        (in_cohort, "Optional: an onboarding cohort with a daily drill for new reps."),
        (not waiting, "Hand each new user their one-time password; they choose their own at sign-in"
         + (f" (still waiting: {esc(', '.join(waiting), limit=160)})." if waiting else ".")),
    ]
    lines = [f"{'✓' if ok else '☐'} {i}. {text}" for i, (ok, text) in enumerate(steps, 1)]
    todo = next((text for ok, text in steps if not ok), None)
    head = "## Set up Sparring for your team" if todo else "## Sparring is set up"
    return HomeView(head + "\n\n" + "  \n".join(lines), "Open the Admin tab", ["tab", "admin"], lines)


def home_view(services: AppServices, actor: User, tz: tzinfo | None = None) -> HomeView:
    """The Home tab for this user's role."""
    if actor.role == "admin":
        return admin_home(services, actor)
    if actor.role == "manager":
        return manager_home(services, actor)
    return rep_home(services, actor, tz)


def build_home_tab(ctx: PageContext) -> None:
    """Lay out the Home tab (first of the tabs); :func:`wire_home_tab` wires it once Practice exists."""
    with gr.Tab("Home", id="home", visible=False) as tab:
        action = gr.State(None)
        body = gr.Markdown(elem_id="home-next")
        go = gr.Button("…", variant="primary", elem_id="home-go", visible=False)
    ctx.refs["home"] = {"tab": tab, "action": action, "body": body, "go": go}


def wire_home_tab(ctx: PageContext) -> tuple[Any, list[Any], list[Any]]:
    """Wire the Home tab; returns (refresh, inputs, outputs) for the page load."""
    services = ctx.services
    home = ctx.refs["home"]
    practice = ctx.refs["practice"]
    zone = ctx.time_zone()

    def refresh(zone_name: str | None, request: gr.Request) -> tuple[Any, Any, Any]:
        try:
            actor = ctx.actor(request)
        except gr.Error:  # not signed in (yet), or a one-time password: nothing to show
            return "", None, gr.Button(visible=False)
        view = home_view(services, actor, time_zone_of(zone_name))
        return view.markdown, view.action, gr.Button(value=view.button or "…", visible=view.action is not None)

    def route(act: Action | None) -> tuple[Any, ...]:
        """Step 1: pick the drill (or open the tab) — the Practice tab's own picker."""
        if not act:
            raise gr.Error("Nothing to do right now.")
        if act[0] == "start":
            return practice["pick"](act[1], act[2])
        keep = tuple(gr.update() for _ in practice["picker"][:-1])
        return (*keep, gr.Tabs(selected="practice" if act[0] == "continue" else act[1]))

    def run(act: Action | None, scen: str | None, pers: str | None, diff: str, request: gr.Request
            ) -> Iterator[tuple[Any, ...]]:
        """Step 2: start or continue the call on the Practice tab."""
        if act and act[0] == "start":
            yield from practice["start"](scen, pers, diff, request)
        elif act and act[0] == "continue":
            yield from practice["continue"](act[1], request)
        else:
            yield tuple(gr.update() for _ in practice["outputs"])

    outputs = [home["body"], home["action"], home["go"]]
    home["tab"].select(refresh, [zone], outputs)
    routed = home["go"].click(route, [home["action"]], practice["picker"])
    started = routed.success(run, [home["action"], *practice["start_inputs"]], practice["outputs"])
    refresh_unfinished, unfinished_inputs, unfinished_outputs = practice["unfinished"]
    started.then(refresh_unfinished, unfinished_inputs, unfinished_outputs)
    for tab_id in ("team", "admin"):  # a tab opened from here loads as if it had been clicked
        opened = ctx.refs[tab_id]

        def load_if(act: Action | None, request: gr.Request, *, tab_id: str = tab_id, opened: Any = opened
                    ) -> tuple[Any, ...]:
            if act == ["tab", tab_id]:
                return tuple(opened["load"](request))
            return tuple(gr.update() for _ in opened["load_outputs"])

        routed.success(load_if, [home["action"]], opened["load_outputs"])
    return refresh, [zone], outputs

