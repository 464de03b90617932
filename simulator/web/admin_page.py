"""The Admin tab: create users, teams and cohorts, set memberships, reset passwords."""

from __future__ import annotations

import datetime as dt
from typing import Any

import gradio as gr

from simulator.errors import SparringError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.web.practice_page import scenario_choices
from simulator.web.text import esc, short
from simulator.web.ui_common import PageContext, table

USER_HEADERS = ["Username", "Name", "Role", "Teams", "Cohorts", "Status"]


def create_user(
    services: AppServices,
    actor: User,
    username: str,
    display: str,
    role: str,
    team_id: str | None,
    team_manager: bool,
    cohort_id: str | None,
) -> tuple[str, str]:
    """Create an account (and memberships); returns (status, one-time password to hand over).

    Only a manager or an admin can be made the team's manager: a rep who manages a team would
    vanish from its manager's dashboard and assignment list.
    """
    role = role or "rep"
    if team_id and team_manager and role == "rep":
        return (
            "⚠ A rep cannot manage a team. Choose the role **manager** to make them the team's manager, "
            "or untick “…as the team's manager” to add them as a member.",
            "",
        )
    try:
        user, otp = services.accounts.create_user(username, role=role, display_name=display or "", actor=actor)
        team_name = ""
        if team_id:
            services.teams.add_member(actor, team_id, user.id, manager=bool(team_manager))
            team_name = next((t.name for t in services.teams.list_teams(actor) if t.id == team_id), "")
        if cohort_id:
            services.cohorts.add_member(actor, cohort_id, user.id)
    except SparringError as exc:
        return f"⚠ {esc(exc)}", ""
    where = ""
    if team_id:
        where = f", {'manager' if team_manager else 'member'} of team **{esc(team_name)}**"
    return (
        f"✓ Created **{esc(user.username)}** ({user.role}{where}). Give them the one-time password below; "
        "they choose their own at the first sign-in."
    ), otp or ""


def create_team(services: AppServices, actor: User, name: str) -> str:
    try:
        team = services.teams.create_team(actor, name)
    except SparringError as exc:
        return f"⚠ {esc(exc)}"
    return f"✓ Team **{esc(team.name)}** created."


def create_cohort(
    services: AppServices, actor: User, name: str, start: str, mode: str, scenarios: list[str] | None
) -> str:
    try:
        start_date = dt.date.fromisoformat(start.strip()) if start and start.strip() else None
    except ValueError:
        return "⚠ Write the start date as YYYY-MM-DD (or leave it empty for today)."
    try:
        cohort = services.cohorts.create_cohort(
            actor, name, start_date=start_date, mode=mode or "rotation", scenarios=list(scenarios or [])
        )
    except SparringError as exc:
        return f"⚠ {esc(exc)}"
    return f"✓ Cohort **{esc(cohort.name)}** created, starting {cohort.start_date}."


def add_membership(
    services: AppServices,
    actor: User,
    user_id: str | None,
    team_id: str | None,
    team_manager: bool,
    cohort_id: str | None,
) -> str:
    if not user_id:
        return "⚠ Choose a user."
    if not team_id and not cohort_id:
        return "⚠ Choose a team or a cohort."
    user = services.accounts.get(user_id)
    if team_id and team_manager and user is not None and user.role == "rep":
        return "⚠ A rep cannot manage a team: untick “…as manager”, or give them the manager role first."
    try:
        if team_id:
            services.teams.add_member(actor, team_id, user_id, manager=bool(team_manager))
        if cohort_id:
            services.cohorts.add_member(actor, cohort_id, user_id)
    except SparringError as exc:
        return f"⚠ {esc(exc)}"
    return "✓ Membership saved."


def reset_password(services: AppServices, actor: User, user_id: str | None) -> tuple[str, str]:
    user = services.accounts.get(user_id or "")
    if user is None:
        return "⚠ Choose a user.", ""
    try:
        otp = services.accounts.reset_password(actor, user.username)
    except SparringError as exc:
        return f"⚠ {esc(exc)}", ""
    return f"✓ New one-time password for **{esc(user.username)}** (they must change it at sign-in).", otp


def set_disabled(services: AppServices, actor: User, user_id: str | None, disabled: bool) -> str:
    if not user_id:
        return "⚠ Choose a user."
    try:
        services.accounts.set_disabled(actor, user_id, disabled)
    except SparringError as exc:
        return f"⚠ {esc(exc)}"
    return "✓ Account disabled." if disabled else "✓ Account enabled."


def users_view(
    services: AppServices, actor: User
) -> tuple[list[list[Any]], list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """(user rows, user choices, team choices, cohort choices) for an admin."""
    users = services.accounts.list_users(actor)
    teams = services.teams.list_teams(actor)
    cohorts = services.cohorts.list_cohorts(actor)
    team_names = {t.id: t.name for t in teams}
    rows = []
    for u in users:
        in_teams = ", ".join(sorted(team_names.get(t, "?") for t in services.teams.team_ids_of(u.id)))
        in_cohorts = ", ".join(c.name for c in services.cohorts.cohorts_of(u.id))
        state = (
            "disabled"
            if u.disabled
            else ("must change password" if services.accounts.must_change_password(u.id) else "active")
        )
        rows.append([u.username, short(u.display_name, 40), u.role, short(in_teams, 60), short(in_cohorts, 60), state])
    return (
        rows,
        [(f"{u.username} ({short(u.label, 30)})", u.id) for u in users],
        [(short(t.name, 60), t.id) for t in teams],
        [(short(c.name, 60), c.id) for c in cohorts],
    )


def build_admin_tab(ctx: PageContext) -> None:
    """Lay out the Admin tab and wire its forms."""
    services = ctx.services
    with gr.Tab("Admin", id="admin", visible=False) as tab:
        with gr.Accordion("Create a user", open=True):
            with gr.Row():
                username = gr.Textbox(label="Username", elem_id="new-username")
                display = gr.Textbox(label="Display name", elem_id="new-display")
                role = gr.Radio(["rep", "manager", "admin"], value="rep", label="Role", elem_id="new-role")
            with gr.Row():
                team = gr.Dropdown(choices=[], label="Team (optional)", elem_id="new-team")
                team_mgr = gr.Checkbox(
                    label="…as the team's manager",
                    info="Ticked when the role is manager; cleared after each user is created.",
                    elem_id="new-team-manager",
                )
                cohort = gr.Dropdown(choices=[], label="Cohort (optional)", elem_id="new-cohort")
            create_user_btn = gr.Button("Create user", variant="primary", elem_id="new-user")
        with gr.Accordion("Teams and cohorts", open=False):
            with gr.Row():
                team_name = gr.Textbox(label="New team name", elem_id="new-team-name")
                create_team_btn = gr.Button("Create team", elem_id="create-team")
            with gr.Row():
                cohort_name = gr.Textbox(label="New cohort name", elem_id="new-cohort-name")
                cohort_start = gr.Textbox(label="Start date (YYYY-MM-DD, empty = today)", elem_id="new-cohort-start")
                cohort_mode = gr.Radio(
                    [
                        ("rotation through the curriculum", "rotation"),
                        ("each member's weakest competency", "weakest"),
                    ],
                    value="rotation",
                    label="Daily drill",
                )
            cohort_scen = gr.CheckboxGroup(scenario_choices(services), label="Curriculum (none = every scenario)")
            create_cohort_btn = gr.Button("Create cohort", elem_id="create-cohort")
        with gr.Accordion("Memberships and accounts", open=False):
            with gr.Row():
                member = gr.Dropdown(choices=[], label="User", elem_id="member-user")
                member_team = gr.Dropdown(choices=[], label="Team", elem_id="member-team")
                member_mgr = gr.Checkbox(label="…as manager")
                member_cohort = gr.Dropdown(choices=[], label="Cohort", elem_id="member-cohort")
            with gr.Row():
                add_btn = gr.Button("Add membership", elem_id="add-membership")
                reset_btn = gr.Button("Reset password", elem_id="reset-password")
                disable_btn = gr.Button("Disable account", variant="stop")
                enable_btn = gr.Button("Enable account")
        status = gr.Markdown(elem_id="admin-status")
        otp = gr.Textbox(
            label="One-time password to hand over (shown once)",
            interactive=False,
            elem_id="admin-otp",
            buttons=["copy"],
        )
        users = gr.Dataframe(headers=USER_HEADERS, interactive=False, label="Users", elem_id="users-table")

    def refresh(request: gr.Request) -> tuple[Any, ...]:
        rows, user_opts, team_opts, cohort_opts = users_view(services, ctx.actor(request))
        return (
            table(rows, USER_HEADERS),
            gr.Dropdown(choices=team_opts, value=None),
            gr.Dropdown(choices=cohort_opts, value=None),
            gr.Dropdown(choices=user_opts, value=None),
            gr.Dropdown(choices=team_opts, value=None),
            gr.Dropdown(choices=cohort_opts, value=None),
        )

    lists = [users, team, cohort, member, member_team, member_cohort]

    def on_user(u: str, d: str, r: str, t: str | None, m: bool, c: str | None, request: gr.Request) -> tuple[Any, ...]:
        message, password = create_user(services, ctx.actor(request), u, d, r, t, m, c)
        if not message.startswith("✓"):  # the form stays as it was, to be corrected
            keep = (gr.update() for _ in range(len(form) + len(lists) - 1))
            return message, password, *keep, refresh(request)[0]
        # a fresh form: the next user starts as a rep with no team, never as a manager by accident
        users_table, *choices = refresh(request)
        return message, password, "", "", "rep", False, *choices, users_table

    def on_role(r: str) -> Any:
        return gr.Checkbox(value=r == "manager")

    def on_team(name: str, request: gr.Request) -> tuple[Any, ...]:
        return create_team(services, ctx.actor(request), name), "", *refresh(request)

    def on_cohort(name: str, start: str, mode: str, scen: list[str], request: gr.Request) -> tuple[Any, ...]:
        return create_cohort(services, ctx.actor(request), name, start, mode, scen), "", *refresh(request)

    def on_add(u: str | None, t: str | None, m: bool, c: str | None, request: gr.Request) -> tuple[Any, ...]:
        return add_membership(services, ctx.actor(request), u, t, m, c), "", *refresh(request)

    def on_reset(u: str | None, request: gr.Request) -> tuple[Any, ...]:
        return *reset_password(services, ctx.actor(request), u), *refresh(request)

    def on_disable(u: str | None, request: gr.Request) -> tuple[Any, ...]:
        return set_disabled(services, ctx.actor(request), u, True), "", *refresh(request)

    def on_enable(u: str | None, request: gr.Request) -> tuple[Any, ...]:
        return set_disabled(services, ctx.actor(request), u, False), "", *refresh(request)

    out = [status, otp, *lists]
    form = [username, display, role, team_mgr]
    tab.select(refresh, None, lists)
    role.input(on_role, [role], team_mgr)
    create_user_btn.click(
        on_user, [username, display, role, team, team_mgr, cohort], [status, otp, *form, *lists[1:], lists[0]]
    )
    create_team_btn.click(on_team, [team_name], out)
    create_cohort_btn.click(on_cohort, [cohort_name, cohort_start, cohort_mode, cohort_scen], out)
    add_btn.click(on_add, [member, member_team, member_mgr, member_cohort], out)
    reset_btn.click(on_reset, [member], out)
    disable_btn.click(on_disable, [member], out)
    enable_btn.click(on_enable, [member], out)
    ctx.refs["admin"] = {"tab": tab, "load": refresh, "load_outputs": lists}
