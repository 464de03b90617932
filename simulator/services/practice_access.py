"""Reading practice sessions with accounts: managers read their teams' sessions.

Talking (start, send, end, resume) has one rule for every way a message arrives, in the
conversation service itself (:mod:`simulator.session.permissions`); the methods here only forward
the signed-in user to it. Reading is wider: a manager may open a team member's session and
scorecard, but only its owner may talk in it. A missing session and one the actor may not open get
the same message, so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from simulator.errors import UnknownIdError
from simulator.services.access import User
from simulator.services.teams import TeamService
from simulator.session import Event, PracticeService, SessionView
from simulator.session.permissions import refused as _refused
from simulator.store.sessions import SessionRecord

MAX_HISTORY = 200


class PracticeAccess:
    """Authorization in front of the practice service."""

    def __init__(self, practice: PracticeService, teams: TeamService) -> None:
        self.practice = practice
        self.teams = teams
        self.drills: Any = None
        """The Drill studio's service (set by AppServices.build): who may play a team's drill, and
        the drill version each new session records."""

    def record(self, actor: User, session_id: str) -> SessionRecord:
        """The session's row, if the actor may read it (own, team member's, or admin)."""
        record = self.practice.store.get_session(str(session_id or "")[:64])
        if record is None or not self.teams.can_view_user(actor, record.user_id):
            raise _refused(str(session_id))
        return record

    def view(self, actor: User, session_id: str) -> SessionView:
        """Transcript, buyer state and outcome of a session the actor may read."""
        record = self.record(actor, session_id)
        return self.practice.get(record.id)  # the read rule was checked just above

    def start(
        self, actor: User, scenario_id: str, *, persona_id: str | None = None, difficulty: str = "medium"
    ) -> Iterator[Event]:
        """Start a session owned by the actor (a team's own drill: only that team's people and admins;
        the session records the drill version)."""
        if self.drills is None:
            return self.practice.start(scenario_id, persona_id=persona_id, difficulty=difficulty, actor=actor)
        if not self.drills.may_play(actor, scenario_id):
            raise UnknownIdError("scenario", str(scenario_id)[:64], [s.id for s in self.drills.playable(actor)])
        return self._noting_version(
            self.practice.start(scenario_id, persona_id=persona_id, difficulty=difficulty, actor=actor), scenario_id
        )

    def _noting_version(self, events: Iterator[Event], scenario_id: str) -> Iterator[Event]:
        for event in events:
            if event["type"] == "session":
                self.drills.note_session(event["session_id"], scenario_id)
            yield event

    def send(self, actor: User, session_id: str, text: str, *, speech: dict[str, Any] | None = None) -> Iterator[Event]:
        """Send a message (typed or spoken) in the actor's own session."""
        return self.practice.send(session_id, text, actor=actor, speech=speech)

    def end(self, actor: User, session_id: str) -> Iterator[Event]:
        """End the actor's own session (a reply in progress is cut short)."""
        return self.practice.end(session_id, actor=actor)

    def resume(self, actor: User, session_id: str) -> Iterator[Event]:
        """Finish what a crash left half-done in the actor's own session."""
        return self.practice.resume(session_id, actor=actor)

    def unfinished(self, actor: User) -> list[SessionRecord]:
        """The actor's open calls, newest first (idle ones are closed as abandoned first)."""
        return self.practice.unfinished(actor)

    def history(self, actor: User, user_id: str | None = None, *, limit: int = 50) -> list[SessionRecord]:
        """Sessions of ``user_id`` (default: the actor), newest first, if the actor may see them."""
        target = user_id or actor.id
        self.teams.require_view_user(actor, target)
        return self.practice.list(user_id=target, limit=max(1, min(limit, MAX_HISTORY)))
