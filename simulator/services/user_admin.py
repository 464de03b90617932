"""Account administration from the command line (``sparring user ...``), without the web app.

Opens only the store (no graph, no model). The command line acts as the machine's owner, so it
needs no signed-in admin.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine

from simulator.config import Settings
from simulator.content.loader import ContentLibrary, load_library
from simulator.services.access import User
from simulator.services.accounts import AccountService, SignInPolicy
from simulator.services.cohorts import CohortService
from simulator.services.teams import TeamService, check_name
from simulator.store.db import create_db_engine, init_schema


@dataclass
class AdminServices:
    accounts: AccountService
    teams: TeamService
    cohorts: CohortService


@contextlib.contextmanager
def open_store(settings: Settings) -> Iterator[tuple[Engine, ContentLibrary, TeamService]]:
    """The configured store (schema created if needed), the content library and the teams, for
    command-line services that need no graph and no model; the engine is disposed on exit."""
    if not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = create_db_engine(settings.resolved_database_url)
    try:
        init_schema(engine, marker_dir=None if engine.dialect.name == "sqlite" else settings.data_dir)
        library = load_library([settings.content_dir] if settings.content_dir else [])
        yield engine, library, TeamService(engine)
    finally:
        engine.dispose()


@contextlib.contextmanager
def open_admin(settings: Settings) -> Iterator[AdminServices]:
    """Accounts, teams and cohorts over the configured store (schema created if needed)."""
    with open_store(settings) as (engine, library, teams):
        accounts = AccountService(engine, policy=SignInPolicy.from_settings(settings))
        yield AdminServices(accounts, teams, CohortService(engine, library, teams))


def add_user(
    admin: AdminServices,
    username: str,
    *,
    role: str = "rep",
    team: str | None = None,
    cohort: str | None = None,
    display_name: str = "",
    password: str | None = None,
) -> tuple[User, str | None]:
    """Create a user; ``team``/``cohort`` (names) are created when missing. Returns the one-time password.

    A manager or admin given a team becomes that team's manager; a rep becomes a member.
    """
    if team is not None:
        team = check_name(team, "team")
    if cohort is not None:
        cohort = check_name(cohort, "cohort")
    user, otp = admin.accounts.create_user(username, role=role, password=password, display_name=display_name)
    if team:
        admin.teams.add_member(None, admin.teams.get_or_create(team).id, user.id, manager=role != "rep")
    if cohort:
        admin.cohorts.add_member(None, admin.cohorts.get_or_create(cohort).id, user.id)
    return user, otp
