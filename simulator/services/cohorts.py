"""Onboarding cohorts: members, a start date, a curriculum and today's drill for each member.

The curriculum (``cohorts.curriculum`` JSON) is ``{"mode": "rotation" | "weakest", "scenarios":
[ids]}``. Rotation: day *n* of the cohort is scenario ``n mod len(scenarios)``. Weakest: the
scenario (from the curriculum) that trains the member's weakest competency so far, falling back
to the rotation until the member has a scorecard. Difficulty ramps with the weeks: easy in week 1,
medium in week 2, hard from week 3.

Days are the user's days: "today" and the day a session belongs to are read in the time zone the
web page passes (``tz``, the user's IANA zone from the Account tab); without one, the server's.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Literal

from sqlalchemy import Engine, insert, select

from simulator.content.loader import ContentLibrary
from simulator.errors import PermissionDeniedError
from simulator.services.access import User, require_admin, user_from_row
from simulator.services.scorecards import average_scores, pretty, weakest
from simulator.services.teams import TeamError, TeamService, check_name
from simulator.store.db import read_transaction, write_transaction
from simulator.store.schema import cohort_members, cohorts, users
from simulator.store.sessions import SessionRecord

Mode = Literal["rotation", "weakest"]
MODES: tuple[Mode, ...] = ("rotation", "weakest")


@dataclass(frozen=True, slots=True)
class Cohort:
    id: str
    name: str
    start_date: dt.date | None
    mode: Mode
    scenarios: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DailyDrill:
    """Today's drill for one member: what, how hard, and why this one."""

    day: int
    """1 on the start date."""
    scenario_id: str
    difficulty: str
    why: str


def _cohort(row: Any) -> Cohort:
    cur = row.curriculum if isinstance(row.curriculum, Mapping) else {}
    mode: Mode = "weakest" if cur.get("mode") == "weakest" else "rotation"
    scen = tuple(s for s in cur.get("scenarios", []) if isinstance(s, str))
    return Cohort(row.id, row.name, row.start_date, mode, scen)


def local_day(ts: float, tz: tzinfo | None = None) -> dt.date:
    """The calendar day of a timestamp in ``tz`` (None: the server's time zone)."""
    return dt.datetime.fromtimestamp(ts, tz).date()


def difficulty_for_day(day: int) -> str:
    """easy in week 1, medium in week 2, hard from week 3."""
    return "easy" if day <= 7 else "medium" if day <= 14 else "hard"


def drill_on(cohort: Cohort, day: int, earlier: Sequence[SessionRecord], library: ContentLibrary) -> DailyDrill:
    """The drill for ``day`` (1-based), given the member's ended sessions before that day."""
    curriculum = ([s for s in cohort.scenarios if s in library.scenarios]
                  or sorted(s.id for s in library.shared_scenarios()))  # not a team's own drills
    rotation = curriculum[(day - 1) % len(curriculum)]
    difficulty = difficulty_for_day(day)
    if cohort.mode == "weakest":
        weak = weakest(average_scores(earlier))
        if weak is not None:
            for sid in curriculum:
                if weak in library.scenarios[sid].competencies:
                    return DailyDrill(day, sid, difficulty, f"trains your weakest skill so far: {pretty(weak).lower()}")
        return DailyDrill(
            day, rotation, difficulty, "next in the curriculum (no scorecard yet to find your weakest skill)"
        )
    return DailyDrill(day, rotation, difficulty, f"day {day} of the curriculum rotation")


class CohortService:
    """Cohorts and their members; who may see a cohort; today's drill."""

    def __init__(
        self,
        engine: Engine,
        library: ContentLibrary,
        teams: TeamService,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._library = library
        self._teams = teams
        self._clock = clock

    def today(self, tz: tzinfo | None = None) -> dt.date:
        """Today's date in ``tz`` (None: the server's time zone), from the injected clock."""
        return local_day(self._clock(), tz)

    def create_cohort(
        self,
        actor: User | None,
        name: str,
        *,
        start_date: dt.date | None = None,
        mode: str = "rotation",
        scenarios: Sequence[str] = (),
    ) -> Cohort:
        """Create a cohort (admins; None = command line). Scenarios must exist; none = all."""
        if actor is not None:
            require_admin(actor)
        name = check_name(name, "cohort")
        if mode not in MODES:
            raise TeamError(f"Unknown daily-drill mode {mode!r}; choose rotation or weakest.")
        unknown = [s for s in scenarios if s not in self._library.scenarios]
        if unknown:
            raise TeamError(f"Unknown scenario(s): {', '.join(unknown)}.")
        start = start_date or self.today()
        today = self.today()
        if abs((start - today).days) > 366:
            raise TeamError("The start date must be within a year of today.")
        cohort = Cohort(uuid.uuid4().hex, name, start, mode, tuple(scenarios))
        with write_transaction(self._engine) as conn:
            if conn.execute(select(cohorts.c.id).where(cohorts.c.name == name)).first() is not None:
                raise TeamError(f"A cohort called {name!r} exists already.")
            conn.execute(
                insert(cohorts).values(
                    id=cohort.id,
                    name=name,
                    start_date=start,
                    curriculum={"mode": mode, "scenarios": list(scenarios)},
                    created_at=self._clock(),
                )
            )
        return cohort

    def by_name(self, name: str) -> Cohort | None:
        """The cohort with this exact name, or None."""
        with read_transaction(self._engine) as conn:
            row = conn.execute(select(cohorts).where(cohorts.c.name == " ".join(name.split()))).first()
        return _cohort(row) if row is not None else None

    def get_or_create(self, name: str) -> Cohort:
        """The cohort with this name, created (starting today) when missing (command line)."""
        return self.by_name(name) or self.create_cohort(None, name)

    def add_member(self, actor: User | None, cohort_id: str, user_id: str) -> None:
        """Add a user to a cohort (admins; None = command line). Adding twice is harmless."""
        if actor is not None:
            require_admin(actor)
        with write_transaction(self._engine) as conn:
            if conn.execute(select(cohorts.c.id).where(cohorts.c.id == cohort_id)).first() is None:
                raise TeamError("There is no such cohort.")
            if conn.execute(select(users.c.id).where(users.c.id == user_id)).first() is None:
                raise TeamError("There is no such user.")
            exists = conn.execute(
                select(cohort_members.c.user_id).where(
                    cohort_members.c.cohort_id == cohort_id, cohort_members.c.user_id == user_id
                )
            ).first()
            if exists is None:
                conn.execute(insert(cohort_members).values(cohort_id=cohort_id, user_id=user_id))

    def _all(self) -> list[Cohort]:
        with read_transaction(self._engine) as conn:
            return [_cohort(r) for r in conn.execute(select(cohorts).order_by(cohorts.c.name))]

    def _member_ids(self, cohort_id: str) -> list[str]:
        with read_transaction(self._engine) as conn:
            return list(
                conn.execute(select(cohort_members.c.user_id).where(cohort_members.c.cohort_id == cohort_id)).scalars()
            )

    def can_view(self, actor: User, cohort_id: str) -> bool:
        """Admins, the cohort's members, and managers of any of its members may see it."""
        if actor.is_admin:
            return True
        members = self._member_ids(cohort_id)
        if actor.id in members:
            return True
        visible = self._teams.visible_user_ids(actor)
        return actor.role == "manager" and visible is not None and bool(set(members) & (visible - {actor.id}))

    def can_assign(self, actor: User, cohort_id: str) -> bool:
        """Admins, and managers who manage every member of the cohort, may assign to it."""
        if actor.is_admin:
            return True
        if actor.role != "manager":
            return False
        members = set(self._member_ids(cohort_id))
        visible = self._teams.visible_user_ids(actor) or set()
        return bool(members) and members <= visible

    def list_cohorts(self, actor: User) -> list[Cohort]:
        """The cohorts the actor may see."""
        return [c for c in self._all() if self.can_view(actor, c.id)]

    def require_cohort(self, actor: User, cohort_id: str) -> Cohort:
        """The cohort, if the actor may see it."""
        for cohort in self._all():
            if cohort.id == cohort_id and self.can_view(actor, cohort_id):
                return cohort
        raise PermissionDeniedError("You can open only your own cohorts (or those of reps you manage).")

    def members(self, actor: User, cohort_id: str) -> list[User]:
        """The cohort's members, for someone who may see it."""
        self.require_cohort(actor, cohort_id)
        query = (
            select(users)
            .join(cohort_members, cohort_members.c.user_id == users.c.id)
            .where(cohort_members.c.cohort_id == cohort_id)
            .order_by(users.c.username)
        )
        with read_transaction(self._engine) as conn:
            return [user_from_row(r) for r in conn.execute(query)]

    def member_ids(self, cohort_id: str) -> list[str]:
        """Member ids (no authorization: for services that already checked)."""
        return self._member_ids(cohort_id)

    def cohorts_of(self, user_id: str) -> list[Cohort]:
        """Cohorts a user is a member of."""
        return [c for c in self._all() if user_id in self._member_ids(c.id)]

    def day_of(self, cohort: Cohort, today: dt.date | None = None) -> int:
        """1 on the start date; 0 or less before it."""
        start = cohort.start_date or self.today()
        return ((today or self.today()) - start).days + 1

    def daily_drill(
        self,
        cohort: Cohort,
        sessions: Sequence[SessionRecord],
        today: dt.date | None = None,
        *,
        tz: tzinfo | None = None,
    ) -> DailyDrill | None:
        """Today's drill (today in ``tz``) for a member whose ended sessions are ``sessions``; None
        before the start."""
        today = today or self.today(tz)
        day = self.day_of(cohort, today)
        if day < 1:
            return None
        earlier = [s for s in sessions if local_day(s.created_at, tz) < today]
        return drill_on(cohort, day, earlier, self._library)
