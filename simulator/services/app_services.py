"""Every service the web app (and the ``sparring user`` commands) use, wired over one store."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from simulator.services.accounts import AccountService, SignInPolicy
from simulator.services.assignments import AssignmentService
from simulator.services.coaching_notes import CoachingService
from simulator.services.cohorts import CohortService
from simulator.services.dashboards import DashboardService
from simulator.services.drills import DrillService, build_drills
from simulator.services.exports import ExportService
from simulator.services.hints import HintService
from simulator.services.leaderboard import Leaderboard
from simulator.services.passwords import Passwords
from simulator.services.peer_review import PeerReviewService
from simulator.services.practice_access import PracticeAccess
from simulator.services.teams import TeamService
from simulator.session import PracticeService
from simulator.store.reviews import ReviewStore


@dataclass
class AppServices:
    """The practice service plus accounts, teams, cohorts, assignments, dashboards and hints."""

    practice: PracticeService
    accounts: AccountService
    teams: TeamService
    sessions: PracticeAccess
    cohorts: CohortService
    leaderboard: Leaderboard
    assignments: AssignmentService
    dashboards: DashboardService
    coaching: CoachingService
    hints: HintService
    exports: ExportService
    peer_review: PeerReviewService
    drills: DrillService
    """The Drill studio: a team's own drills (simulator/services/drills.py)."""

    @classmethod
    def build(
        cls,
        practice: PracticeService,
        *,
        passwords: Passwords | None = None,
        clock: Callable[[], float] = time.time,
    ) -> AppServices:
        """Wire every service over the practice service's store (no I/O beyond what they need)."""
        engine = practice.store.engine
        library = practice.library
        teams = TeamService(engine, clock=clock)
        access = PracticeAccess(practice, teams)
        cohorts = CohortService(engine, library, teams, clock=clock)
        assignments = AssignmentService(engine, practice.store, library, teams, cohorts, clock=clock)
        accounts = AccountService(
            engine, passwords=passwords, clock=clock, policy=SignInPolicy.from_settings(practice.settings)
        )
        return cls(
            practice=practice,
            accounts=accounts,
            teams=teams,
            sessions=access,
            cohorts=cohorts,
            leaderboard=Leaderboard(cohorts, practice.store, library),
            assignments=assignments,
            dashboards=DashboardService(practice.store, library, teams, assignments, clock=clock),
            coaching=CoachingService(engine, teams, access, clock=clock),
            hints=HintService(engine, access, clock=clock),
            exports=ExportService(
                engine,
                practice.settings.data_dir / "exports",
                ttl_s=float(getattr(practice.settings, "export_ttl_s", 600.0)),
                clock=clock,
            ),
            peer_review=PeerReviewService(
                ReviewStore(engine), practice.store, library, teams, accounts, clock=clock
            ),
            drills=build_drills(practice, teams, access, clock=clock),
        )
