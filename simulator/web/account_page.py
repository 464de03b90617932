"""The Account tab (password, time zone) and what each role sees when the page loads (Home first)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gradio as gr

from simulator.errors import SparringError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.web.text import esc
from simulator.web.ui_common import DEFAULT_ZONE, TAB_IDS, PageContext, time_zone_of, zone_choices

ROLE_TABS: dict[str, tuple[str, ...]] = {
    "rep": ("home", "practice", "history", "progress", "reviews", "assignments", "cohort", "account"),
    "manager": (
        "home", "practice", "history", "progress", "reviews", "assignments", "cohort", "team", "studio", "account"
    ),
    "admin": (
        "home", "practice", "history", "progress", "reviews", "assignments", "cohort", "team", "studio", "admin",
        "account",
    ),
}


def visible_tabs(services: AppServices, actor: User) -> tuple[list[str], str]:
    """(tab ids this user sees, the tab to open: Home, which says what to do next). A one-time
    password shows only the Account tab."""
    if services.accounts.must_change_password(actor.id):
        return ["account"], "account"
    tabs = list(ROLE_TABS.get(actor.role, ROLE_TABS["rep"]))
    if actor.role == "rep" and not services.cohorts.list_cohorts(actor):
        tabs.remove("cohort")
    return tabs, "home"


def header_markdown(services: AppServices, actor: User) -> str:
    """'Signed in as …' plus the one-time-password banner when it applies."""
    line = f"Signed in as **{esc(actor.label)}** ({esc(actor.username)}, {actor.role})"
    if services.accounts.must_change_password(actor.id):
        line += (
            "\n\n> **You signed in with a one-time password.** Choose your own password on the Account tab to continue."
        )
    return line


def change_password(
    services: AppServices, actor: User, current: str, new: str, confirm: str, data_dir: Path | None
) -> str:
    """Change the actor's password; returns a status line."""
    if new != confirm:
        return "⚠ The new password and its confirmation differ."
    try:
        services.accounts.change_password(actor, current, new, data_dir=data_dir)
    except SparringError as exc:
        return f"⚠ {esc(exc)}"
    return "✓ Password changed. Every page is now open to you."


def build_account_tab(ctx: PageContext) -> None:
    """Lay out the Account tab: links to the password page and to signing out (everywhere).

    Both are plain server-rendered forms (``simulator/web/signin.py``) so that a password change
    can end every other session and start a fresh one in this browser.
    """
    with gr.Tab("Account", id="account", visible=False) as tab:
        gr.Markdown(
            "### Your account\n"
            "Change your password: at least 12 characters, not a common password and not containing "
            "your username. A passphrase of a few words is easiest. Changing it signs you out on every "
            "other browser.\n\n"
            "Signed in on a shared or lost computer? **Sign out everywhere** ends every session of your "
            "account, this one included."
        )
        with gr.Row():
            gr.Button("Change password", link="/account/password", variant="primary", elem_id="pw-change")
            gr.Button("Sign out everywhere…", link="/logout?everywhere=1", elem_id="logout-everywhere")
        gr.Markdown("### Your time zone\nDaily drills, streaks and the leaderboard count your days in this "
                    "zone. It is kept in this browser.")
        zone_pick = gr.Dropdown(zone_choices(), value=DEFAULT_ZONE, label="Time zone", filterable=True,
                                elem_id="time-zone")
        zone_status = gr.Markdown(elem_id="time-zone-status")
    zone = ctx.time_zone()

    def on_zone(name: str | None) -> tuple[str, str]:
        tz = time_zone_of(name)
        return str(tz), f"✓ Days now count in **{esc(str(tz))}**."

    def show_zone(name: str | None) -> str:
        return str(time_zone_of(name))

    zone_pick.input(on_zone, [zone_pick], [zone, zone_status])
    tab.select(show_zone, [zone], [zone_pick])
    ctx.refs["account"] = {"tab": tab, "zone": (show_zone, [zone], [zone_pick])}


def page_state(ctx: PageContext, request: gr.Request, *, selected: str | None = None) -> tuple[Any, ...]:
    """Header, then each tab's visibility (in :data:`TAB_IDS` order), then the selected tab."""
    actor = ctx.actor(request)
    tabs, default = visible_tabs(ctx.services, actor)
    selected = selected if selected in tabs else default
    return (
        header_markdown(ctx.services, actor),
        *(gr.Tab(visible=t in tabs) for t in TAB_IDS),
        gr.Tabs(selected=selected),
    )
