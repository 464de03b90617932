"""What a manager sees of a team, and what a rep sees of their own progress, as plain data.

Scores come from the stored scorecards (read defensively); activity from session rows. The web
pages turn these into charts and tables; the CSV export is built here.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Callable
from dataclasses import dataclass

from simulator.content.competencies import COMPETENCY_IDS
from simulator.content.loader import ContentLibrary
from simulator.services.access import User
from simulator.services.assignments import AssignmentService
from simulator.services.scorecards import (
    average_scores,
    competency_names,
    competency_scores,
    drill_for,
    overall,
    pretty,
    weakest,
)
from simulator.services.teams import TeamService
from simulator.store.sessions import SessionRecord, SessionStore

ORDER = COMPETENCY_IDS
HISTORY_LIMIT = 500


@dataclass(frozen=True)
class RepActivity:
    user: User
    sessions: int
    ended: int
    last_7_days: int
    last_practised: float | None
    average_overall: float | None
    assignments_done: int
    assignments_total: int


@dataclass(frozen=True)
class Suggestion:
    """A drill to assign a rep, drawn from their weakest competency."""

    user: User
    competency: str
    competency_name: str
    average: float
    scenario_id: str
    difficulty: str
    why: str


@dataclass(frozen=True)
class TeamDashboard:
    team_name: str
    reps: list[User]
    competencies: list[str]
    names: dict[str, str]
    matrix: list[list[float | None]]
    """``matrix[rep][competency]``: the rep's mean score (1-5), None when never scored."""
    weakest_skills: list[tuple[str, float]]
    activity: list[RepActivity]
    weeks: list[str]
    sessions_per_week: list[int]


@dataclass(frozen=True)
class ProgressPoint:
    at: float
    session_id: str
    scenario_id: str
    overall: float | None
    scores: dict[str, float]
    names: dict[str, str]
    """Competency id → name as the scorecard names it."""


def _ordered(ids: set[str]) -> list[str]:
    return sorted(ids, key=lambda c: (ORDER.index(c) if c in ORDER else len(ORDER), c))


def _safe_cell(value: object) -> str:
    """Spreadsheet-safe text: a leading = + - @ would run as a formula, so it gets a quote."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class DashboardService:
    """Team dashboards, suggestions, progress over time and CSV export, authorized by team."""

    def __init__(
        self,
        store: SessionStore,
        library: ContentLibrary,
        teams: TeamService,
        assignments: AssignmentService,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._store = store
        self._library = library
        self._teams = teams
        self._assignments = assignments
        self._clock = clock

    def _sessions(self, user_id: str) -> list[SessionRecord]:
        return self._store.list_sessions(user_id=user_id, limit=HISTORY_LIMIT)

    def team(self, actor: User, team_id: str) -> TeamDashboard:
        """Heatmap data, weakest skills, activity and completion for a team the actor manages."""
        team = self._teams.require_team(actor, team_id)
        reps = self._teams.members(actor, team_id)
        now = self._clock()
        per_rep = {r.id: self._sessions(r.id) for r in reps}
        averages = {r.id: average_scores(per_rep[r.id]) for r in reps}
        comp_ids = _ordered({c for a in averages.values() for c in a})
        names = competency_names(s.scorecard for ss in per_rep.values() for s in ss)
        matrix = [[averages[r.id].get(c) for c in comp_ids] for r in reps]
        team_avg = average_scores(s for ss in per_rep.values() for s in ss)
        weakest_skills = sorted(team_avg.items(), key=lambda kv: (kv[1], kv[0]))[:3]
        activity = []
        for rep in reps:
            rows = per_rep[rep.id]
            scores = [v for v in (overall(s) for s in rows) if v is not None]
            progress = self._assignments.for_user(actor, rep.id)
            activity.append(
                RepActivity(
                    user=rep,
                    sessions=len(rows),
                    ended=sum(1 for s in rows if s.status == "ended"),
                    last_7_days=sum(1 for s in rows if s.created_at >= now - 7 * 86400),
                    last_practised=rows[0].created_at if rows else None,
                    average_overall=sum(scores) / len(scores) if scores else None,
                    assignments_done=sum(1 for p in progress if p.done),
                    assignments_total=len(progress),
                )
            )
        today = dt.date.fromtimestamp(now)
        monday = today - dt.timedelta(days=today.weekday())
        starts = [monday - dt.timedelta(weeks=w) for w in range(7, -1, -1)]
        counts = [0] * len(starts)
        for rows in per_rep.values():
            for s in rows:
                day = dt.date.fromtimestamp(s.created_at)
                for i in range(len(starts) - 1, -1, -1):
                    if day >= starts[i]:
                        if (day - starts[i]).days < 7:
                            counts[i] += 1
                        break
        return TeamDashboard(
            team.name,
            reps,
            comp_ids,
            {c: names.get(c, pretty(c)) for c in comp_ids},
            matrix,
            weakest_skills,
            activity,
            [d.isoformat() for d in starts],
            counts,
        )

    def suggestions(self, actor: User, team_id: str) -> list[Suggestion]:
        """For each rep with a scorecard: their weakest competency and a drill that trains it."""
        out = []
        for rep in self._teams.members(actor, team_id):
            rows = self._sessions(rep.id)
            averages = average_scores(rows)
            weak = weakest(averages)
            scenario = drill_for(weak, self._library.shared_scenarios())  # never another team's own drill
            if weak is None or scenario is None:
                continue
            scores = [v for v in (overall(s) for s in rows if s.scenario_id == scenario.id) if v is not None]
            mean = sum(scores) / len(scores) if scores else None
            difficulty = (
                "easy" if mean is not None and mean < 50 else "hard" if mean is not None and mean >= 75 else "medium"
            )
            names = competency_names(s.scorecard for s in rows)
            why = f"weakest skill: {names.get(weak, pretty(weak)).lower()} (average {averages[weak]:.1f}/5)"
            out.append(
                Suggestion(rep, weak, names.get(weak, pretty(weak)), averages[weak], scenario.id, difficulty, why)
            )
        return out

    def progress(self, actor: User, user_id: str | None = None) -> list[ProgressPoint]:
        """The user's graded sessions, oldest first, with each competency's score."""
        target = user_id or actor.id
        self._teams.require_view_user(actor, target)
        rows = [s for s in self._sessions(target) if s.status == "ended"]
        return [
            ProgressPoint(
                s.created_at,
                s.id,
                s.scenario_id,
                overall(s),
                competency_scores(s.scorecard),
                competency_names([s.scorecard]),
            )
            for s in reversed(rows)
        ]

    def csv_export(self, actor: User, team_id: str) -> str:
        """One row per session of every team member: who, what, when, turns, scores."""
        self._teams.require_team(actor, team_id)
        reps = self._teams.members(actor, team_id, include_managers=True)
        per_rep = {r.id: self._sessions(r.id) for r in reps}
        comp_ids = _ordered({c for rows in per_rep.values() for s in rows for c in competency_scores(s.scorecard)})
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(
            [
                "username",
                "name",
                "session_id",
                "scenario_id",
                "difficulty",
                "status",
                "started_utc",
                "ended_utc",
                "turns",
                "overall",
                *comp_ids,
            ]
        )

        def stamp(t: float | None) -> str:
            return "" if t is None else dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")

        for rep in reps:
            for s in per_rep[rep.id]:
                scores = competency_scores(s.scorecard)
                score = overall(s)
                writer.writerow(
                    [
                        _safe_cell(v)
                        for v in (
                            rep.username,
                            rep.display_name,
                            s.id,
                            s.scenario_id,
                            s.difficulty,
                            s.status,
                            stamp(s.created_at),
                            stamp(s.ended_at),
                            s.turn_count,
                            "" if score is None else f"{score:.0f}",
                            *("" if c not in scores else f"{scores[c]:g}" for c in comp_ids),
                        )
                    ]
                )
        return out.getvalue()
