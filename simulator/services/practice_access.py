"""The practice service with accounts: a rep acts only on their own sessions; managers read their teams'.

Wraps :class:`~simulator.services.practice.PracticeService` (which already refuses another
user's session when given a user id) and adds the team rule for reading: a manager may open a
team member's session and scorecard, but only its owner may talk in it. A missing session and
one the actor may not open get the same message, so ids cannot be probed.
"""

from __future__ import annotations

from collections.abc import Iterator

from simulator.errors import PermissionDeniedError
from simulator.services.access import User
from simulator.services.practice import Event, PracticeService, SessionView
from simulator.services.teams import TeamService
from simulator.store.sessions import SessionRecord

MAX_HISTORY = 200


def _refused(session_id: str) -> PermissionDeniedError:
    shown = session_id if len(session_id) <= 40 else session_id[:40] + "…"
    return PermissionDeniedError(f"There is no practice session {shown!r} that you can open.")


class PracticeAccess:
    """Authorization in front of the practice service."""

    def __init__(self, practice: PracticeService, teams: TeamService) -> None:
        self.practice = practice
        self.teams = teams

    def record(self, actor: User, session_id: str) -> SessionRecord:
        """The session's row, if the actor may read it (own, team member's, or admin)."""
        record = self.practice.store.get_session(str(session_id or "")[:64])
        if record is None or not self.teams.can_view_user(actor, record.user_id):
            raise _refused(str(session_id))
        return record

    def own_record(self, actor: User, session_id: str) -> SessionRecord:
        """The session's row, if the actor owns it."""
        record = self.practice.store.get_session(str(session_id or "")[:64])
        if record is None or record.user_id != actor.id or actor.disabled:
            raise _refused(str(session_id))
        return record

    def view(self, actor: User, session_id: str) -> SessionView:
        """Transcript, buyer state and outcome of a session the actor may read."""
        record = self.record(actor, session_id)
        return self.practice.get(record.id, user_id=record.user_id)

    def start(
        self, actor: User, scenario_id: str, *, persona_id: str | None = None, difficulty: str = "medium"
    ) -> Iterator[Event]:
        """Start a session owned by the actor."""
        if actor.disabled:
            raise PermissionDeniedError("This account is disabled.")
        return self.practice.start(scenario_id, persona_id=persona_id, difficulty=difficulty, user_id=actor.id)

    def send(self, actor: User, session_id: str, text: str) -> Iterator[Event]:
        """Send a message in the actor's own session."""
        record = self.own_record(actor, session_id)
        return self.practice.send(record.id, text, user_id=actor.id)

    def end(self, actor: User, session_id: str) -> Iterator[Event]:
        """End the actor's own session."""
        record = self.own_record(actor, session_id)
        return self.practice.end(record.id, user_id=actor.id)

    def history(self, actor: User, user_id: str | None = None, *, limit: int = 50) -> list[SessionRecord]:
        """Sessions of ``user_id`` (default: the actor), newest first, if the actor may see them."""
        target = user_id or actor.id
        self.teams.require_view_user(actor, target)
        return self.practice.list(user_id=target, limit=max(1, min(limit, MAX_HISTORY)))
