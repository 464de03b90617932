"""The Cohort tab: today's drill, my streak, points and badges, and the cohort leaderboard."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

import gradio as gr

from simulator.errors import SparringError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.web.text import esc, short
from simulator.web.ui_common import PageContext, table, time_zone_of

BOARD_HEADERS = [
    "Rank",
    "Name",
    "Points",
    "Streak (days)",
    "Sessions",
    "Daily drills",
    "Best score",
    "Badges",
]


def cohort_choices(services: AppServices, actor: User) -> list[tuple[str, str]]:
    """The cohorts the user may see."""
    return [(short(c.name, 60), c.id) for c in services.cohorts.list_cohorts(actor)]


def today_markdown(
    services: AppServices, actor: User, cohort_id: str | None, tz: tzinfo | None = None
) -> tuple[str, tuple[str, str] | None]:
    """(Markdown for today's drill and my standing, (scenario_id, difficulty) to start or None).
    "Today" is today in ``tz``, the user's time zone."""
    if not cohort_id:
        return "_You are not in a cohort. An admin adds new reps to an onboarding cohort._", None
    try:
        cohort = services.cohorts.require_cohort(actor, cohort_id)
        board = services.leaderboard.standings(actor, cohort_id, tz=tz)
    except SparringError as exc:
        return f"⚠ {esc(exc)}", None
    start = cohort.start_date.isoformat() if cohort.start_date else "today"
    mode = "your weakest skill so far" if cohort.mode == "weakest" else "rotation through the curriculum"
    out = [f"### {esc(cohort.name)}", f"Started {start} · daily drill: {mode}"]
    drill = None
    if actor.id in services.cohorts.member_ids(cohort_id):
        mine = services.leaderboard.ended_sessions(actor.id)
        today = services.cohorts.daily_drill(cohort, mine, tz=tz)
        if today is None:
            out.append(f"\nThe cohort starts on {start}: your first daily drill appears then.")
        else:
            s = services.practice.library.scenarios.get(today.scenario_id)
            out += [
                f"\n## Today's drill (day {today.day})",
                f"**{esc(s.title if s else today.scenario_id)}** · {today.difficulty}  ",
                f"_Why: {esc(today.why)}_",
            ]
            drill = (today.scenario_id, today.difficulty)
        me = next((r for r in board if r.user_id == actor.id), None)
        if me is not None:
            out += [
                f"\n**You:** rank {me.rank} of {len(board)} · {me.points} points · "
                f"{me.streak}-day streak (best {me.best_streak})  ",
                "**Badges:** "
                + (" · ".join(f"★ {b}" for b in me.badges) if me.badges else "none yet — finish a call to earn one"),
            ]
    return "\n".join(out), drill


def leaderboard_rows(
    services: AppServices, actor: User, cohort_id: str | None, tz: tzinfo | None = None
) -> list[list[Any]]:
    """The cohort's leaderboard as table rows (names shown as text; days in ``tz``)."""
    if not cohort_id:
        return []
    rows = []
    for r in services.leaderboard.standings(actor, cohort_id, tz=tz):
        rows.append(
            [
                r.rank,
                short(r.name, 40),
                r.points,
                r.streak,
                r.sessions,
                r.drills_done,
                "" if r.best_score is None else f"{r.best_score:.0f}",
                ", ".join(r.badges),
            ]
        )
    return rows


def build_cohort_tab(ctx: PageContext) -> None:
    """Lay out the Cohort tab (needs the Practice tab built first)."""
    services = ctx.services
    practice = ctx.refs["practice"]
    with gr.Tab("Cohort", id="cohort", visible=False) as tab:
        drill = gr.State(None)
        pick = gr.Dropdown(choices=[], label="Cohort", elem_id="cohort-pick")
        today = gr.Markdown(elem_id="cohort-today")
        go = gr.Button("Start today's drill", variant="primary", elem_id="cohort-start")
        board = gr.Dataframe(headers=BOARD_HEADERS, interactive=False, label="Leaderboard", elem_id="leaderboard")
        gr.Markdown(
            "<sub>Points: 10 per finished call + score/10, +10 for the day's drill (5 calls a day count). "
            "Badges: first call · 3-day streak · 7-day streak · scored 80+ · 5 daily drills · "
            "all three call types.</sub>"
        )

    zone = ctx.time_zone()

    def show(cohort_id: str | None, zone_name: str | None, request: gr.Request) -> tuple[Any, Any, Any]:
        actor = ctx.actor(request)
        tz = time_zone_of(zone_name)
        md, d = today_markdown(services, actor, cohort_id, tz)
        try:
            rows = leaderboard_rows(services, actor, cohort_id, tz)
        except SparringError:
            rows = []
        return md, d, table(rows, BOARD_HEADERS)

    def load(zone_name: str | None, request: gr.Request) -> tuple[Any, ...]:
        choices = cohort_choices(services, ctx.actor(request))
        first = choices[0][1] if choices else None
        return (gr.Dropdown(choices=choices, value=first), *show(first, zone_name, request))

    def start(d: tuple[str, str] | list[str] | None) -> tuple[Any, ...]:
        if not d:
            raise gr.Error("There is no daily drill for you today.")
        return practice["pick"](d[0], d[1])

    tab.select(load, [zone], [pick, today, drill, board])
    pick.input(show, [pick, zone], [today, drill, board])
    go.click(start, [drill], practice["picker"]).success(
        practice["start"], practice["start_inputs"], practice["outputs"]
    )
    ctx.refs["cohort"] = {"tab": tab}
