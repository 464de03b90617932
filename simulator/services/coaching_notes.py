"""Coaching notes: a manager records what was coached, what changed and an action plan.

A note belongs to a rep and optionally to one of their sessions. Managers write notes for reps on
the teams they manage; the rep and their managers can read them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, insert, select

from simulator.errors import SparringError
from simulator.services.access import User, require_manager
from simulator.services.practice_access import PracticeAccess
from simulator.services.teams import TeamService
from simulator.store.db import read_transaction, write_transaction
from simulator.store.schema import coaching_notes, users

MAX_FIELD = 2000


class NoteError(SparringError):
    """A note that cannot be saved; the message says why."""


@dataclass(frozen=True, slots=True)
class CoachingNote:
    id: str
    rep_id: str
    session_id: str | None
    manager_id: str | None
    manager_name: str
    coached: str
    changed: str
    action_plan: str
    created_at: float


class CoachingService:
    """Write and read coaching notes, authorized by team."""

    def __init__(
        self,
        engine: Engine,
        teams: TeamService,
        access: PracticeAccess,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._teams = teams
        self._access = access
        self._clock = clock

    def add(
        self,
        actor: User,
        *,
        rep_id: str | None = None,
        session_id: str | None = None,
        coached: str = "",
        changed: str = "",
        action_plan: str = "",
    ) -> CoachingNote:
        """Record a note on a rep (or on one of their sessions). At least one field must be filled."""
        require_manager(actor)
        if session_id:
            record = self._access.record(actor, session_id)
            if record.user_id is None:
                raise NoteError("This session has no rep to coach.")
            rep_id = record.user_id
        if not rep_id:
            raise NoteError("Choose the rep (or a session) the note is about.")
        self._teams.require_view_user(actor, rep_id)
        if rep_id == actor.id:
            raise NoteError("Coaching notes are for the reps you manage, not for yourself.")
        fields = {
            "coached": (coached or "").strip(),
            "changed": (changed or "").strip(),
            "action_plan": (action_plan or "").strip(),
        }
        if not any(fields.values()):
            raise NoteError("The note is empty: say what you coached, what changed, or the action plan.")
        for name, value in fields.items():
            if len(value) > MAX_FIELD:
                raise NoteError(
                    f"'{name.replace('_', ' ')}' is {len(value):,} characters; keep it under {MAX_FIELD:,}."
                )
        note = CoachingNote(
            uuid.uuid4().hex,
            rep_id,
            session_id or None,
            actor.id,
            actor.label,
            fields["coached"],
            fields["changed"],
            fields["action_plan"],
            self._clock(),
        )
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(coaching_notes).values(
                    id=note.id,
                    session_id=note.session_id,
                    rep_id=rep_id,
                    manager_id=actor.id,
                    coached=note.coached,
                    changed=note.changed,
                    action_plan=note.action_plan,
                    created_at=note.created_at,
                )
            )
        return note

    def for_rep(self, actor: User, rep_id: str | None = None, *, session_id: str | None = None) -> list[CoachingNote]:
        """Notes on a rep (default: the actor), newest first; only one session's when given."""
        target = rep_id or actor.id
        self._teams.require_view_user(actor, target)
        query = (
            select(coaching_notes, users.c.display_name, users.c.username)
            .outerjoin(users, users.c.id == coaching_notes.c.manager_id)
            .where(coaching_notes.c.rep_id == target)
            .order_by(coaching_notes.c.created_at.desc())
            .limit(200)
        )
        if session_id:
            query = query.where(coaching_notes.c.session_id == session_id)
        with read_transaction(self._engine) as conn:
            rows = list(conn.execute(query))
        return [
            CoachingNote(
                r.id,
                r.rep_id,
                r.session_id,
                r.manager_id,
                r.display_name or r.username or "",
                r.coached,
                r.changed,
                r.action_plan,
                r.created_at,
            )
            for r in rows
        ]
