"""The session's state: JSON-plain TypedDicts, so checkpoints and the store read back cleanly.

Everything the buyer does is decided from :class:`BuyerState` by the director's rules; every move
and state change is recorded in the transcript (:class:`TurnRecord`) for the grader and the rep.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal

# typing_extensions, not typing: pydantic (LangGraph Studio, the LangGraph API's schemas) needs it on 3.11.
from typing_extensions import NotRequired, TypedDict  # noqa: UP035

from simulator.engine.understand import RepAnalysis
from simulator.llm.base import ChatMessage

MoveKind = Literal[
    "greet", "small_talk", "answer", "hint", "reveal_fact", "raise_objection", "explain_concern",
    "push_back", "resolve_objection", "deflect_pitch", "anchor", "counter_offer", "hold", "accept",
    "walk_away", "agree_next_step", "ask_for_time", "decline_next_step", "impatient", "end_call",
    "thanks", "hold_back",
]

EndReason = Literal["rep_ended", "rep_goodbye", "patience", "turn_cap", "deal", "no_deal", "next_step"]

KIND_STAGES: dict[str, tuple[str, ...]] = {
    "discovery": ("opening", "discovery", "next_steps"),
    "objection_handling": ("opening", "objections", "next_steps"),
    "negotiation": ("opening", "negotiation", "close"),
}
"""The stage ids of each scenario kind, in order. Scenario YAML gives each stage's goal."""


class ObjectionProgress(TypedDict):
    acknowledged: bool
    explored: bool
    responded: bool


class Concession(TypedDict):
    turn: int
    from_price: float | None
    to_price: float | None
    traded: bool
    rep_line: str


class BuyerState(TypedDict):
    """The buyer's explicit state. Rules in :mod:`simulator.engine.director` change it."""

    trust: float
    """0..1. Rises with open questions, rapport, listening; falls with pitching."""
    patience: int
    """Rep turns of poor value left. At 0 the buyer ends the call."""
    stage: str
    turn: int
    """Rep turns so far."""
    rapport: bool
    facts_revealed: list[str]
    facts_hinted: list[str]
    objections_queue: list[str]
    """Objection ids still to be raised, in order."""
    objection_active: str | None
    objections_raised: list[str]
    objections_resolved: list[str]
    objection_progress: dict[str, ObjectionProgress]
    list_price: float | None
    rep_price: float | None
    """The rep's latest price on the table."""
    buyer_offer: float | None
    """The buyer's latest counter-offer."""
    buyer_ceiling: float | None
    """The most this buyer will pay (walk-away), after the difficulty shift."""
    concessions: list[Concession]
    pushes_past_walk_away: int
    deal_price: float | None
    next_step: str | None
    """The agreed next step's time, verbatim from the rep."""
    closed_streak: int
    """Closed questions in a row."""
    ended: bool
    end_reason: EndReason | None
    lines_used: dict[str, int]
    """How many lines of each kind were said (for the record)."""
    lines_said: NotRequired[list[str]]
    """Keys of every line said this session, in order (no line is said twice while others remain)."""
    variety_seed: NotRequired[int]
    """From the session id: two sessions choose differently among equally fitting lines."""


class BuyerMove(TypedDict):
    """What the director decided the buyer does, and the line's gist in the buyer's own words."""

    kind: MoveKind
    gist: str
    """The line to say, first person; spoken as-is when no LLM voices it."""
    required: list[str]
    """Values the spoken line must contain verbatim (prices, times, names, numbers)."""
    fact_id: str | None
    objection_id: str | None
    price: float | None
    reasons: list[str]
    """Why the director chose this move (shown to the rep after the call)."""
    state_changes: list[str]
    """Human-readable changes, e.g. 'trust 0.30 → 0.35 (open question on budget)'."""


class SpokenWord(TypedDict):
    """One word the rep said, as transcribed: seconds from the start of the rep's recording."""

    text: str
    start: float
    end: float


class Delivery(TypedDict):
    """How a rep's spoken turn was delivered (voice sessions), for the delivery metrics."""

    words: list[SpokenWord]
    """The transcribed words with their times (seconds from the start of the recording)."""
    pause_s: float | None
    """Silence between the end of the buyer's audio and the rep's first word (negative: the rep
    spoke over the buyer); None when the UI could not measure it."""
    duration_s: float
    """Length of the rep's recording in seconds."""


class TurnRecord(TypedDict):
    """One line of the transcript with everything the grader and the replay need."""

    index: int
    speaker: Literal["rep", "buyer"]
    text: str
    stage: str
    analysis: RepAnalysis | None
    """Rep lines: the deterministic analysis."""
    move: BuyerMove | None
    """Buyer lines: the director's move."""
    state: BuyerState | None
    """Buyer lines: the buyer state after the move."""
    voiced_by: Literal["rep", "llm", "gist"]
    rejected: str | None
    """Buyer lines: why the LLM's wording was rejected (the gist was spoken instead)."""
    llm_line: str | None
    """Buyer lines: the LLM's rejected wording, kept for inspection."""
    at: float
    """Seconds since the epoch (from the injected clock)."""
    speech_s: NotRequired[float]
    """Voice sessions: seconds the speaker spoke in this turn (for talk ratio and monologue time).
    Rep: first word start to last word end; buyer: the length of the buyer's audio as played."""
    delivery: NotRequired[Delivery]
    """Voice sessions, rep lines that were spoken: word timings and the pause before speaking."""
    unheard: NotRequired[str]
    """Voice sessions, buyer lines the rep cut off (barge-in): the words never spoken; ``text`` then
    holds only the words that were heard, ending with " —"."""


class Outcome(TypedDict):
    """Whether the call met the scenario's success criteria, with each criterion explained."""

    success: bool
    met: list[str]
    missed: list[str]
    summary: dict[str, Any]


def add_turns(left: list[TurnRecord], right: list[TurnRecord]) -> list[TurnRecord]:
    """The transcript reducer: append new records; a record whose ``index`` is already in the
    transcript replaces that record (how a buyer line gets its measured ``speech_s`` later)."""
    if not right:
        return left
    merged = list(left)
    position = {int(r["index"]): i for i, r in enumerate(merged)}
    for record in right:
        at = position.get(int(record["index"]))
        if at is None:
            position[int(record["index"])] = len(merged)
            merged.append(record)
        else:
            merged[at] = record
    return merged


class SessionState(TypedDict, total=False):
    """LangGraph state of one practice session."""

    session_id: str
    scenario_id: str
    persona_id: str
    difficulty: str
    buyer: BuyerState
    transcript: Annotated[list[TurnRecord], add_turns]
    voice_history: Annotated[list[ChatMessage], operator.add]
    """The exact messages the voice model saw (so the prompt prefix stays byte-stable)."""
    pending_rep: str | None
    pending_speech: dict[str, Any] | None
    """The rep's speech data for the turn being processed (see :mod:`simulator.engine.speech`)."""
    end_requested: bool
    analysis: RepAnalysis | None
    move: BuyerMove | None
    outcome: Outcome | None
