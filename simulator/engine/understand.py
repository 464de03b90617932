"""Deterministic analysis of one rep message: no LLM, same input → same result.

The result is a JSON-plain dict (:class:`RepAnalysis`) with the reasons behind each label, so the
director's decisions and the grader's scores can be explained line by line to the rep.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypedDict

from simulator.engine import lexicon

_WORD = re.compile(r"[a-z0-9$%][a-z0-9'$%.,-]*[a-z0-9%]|[a-z0-9$%]")
_SENTENCE = re.compile(r"[^.!?]+[.!?]*")
_MONEY = re.compile(
    r"(?:\$|usd\s?|€|£)\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s?(k|m|thousand|million)?\b"
    r"|\b(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s?(k|thousand|million)?\s?(?:dollars|usd|bucks)\b"
    r"|\b(\d+(?:\.\d+)?)\s?(k)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"\b(\d{1,2}(?:\.\d+)?)\s?(?:%|percent)", re.IGNORECASE)
_CLOCK = re.compile(r"\b(\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.|p\.m\.)|\d{1,2}:\d{2})", re.IGNORECASE)
_DATE = re.compile(r"\b\d{1,2}/\d{1,2}(?:/\d{2,4})?\b")

_STOPWORD_TEXT = (
    "a an the and or but if so to of in on at for with from by as is are was were be been being "
    "it its this that these those i you we they he she me my your our their his her us them do "
    "does did have has had not no yes can could would should will just about into than then there "
    "here what how why who when where which also very really more most some any all can't don't "
    "i'm you're we're it's that's let's"
)
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_OPEN_REQUESTS = ("tell me", "walk me through", "talk me through", "take me through",
                  "help me understand", "describe", "explain")
"""Imperatives that ask for an open answer even without a question mark."""

_FILLERS = ("um", "uh", "erm", "uhm", "you know", "i mean", "sort of", "kind of", "basically")
PITCH_MIN_WORDS = 25
MONOLOGUE_WORDS = 80


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
    acknowledges: bool
    explores: bool
    paraphrases: bool
    prices: list[float]
    discount_pcts: list[float]
    concession: bool
    asks_in_return: bool
    next_step: bool
    next_step_time: str | None
    value_points: list[int]
    fillers: int
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


def normalise(text: str) -> str:
    """Lower-case, unify apostrophes and whitespace."""
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", text.lower()).strip()


def words_of(text: str) -> list[str]:
    """The words of a normalised text (numbers, prices and contractions kept whole)."""
    return _WORD.findall(text)


def content_words(text: str) -> set[str]:
    """Distinct non-stopword words of a text, for overlap measures."""
    return {w.strip(".,") for w in words_of(normalise(text)) if w not in STOPWORDS and len(w) > 2}


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


@functools.lru_cache(maxsize=256)
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    alternation = "|".join(map(re.escape, sorted(phrases, key=len, reverse=True)))
    return re.compile(rf"(?<![a-z'])(?:{alternation})(?![a-z'])")


def _phrase_in(text: str, phrases: Iterable[str]) -> str | None:
    """A phrase from the list that occurs as whole words in the text (the leftmost), or None."""
    match = _phrase_pattern(tuple(phrases)).search(text)
    return match.group(0) if match else None


_LEAD_IN = re.compile(
    r"^(?:(?:" + "|".join(map(re.escape, sorted(lexicon.LEAD_INS, key=len, reverse=True))) + r")[ ,]+)+"
)


def _strip_lead_ins(sentence: str) -> str:
    return _LEAD_IN.sub("", sentence)


def classify_question(sentence: str) -> Literal["open", "closed"]:
    """Open if it cannot be answered with yes or no; closed otherwise."""
    s = _strip_lead_ins(normalise(sentence).rstrip("?").strip())
    # A question embedded after a clause ("..., what is X?") is judged by its last clause.
    clauses = [c.strip() for c in re.split(r"[,;:—-]\s", s) if c.strip()]
    for candidate in (s, *(clauses[1:] if len(clauses) > 1 else [])):
        candidate = _strip_lead_ins(candidate)
        for prefix in lexicon.POLITE_OPEN_PREFIXES:
            if candidate.startswith(prefix + " "):
                rest = candidate[len(prefix):].strip()
                rest = rest.removeprefix("please ").removeprefix("maybe ").removeprefix("quickly ")
                if any(rest.startswith(v) for v in lexicon.OPEN_VERBS):
                    return "open"
                return "closed"
        if any(candidate == st or candidate.startswith((st + " ", st + "'")) for st in lexicon.OPEN_STARTERS):
            return "open"
    if s.endswith(" right") or s.endswith(" correct") or s.endswith(" yes") or s.endswith(" no"):
        return "closed"
    return "closed"


def _question_sentences(text: str) -> list[str]:
    out = []
    for raw in _SENTENCE.findall(text):
        sentence = raw.strip()
        if not sentence:
            continue
        core = _strip_lead_ins(normalise(sentence))
        is_request = any(core.startswith(v) for v in _OPEN_REQUESTS)
        if sentence.endswith("?") or is_request:
            out.append(sentence)
    return out


def _money_values(text: str) -> list[float]:
    values: list[float] = []
    for m in _MONEY.finditer(text):
        number = m.group(1) or m.group(3) or m.group(5)
        unit = (m.group(2) or m.group(4) or m.group(6) or "").lower()
        if number is None:
            continue
        value = float(number.replace(",", ""))
        if unit in ("k", "thousand"):
            value *= 1_000
        elif unit in ("m", "million"):
            value *= 1_000_000
        values.append(value)
    return values


PRICE_RANGE = (0.3, 2.0)
"""With a list price known, only amounts within these fractions of it count as prices: '$400,000 of
downtime avoided' in a $50,000 deal is a proof point, not an offer."""


def _prices(text: str, low: str, list_price: float | None) -> list[float]:
    """Money amounts in the message; with a list price, only plausible offers, bare numbers included."""
    prices = _money_values(text)
    if not list_price:
        return prices
    lo, hi = PRICE_RANGE[0] * list_price, PRICE_RANGE[1] * list_price
    prices = [p for p in prices if lo <= p <= hi]
    # Bare numbers near the list price's magnitude count as prices too ("we can do 42,000").
    for m in re.finditer(r"\b(\d{1,3}(?:,\d{3})+|\d{4,7})\b", low):
        value = float(m.group(1).replace(",", ""))
        if lo <= value <= hi and value not in prices:
            prices.append(value)
    return prices


_DAY = re.compile(r"\b(?:" + "|".join(map(re.escape, (*lexicon.RELATIVE_DAYS, *lexicon.WEEKDAYS))) + r")\b")
_MONTH_DAY = re.compile(rf"\b(?:{'|'.join(lexicon.MONTHS)})\.? \d{{1,2}}(?:st|nd|rd|th)?\b")


def find_time_phrase(text: str) -> str | None:
    """The first concrete time in a message ('Tuesday at 10am', 'tomorrow', '3/12'), verbatim."""
    original = text
    low = normalise(text)
    candidates: list[tuple[int, int]] = []
    for pattern in (_DAY, _MONTH_DAY, _CLOCK, _DATE):
        for m in pattern.finditer(low):
            candidates.append((m.start(), m.end()))
    if not candidates:
        return None
    candidates.sort()
    start, end = candidates[0]
    # Extend over adjacent time parts: "Tuesday at 10am", "next Tuesday, 3pm".
    for s2, e2 in candidates[1:]:
        gap = low[end:s2]
        if s2 >= end and len(gap) <= 5 and re.fullmatch(r"[\s,]*(?:at|@|,)?[\s,]*", gap):
            end = e2
    prefix = re.search(r"\b(?:next|this|coming)\s+$", low[:start])
    if prefix and any(low.startswith(day, start) for day in lexicon.WEEKDAYS):
        start = prefix.start()
    # Map back to the original spelling (normalise keeps length when whitespace is single).
    if len(original) == len(low):
        return original[start:end].strip(" ,")
    return low[start:end].strip(" ,")


def analyse(text: str, ctx: AnalysisContext | None = None) -> RepAnalysis:
    """Label one rep message. Pure and deterministic."""
    ctx = ctx or AnalysisContext()
    low = normalise(text)
    tokens = words_of(low)
    reasons: list[str] = []

    questions = _question_sentences(text)
    kinds = [classify_question(q) for q in questions]
    open_qs = [q for q, k in zip(questions, kinds, strict=True) if k == "open"]
    closed_qs = [q for q, k in zip(questions, kinds, strict=True) if k == "closed"]
    for q, k in zip(questions, kinds, strict=True):
        reasons.append(f"{k} question: {q.strip()[:80]!r}")

    topics = {**lexicon.TOPICS, **ctx.extra_topics}

    def topics_in(sentences: list[str]) -> list[str]:
        found: list[str] = []
        for sentence in sentences:
            s_low = normalise(sentence)
            s_tokens = words_of(s_low)
            for topic, keywords in topics.items():
                hits = matched_keywords(s_low, s_tokens, keywords)
                if hits and topic not in found:
                    found.append(topic)
                    reasons.append(f"probes topic {topic} ({', '.join(hits[:3])})")
        return found

    def facts_in(sentences: list[str], found_topics: list[str]) -> list[str]:
        probed: list[str] = []
        joined = normalise(" ".join(sentences))
        joined_tokens = words_of(joined)
        for fact in ctx.facts:
            if set(fact.topics) & set(found_topics) or matched_keywords(joined, joined_tokens, fact.keywords):
                probed.append(fact.id)
        return probed

    open_topics = topics_in(open_qs)
    closed_topics = topics_in(closed_qs)
    facts_open = facts_in(open_qs, open_topics) if open_qs else []
    facts_closed = [f for f in (facts_in(closed_qs, closed_topics) if closed_qs else [])
                    if f not in facts_open]

    pitch_hits = list(dict.fromkeys(_phrase_pattern(tuple(lexicon.PITCH_PHRASES)).findall(low)))
    we_statements = len(re.findall(r"\b(?:we|our|we're|we've|us)\b", low))
    value_points = [
        i for i, vp in enumerate(ctx.value_points)
        if len(content_words(vp) & content_words(text)) >= max(2, len(content_words(vp)) // 3)
    ]
    is_monologue = len(tokens) >= MONOLOGUE_WORDS
    is_pitch = (
        len(tokens) >= PITCH_MIN_WORDS
        and not open_qs
        and (not closed_qs or len(tokens) >= 2 * PITCH_MIN_WORDS)
        and (len(pitch_hits) >= 1 or we_statements >= 3 or len(value_points) >= 2)
    ) or (is_monologue and len(questions) <= 1)
    if is_pitch:
        reasons.append(
            f"pitch: {len(tokens)} words, no open question"
            + (f", pitch phrases {pitch_hits[:3]}" if pitch_hits else "")
        )
    if is_monologue:
        reasons.append(f"monologue: {len(tokens)} words in one turn")

    greeting = bool(_phrase_in(low[:60], lexicon.GREETING_PHRASES))
    thanks = bool(_phrase_in(low, lexicon.THANKS_PHRASES))
    ack = _phrase_in(low, lexicon.ACKNOWLEDGE_PHRASES)
    explore = _phrase_in(low, lexicon.EXPLORE_PHRASES)
    explores = bool(explore) or bool(open_qs)
    if ack:
        reasons.append(f"acknowledges ({ack!r})")
    if explores:
        reasons.append("explores: " + (f"{explore!r}" if explore else "asks an open question"))
    para = _phrase_in(low, lexicon.PARAPHRASE_PHRASES)
    echoed = (content_words(ctx.previous_buyer_line) & content_words(text)
              if ctx.previous_buyer_line else set())
    paraphrases = (bool(para) and len(echoed) >= 1) or len(echoed) >= 3
    if paraphrases:
        reasons.append(f"refers to the buyer's words ({', '.join(sorted(echoed)[:4])})")

    prices = _prices(text, low, ctx.list_price)
    discount_pcts = [
        float(m.group(1)) for m in _PERCENT.finditer(low)
        if re.search(r"discount|\boff\b|knock|price|rebate|cheaper",
                     low[m.end(): m.end() + 30] + low[max(0, m.start() - 30): m.start()])
    ]
    concession_hits = matched_keywords(low, tokens, lexicon.CONCESSION_WORDS)
    concession = bool(concession_hits or discount_pcts)
    if ctx.list_price and prices and min(prices) < ctx.list_price:
        concession = True
    trade = _phrase_in(low, lexicon.TRADE_PHRASES)
    asks_in_return = bool(trade) and (concession or bool(prices))
    if prices:
        reasons.append(f"names price(s) {', '.join(f'{p:,.0f}' for p in prices)}")
    if concession:
        hits = f" ({', '.join(concession_hits[:2])})" if concession_hits else ""
        reasons.append("offers a concession" + hits)
    if asks_in_return:
        reasons.append(f"asks for something in return ({trade!r})")

    next_step_hits = matched_keywords(low, tokens, lexicon.NEXT_STEP_WORDS)
    time_phrase = find_time_phrase(text)
    proposal = _phrase_in(low, lexicon.PROPOSAL_PHRASES)
    next_step = bool(next_step_hits) and (bool(proposal) or bool(time_phrase and questions))
    if next_step:
        reasons.append(
            f"proposes a next step ({next_step_hits[0]})"
            + (f" at {time_phrase!r}" if time_phrase else " with no time")
        )
    fillers = len(_phrase_pattern(_FILLERS).findall(low))

    return RepAnalysis(
        words=len(tokens),
        questions=len(questions),
        open_questions=len(open_qs),
        closed_questions=len(closed_qs),
        question_kind="open" if open_qs else ("closed" if closed_qs else "none"),
        open_topics=open_topics,
        closed_topics=closed_topics,
        facts_probed_open=facts_open,
        facts_probed_closed=facts_closed,
        is_pitch=is_pitch,
        is_monologue=is_monologue,
        greeting=greeting,
        thanks_or_goodbye=thanks,
        acknowledges=bool(ack),
        explores=explores,
        paraphrases=paraphrases,
        prices=prices,
        discount_pcts=discount_pcts,
        concession=concession,
        asks_in_return=asks_in_return,
        next_step=next_step,
        next_step_time=time_phrase if next_step else None,
        value_points=value_points,
        fillers=fillers,
        reasons=reasons,
    )
