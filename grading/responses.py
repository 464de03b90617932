"""What the buyer did in response to each rep line: the effect a score rests on.

In a practice session the effect is the director's recorded move (a fact revealed, a concern
explained, an objection resolved, a push-back, impatience). In a real call it is the buyer's next
line as the understanding layer reads it (agrees, refuses, objects, asks, deflects) and how much
the buyer said. A check about an effect cites the rep's line *and* this response.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property

from simulator.understanding.buyer import read_buyer
from simulator.understanding.text import words_of

ANSWER_WORDS = 4
"""A real buyer's reply of at least this many words, not a refusal or a deflection, answers a question."""

SUBSTANTIVE_WORDS = 12
"""A real buyer's reply of at least this many words that neither refuses nor deflects tells something."""

INFORMATIVE_MOVES = frozenset({"reveal_fact", "explain_concern", "hint", "answer", "small_talk", "ask_for_time",
                               "counter_offer", "resolve_objection", "agree_next_step", "accept", "anchor"})
"""Session moves in which the buyer engages with what the rep said. ``hold_back`` (a partial answer or
a deflection naming the topic) is neither: the buyer heard the question and kept the answer back."""

NEGATIVE_MOVES = frozenset({"deflect_pitch", "push_back", "impatient", "end_call", "walk_away", "decline_next_step"})
"""Session moves in which the buyer pushes back, loses patience or leaves."""


_PAST_AGREEMENT = re.compile(r"\b(?:we|you|i|they)(?: had| have|'ve)? (?:already )?agreed\b|\bas (?:we )?agreed\b")


_PLAIN_YES = re.compile(r"\b(?:works|work for me|works for me|that's fine|sounds good|sounds great|see you then"
                        r"|deal|let's do it|book it|send the invite|i'm in|count me in)\b")
_NUMBER = re.compile(r"\d|\$|\b(?:hundred|thousand|grand|million|percent|dollars?|cents?|bucks)\b")
_NEGATION = re.compile(r"\b(?:no|not|never|nope|nah|don't|doesn't|won't|can't|isn't|wouldn't|couldn't)\b|n't\b")


MOVE_WORDS: dict[str, str] = {
    "greet": "the buyer greeted you",
    "small_talk": "the buyer made small talk",
    "answer": "the buyer answered",
    "hint": "the buyer hinted there is more to tell",
    "reveal_fact": "the buyer told you a hidden fact",
    "raise_objection": "the buyer raised an objection",
    "explain_concern": "the buyer explained the concern behind the objection",
    "push_back": "the buyer pushed back",
    "resolve_objection": "the buyer accepted your answer",
    "deflect_pitch": "the buyer brushed off the pitch",
    "anchor": "the buyer named a price",
    "counter_offer": "the buyer made a counter-offer",
    "hold": "the buyer held their position",
    "accept": "the buyer accepted",
    "walk_away": "the buyer walked away",
    "agree_next_step": "the buyer agreed to the next step",
    "ask_for_time": "the buyer asked for a concrete time",
    "decline_next_step": "the buyer declined the next step",
    "impatient": "the buyer grew impatient",
    "end_call": "the buyer ended the call",
    "thanks": "the buyer thanked you",
    "hold_back": "the buyer held back",
}
"""The buyer's recorded moves in plain words, for the scorecard's evidence."""


@dataclass(frozen=True)
class Response:
    """The buyer's reply to one rep line. Its readings (``agrees``, ``answered``, ...) are worked out once
    and kept (``cached_property``: the fields never change; every check asks the same questions)."""

    rep_pos: int
    buyer_pos: int | None
    text: str = ""
    words: int = 0
    move: str | None = None
    """The director's move kind (practice session), else None."""
    acts: dict[str, bool] = field(default_factory=dict)
    """agrees / refuses / objects / asks / deflects, read from the buyer's words (real call)."""

    @property
    def exists(self) -> bool:
        return self.buyer_pos is not None

    @cached_property
    def negative(self) -> bool:
        """The buyer pushed back, refused, objected to it or lost patience. A yes that raises a separate
        concern accepts this line (the concern is a new objection)."""
        if self.move is not None:
            return self.move in NEGATIVE_MOVES
        return bool(self.acts.get("refuses") or (self.acts.get("objects") and not self._yes_with_concern))

    @cached_property
    def answered(self) -> bool:
        """The buyer engaged: answered, explained, agreed or told something (not a brush-off)."""
        if not self.exists:
            return False
        if self.move is not None:
            return self.move in INFORMATIVE_MOVES
        if self.claims_agreement:
            return False
        return (self.words >= ANSWER_WORDS and not self.acts.get("refuses") and not self.acts.get("deflects")) or (
            bool(self.acts.get("agrees")) and not self.acts.get("refuses")
        )

    @cached_property
    def substantive(self) -> bool:
        """The buyer told something real: a hidden fact or concern, or a long, engaged answer."""
        if self.move is not None:
            return self.move in {"reveal_fact", "explain_concern"}
        if self.claims_agreement:
            return False
        return self.words >= SUBSTANTIVE_WORDS and not self.acts.get("refuses") and not self.acts.get("deflects")

    @cached_property
    def agrees(self) -> bool:
        """A clear yes: agreement without a refusal or deflection in the same line, and without an
        objection unless it is a yes that raises a separate concern (``_yes_with_concern``)."""
        if self.move is not None:
            return self.move in {"agree_next_step", "accept", "resolve_objection"}
        if self.claims_agreement:
            return False  # "we agreed to a demo Tuesday" claims an earlier agreement; it answers nothing
        if any(self.acts.get(k) for k in ("refuses", "deflects")):
            return False
        if self.acts.get("objects") and not self._yes_with_concern:
            return False
        # "Thursday at 2pm works." / "That's fine." — a plain yes the act reader may miss; never with a no.
        low = self.text.lower()
        plain_yes = bool(_PLAIN_YES.search(low)) and not _NEGATION.search(low)
        return bool(self.acts.get("agrees")) or plain_yes

    @cached_property
    def _yes_with_concern(self) -> bool:
        """Read as agreeing and objecting, naming no number: "Fine, but price is going to be a problem."
        (CONVENTIONS.md: agrees + objects). With a number it is a counter-offer ("We'll pay $100,000."),
        which is no yes to the rep's line."""
        return bool(self.acts.get("agrees")) and not _NUMBER.search(self.text.lower())

    @cached_property
    def claims_agreement(self) -> bool:
        """The reply claims an earlier agreement instead of answering ('we agreed to a demo Tuesday')."""
        return self.move is None and bool(_PAST_AGREEMENT.search(self.text.lower()))

    def effect(self) -> str:
        """What the buyer did, in words, for the scorecard (worked out once per reply: every check that
        cites this reply asks for it)."""
        cached = self.__dict__.get("_effect")
        if cached is None:
            cached = self.__dict__["_effect"] = self._effect()
        return cached

    def _effect(self) -> str:
        if not self.exists:
            return "the buyer did not reply"
        if self.move is not None:
            return MOVE_WORDS.get(self.move, f"the buyer's move: {self.move.replace('_', ' ')}")
        acts = [k for k in ("agrees", "refuses", "objects", "asks", "deflects") if self.acts.get(k)]
        said = f"{self.words} word(s)"
        return f"the buyer {' and '.join(acts)} ({said})" if acts else f"the buyer replied ({said})"


def read_responses(turns: list[dict[str, object]], rep_pos: list[int], session: bool) -> dict[int, Response]:
    """The buyer's reply to every rep line (the next buyer line before the rep speaks again), read as a reply
    to that rep line (a bare "Sure." accepts "Can we book Thursday?" but only answers "Do you use SAP?")."""
    out: dict[int, Response] = {}
    rep_set = set(rep_pos)
    for pos in rep_pos:
        nxt = pos + 1
        while nxt < len(turns) and nxt not in rep_set and not str(turns[nxt].get("text", "")).strip():
            nxt += 1
        if nxt >= len(turns) or nxt in rep_set:
            out[pos] = Response(pos, None)
            continue
        text = str(turns[nxt].get("text", ""))
        move = turns[nxt].get("move")
        kind = str(move["kind"]) if session and isinstance(move, dict) and "kind" in move else None
        acts = {} if kind is not None else read_buyer(text, previous_rep_line=str(turns[pos].get("text", ""))).labels
        out[pos] = Response(pos, nxt, text, len(words_of(text.lower())), kind, acts)
    return out


def buyer_acts(turns: list[dict[str, object]], responses: dict[int, Response]) -> dict[int, dict[str, bool]]:
    """The acts of every buyer line of a real call, by position: a reply already read by
    :func:`read_responses` is not read again; any other buyer line (the call's first line, a second line
    in a row) is read as a reply to the last rep line before it."""
    out = {r.buyer_pos: r.acts for r in responses.values() if r.buyer_pos is not None and r.move is None}
    last_rep = ""
    for pos, turn in enumerate(turns):
        text = str(turn.get("text", ""))
        if turn.get("speaker") == "rep":
            last_rep = text
        elif pos not in out:
            out[pos] = read_buyer(text, previous_rep_line=last_rep).labels
    return out
