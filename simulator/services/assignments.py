"""Assignments: a drill (scenario + difficulty) for a rep, a team or a cohort, with its progress.

Progress is derived from sessions: an *attempt* is a session of the assignee at that scenario and
difficulty started after the assignment was made; the assignment is *done* once an attempt ends
with an overall score at or above the minimum (any ended attempt when there is no minimum).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, insert, or_, select

from simulator.content.loader import ContentLibrary
from simulator.errors import PermissionDeniedError, SparringError
from simulator.services.access import User, require_manager
from simulator.services.cohorts import CohortService
from simulator.services.scorecards import overall
from simulator.services.teams import TeamService
from simulator.session import DIFFICULTIES
from simulator.store.db import read_transaction, write_transaction
from simulator.store.schema import assignments, team_members
from simulator.store.sessions import SessionStore

TargetKind = Literal["user", "team", "cohort"]
TARGET_KINDS: tuple[TargetKind, ...] = ("user", "team", "cohort")
MAX_ATTEMPTS_LIMIT = 20
MAX_NOTE = 500
MAX_DAYS_AHEAD = 365


class AssignmentError(SparringError):
    """A form value that cannot be used; the message names the field and the allowed values."""


@dataclass(frozen=True, slots=True)
class Assignment:
    id: str
    scenario_id: str
    difficulty: str
    target_kind: TargetKind
    target_id: str
    due_date: dt.date | None
    min_score: float | None
    max_attempts: int | None
    created_by: str | None
    created_at: float
    note: str


@dataclass(frozen=True, slots=True)
class Progress:
    """One assignee's progress on one assignment."""

    assignment: Assignment
    user_id: str
    attempts: int
    best_score: float | None
    done: bool
    status: Literal["done", "open", "overdue", "out of attempts"]

    @property
    def attempts_left(self) -> int | None:
        a = self.assignment
        return None if a.max_attempts is None else max(0, a.max_attempts - self.attempts)


def _assignment(row: Any) -> Assignment:
    m = row._mapping
    return Assignment(
        m["id"],
        m["scenario_id"],
        m["difficulty"],
        m["assignee_kind"],
        m["assignee_id"],
        m["due_date"],
        m["min_score"],
        m["max_attempts"],
        m["created_by"],
        m["created_at"],
        m["note"] or "",
    )


class AssignmentService:
    """Create assignments (managers), list them, and compute each assignee's progress."""

    def __init__(
        self,
        engine: Engine,
        store: SessionStore,
        library: ContentLibrary,
        teams: TeamService,
        cohorts: CohortService,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._store = store
        self._library = library
        self._teams = teams
        self._cohorts = cohorts
        self._clock = clock

    def today(self) -> dt.date:
        return dt.date.fromtimestamp(self._clock())

    # ------------------------------------------------------------------ create

    def create(
        self,
        actor: User,
        *,
        scenario_id: str,
        difficulty: str,
        target_kind: str,
        target_id: str,
        due_date: dt.date | None = None,
        min_score: float | None = None,
        max_attempts: int | None = None,
        note: str = "",
    ) -> Assignment:
        """Assign a drill. Every value is checked; the target must be one the actor manages."""
        require_manager(actor)
        if scenario_id not in self._library.scenarios:
            raise AssignmentError("Choose a scenario from the list.")
        if difficulty not in DIFFICULTIES:
            raise AssignmentError("Difficulty must be easy, medium or hard.")
        if target_kind not in TARGET_KINDS:
            raise AssignmentError("Assign to a rep, a team or a cohort.")
        if not target_id:
            raise AssignmentError(f"Choose the {target_kind} to assign to.")
        self._require_target(actor, target_kind, target_id)
        today = self.today()
        if due_date is not None and not today <= due_date <= today + dt.timedelta(days=MAX_DAYS_AHEAD):
            raise AssignmentError(f"The due date must be between today ({today.isoformat()}) and a year from now.")
        if min_score is not None and not 0 <= min_score <= 100:
            raise AssignmentError("The minimum score is out of 100: use a number from 0 to 100 (or leave it empty).")
        if max_attempts is not None and not 1 <= max_attempts <= MAX_ATTEMPTS_LIMIT:
            raise AssignmentError(f"Maximum attempts must be 1 to {MAX_ATTEMPTS_LIMIT} (or empty for no limit).")
        note = (note or "").strip()
        if len(note) > MAX_NOTE:
            raise AssignmentError(f"The note is {len(note)} characters; keep it under {MAX_NOTE}.")
        item = Assignment(
            uuid.uuid4().hex,
            scenario_id,
            difficulty,
            target_kind,
            target_id,
            due_date,
            min_score,
            max_attempts,
            actor.id,
            self._clock(),
            note,
        )
        with write_transaction(self._engine) as conn:
            conn.execute(
                insert(assignments).values(
                    id=item.id,
                    scenario_id=scenario_id,
                    difficulty=difficulty,
                    assignee_kind=target_kind,
                    assignee_id=target_id,
                    due_date=due_date,
                    min_score=min_score,
                    max_attempts=max_attempts,
                    created_by=actor.id,
                    created_at=item.created_at,
                    note=note,
                )
            )
        return item

    def _require_target(self, actor: User, kind: str, target_id: str) -> None:
        if kind == "user" and not self._teams.can_view_user(actor, target_id):
            raise PermissionDeniedError("You can assign drills only to reps on the teams you manage.")
        if kind == "team" and target_id not in self._teams.managed_team_ids(actor):
            raise PermissionDeniedError("You can assign drills only to the teams you manage.")
        if kind == "cohort" and not self._cohorts.can_assign(actor, target_id):
            raise PermissionDeniedError("You can assign to a cohort only when you manage all of its members.")

    # ------------------------------------------------------------------ reading

    def assignee_ids(self, item: Assignment) -> list[str]:
        """Who has to do it (team assignments go to the team's members, not its managers)."""
        if item.target_kind == "user":
            return [item.target_id]
        if item.target_kind == "team":
            with read_transaction(self._engine) as conn:
                return list(
                    conn.execute(
                        select(team_members.c.user_id).where(
                            team_members.c.team_id == item.target_id, team_members.c.role == "member"
                        )
                    ).scalars()
                )
        return self._cohorts.member_ids(item.target_id)

    def _rows(self, *conditions: Any) -> list[Assignment]:
        query = select(assignments).order_by(assignments.c.created_at.desc())
        if conditions:
            query = query.where(or_(*conditions))
        with read_transaction(self._engine) as conn:
            return [_assignment(r) for r in conn.execute(query)]

    def for_user(self, actor: User, user_id: str | None = None) -> list[Progress]:
        """The assignments of ``user_id`` (default: the actor) with progress, newest first."""
        target = user_id or actor.id
        self._teams.require_view_user(actor, target)
        team_ids = self._teams.team_ids_of(target)
        cohort_ids = [c.id for c in self._cohorts.cohorts_of(target)]
        rows = self._rows(
            (assignments.c.assignee_kind == "user") & (assignments.c.assignee_id == target),
            (assignments.c.assignee_kind == "team") & assignments.c.assignee_id.in_(team_ids),
            (assignments.c.assignee_kind == "cohort") & assignments.c.assignee_id.in_(cohort_ids),
        )
        return [self.progress(item, target) for item in rows if target in self.assignee_ids(item)]

    def visible(self, actor: User) -> list[Assignment]:
        """Assignments whose target the actor manages (all for an admin)."""
        require_manager(actor)
        out = []
        for item in self._rows():
            try:
                self._require_target(actor, item.target_kind, item.target_id)
            except PermissionDeniedError:
                continue
            out.append(item)
        return out

    def progress(self, item: Assignment, user_id: str) -> Progress:
        """One assignee's attempts, best score and status."""
        sessions = [
            s
            for s in self._store.list_sessions(user_id=user_id, scenario_id=item.scenario_id, limit=1000)
            if s.difficulty == item.difficulty and s.created_at >= item.created_at and not s.abandoned
        ]
        ended = [s for s in sessions if s.status == "ended"]
        scores = [v for v in (overall(s) for s in ended) if v is not None]
        best = max(scores) if scores else None
        done = bool(ended) if item.min_score is None else best is not None and best >= item.min_score
        status: Literal["done", "open", "overdue", "out of attempts"] = "open"
        if done:
            status = "done"
        elif item.max_attempts is not None and len(sessions) >= item.max_attempts:
            status = "out of attempts"
        elif item.due_date is not None and self.today() > item.due_date:
            status = "overdue"
        return Progress(item, user_id, len(sessions), best, done, status)

    def start_check(self, actor: User, assignment_id: str) -> Assignment:
        """The assignment the actor may start an attempt at now (refuses when attempts are used up)."""
        for prog in self.for_user(actor):
            if prog.assignment.id == assignment_id:
                if prog.status == "out of attempts":
                    raise AssignmentError("You have used every attempt at this assignment; ask your manager.")
                return prog.assignment
        raise PermissionDeniedError("That assignment is not one of yours.")
