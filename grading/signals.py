"""Word lists for real calls, where no director recorded the buyer's moves.

In a practice session the buyer's objections, agreements and deals are recorded moves; in a real
call's transcript the grader looks for these phrases in the buyer's lines instead. Data, not logic.
"""

from __future__ import annotations

import re
from functools import lru_cache

from simulator.engine.lexicon import NEXT_STEP_WORDS
from simulator.engine.understand import find_time_phrase
from simulator.understanding.phrases import RUDE

OBJECTION_PHRASES: dict[str, tuple[str, ...]] = {
    "price": (
        "too expensive", "expensive", "pricey", "too much", "can't afford", "cannot afford",
        "out of our budget", "over budget", "over our budget", "no budget", "not in the budget", "cost is",
        "costs too", "price is", "cheaper", "too high", "too steep",
    ),
    "timing": (
        "not the right time", "bad time", "not a priority", "next quarter", "next year", "too busy",
        "revisit", "come back to", "not now", "timing is",
    ),
    "authority": (
        "talk to my", "run it by", "run this by", "not my call", "not my decision", "check with",
        "my boss", "needs approval", "need approval", "sign off on",
    ),
    "need": (
        "don't need", "do not need", "don't see the need", "don't see why", "works fine", "we're fine",
        "we are fine", "happy with what", "not a problem for us",
    ),
    "trust": (
        "not sure it", "skeptical", "sceptical", "heard bad", "got burned", "been burned", "prove it",
        "doubt", "not convinced", "worried that", "concerned that", "risky",
    ),
    "competitor": (
        "already use", "already have", "already work with", "another vendor", "competitor", "other quote",
        "cheaper option", "other option",
    ),
    "status_quo": (
        "always done it", "current process works", "spreadsheets work", "why change", "if it ain't broke",
        "if it isn't broken",
    ),
}
"""A buyer line containing one of these raises an objection of that type."""

AGREE_PHRASES: tuple[str, ...] = (
    "sounds good", "works for me", "that works", "works for us", "yes", "yeah", "sure", "okay", "ok",
    "let's do it", "let's do that", "see you", "i'll be there", "perfect", "great", "agreed", "book it",
    "send the invite", "send it over", "happy to", "deal", "fine by me", "put it in", "works",
    "that's fine", "see you then",
)

DECLINE_PHRASES: tuple[str, ...] = (
    "not ready", "can't commit", "cannot commit", "not sure", "hold off", "let me think",
    "get back to you", "no thanks", "not interested", "i'll pass", "don't think so", "not yet",
)

DEAL_PHRASES: tuple[str, ...] = (
    "deal", "agreed", "we can sign", "let's do it", "we accept", "i accept", "i can accept",
    "works for us", "send the contract", "send over the contract", "we'll sign", "let's sign",
)

CONFIRM_PHRASES: tuple[str, ...] = (
    "does that address", "does that help", "does that answer", "does that make sense",
    "how does that sound", "would that work", "does that solve", "does that ease", "are you comfortable",
    "does that resolve", "does that cover", "is that helpful", "does that take care",
)
"""The rep checks that an answer to an objection landed (LAARC: Confirm)."""

RECAP_PHRASES: tuple[str, ...] = (
    "to recap", "to summarise", "to summarize", "in summary", "so far we", "we covered", "you told me",
    "you mentioned", "what i heard", "what i'm hearing", "let me make sure", "sounds like",
)

EXTRA_ACKNOWLEDGE: tuple[str, ...] = (
    "fair concern", "that's a fair", "that is a fair", "good question", "fair question", "i hear what",
    "thanks for raising", "thank you for raising", "glad you raised", "totally fair", "completely fair",
)
"""Acknowledgements the message analysis does not list yet (used for real calls only)."""

_PRICE_TALK = re.compile(
    r"\$\s?\d|\b\d[\d,.]*\s?(?:k|dollars|usd)\b|\b(?:price|pricing|discount|quote|renewal)\b"
)

_PROOF = re.compile(
    r"\b\d+(?:[.,]\d+)?\s?(?:%|percent|hours?|hrs?|minutes?|mins?|days?|weeks?|months?|x\b|times\b"
    r"|people|users|customers|clients|errors|tickets|orders|shipments|trucks|sites|staff)"
    r"|\b(?:customers? like|a customer|one of our customers|a client|case study|for example|for instance"
    r"|reduced|cut (?:\w+ )?by|saved|payback|roi\b|return on)",
    re.IGNORECASE,
)


def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """One compiled pattern matching any of the phrases as whole words."""
    alternatives = "|".join(re.escape(p) for p in phrases)
    return re.compile(rf"(?<![a-z'])(?:{alternatives})(?![a-z'])")


_OBJECTION_OF = {p: kind for kind, phrases in OBJECTION_PHRASES.items() for p in phrases}
_P_OBJECTION = _pattern(tuple(_OBJECTION_OF))
_P_AGREE, _P_DECLINE, _P_DEAL = _pattern(AGREE_PHRASES), _pattern(DECLINE_PHRASES), _pattern(DEAL_PHRASES)
_P_CONFIRM, _P_RECAP, _P_ACK = _pattern(CONFIRM_PHRASES), _pattern(RECAP_PHRASES), _pattern(EXTRA_ACKNOWLEDGE)


def objection_type(normalised_line: str) -> str | None:
    """The objection type a buyer line raises (the earliest phrase in the line wins), or None."""
    m = _P_OBJECTION.search(normalised_line)
    return _OBJECTION_OF[m.group(0)] if m else None


def agrees(normalised_line: str) -> bool:
    """A buyer line that says yes (and not 'not ready', 'let me think', ...)."""
    return bool(_P_AGREE.search(normalised_line)) and not _P_DECLINE.search(normalised_line)


def accepts_deal(normalised_line: str) -> bool:
    """A buyer line that accepts the terms."""
    return bool(_P_DEAL.search(normalised_line)) and not _P_DECLINE.search(normalised_line)


def confirms(normalised_line: str) -> bool:
    """A rep line that checks an answer landed."""
    return bool(_P_CONFIRM.search(normalised_line))


def recaps(normalised_line: str) -> bool:
    """A rep line that summarises or reflects what the buyer said."""
    return bool(_P_RECAP.search(normalised_line))


def acknowledges(normalised_line: str) -> bool:
    """Extra acknowledgement phrases beyond the analysis's own."""
    return bool(_P_ACK.search(normalised_line))


def price_talk(normalised_line: str) -> bool:
    """A line (either speaker) that talks about price: from here on, rep concessions count."""
    return bool(_PRICE_TALK.search(normalised_line))


_VALUE_CUE = re.compile(
    r"\b(?:we|our|us|helps?|lets?|means|removes?|cuts?|saves?|reduces?|pays?|routes?|shows?|so you|you'd"
    r"|you could|you can|you would|you will|you'll)\b",
    re.IGNORECASE,
)


def has_value_cue(text: str, product_name: str | None = None) -> bool:
    """A statement about what the solution does for the buyer (not only an echo of their words)."""
    if product_name and product_name.lower() in text.lower():
        return True
    return bool(_VALUE_CUE.search(text))


def has_proof(text: str, heard: str = "") -> bool:
    """A proof phrase, or a concrete number the buyer did not say first (not a bare price)."""
    for m in _PROOF.finditer(text):
        digits = re.match(r"\d+(?:[.,]\d+)?", m.group(0))
        if digits is None or digits.group(0) not in heard:
            return True
    return False


_MEETING = re.compile(
    r"(?<![a-z'])(?:"
    + "|".join(re.escape(k) if (" " in k or "-" in k) else re.escape(k) + r"[a-z']*" for k in NEXT_STEP_WORDS)
    + r")"
)
"""The lexicon's next-step words, matched as the analysis does (word prefixes; phrases whole)."""


_QUESTION = re.compile(r"[^.!?]+\?")


def asks_for_meeting(normalised_line: str) -> bool:
    """A question that proposes a meeting, demo, call, ... ('Would a short demo be useful?')."""
    return "?" in normalised_line and any(_MEETING.search(s) for s in _QUESTION.findall(normalised_line))


def time_question(text: str) -> str | None:
    """The time offered in a question ('Would Thursday at 3pm work?'), verbatim, or None."""
    for sentence in re.findall(r"[^.!?]+\?", text):
        found = find_time_phrase(sentence)
        if found:
            return found
    return None


RUDE_PHRASES: tuple[str, ...] = RUDE
"""In a rep's line, these are rude or dismissive (simulator/understanding/phrases.py): right words said
rudely earn no rapport."""

_P_RUDE = _pattern(RUDE_PHRASES)


def rude(normalised_line: str) -> bool:
    """A rep line that is rude or dismissive."""
    return bool(_P_RUDE.search(normalised_line))


COMMIT_WORDS: tuple[str, ...] = (
    "donate", "donation", "contribute", "contribution", "give", "pledge", "sign", "signed", "buy", "purchase",
    "commit", "move forward", "go ahead", "get started", "place the order", "order", "join", "sign up",
    "subscribe", "renew", "how much", "what amount", "an amount", "deal", "agree", "count on you", "on board",
)
"""In a question or request, these ask for the commitment itself (real calls: a close is not only a meeting)."""

_P_COMMIT = _pattern(COMMIT_WORDS)
_ASK_SENTENCE = re.compile(r"[^.!?]*\?|(?:^|[.!?]\s+)(?:please|let's|let us|just)\b[^.!?]*")


def asks_for_commitment(normalised_line: str) -> bool:
    """A rep line that asks for the commitment: 'Would you like to donate $1?', 'Shall we sign today?'."""
    return any(_P_COMMIT.search(s) for s in _ASK_SENTENCE.findall(normalised_line))


_AMOUNT = re.compile(r"\$\s?\d|\b\d+(?:[.,]\d+)?\s?(?:dollars?|cents?|usd|seats?|licen[cs]es?|units?|users?|k)\b"
                     r"|\b(?:a|one|two|three|five|ten|fifty) (?:dollars?|bucks)\b|\ball of it\b|\bhalf\b")
_NOTHING = re.compile(r"\$\s?0(?:\.0+)?\b|\b(?:nothing|zero|0 dollars|not a cent|none of it)\b")


def mentions_commitment(normalised_line: str) -> bool:
    """A line that names the commitment or a next step, asked or not ('You can donate part of your
    payment.', 'The next step would be a demo with your team.'). Counts as a proposal in a real call only
    when the buyer's reply accepts it (grading/events.py)."""
    return bool(_P_COMMIT.search(normalised_line) or _MEETING.search(normalised_line))


def names_amount(normalised_line: str) -> bool:
    """A line that names a concrete amount or quantity (more than nothing)."""
    return bool(_AMOUNT.search(normalised_line)) and not _NOTHING.search(normalised_line)


def names_nothing(normalised_line: str) -> bool:
    """A line that commits to nothing: '$0', 'nothing', 'zero'."""
    return bool(_NOTHING.search(normalised_line))


# The checks, the events and the coaching ask these questions of the same few lines again and again
# (every rep line's ``asks_for_commitment`` is read by the next-step, the close and the coaching checks):
# each answer depends on the line's text only, so it is worked out once per distinct line.
_LINE_CACHE = 4096
objection_type = lru_cache(maxsize=_LINE_CACHE)(objection_type)
agrees = lru_cache(maxsize=_LINE_CACHE)(agrees)
accepts_deal = lru_cache(maxsize=_LINE_CACHE)(accepts_deal)
confirms = lru_cache(maxsize=_LINE_CACHE)(confirms)
recaps = lru_cache(maxsize=_LINE_CACHE)(recaps)
acknowledges = lru_cache(maxsize=_LINE_CACHE)(acknowledges)
price_talk = lru_cache(maxsize=_LINE_CACHE)(price_talk)
asks_for_meeting = lru_cache(maxsize=_LINE_CACHE)(asks_for_meeting)
time_question = lru_cache(maxsize=_LINE_CACHE)(time_question)
rude = lru_cache(maxsize=_LINE_CACHE)(rude)
asks_for_commitment = lru_cache(maxsize=_LINE_CACHE)(asks_for_commitment)
mentions_commitment = lru_cache(maxsize=_LINE_CACHE)(mentions_commitment)
names_amount = lru_cache(maxsize=_LINE_CACHE)(names_amount)
names_nothing = lru_cache(maxsize=_LINE_CACHE)(names_nothing)
