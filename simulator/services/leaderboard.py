"""Streaks, points, badges and the cohort leaderboard, all derived from ended sessions.

Only sessions from the cohort's start date count. Points per ended session: 10, plus the overall
score / 10 (rounded), plus 10 when it was that day's daily drill; at most
:data:`MAX_SCORED_PER_DAY` sessions score per day. A streak is the run of consecutive days with at
least one ended session, ending today (or yesterday, while today is still open). Days are read in
the viewer's time zone (``tz``; None: the server's), so a call at 23:30 counts for the day the rep
lived it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import tzinfo

from simulator.content.loader import ContentLibrary
from simulator.services.access import User
from simulator.services.cohorts import Cohort, CohortService, drill_on, local_day
from simulator.services.scorecards import overall
from simulator.store.sessions import SessionRecord, SessionStore

MAX_SCORED_PER_DAY = 5
BASE_POINTS = 10
DRILL_BONUS = 10


@dataclass(frozen=True)
class Standing:
    """One member's line on the leaderboard."""

    user_id: str
    name: str
    points: int
    streak: int
    best_streak: int
    sessions: int
    drills_done: int
    best_score: float | None
    badges: list[str] = field(default_factory=list)
    rank: int = 0


def _day(record: SessionRecord, tz: tzinfo | None = None) -> dt.date:
    return local_day(record.created_at, tz)


def streaks(days: set[dt.date], today: dt.date) -> tuple[int, int]:
    """(current streak, best streak) in days."""
    best = run = 0
    prev: dt.date | None = None
    for day in sorted(days):
        run = run + 1 if prev is not None and (day - prev).days == 1 else 1
        best, prev = max(best, run), day
    current = 0
    cursor = today if today in days else today - dt.timedelta(days=1)
    while cursor in days:
        current, cursor = current + 1, cursor - dt.timedelta(days=1)
    return current, best


def badges_for(st: Standing, kinds: set[str]) -> list[str]:
    """Badges earned, in a fixed order."""
    earned = []
    if st.sessions >= 1:
        earned.append("First call")
    if st.best_streak >= 3:
        earned.append("3-day streak")
    if st.best_streak >= 7:
        earned.append("7-day streak")
    if st.best_score is not None and st.best_score >= 80:
        earned.append("Scored 80+")
    if st.drills_done >= 5:
        earned.append("5 daily drills")
    if {"discovery", "objection_handling", "negotiation"} <= kinds:
        earned.append("All three call types")
    return earned


def standing(
    member: User,
    cohort: Cohort,
    sessions: Sequence[SessionRecord],
    library: ContentLibrary,
    today: dt.date,
    tz: tzinfo | None = None,
) -> Standing:
    """Points, streaks and badges of one member from their ended sessions (days in ``tz``)."""
    start = cohort.start_date or today
    counted = sorted(
        (s for s in sessions if s.status == "ended" and start <= _day(s, tz) <= today), key=lambda s: s.created_at
    )
    points, drills = 0, 0
    per_day: dict[dt.date, int] = {}
    drill_days: set[dt.date] = set()
    kinds: set[str] = set()
    for s in counted:
        day = _day(s, tz)
        per_day[day] = per_day.get(day, 0) + 1
        scenario = library.scenarios.get(s.scenario_id)
        if scenario is not None:
            kinds.add(scenario.kind)
        if per_day[day] > MAX_SCORED_PER_DAY:
            continue
        score = overall(s)
        points += BASE_POINTS + (round(score / 10) if score is not None else 0)
        if day not in drill_days:
            earlier = [x for x in counted if _day(x, tz) < day]
            drill = drill_on(cohort, (day - start).days + 1, earlier, library)
            if drill.scenario_id == s.scenario_id:
                drill_days.add(day)
                drills += 1
                points += DRILL_BONUS
    current, best = streaks({_day(s, tz) for s in counted}, today)
    scores = [v for v in (overall(s) for s in counted) if v is not None]
    st = Standing(member.id, member.label, points, current, best, len(counted), drills, max(scores) if scores else None)
    return Standing(**{**st.__dict__, "badges": badges_for(st, kinds)})


class Leaderboard:
    """The cohort leaderboard (members and managers of members may see it)."""

    def __init__(self, cohorts: CohortService, store: SessionStore, library: ContentLibrary) -> None:
        self._cohorts = cohorts
        self._store = store
        self._library = library

    def ended_sessions(self, user_id: str) -> list[SessionRecord]:
        """A member's ended sessions, newest first (up to 1000)."""
        return self._store.list_sessions(user_id=user_id, status="ended", limit=1000)

    def standings(
        self, actor: User, cohort_id: str, today: dt.date | None = None, *, tz: tzinfo | None = None
    ) -> list[Standing]:
        """Members ranked by points, then current streak, then name (days in ``tz``)."""
        cohort = self._cohorts.require_cohort(actor, cohort_id)
        today = today or self._cohorts.today(tz)
        rows = [
            standing(m, cohort, self.ended_sessions(m.id), self._library, today, tz)
            for m in self._cohorts.members(actor, cohort_id)
        ]
        rows.sort(key=lambda r: (-r.points, -r.streak, r.name.lower()))
        ranked: list[Standing] = []
        for i, row in enumerate(rows):
            same = ranked and ranked[-1].points == row.points and ranked[-1].streak == row.streak
            ranked.append(Standing(**{**row.__dict__, "rank": ranked[-1].rank if same else i + 1}))
        return ranked
