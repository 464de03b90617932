"""What every page's UI shares: the services, resolving the signed-in user, the tab ids, and the
user's time zone (kept in the browser, chosen on the Account tab)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, tzinfo
from typing import Any

import gradio as gr

from simulator.errors import PermissionDeniedError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.web.auth import current_user

TAB_IDS = (
    "home", "practice", "history", "progress", "reviews", "assignments", "cohort", "team", "studio", "admin", "account"
)


@dataclass
class PageContext:
    """Built once per ``build_demo``; pages register what others need (e.g. how to start a drill)."""

    services: AppServices
    tabs: Any = None
    refs: dict[str, Any] = field(default_factory=dict)
    zone: Any = None

    def actor(self, request: gr.Request | None) -> User:
        """The signed-in user, or a visible error (the event stops)."""
        try:
            return current_user(self.services, request)
        except PermissionDeniedError as exc:
            raise gr.Error(str(exc)) from None

    def time_zone(self) -> Any:
        """The user's IANA time zone name, stored in this browser (a ``gr.BrowserState``, made on the
        first call: make it outside ``gr.Tabs``, where a stray child shifts the tabs a click selects).
        Days for daily drills and streaks are counted in it."""
        if self.zone is None:
            self.zone = gr.BrowserState(DEFAULT_ZONE, storage_key="sparring-time-zone")
        return self.zone


DEFAULT_ZONE = "UTC"
"""Until a user picks theirs: the page cannot read the browser's zone (the CSP allows no page script)."""


def time_zone_of(name: str | None) -> tzinfo:
    """The zone called ``name`` (IANA, e.g. ``Europe/Berlin``); UTC when empty or unknown."""
    if name:
        try:
            return zoneinfo.ZoneInfo(str(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def zone_choices() -> list[str]:
    """Every IANA zone name this server knows, sorted (UTC first)."""
    return ["UTC", *sorted(z for z in zoneinfo.available_timezones() if z != "UTC" and "/" in z)]


def table(rows: list[list[Any]], headers: list[str]) -> Any:
    """A Dataframe value; an empty table keeps its headers."""
    import pandas as pd

    return pd.DataFrame(rows, columns=headers)
