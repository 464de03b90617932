"""A stored-session source for grading tests: what the grader reads of a saved practice session."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from simulator.engine.state import TurnRecord

CALL = (
    "Alex: Hi Dana, thanks for your time. How do you plan routes today?\n"
    "Dana: Spreadsheets. It's slow and we miss delivery windows.\n"
    "Alex: You mentioned missed windows. What does that cost you each month?\n"
    "Dana: A few thousand in credits.\n"
)
"""A short real call used by the CLI, batch and judge-settings tests."""


@dataclass
class FakeRecord:
    """A stored session's row."""

    id: str
    scenario_id: str
    persona_id: str
    difficulty: str = "medium"
    user_id: str | None = "u1"
    created_at: float = 0.0
    outcome: Any = None
    scorecard: dict[str, Any] | None = None


@dataclass
class FakeStore:
    """Sessions and turns in memory, with the store's query for earlier attempts."""

    sessions: dict[str, FakeRecord] = field(default_factory=dict)
    turns: dict[str, list[TurnRecord]] = field(default_factory=dict)

    def get_session(self, session_id: str) -> FakeRecord | None:
        return self.sessions.get(session_id)

    def get_turns(self, session_id: str) -> list[TurnRecord]:
        return self.turns.get(session_id, [])

    def list_sessions(
        self,
        user_id: str | None = None,
        scenario_id: str | None = None,
        status: Any = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[FakeRecord]:
        found = [s for s in self.sessions.values() if s.user_id == user_id and s.scenario_id == scenario_id]
        return sorted(found, key=lambda s: -s.created_at)[:limit]
