"""Helpers for the web tests (a unique module name: several test folders have a conftest.py)."""

from __future__ import annotations

import shutil
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulator.config import Settings
from simulator.llm.base import ChatRequest
from simulator.services.access import User
from simulator.services.app_services import AppServices

PASSWORD = "correct horse battery"
XSS_NAME = '<img src=x onerror="window.__xss=1">Eve **bold**'
"""A display name full of markup: it must show as text everywhere."""
CHROMIUM = "/usr/bin/chromium"


def echo_gist(request: ChatRequest) -> str:
    """A fake voice that says the director's gist in its own words."""
    last = request.messages[-1]["content"]
    return "Well, " + last.rsplit('SAY: "', 1)[1].rstrip('"') if 'SAY: "' in last else "Well, go on."


class Clock:
    """A settable clock (seconds since the epoch)."""

    def __init__(self, now: float) -> None:
        self.now = now
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


def grader_hook(settings: Settings) -> Any:
    try:
        from grading.service import scorecard_hook
    except ImportError:
        return None
    return scorecard_hook(settings)


@dataclass
class Org:
    """A small organisation: an admin, two teams with a manager each, reps, a cohort."""

    admin: User
    manager: User
    other_manager: User
    rep: User
    rep2: User
    outsider: User
    team_id: str
    other_team_id: str


def make_org(s: AppServices) -> Org:
    admin, _ = s.accounts.create_user("boss", role="admin", password=PASSWORD)
    manager, _ = s.accounts.create_user("mia", role="manager", password=PASSWORD, display_name="Mia Manager")
    other_manager, _ = s.accounts.create_user("otto", role="manager", password=PASSWORD)
    rep, _ = s.accounts.create_user("rita", role="rep", password=PASSWORD, display_name="Rita Rep")
    rep2, _ = s.accounts.create_user("rob", role="rep", password=PASSWORD)
    outsider, _ = s.accounts.create_user("olga", role="rep", password=PASSWORD)
    team = s.teams.create_team(admin, "East")
    other = s.teams.create_team(admin, "West")
    s.teams.add_member(admin, team.id, manager.id, manager=True)
    s.teams.add_member(admin, team.id, rep.id)
    s.teams.add_member(admin, team.id, rep2.id)
    s.teams.add_member(admin, other.id, other_manager.id, manager=True)
    s.teams.add_member(admin, other.id, outsider.id)
    return Org(admin, manager, other_manager, rep, rep2, outsider, team.id, other.id)


GOOD_CALL = [
    "Hi Raj, thanks for taking the call.",
    "How are you handling order exceptions today?",
    "What does that cost your team each week?",
    "Who else is involved in deciding on a tool like this?",
    "Can we meet Tuesday at 10am to walk through it?",
]


def start_session(s: AppServices, user: User, scenario: str = "saas-discovery-ops") -> str:
    """Start a call for ``user`` (the buyer's opening streamed to the end); returns the session id."""
    events = list(s.sessions.start(user, scenario))
    return str(events[0]["session_id"])


def practise(
    s: AppServices,
    user: User,
    lines: list[str] | None = None,
    scenario: str = "saas-discovery-ops",
    difficulty: str = "medium",
) -> str:
    """Run a whole call for ``user``; returns the session id."""
    events = list(s.sessions.start(user, scenario, difficulty=difficulty))
    sid = events[0]["session_id"]
    for line in lines if lines is not None else GOOD_CALL:
        if not s.practice.get(sid, actor=user).waiting_for_rep:
            break
        list(s.sessions.send(user, sid, line))
    list(s.sessions.end(user, sid))
    return sid


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "Python playwright is not installed (pip install playwright pytest-playwright)"
    if not (Path(CHROMIUM).exists() or shutil.which("chromium")):
        return "Debian's chromium is not installed (apt-get install -y chromium)"
    return None


@dataclass
class LiveApp:
    """The app served in-process on 127.0.0.1 for the browser tests."""

    url: str
    services: AppServices
    org: Org
    admin_password: str
