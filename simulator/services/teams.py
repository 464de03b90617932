"""Teams and who may see whom.

A rep sees only themself; a manager sees the members of the teams they manage
(``team_members.role = 'manager'``); an admin sees everyone. :meth:`TeamService.can_view_user`
is the one check every other service uses before showing a person's sessions or scores.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update

from simulator.errors import PermissionDeniedError, SparringError
from simulator.services.access import User, require_admin, user_from_row
from simulator.store.db import read_transaction, write_transaction
from simulator.store.schema import team_members, teams, users

MAX_NAME = 120


class TeamError(SparringError):
    """A bad team request; the message says how to fix it."""


@dataclass(frozen=True, slots=True)
class Team:
    id: str
    name: str
    created_at: float


def check_name(name: str, what: str) -> str:
    """A trimmed, non-empty name of at most :data:`MAX_NAME` characters."""
    cleaned = " ".join((name or "").split())
    if not cleaned:
        raise TeamError(f"Give the {what} a name.")
    if len(cleaned) > MAX_NAME:
        raise TeamError(f"The {what} name is {len(cleaned)} characters; use at most {MAX_NAME}.")
    return cleaned


class TeamService:
    """Teams, their members and managers, and the visibility rules built on them."""

    def __init__(self, engine: Engine, *, clock: Callable[[], float] = time.time) -> None:
        self._engine = engine
        self._clock = clock

    # ------------------------------------------------------------------ admin

    def create_team(self, actor: User | None, name: str) -> Team:
        """Create a team (admins; None = command line). Names are unique."""
        if actor is not None:
            require_admin(actor)
        name = check_name(name, "team")
        team = Team(uuid.uuid4().hex, name, self._clock())
        with write_transaction(self._engine) as conn:
            if conn.execute(select(teams.c.id).where(teams.c.name == name)).first() is not None:
                raise TeamError(f"A team called {name!r} exists already.")
            conn.execute(insert(teams).values(id=team.id, name=team.name, created_at=team.created_at))
        return team

    def get_or_create(self, name: str) -> Team:
        """The team with this name, created when missing (command line)."""
        return self.by_name(name) or self.create_team(None, name)

    def by_name(self, name: str) -> Team | None:
        """The team with this exact name, or None."""
        with read_transaction(self._engine) as conn:
            row = conn.execute(select(teams).where(teams.c.name == " ".join(name.split()))).first()
        return Team(row.id, row.name, row.created_at) if row is not None else None

    def add_member(self, actor: User | None, team_id: str, user_id: str, *, manager: bool = False) -> None:
        """Put a user on a team, as member or manager (admins). Re-adding changes the role."""
        if actor is not None:
            require_admin(actor)
        role = "manager" if manager else "member"
        with write_transaction(self._engine) as conn:
            if conn.execute(select(teams.c.id).where(teams.c.id == team_id)).first() is None:
                raise TeamError("There is no such team.")
            if conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
                raise TeamError("There is no such user.")
            where = (team_members.c.team_id == team_id) & (team_members.c.user_id == user_id)
            if conn.execute(select(team_members.c.user_id).where(where)).first() is not None:
                conn.execute(update(team_members).where(where).values(role=role))
            else:
                conn.execute(insert(team_members).values(team_id=team_id, user_id=user_id, role=role))

    def remove_member(self, actor: User, team_id: str, user_id: str) -> None:
        """Take a user off a team (admins)."""
        require_admin(actor)
        with write_transaction(self._engine) as conn:
            conn.execute(
                delete(team_members).where(team_members.c.team_id == team_id, team_members.c.user_id == user_id)
            )

    # ------------------------------------------------------------------ reading

    def list_teams(self, actor: User) -> list[Team]:
        """Teams the actor may open: all (admin), managed (manager), own (rep)."""
        query = select(teams).order_by(teams.c.name)
        if not actor.is_admin:
            role_filter = ["manager"] if actor.role == "manager" else ["member", "manager"]
            query = query.where(
                teams.c.id.in_(
                    select(team_members.c.team_id).where(
                        team_members.c.user_id == actor.id, team_members.c.role.in_(role_filter)
                    )
                )
            )
        with read_transaction(self._engine) as conn:
            return [Team(r.id, r.name, r.created_at) for r in conn.execute(query)]

    def managed_team_ids(self, actor: User) -> set[str]:
        """Ids of the teams the actor manages (every team for an admin)."""
        if actor.is_admin:
            with read_transaction(self._engine) as conn:
                return set(conn.execute(select(teams.c.id)).scalars())
        if actor.role != "manager":
            return set()
        with read_transaction(self._engine) as conn:
            return set(
                conn.execute(
                    select(team_members.c.team_id).where(
                        team_members.c.user_id == actor.id, team_members.c.role == "manager"
                    )
                ).scalars()
            )

    def require_team(self, actor: User, team_id: str) -> Team:
        """The team, if the actor manages it (or is an admin); else PermissionDeniedError."""
        if team_id not in self.managed_team_ids(actor):
            raise PermissionDeniedError("You can open only the teams you manage.")
        with read_transaction(self._engine) as conn:
            row = conn.execute(select(teams).where(teams.c.id == team_id)).first()
        if row is None:
            raise PermissionDeniedError("You can open only the teams you manage.")
        return Team(row.id, row.name, row.created_at)

    def members(self, actor: User, team_id: str, *, include_managers: bool = False) -> list[User]:
        """The team's members (managers too when asked), for someone who manages it."""
        self.require_team(actor, team_id)
        roles = ["member", "manager"] if include_managers else ["member"]
        query = (
            select(users)
            .join(team_members, team_members.c.user_id == users.c.id)
            .where(team_members.c.team_id == team_id, team_members.c.role.in_(roles))
            .order_by(users.c.username)
        )
        with read_transaction(self._engine) as conn:
            return [user_from_row(r) for r in conn.execute(query)]

    def team_ids_of(self, user_id: str) -> set[str]:
        """Teams a user belongs to (any role)."""
        with read_transaction(self._engine) as conn:
            return set(conn.execute(select(team_members.c.team_id).where(team_members.c.user_id == user_id)).scalars())

    def visible_user_ids(self, actor: User) -> set[str] | None:
        """Users whose sessions the actor may see: None means everyone (admin)."""
        if actor.is_admin:
            return None
        visible = {actor.id}
        managed = self.managed_team_ids(actor)
        if managed:
            with read_transaction(self._engine) as conn:
                visible |= set(
                    conn.execute(select(team_members.c.user_id).where(team_members.c.team_id.in_(managed))).scalars()
                )
        return visible

    def can_view_user(self, actor: User, user_id: str | None) -> bool:
        """True when the actor may see this user's sessions, scores and notes."""
        if actor.disabled:
            return False
        if actor.is_admin:
            return True
        if user_id is None:
            return False
        visible = self.visible_user_ids(actor)
        return visible is None or user_id in visible

    def require_view_user(self, actor: User, user_id: str | None) -> None:
        """Raise PermissionDeniedError unless :meth:`can_view_user`."""
        if not self.can_view_user(actor, user_id):
            raise PermissionDeniedError("You can see only your own practice and the teams you manage.")
