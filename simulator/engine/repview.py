"""What a scripted rep may see: the public brief and the words said so far. Never the buyer's state.

Self-play policies (:mod:`simulator.engine.selfplay`) are built only from a :class:`RepView`, so
they cannot read hidden facts, objection concerns or keywords, the buyer's trust, patience or
walk-away. A rep policy sees exactly what a rep in the practice screen sees:

- the scenario sheet: product (summary, value points, proof points, list price), brief, objective,
  the success criteria and the turn cap;
- the buyer's public profile: name, role, company;
- every line said so far (its own and the buyer's, as text);
- the stage shown after the buyer's last line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from simulator.content.models import Persona, Product, Scenario
from simulator.engine.state import TurnRecord
from simulator.engine.understand import content_words, find_time_phrase

SUBSTANTIVE_WORDS = 15
"""A buyer line this long (or with a figure in it) that was not said before is real information."""

_MONEY = re.compile(r"(?:\$|€|£)\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s?(k\b)?", re.IGNORECASE)
_HOLDS_BACK = re.compile(
    r"\b(?:not going to (?:get|go|walk|list|name|share|lay|put|give|compare|pick|guess)|rather not"
    r"|(?:isn't|not) something|won't go|not yet\b|(?:a )?later conversation"
    r"|keep (?:that|it|them) to myself|too early|not ready"
    r"|leave (?:it|them) there|my business|that's as far|all i'll say|not giving you|not committing)",
    re.IGNORECASE,
)
"""How the self-play rep hears the buyer hold back (a rep knows a deflection when they hear one)."""
_SWAP = {
    "i": "you", "i'm": "you're", "i've": "you've", "i'd": "you'd", "i'll": "you'll", "me": "you",
    "my": "your", "mine": "yours", "myself": "yourself", "we": "you", "we're": "you're",
    "we've": "you've", "we'd": "you'd", "we'll": "you'll", "us": "you", "our": "your", "ours": "yours",
    "am": "are",
}
_LEADS = re.compile(r"^(?:honestly|frankly|between us|to be honest|well|look|okay|ok|so|and|but)[,:]?\s+",
                    re.IGNORECASE)


@dataclass(frozen=True)
class PublicBrief:
    """What the rep knows before the call."""

    kind: str
    buyer_name: str
    buyer_role: str
    company: str
    product: Product
    objective: str
    min_facts: int | None
    min_price_fraction: float | None
    turn_cap: int

    @classmethod
    def of(cls, scenario: Scenario, persona: Persona) -> PublicBrief:
        """The public part of a scenario and its persona."""
        return cls(kind=scenario.kind, buyer_name=persona.name, buyer_role=persona.role,
                   company=persona.company.name, product=scenario.product, objective=scenario.objective,
                   min_facts=scenario.success.min_facts,
                   min_price_fraction=scenario.success.min_price_fraction, turn_cap=scenario.turn_cap)

    @property
    def first_name(self) -> str:
        return self.buyer_name.split()[0]


@dataclass(frozen=True)
class Said:
    """One line of the conversation as the rep heard it."""

    speaker: Literal["rep", "buyer"]
    text: str


@dataclass(frozen=True)
class RepView:
    """The conversation so far, from the rep's side of the table."""

    brief: PublicBrief
    said: tuple[Said, ...]
    stage: str

    @classmethod
    def of(cls, brief: PublicBrief, transcript: Sequence[TurnRecord]) -> RepView:
        """Keep only speaker, text and the visible stage of each record."""
        said = tuple(Said(t["speaker"], t["text"]) for t in transcript)
        return cls(brief=brief, said=said, stage=transcript[-1]["stage"] if transcript else "")

    @property
    def rep_turns(self) -> int:
        return sum(1 for s in self.said if s.speaker == "rep")

    @property
    def buyer_lines(self) -> list[str]:
        return [s.text for s in self.said if s.speaker == "buyer"]

    @property
    def last_buyer(self) -> str:
        lines = self.buyer_lines
        return lines[-1] if lines else ""

    @property
    def turns_left(self) -> int:
        return self.brief.turn_cap - self.rep_turns

    def last_is_substantive(self) -> bool:
        """Did the buyer just say something new and specific (not a stock answer)?"""
        lines = self.buyer_lines
        return bool(lines) and is_substantive(lines[-1], lines[:-1])


def is_substantive(line: str, earlier: Sequence[str]) -> bool:
    """A line not said before that carries a figure or runs to a full answer, and is not the buyer
    holding back ('Budget? I'm not going to get into numbers yet.')."""
    if line in earlier or _HOLDS_BACK.search(line):
        return False
    return any(c.isdigit() for c in line) or len(line.split()) >= SUBSTANTIVE_WORDS


def money_in(line: str) -> list[float]:
    """Amounts of money in a line ('$42,000', '$42k')."""
    values = []
    for m in _MONEY.finditer(line):
        value = float(m.group(1).replace(",", ""))
        values.append(value * 1000 if m.group(2) else value)
    return values


def second_person(sentence: str) -> str:
    """Turn the buyer's 'I/we/my' into the rep's 'you/your'."""
    def swap(m: re.Match[str]) -> str:
        return _SWAP.get(m.group(0).lower(), m.group(0))

    return re.sub(r"\b[A-Za-z']+\b", swap, sentence)


def _sentences(text: str) -> list[str]:
    """Split into sentences, keeping 'Mr. Osei' and 'Dr. Lee' whole."""
    out: list[str] = []
    for piece in re.split(r"(?<=[.!?])\s+", text.strip()):
        if out and re.search(r"\b(?:Mr|Mrs|Ms|Dr|St|Prof)\.$", out[-1]):
            out[-1] = f"{out[-1]} {piece}"
        else:
            out.append(piece)
    return out


def reflect(line: str, max_words: int = 20) -> str | None:
    """'It sounds like …': the buyer's first clause in the rep's words, or None if unsuitable."""
    for raw in _sentences(line):
        sentence = _LEADS.sub("", raw.strip().rstrip(".!?"))
        clauses = re.split(r",\s+(?=(?:and|but|so|because|which|or)\b)|;\s+|\s+[—–-]\s+", sentence)
        text = clauses[0]
        if len(text.split()) < 5 and len(clauses) > 1:
            text = f"{clauses[0]}, {clauses[1]}"
        words = text.split()
        if len(words) < 4 or len(words) > max_words or find_time_phrase(text):
            continue
        text = second_person(text).rstrip(",;:")
        return f"It sounds like {text[0].lower()}{text[1:]}."
    return None


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def overlap(a: str, b: str) -> int:
    """Shared content words of two texts, lightly stemmed."""
    return len({_stem(w) for w in content_words(a)} & {_stem(w) for w in content_words(b)})


def best_points(product: Product, concern: str, n: int = 2, skip: int = 0) -> list[str]:
    """The product's value and proof points that best match a concern, best first.

    ``skip`` moves down the ranking (a second try after the first answer missed)."""
    points = [*product.value_points, *product.proof_points]
    ranked = sorted(range(len(points)), key=lambda i: (-overlap(points[i], concern), i))
    start = (skip * n) % max(1, len(points))
    chosen = (ranked[start:] + ranked[:start])[:n]
    return [points[i] for i in chosen]


def sentence(text: str, subject: str = "") -> str:
    """A value point as a sentence. Points written as a verb phrase ('Cuts hold times…') get the
    product as their subject ('QueueWise cuts hold times…')."""
    text = text.strip().rstrip(".")
    first = text.split()[0].lower() if text.split() else ""
    third_person = first.endswith("s") and not first.endswith("ss") and first not in _NOT_VERBS
    verb_phrase = first in _PAST or third_person
    if subject and verb_phrase:
        return f"{subject} {first}{text[len(first):]}."
    return text[0].upper() + text[1:] + "."


_NOT_VERBS = frozenset({"its", "this", "his", "hers", "ours", "yours", "customers", "teams", "plants"})
_PAST = frozenset({"cut", "saved", "helped", "gave", "reduced", "caught", "paid", "passed"})
