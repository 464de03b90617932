"""First readings of each yes/no label from the message's form, with the words that decided them.

The learned models (``classifier.py``) take these readings as features beside the sentence
embedding; alone they are the fallback when no model file is installed.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from simulator.understanding import phrases
from simulator.understanding.definitions import BOOLEAN_LABELS, MONOLOGUE_WORDS, PITCH_MIN_WORDS
from simulator.understanding.questions import QuestionReading
from simulator.understanding.values import Amount


@functools.lru_cache(maxsize=256)
def phrase_pattern(items: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a phrase list: whole words, longest first."""
    alternation = "|".join(map(re.escape, sorted(items, key=len, reverse=True)))
    return re.compile(rf"(?<![a-z0-9'-])(?:{alternation})(?![a-z'-])")


def find_phrase(text: str, items: Iterable[str]) -> str | None:
    """The leftmost phrase of the list in the normalised text, or None."""
    match = phrase_pattern(tuple(items)).search(text)
    return match.group(0) if match else None


def all_phrases(text: str, items: Iterable[str]) -> list[str]:
    """Every phrase of the list in the text, in order, once each."""
    return list(dict.fromkeys(phrase_pattern(tuple(items)).findall(text)))


_TAKE_CARE_OF = re.compile(r"\btake care of\b")
"""'Does that take care of it?' is not a farewell."""


@dataclass
class RuleReading:
    """Rule labels with reasons, and the numeric features handed to the learned models."""

    labels: dict[str, bool] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    features: list[float] = field(default_factory=list)


FEATURE_NAMES: tuple[str, ...] = (
    "rule_next_step",
    "rule_concession",
    "rule_asks_in_return",
    "rule_acknowledges",
    "rule_is_pitch",
    "rule_greeting",
    "rule_thanks_or_goodbye",
    "rule_ends_call",
    "q_open",
    "q_closed",
    "q_none",
    "has_time",
    "rep_prices",
    "other_prices",
    "discount",
    "log_words",
    "we_share",
    "pitch_phrases",
    "question_mark",
    "trade_phrase",
    "next_step_noun",
    "proposal_phrase",
    "past_meeting",
    "below_list",
    "greeting_at_start",
    "thanks_phrase",
    "ack_phrase",
    "ends_phrase_last",
    "benefit_claims",
    "pitch_length",
    "restates",
    "and_then_offer",
    "negation",
)


def read_rules(
    low: str,
    sentences: list[str],
    questions: list[QuestionReading],
    amounts: list[Amount],
    discounts: list[float],
    time_phrase: str | None,
    words: int,
    list_price: float | None,
) -> RuleReading:
    """Rule readings of one message (``low`` is the normalised visible text)."""
    r = RuleReading()
    open_q = any(q.kind == "open" for q in questions)
    closed_q = bool(questions) and not open_q

    start = " ".join(low.split(" ")[:14])
    greet = find_phrase(start, phrases.GREETING) or (
        "how are you"
        if re.search(r"\bhow(?:'re| are) (?:you|ya)(?: doing| today| all| guys)?\s*(?:[?!.,]|$)", start)
        else None
    )
    r.labels["greeting"] = bool(greet)
    if greet:
        r.reasons["greeting"] = f"greets ({greet!r})"

    thanks = find_phrase(low, phrases.THANKS)
    r.labels["thanks_or_goodbye"] = bool(thanks)
    if thanks:
        r.reasons["thanks_or_goodbye"] = f"thanks or farewell ({thanks!r})"

    last = _TAKE_CARE_OF.sub("handle", sentences[-1].lower()) if sentences else ""
    tail = _TAKE_CARE_OF.sub("handle", " ".join(s.lower() for s in sentences[-2:]))
    ends = find_phrase(tail, phrases.ENDS_CALL)
    asks_after = bool(questions) and questions[-1].sentence.lower() == last and not find_phrase(last, phrases.ENDS_CALL)
    r.labels["ends_call"] = bool(ends) and not asks_after
    if r.labels["ends_call"]:
        r.reasons["ends_call"] = f"takes leave ({ends!r}) with nothing asked after"

    ack = find_phrase(low, phrases.ACKNOWLEDGE)
    r.labels["acknowledges"] = bool(ack)
    if ack:
        r.reasons["acknowledges"] = f"acknowledges ({ack!r})"

    pitch_hits = all_phrases(low, phrases.PITCH)
    benefits = all_phrases(low, phrases.BENEFIT)
    we = len(re.findall(phrases.WE_WORDS, low))
    is_pitch = (
        words >= PITCH_MIN_WORDS
        and not open_q
        and (not closed_q or words >= 2 * PITCH_MIN_WORDS)
        and (len(pitch_hits) >= 1 or we >= 3 or len(benefits) >= 2)
    ) or (words >= MONOLOGUE_WORDS and len(questions) <= 1)
    r.labels["is_pitch"] = is_pitch
    if is_pitch:
        selling = pitch_hits[:2] + benefits[:2]
        r.reasons["is_pitch"] = f"pitch: {words} words, no open question" + (
            f", selling language {selling}" if selling else f", 'we/our' ×{we}"
        )

    rep_prices = [a.value for a in amounts if a.owner == "rep"]
    concession_hits = [h for h in all_phrases(low, phrases.CONCESSION)]
    courtesy = find_phrase(low, phrases.NOT_CONCESSION)
    if courtesy:
        concession_hits = [h for h in concession_hits if h not in ("meet you halfway",) or "halfway" in low]
    below_list = bool(list_price and rep_prices and min(rep_prices) < list_price)
    concession = bool(concession_hits or discounts or below_list)
    r.labels["concession"] = concession
    if concession:
        why = (f"{concession_hits[:2]}" if concession_hits else "") + (f" {discounts[0]:g}% off" if discounts else "")
        if below_list:
            why += f" price {min(rep_prices):,.0f} below list {list_price:,.0f}"
        r.reasons["concession"] = "offers a concession: " + why.strip()

    trade = find_phrase(low, phrases.TRADE)
    r.labels["asks_in_return"] = concession and bool(trade)
    if r.labels["asks_in_return"]:
        r.reasons["asks_in_return"] = f"asks for something in return ({trade!r})"

    noun = find_phrase(low, phrases.NEXT_STEP_NOUNS)
    proposal = find_phrase(low, phrases.PROPOSAL)
    past = find_phrase(low, phrases.PAST_MEETING)
    next_step = (
        (bool(noun) and bool(proposal)) or (bool(time_phrase) and (bool(noun) or bool(proposal) or bool(questions)))
    ) and not (past and not proposal)
    r.labels["next_step"] = next_step
    if next_step:
        r.reasons["next_step"] = f"proposes a next step ({noun!r}, {proposal or 'a time'!r})"

    r.features = [
        *(float(r.labels[k]) for k in BOOLEAN_LABELS),
        float(open_q),
        float(closed_q),
        float(not questions),
        float(time_phrase is not None),
        float(min(len(rep_prices), 3)),
        float(min(len(amounts) - len(rep_prices), 3)),
        float(bool(discounts)),
        math.log1p(words) / 5.0,
        min(we / max(words, 1) * 10, 2.0),
        float(min(len(pitch_hits), 4)),
        float("?" in low),
        float(bool(trade)),
        float(bool(noun)),
        float(bool(proposal)),
        float(bool(past)),
        float(below_list),
        float(bool(greet)),
        float(bool(thanks)),
        float(bool(ack)),
        float(bool(find_phrase(last, phrases.ENDS_CALL))),
        float(min(len(benefits), 5)) / 2.0,
        float(words >= PITCH_MIN_WORDS),
        float(bool(find_phrase(low, phrases.RESTATE))),
        float(
            bool(re.search(r"\b(?:and|then)\s+(?:i'll|i will|i can|we'll|we can|you get|it's yours|the last)\b", low))
        ),
        float(bool(re.search(r"\b(?:can't|cannot|won't|not)\b", low))),
    ]
    return r
