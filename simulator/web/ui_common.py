"""What every page's UI shares: the services, resolving the signed-in user, and the tab ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from simulator.errors import PermissionDeniedError
from simulator.services.access import User
from simulator.services.app_services import AppServices
from simulator.web.auth import current_user

TAB_IDS = ("practice", "history", "progress", "assignments", "cohort", "team", "admin", "account")


@dataclass
class PageContext:
    """Built once per ``build_demo``; pages register what others need (e.g. how to start a drill)."""

    services: AppServices
    tabs: Any = None
    refs: dict[str, Any] = field(default_factory=dict)

    def actor(self, request: gr.Request | None) -> User:
        """The signed-in user, or a visible error (the event stops)."""
        try:
            return current_user(self.services, request)
        except PermissionDeniedError as exc:
            raise gr.Error(str(exc)) from None


def table(rows: list[list[Any]], headers: list[str]) -> Any:
    """A Dataframe value; an empty table keeps its headers."""
    import pandas as pd

    return pd.DataFrame(rows, columns=headers)
