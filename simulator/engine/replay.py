"""Play a list of rep lines through the real session graph, in memory, with no LLM.

Used by self-play checks, the grader's calibration set and tests: the same director rules as a
live session, the template backend as the buyer's voice, nothing persisted.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from simulator.content.loader import ContentLibrary, load_library
from simulator.content.models import Difficulty
from simulator.engine.context import SessionContext
from simulator.engine.state import BuyerState, Outcome, TurnRecord
from simulator.llm.base import LLM
from simulator.llm.template import TemplateLLM
from simulator.session.runner import ConversationRunner, end_call, rep_message


@dataclass(frozen=True)
class PlayResult:
    """The whole played conversation."""

    transcript: list[TurnRecord]
    buyer: BuyerState
    outcome: Outcome


RepPolicy = Callable[[list[TurnRecord], BuyerState], str | None]
"""Given the transcript so far and the buyer state, the rep's next line (None ends the call)."""


def play(
    scenario_id: str,
    rep: Iterable[str] | RepPolicy,
    *,
    difficulty: Difficulty = "medium",
    persona_id: str | None = None,
    library: ContentLibrary | None = None,
    llm: LLM | None = None,
    clock: Callable[[], float] = lambda: 0.0,
    session_id: str | None = None,
) -> PlayResult:
    """Run a conversation with scripted rep lines or a rep policy until it ends.

    ``session_id`` seeds the buyer's choice among equally fitting lines; by default it is derived
    from the drill, so the same rep lines always hear the same buyer."""
    library = library or load_library()
    scenario = library.scenario(scenario_id)
    persona = library.persona(persona_id or scenario.persona)
    ctx = SessionContext(persona=persona, scenario=scenario, difficulty=difficulty,
                         llm=llm or TemplateLLM(), clock=clock)
    runner = ConversationRunner()
    session_id = session_id or f"play-{scenario.id}-{persona.id}-{difficulty}"
    thread = f"{session_id}-{uuid.uuid4().hex[:8]}"
    runner.run(thread, ctx, {"session_id": session_id})
    lines = iter(rep) if not callable(rep) else None
    while True:
        values = runner.values(thread)
        if values.get("outcome") is not None:
            break
        if lines is not None:
            text = next(lines, None)
        else:
            assert callable(rep)
            text = rep(values["transcript"], values["buyer"])
        runner.run(thread, ctx, end_call() if text is None else rep_message(text))
    values = runner.values(thread)
    return PlayResult(transcript=values["transcript"], buyer=values["buyer"], outcome=values["outcome"])


def play_rep_lines(
    scenario_id: str,
    rep_lines: list[str],
    *,
    difficulty: Difficulty = "medium",
    persona_id: str | None = None,
    library: ContentLibrary | None = None,
) -> PlayResult:
    """Play fixed rep lines; the call ends when the lines run out or the buyer ends it."""
    return play(scenario_id, rep_lines, difficulty=difficulty, persona_id=persona_id, library=library)
