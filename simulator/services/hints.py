"""Hints during a call: coaching from the buyer's state, without giving the answer away.

A hint names what to do next (explore the concern, ask an open question, trade instead of
conceding) from the explicit buyer state and the analysis of the rep's lines. It never quotes a
hidden fact, an objection's real concern, the words a response needs, or the buyer's walk-away
price. Each session allows :data:`HINTS_PER_SESSION` hints; asking again before the next message
repeats the last hint for free. Hints are stored in ``session_hints``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, insert, select

from simulator.content.facts import count_facts
from simulator.content.models import Persona, Scenario
from simulator.engine.state import BuyerState, TurnRecord
from simulator.errors import SessionStateError
from simulator.services.access import User
from simulator.services.practice_access import PracticeAccess
from simulator.store.db import read_transaction, write_transaction
from simulator.store.schema import session_hints

HINTS_PER_SESSION = 3
MAX_QUOTE = 80


@dataclass(frozen=True)
class Hint:
    kind: str
    text: str
    remaining: int


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"


def _last_rep(transcript: list[TurnRecord]) -> TurnRecord | None:
    return next((t for t in reversed(transcript) if t["speaker"] == "rep"), None)


def _hinted_question(transcript: list[TurnRecord], fact_ids: set[str]) -> str | None:
    """The rep's line just before the buyer hinted at a fact still untold."""
    for i, turn in enumerate(transcript):
        move: dict[str, Any] = dict(turn.get("move") or {})
        if turn["speaker"] == "buyer" and move.get("kind") == "hint" and move.get("fact_id") in fact_ids and i:
            prev = transcript[i - 1]
            if prev["speaker"] == "rep":
                return prev["text"]
    return None


def choose_hint(
    buyer: BuyerState, transcript: list[TurnRecord], persona: Persona, scenario: Scenario
) -> tuple[str, str]:
    """(kind, text) of the most useful hint now. Pure: same state → same hint."""
    name = persona.name.split()[0]
    b: dict[str, Any] = dict(buyer)
    last = _last_rep(transcript)
    analysis: dict[str, Any] = dict((last.get("analysis") if last else None) or {})
    active = b.get("objection_active")
    low = " Patience is running low, so make your next line count." if b.get("patience", 9) <= 2 else ""
    if active:
        progress = (b.get("objection_progress") or {}).get(active) or {}
        if not progress.get("explored"):
            return "explore", (
                f"{name} has a concern you haven't explored yet — acknowledge it, then ask what's "
                f"behind it before you answer.{low}"
            )
        if not progress.get("acknowledged"):
            return "acknowledge", f"Show {name} you heard the concern: say it back in your own words.{low}"
        return "respond", (
            f"You know the concern behind the objection now. Answer that concern specifically, "
            f"with a concrete example or proof, not the words of the objection.{low}"
        )
    if analysis.get("is_pitch") or analysis.get("is_monologue"):
        return "pitch", (
            f"Your last line was a pitch; {name} tunes out and trusts you less. Ask about "
            f"{name}'s situation instead, and keep it short.{low}"
        )
    streak = int(b.get("closed_streak") or 0)
    if streak >= 2:
        return "closed", (
            f"You've asked {streak} closed questions in a row; they get yes/no answers. Try an "
            f"open one that starts with 'how', 'what' or 'walk me through'.{low}"
        )
    untold = set(b.get("facts_hinted") or []) - set(b.get("facts_revealed") or [])
    asked = _hinted_question(transcript, untold)
    if asked:
        return "follow_up", (
            f"When you asked “{_quote(asked)}”, {name} hinted there is more to it. Follow up "
            f"with an open question on the same subject.{low}"
        )
    facts = count_facts(persona, b.get("facts_revealed") or [], scenario)  # as the brief and scorecard count
    if scenario.kind == "discovery" and not facts.enough:
        if float(b.get("trust") or 0) < 0.35 and not b.get("rapport"):
            return "trust", (
                f"{name} doesn't trust you enough yet to open up. Build a little rapport and ask "
                f"about their priorities before going deeper.{low}"
            )
        return "discover", (
            f"You've uncovered {facts.found} of {name}'s {facts.total} key facts; this call needs "
            f"{facts.needed}. Ask open questions about the areas your brief lists, one at a time.{low}"
        )
    if scenario.kind == "negotiation":
        concessions = b.get("concessions") or []
        if any(not c.get("traded") for c in concessions):
            return "trade", (
                f"You gave a concession without getting anything back. Trade instead: 'if you …, then we can …'.{low}"
            )
        if b.get("rep_price") is None:
            return (
                "anchor",
                f"Remind {name} of the value before any price, then name your price with confidence.{low}",
            )
        if b.get("deal_price") is None:
            return "hold", (
                f"Hold your price with value, or trade a concession for something {name} gives "
                f"in return. Never concede for nothing.{low}"
            )
    if not b.get("next_step"):
        return (
            "next_step",
            f"Summarise what you heard, then propose a concrete next step with a day and a time.{low}",
        )
    return "summarise", f"Summarise what you've heard in {name}'s words and check you understood.{low}"


class HintService:
    """Give and record hints for the rep's own active session."""

    def __init__(
        self,
        engine: Engine,
        access: PracticeAccess,
        *,
        limit: int = HINTS_PER_SESSION,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._engine = engine
        self._access = access
        self.limit = limit
        self._clock = clock

    def used(self, session_id: str) -> int:
        """How many hints this session has used."""
        with read_transaction(self._engine) as conn:
            return int(
                conn.execute(
                    select(func.count()).select_from(session_hints).where(session_hints.c.session_id == session_id)
                ).scalar()
                or 0
            )

    def history(self, actor: User, session_id: str) -> list[dict[str, Any]]:
        """The hints given in a session the actor may read (turn, kind, text)."""
        record = self._access.record(actor, session_id)
        with read_transaction(self._engine) as conn:
            rows = conn.execute(
                select(session_hints).where(session_hints.c.session_id == record.id).order_by(session_hints.c.idx)
            )
            return [{"rep_turn": r.rep_turn, "kind": r.kind, "text": r.text} for r in rows]

    def hint(self, actor: User, session_id: str) -> Hint:
        """A hint for the actor's own session in progress (refused once the limit is used)."""
        view = self._access.practice.get(session_id, actor=actor)
        record = view.record
        if not view.waiting_for_rep or view.buyer is None:
            raise SessionStateError("Hints are for a call in progress; this one has ended.")
        lib = self._access.practice.library
        kind, text = choose_hint(
            view.buyer, view.transcript, lib.persona(record.persona_id), lib.scenario(record.scenario_id)
        )
        rep_turn = int(view.buyer.get("turn", 0))
        with write_transaction(self._engine) as conn:
            rows = list(
                conn.execute(
                    select(session_hints).where(session_hints.c.session_id == record.id).order_by(session_hints.c.idx)
                )
            )
            if rows and rows[-1].rep_turn == rep_turn:
                return Hint(rows[-1].kind, rows[-1].text, max(0, self.limit - len(rows)))
            if len(rows) >= self.limit:
                raise SessionStateError(
                    f"You have used all {self.limit} hints for this call. Trust your "
                    "instincts — the scorecard will show what worked."
                )
            conn.execute(
                insert(session_hints).values(
                    session_id=record.id,
                    idx=len(rows),
                    user_id=actor.id,
                    rep_turn=rep_turn,
                    kind=kind,
                    text=text,
                    at=self._clock(),
                )
            )
        return Hint(kind, text, self.limit - len(rows) - 1)
