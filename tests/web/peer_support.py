"""A finished, scored call for the peer-review tests, written straight to the store.

Peer review only needs a finished call with a transcript and a scorecard; building it here (not by
playing the call through the engine and the grader) keeps these tests about sharing and reviewing,
and fast. One service test still plays a real call end to end (``test_peer_review.py``).
"""

from __future__ import annotations

from typing import Any

from grading.rubric import rubric_for_scenario
from simulator.engine.state import TurnRecord
from simulator.services.access import User
from simulator.services.app_services import AppServices

REP_LINES = [
    "Hi Raj, thanks for taking the call.",
    "How are you handling order exceptions today?",
    "What does that cost your team each week?",
    "Who else is involved in deciding on a tool like this?",
    "Can we meet Tuesday at 10am to walk through it?",
]
BUYER_LINES = [
    "Hello, this is Raj.",
    "Sure, go ahead.",
    "We fix them by hand in spreadsheets, mostly.",
    "Maybe fifteen hours a week across the team.",
    "Our finance lead, Dana, signs off on anything like this.",
    "Tuesday at 10 works.",
]
AUTO_SCORES = [4, 3, 2, 5, 3, 2, 4]


def _turn(index: int, speaker: str, text: str, at: float) -> TurnRecord:
    return TurnRecord(index=index, speaker=speaker, text=text, stage="discovery", analysis=None,  # type: ignore[typeddict-item]
                      move=None, state=None, voiced_by="rep" if speaker == "rep" else "gist", rejected=None,
                      llm_line=None, at=at)


def finished_call(services: AppServices, user: User, scenario_id: str = "saas-discovery-ops") -> str:
    """Store an ended call of ``user`` (buyer opens, five rep lines) with a scorecard; returns its id."""
    store = services.practice.store
    scenario = services.practice.library.scenarios[scenario_id]
    record = store.create_session(scenario_id=scenario_id, persona_id=scenario.persona, difficulty="medium",
                                  user_id=user.id)
    turns = [_turn(0, "buyer", BUYER_LINES[0], record.created_at)]
    for i, line in enumerate(REP_LINES):
        turns.append(_turn(len(turns), "rep", line, record.created_at + i))
        turns.append(_turn(len(turns), "buyer", BUYER_LINES[i + 1], record.created_at + i))
    store.append_turns(record.id, turns)
    comps: list[dict[str, Any]] = [
        {"id": e.id, "name": e.name, "score": AUTO_SCORES[i % len(AUTO_SCORES)], "weight": e.weight}
        for i, e in enumerate(rubric_for_scenario(scenario))
    ]
    card = {"overall": 62, "kind": scenario.kind, "scenario_id": scenario_id, "competencies": comps}
    store.update_session(record.id, status="ended", turn_count=len(turns), scorecard=card, overall_score=62.0)
    return record.id
