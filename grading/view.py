"""One pass over a transcript: what every metric and check reads.

A :class:`CallView` holds the rep's analyses (computed with :func:`analyse` when a record has
none), word counts, the buyer's recorded moves and final state (practice sessions), and the
content words of every line for 'did the rep reuse the buyer's words' measures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from grading.responses import Response, read_responses
from grading.rubric import CallKind, kind_of
from simulator.content.models import Persona, Scenario
from simulator.engine.state import BuyerMove, BuyerState, Outcome, TurnRecord
from simulator.engine.understand import (
    AnalysisContext,
    FactProbe,
    RepAnalysis,
    analyse,
    content_words,
    normalise,
    words_of,
)
from simulator.understanding.text import sentences

WORDS_PER_MINUTE = 150
"""Speaking rate used to estimate seconds from words when no voice timing is recorded."""

_SENTENCE = re.compile(r"[^.!?]+[.!?]*")


def analysis_context(
    scenario: Scenario | None, persona: Persona | None, previous_buyer_line: str = ""
) -> AnalysisContext:
    """The analysis context a practice session would use: facts, value points and list price."""
    facts = (
        tuple(FactProbe(f.id, tuple(f.topics), tuple(f.keywords)) for f in persona.hidden_facts)
        if persona is not None
        else ()
    )
    product = scenario.product if scenario is not None else None
    return AnalysisContext(
        facts=facts,
        value_points=tuple(product.value_points) if product else (),
        list_price=product.list_price if product else None,
        previous_buyer_line=previous_buyer_line,
    )


def speech_seconds(turn: TurnRecord) -> float | None:
    """Voice hook: real speaking time of a turn when the voice pipeline recorded ``speech_s``."""
    value = turn.get("speech_s")
    return float(value) if isinstance(value, int | float) and value > 0 else None


def statement_text(text: str) -> str:
    """The sentences of a line that are not questions."""
    return " ".join(s.strip() for s in _SENTENCE.findall(text) if s.strip() and not s.strip().endswith("?"))


@dataclass
class CallView:
    """Everything the metrics and checks read, computed once per transcript."""

    turns: list[TurnRecord]
    kind: CallKind
    scenario: Scenario | None
    persona: Persona | None
    outcome: Outcome | None
    rep_pos: list[int] = field(default_factory=list)
    """Positions (in ``turns``) of the rep's lines."""
    analyses: dict[int, RepAnalysis] = field(default_factory=dict)
    words: list[int] = field(default_factory=list)
    lows: list[str] = field(default_factory=list)
    """Normalised text of every line."""
    moves: list[tuple[int, BuyerMove]] = field(default_factory=list)
    final_state: BuyerState | None = None
    prev_buyer: dict[int, int] = field(default_factory=dict)
    """Rep position -> position of the buyer line just before it."""
    responses: dict[int, Response] = field(default_factory=dict)
    """Rep position -> what the buyer did in reply (grading.responses)."""

    def response(self, pos: int) -> Response:
        """The buyer's reply to the rep line at ``pos``."""
        return self.responses.get(pos) or Response(pos, None)

    @property
    def session(self) -> bool:
        """True when the buyer's moves were recorded by the director (a practice session)."""
        return bool(self.moves)

    def number(self, pos: int) -> int:
        """The turn index shown to the rep for a position."""
        return int(self.turns[pos].get("index", pos))

    def text(self, pos: int) -> str:
        """The verbatim text of a line."""
        return self.turns[pos]["text"]

    def third(self, pos: int) -> int:
        """0, 1 or 2: which third of the call a line is in."""
        return min(2, pos * 3 // max(1, len(self.turns)))

    def content(self, pos: int) -> set[str]:
        """Content words of a line (cached)."""
        cached = self._content.get(pos)
        if cached is None:
            cached = content_words(self.turns[pos]["text"])
            self._content[pos] = cached
        return cached

    def sentences(self, pos: int) -> tuple[str, ...]:
        """The sentences of a line (cached: the coaching reads every line's sentences several times)."""
        cached = self._sentences.get(pos)
        if cached is None:
            cached = self._sentences[pos] = tuple(sentences(self.turns[pos]["text"]))
        return cached

    def __post_init__(self) -> None:
        self._content: dict[int, set[str]] = {}
        self._sentences: dict[int, tuple[str, ...]] = {}
        self.parroting: dict[int, bool] = {}
        """Rep position -> whether the line parrots the buyer's last line (grading.checks_talk.parrots)."""


def build_view(
    turns: list[TurnRecord], *, scenario: Scenario | None, persona: Persona | None, outcome: Outcome | None
) -> CallView:
    """Read a transcript once. Rep records without an analysis are analysed here."""
    view = CallView(turns=turns, kind=kind_of(scenario), scenario=scenario, persona=persona, outcome=outcome)
    base: AnalysisContext | None = None
    last_buyer: int | None = None
    for pos, turn in enumerate(turns):
        low = normalise(turn["text"])
        view.lows.append(low)
        if turn["speaker"] == "rep":
            analysis = turn.get("analysis")
            if analysis is None:
                if base is None:
                    base = analysis_context(scenario, persona)
                prev = turns[last_buyer]["text"] if last_buyer is not None else ""
                ctx = AnalysisContext(base.facts, base.value_points, base.list_price, prev, base.extra_topics)
                analysis = analyse(turn["text"], ctx)
            view.analyses[pos] = analysis
            view.rep_pos.append(pos)
            view.words.append(analysis["words"])
            if last_buyer is not None:
                view.prev_buyer[pos] = last_buyer
        else:
            view.words.append(len(words_of(low)))
            move = turn.get("move")
            if move:
                view.moves.append((pos, move))
            if turn.get("state"):
                view.final_state = turn["state"]
            last_buyer = pos
    view.responses = read_responses(turns, view.rep_pos, view.session)  # type: ignore[arg-type]
    return view
