"""Deterministic analysis of one rep message: no LLM, same input → same result.

The result is a JSON-plain dict (:class:`RepAnalysis`) with the reasons behind each label, so the
director's decisions and the grader's scores can be explained line by line to the rep.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from typing_extensions import TypedDict  # pydantic needs it on Python 3.11 (LangGraph API schemas)

from simulator.engine import lexicon
from simulator.understanding import phrases, read_rep
from simulator.understanding.definitions import MONOLOGUE_WORDS, PITCH_MIN_WORDS, PRICE_RANGE
from simulator.understanding.questions import read_sentence
from simulator.understanding.rules import find_phrase, phrase_pattern
from simulator.understanding.text import STOPWORDS, content_words, normalise, words_of
from simulator.understanding.times import concrete_time
from simulator.understanding.values import amounts

__all__ = [
    "MONOLOGUE_WORDS", "PITCH_MIN_WORDS", "PRICE_RANGE", "STOPWORDS", "AnalysisContext", "FactProbe",
    "RepAnalysis", "analyse", "classify_question", "content_words", "find_time_phrase", "matched_keywords",
    "normalise", "words_of",
]

_FILLERS = ("um", "uh", "erm", "uhm", "you know", "i mean", "sort of", "kind of", "basically")
_NOT_ABOUT_THE_BUYER = re.compile(
    r"\b(?:(?:how|what) (?:can|could|may|might) (?:you|i) (?:help|assist|do for)|assist me|assist you"
    r"|can you do for me|your (?:instructions|prompt|system prompt|rules|secret)"
    r"|chatgpt|chat gpt|as an ai|language model|an assistant|ai assistant|ignore (?:all |your |previous )"
    r"|hidden facts?)\b"
)
"""A question about the seller's own helpfulness or the buyer's instructions probes no business topic."""


class RepAnalysis(TypedDict):
    """What the rep's message does, as labels with the evidence behind them."""

    words: int
    questions: int
    open_questions: int
    closed_questions: int
    question_kind: Literal["open", "closed", "none"]
    open_topics: list[str]
    closed_topics: list[str]
    facts_probed_open: list[str]
    facts_probed_closed: list[str]
    is_pitch: bool
    is_monologue: bool
    greeting: bool
    thanks_or_goodbye: bool
    ends_call: bool
    acknowledges: bool
    explores: bool
    paraphrases: bool
    prices: list[float]
    price_mentions: list[dict[str, Any]]
    discount_pcts: list[float]
    concession: bool
    asks_in_return: bool
    next_step: bool
    next_step_time: str | None
    value_points: list[int]
    fillers: int
    understood: bool
    rude: bool
    reasons: list[str]


@dataclass(frozen=True)
class FactProbe:
    """What identifies a hidden fact in a question: its topics and extra keywords."""

    id: str
    topics: tuple[str, ...]
    keywords: tuple[str, ...] = ()


@dataclass(frozen=True)
class AnalysisContext:
    """What the analysis may look at beyond the message itself."""

    facts: tuple[FactProbe, ...] = ()
    value_points: tuple[str, ...] = ()
    list_price: float | None = None
    previous_buyer_line: str = ""
    extra_topics: dict[str, tuple[str, ...]] = field(default_factory=dict)


@functools.lru_cache(maxsize=512)
def _keyword_pattern(keywords: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a keyword list: words match at the start of a word, phrases anywhere."""
    words = sorted((k for k in keywords if " " not in k and "-" not in k), key=len, reverse=True)
    phrases = sorted((k for k in keywords if " " in k or "-" in k), key=len, reverse=True)
    parts = []
    if words:
        parts.append(r"(?<![a-z0-9$%'.,-])(?:" + "|".join(map(re.escape, words)) + ")")
    if phrases:
        parts.append("(?:" + "|".join(map(re.escape, phrases)) + ")")
    return re.compile("|".join(parts) or r"(?!x)x")


def matched_keywords(text: str, tokens: Sequence[str], keywords: Iterable[str]) -> list[str]:
    """The keywords that occur in a normalised text (prefix match per word; phrases as substrings).

    ``tokens`` is kept for callers that already split the text; matching uses one cached regex.
    """
    return list(dict.fromkeys(_keyword_pattern(tuple(keywords)).findall(text)))



def classify_question(sentence: str) -> Literal["open", "closed"]:
    """Open if it cannot be answered with yes or no; closed otherwise (docs/understanding.md)."""
    reading = read_sentence(sentence if sentence.rstrip().endswith("?") else sentence.rstrip() + "?")
    return reading.kind if reading else "closed"


def find_time_phrase(text: str) -> str | None:
    """The first concrete time in a message ('Tuesday at 10am', 'tomorrow', '3/12'), verbatim."""
    return concrete_time(text)


def analyse(text: str, ctx: AnalysisContext | None = None) -> RepAnalysis:
    """Label one rep message. Pure and deterministic: the understanding layer reads the labels
    (simulator/understanding, docs/understanding.md); this adds what depends on the drill (topics,
    hidden facts, value points, the buyer's previous words)."""
    ctx = ctx or AnalysisContext()
    reading = read_rep(text, ctx.list_price, previous_buyer_line=ctx.previous_buyer_line)
    low = normalise(reading.visible)
    tokens = words_of(low)
    reasons: list[str] = list(reading.reasons)
    questions = [q.sentence for q in reading.questions]
    open_qs = [q.sentence for q in reading.questions if q.kind == "open"]
    closed_qs = [q.sentence for q in reading.questions if q.kind == "closed"]
    if reading.question_kind == "open" and not open_qs:
        # The learned model heard an open question the rules did not: probe topics from the last sentence.
        open_qs, closed_qs = closed_qs or reading.sentences[-1:], []
    elif reading.question_kind != "open" and open_qs:
        closed_qs, open_qs = [*open_qs, *closed_qs], []
    if reading.question_kind == "none":
        open_qs, closed_qs = [], []

    topics = {**lexicon.TOPICS, **ctx.extra_topics}

    probes_instructions = any(_NOT_ABOUT_THE_BUYER.search(normalise(q)) for q in questions)

    def topics_in(found_sentences: list[str]) -> list[str]:
        found: list[str] = []
        if probes_instructions:
            reasons.append("a question in this message probes the buyer's instructions: no topic is probed")
            return found
        for sentence in found_sentences:
            s_low = normalise(sentence)
            if _NOT_ABOUT_THE_BUYER.search(s_low):
                reasons.append(f"asks about the seller or its instructions, not the business: {sentence[:60]!r}")
                continue
            for topic, keywords in topics.items():
                hits = matched_keywords(s_low, (), keywords)
                if hits and topic not in found:
                    found.append(topic)
                    reasons.append(f"probes topic {topic} ({', '.join(hits[:3])})")
        return found

    def facts_in(found_sentences: list[str], found_topics: list[str]) -> list[str]:
        probed: list[str] = []
        kept = [] if probes_instructions else found_sentences
        joined = normalise(" ".join(kept))
        for fact in ctx.facts:
            if set(fact.topics) & set(found_topics) or (kept and matched_keywords(joined, (), fact.keywords)):
                probed.append(fact.id)
        return probed

    open_topics = topics_in(open_qs)
    closed_topics = topics_in(closed_qs)
    facts_open = facts_in(open_qs, open_topics) if open_qs else []
    facts_closed = [f for f in (facts_in(closed_qs, closed_topics) if closed_qs else []) if f not in facts_open]

    value_points = [
        i for i, vp in enumerate(ctx.value_points)
        if len(content_words(vp) & content_words(reading.visible)) >= max(2, len(content_words(vp)) // 3)
    ]
    is_monologue = len(tokens) >= MONOLOGUE_WORDS
    if is_monologue:
        reasons.append(f"monologue: {len(tokens)} words in one turn")

    explore = find_phrase(low, lexicon.EXPLORE_PHRASES) if reading.language == "en" else None
    explores = bool(explore) or bool(open_qs)
    if explores:
        reasons.append("explores: " + (f"{explore!r}" if explore else "asks an open question"))
    para = find_phrase(low, lexicon.PARAPHRASE_PHRASES)
    echoed = (content_words(ctx.previous_buyer_line) & content_words(reading.visible)
              if ctx.previous_buyer_line and reading.language == "en" else set())
    paraphrases = (bool(para) and len(echoed) >= 1) or len(echoed) >= 3
    if paraphrases:
        reasons.append(f"refers to the buyer's words ({', '.join(sorted(echoed)[:4])})")

    mentions: list[dict[str, Any]] = [{"value": m.value, "owner": m.owner} for m in reading.amounts]
    if ctx.previous_buyer_line and reading.amounts:
        # The buyer's own number said back ("What's behind the $90,000?", "I understand $35,000 is where
        # you'd like to be") is the buyer's, not the rep's offer.
        theirs = {a.value for a in amounts(ctx.previous_buyer_line, ctx.list_price)}
        for mention in mentions:
            if mention["owner"] == "rep" and mention["value"] in theirs:
                mention["owner"] = "buyer"
                reasons.append(f"price {mention['value']:,.0f} is the buyer's own number, said back")
    prices = [float(m["value"]) for m in mentions if m["owner"] == "rep"]
    if ctx.list_price:
        lo, hi = PRICE_RANGE[0] * ctx.list_price, PRICE_RANGE[1] * ctx.list_price
        prices = [p for p in prices if lo <= p <= hi]
    labels = reading.labels
    fillers = len(phrase_pattern(_FILLERS).findall(low))
    rude = find_phrase(low, phrases.RUDE)
    if rude:
        reasons.append(f"rude or dismissive ({rude!r}): no acknowledgement is credited")

    return RepAnalysis(
        words=len(tokens),
        questions=len(questions) if reading.question_kind != "none" else 0,
        open_questions=len(open_qs),
        closed_questions=len(closed_qs),
        question_kind=reading.question_kind,
        open_topics=open_topics,
        closed_topics=closed_topics,
        facts_probed_open=facts_open,
        facts_probed_closed=facts_closed,
        is_pitch=labels["is_pitch"],
        is_monologue=is_monologue,
        greeting=labels["greeting"],
        thanks_or_goodbye=labels["thanks_or_goodbye"],
        ends_call=labels["ends_call"],
        acknowledges=labels["acknowledges"] and not rude,
        explores=explores,
        paraphrases=paraphrases,
        prices=prices,
        price_mentions=mentions,
        discount_pcts=reading.discount_pcts,
        concession=labels["concession"],
        asks_in_return=labels["asks_in_return"],
        next_step=labels["next_step"],
        next_step_time=reading.next_step_time,
        value_points=value_points,
        fillers=fillers,
        understood=reading.language == "en" and bool(tokens),
        rude=bool(rude),
        reasons=reasons,
    )
