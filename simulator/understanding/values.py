"""Values in a rep's message: money amounts (digits and words) and whose they are, percents, times.

Rules, not a model: values must be exact, and each carries the words that decided it.
"""

from __future__ import annotations

import functools
import itertools
import re
import zlib
from dataclasses import dataclass

import numpy as np

from simulator.understanding.definitions import PRICE_RANGE, PriceOwner
from simulator.understanding.text import normalise

_MONEY = re.compile(
    r"(?:\$|usd\s?|€|£)\s?(\d{1,3}(?:[, ]\d{3})+|\d+(?:\.\d+)?)\s?(k|m|mm|thousand|million|grand)?\b"
    r"|\b(\d{1,3}(?:[, ]\d{3})+|\d+(?:\.\d+)?)\s?(k|m|thousand|million|grand)?\s?(?:dollars|usd|bucks|euros?)\b"
    r"|\b(\d+(?:\.\d+)?)\s?(k|grand)\b",
    re.IGNORECASE,
)
_BARE = re.compile(r"(?<![\d.,$])\b(\d{1,3}(?:,\d{3})+|\d{4,7})\b(?![.,]?\d)")
_SHORT_THOUSANDS = re.compile(
    r"(?<![\d.,$/:-])\b(\d{1,3}(?:\.\d{1,2})?)\b(?![.,:/]?\d)"
    r"(?=\s*(?:$|[.,;:!?)\u2014-]|(?:flat|a|per|for|and|on|with|if|then|is|it|total|all|annually|upfront|up front"
    r"|including|plus|or|but|that|which|we|you|i|so|no|tops|max|firm|final|over|because|since|as|to|in|feels|sounds"
    r"|works|each|now|right|would|will|could|can|and|vs|versus|from|at|mine's|yours|is|was|even|net|seems|looks"
    r"|covers|gets|buys|stands|stays|there|here|this|out|off|done|deal|instead|rather|max|minimum|apart|like)\b))"
)
"""A bare number said as thousands ('we're at 48', 'let's call it 160', 'still 12.8') when the list price is
known and the number, in thousands, is a plausible price for it; never before a unit ('3 years', '14 depots')."""
_COLLOQUIAL = re.compile(
    r"(?<![\d.,$])\b(\d{1,2})[ -](\d{1,2})(?:[ -](\d))?\b(?![.,]?\d)"
    r"(?!\s?(?:%|percent|months?|years?|yrs?|seats?|users?"
    r"|k\b|days?|weeks?|hours?|minutes?|mins?|am|pm|a\.m|p\.m|sites?|people|trucks?|cafes?|cafés?|locations?|stores?"
    r"|clinics?|reps?|of\b|to\b|or\b))"
)
"""Prices said in groups: 'forty-seven five' (47 5 → 47,500), 'one ten' (1 10 → 110,000),
'one fifty-eight four' (1 58 4 → 158,400), 'one oh five' (1 0 5 → 105,000)."""


def _colloquial_value(a: int, b: int, c: int | None) -> float | None:
    if c is not None:
        if not 1 <= a <= 9:
            return None
        return float((a * 100 + c) * 1000) if b == 0 else float((a * 100 + b) * 1000 + c * 100)
    if 1 <= a <= 9 and 10 <= b <= 99:
        return float((a * 100 + b) * 1000)
    if 1 <= a <= 9 and b == 0:
        return None
    if 10 <= a <= 99 and 1 <= b <= 9:
        return float(a * 1000 + b * 100)
    return None


PERCENT = re.compile(r"\b(\d{1,2}(?:\.\d+)?)\s?(?:%|percent|per cent)", re.IGNORECASE)

_COMPETITOR_CUES = (
    "quote",
    "quoted",
    "competitor",
    "other vendor",
    "another vendor",
    "other provider",
    "alternative",
    "they're offering",
    "they are offering",
    "they offered",
    "offered you",
    "you were offered",
    "their price",
    "their quote",
    "their offer",
    "they charge",
    "they're charging",
    "charging you",
    "they came in",
    "came in at",
    "cheaper option",
    "the other guys",
    "other bid",
    "bid from",
    "rfp",
    "incumbent",
    "current vendor",
    "your vendor",
    "you pay them",
    "paying them",
    "they'd do",
    "they would do",
)
_BUYER_CUES = (
    "your budget",
    "budget of",
    "budget is",
    "budgeted",
    "you mentioned",
    "you said",
    "you offered",
    "your offer",
    "you're at",
    "you are at",
    "you proposed",
    "your number",
    "your counter",
    "you asked for",
    "you wanted",
    "you want",
    "you need it at",
    "you need to be at",
    "you can do",
    "you could do",
    "your ceiling",
    "your cap",
    "your target",
    "you came back with",
    "you're asking",
    "you are asking",
    "your max",
    "you have approved",
    "approved for",
    "signed off on",
    "your team approved",
    "you've got",
)
_OTHER_CUES = (
    "you paid",
    "you're paying",
    "you are paying",
    "paid",
    "spent",
    "spending",
    "fees",
    "in fees",
    "last year",
    "costing you",
    "costs you",
    "cost you",
    "cost them",
    "save",
    "saving",
    "savings",
    "saved",
    "losing",
    "lose",
    "lost",
    "revenue",
    "downtime",
    "worth",
    "roi",
    "return on",
    "penalt",
    "fines",
    "spend on",
    "spent on",
    "spending on",
    "in overtime",
    "overtime",
    "write-off",
    "write off",
    "waste",
    "churn",
    "per incident",
    "a year in",
    "avoided",
    "recovered",
    "recover",
    "payback",
    "impact of",
)
_REP_CUES = (
    "i can do",
    "we can do",
    "i could do",
    "we could do",
    "i'll do",
    "we'll do",
    "i can get you",
    "we can get you",
    "our price",
    "my price",
    "the price is",
    "price would be",
    "priced at",
    "come down to",
    "i can go",
    "we can go",
    "i can meet",
    "i'll hold",
    "we'll hold",
    "i can hold",
    "i'd do",
    "we'd do",
    "let's say",
    "let's do",
    "we're at",
    "for a",
    "at around",
    "around",
    "at about",
    "runs about",
    "runs",
    "comes to",
    "stays at",
    "stay at",
    "remains at",
    "remain at",
    "renewal stays",
    "the renewal is",
    "comes in at",
    "come in at",
    "priced",
    "pricing is",
    "quote you",
    "quoted you at",
    "renewal at",
    "i'm at",
    "we are at",
    "i am at",
    "our offer",
    "my offer",
    "i can offer",
    "we can offer",
    "list is",
    "list price",
)


@dataclass(frozen=True)
class Amount:
    """One money amount in a message and whose number it is, with the words that decided it."""

    value: float
    owner: PriceOwner
    cue: str
    start: int
    end: int = 0
    context: str = ""


@functools.lru_cache(maxsize=1)
def _alpha2digit() -> object:
    from text_to_num import alpha2digit

    return alpha2digit


def numbers_as_digits(low: str) -> str:
    """'forty-seven thousand five hundred' → '47500'; leaves other words as they are."""
    if not re.search(
        r"\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty"
        r"|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand|million)",
        low,
    ):
        return low
    # "one-fifty-eight-four" is said as separate groups: hyphens between number words become spaces,
    # except inside a tens-unit word ("fifty-eight"); "one oh five" keeps its zero.
    low = re.sub(r"\b(one|two|three|four|five|six|seven|eight|nine)-(?=[a-z])", r"\1 ", low)
    low = re.sub(r"\b([a-z]+?)(?<!ty)-(one|two|three|four|five|six|seven|eight|nine)\b", r"\1 \2", low)
    low = re.sub(r"\b(one|two|three|four|five|six|seven|eight|nine)[ -]oh[ -]", r"\1 zero ", low)
    try:
        converted = str(_alpha2digit()(low, "en"))  # type: ignore[operator]
    except Exception:  # text2num rejects odd input; the digits we already have still count
        return low
    return converted.lower()


def _unit_value(number: str, unit: str) -> float:
    value = float(number.replace(",", "").replace(" ", ""))
    unit = unit.lower()
    if unit in ("k", "thousand", "grand"):
        value *= 1_000
    elif unit in ("m", "mm", "million"):
        value *= 1_000_000
    return value


_AFTER_OTHER = re.compile(
    r"^\s?(?:a year |per year |annually |a month |per month |last year |this year )?(?:in|of|on|from|worth of)\s"
    r"(?:[a-z-]+\s){0,2}?(?:fees|overtime|waste|savings|refunds|downtime|detention|revenue|churn|penalt\w*|fines"
    r"|losses|expedites?|write-?offs?|spend|costs?|labou?r|turnover|chargebacks|credits|rework|claims|pipeline)"
)
_THRESHOLD = re.compile(
    r"(?:anything|everything|spend|purchases?|deals?|contracts?)\s(?:over|above|under|below)\s$"
    r"|(?:over|above|threshold of|limit of|cap of|ceiling of|up to)\s$"
)


def _cues(window: str, cues: tuple[str, ...]) -> list[tuple[int, str]]:
    found = []
    for cue in cues:
        for m in re.finditer(rf"(?<![a-z]){re.escape(cue)}(?![a-z])", window):
            found.append((m.end(), cue))
    return found


def _clause_window(low: str, start: int) -> str:
    """The clause before an amount: back to the previous sentence or strong break."""
    left = max(
        low.rfind(mark, 0, start)
        for mark in (
            ". ",
            "? ",
            "! ",
            "; ",
            " but ",
            " - ",
            " — ",
            " vs ",
            " and we",
            " and i",
            ", we",
            ", i ",
            ", so ",
            " so the ",
        )
    )
    return low[max(left, 0) : start]


def owner_of(low: str, start: int, end: int, value: float, list_price: float | None) -> tuple[PriceOwner, str]:
    """Whose amount this is: the nearest owner cue before it in its clause, or what follows it."""
    after = low[end : end + 60]
    if _AFTER_OTHER.match(after):
        return "other", "a cost or saving: " + _AFTER_OTHER.match(after).group(0).strip()  # type: ignore[union-attr]
    window = _clause_window(low, start)
    if _THRESHOLD.search(window[-40:]):
        return "other", "an approval threshold"
    found: list[tuple[int, str, PriceOwner]] = []
    for owner, cues in (
        ("competitor", _COMPETITOR_CUES),
        ("buyer", _BUYER_CUES),
        ("other", _OTHER_CUES),
        ("rep", _REP_CUES),
    ):
        found += [(pos, cue, owner) for pos, cue in _cues(window, cues)]  # type: ignore[misc]
    if found:
        _pos, cue, owner = max(found, key=lambda f: f[0])
        if list_price and owner == "rep":
            lo, hi = PRICE_RANGE[0] * list_price, PRICE_RANGE[1] * list_price
            if not lo <= value <= hi:
                return "other", f"far from the list price {list_price:,.0f}"
        return owner, cue
    if list_price:
        lo, hi = PRICE_RANGE[0] * list_price, PRICE_RANGE[1] * list_price
        if not lo <= value <= hi:
            return "other", f"far from the list price {list_price:,.0f}"
    return "rep", "no other owner named"


def amounts(text: str, list_price: float | None = None) -> list[Amount]:
    """Every money amount in the message, in order, with its owner."""
    low = numbers_as_digits(normalise(text))
    found: list[tuple[int, int, float]] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for m in _MONEY.finditer(low):
        number = m.group(1) or m.group(3) or m.group(5)
        unit = m.group(2) or m.group(4) or m.group(6) or ""
        if number is None:
            continue
        found.append((m.start(), m.end(), _unit_value(number, unit)))
        taken.append((m.start(), m.end()))
    if list_price:
        lo, hi = PRICE_RANGE[0] * list_price, PRICE_RANGE[1] * list_price
        for m in _BARE.finditer(low):
            value = float(m.group(1).replace(",", ""))
            if free(m.start(), m.end()) and lo <= value <= hi and not re.match(r"\s?(?:%|percent)", low[m.end() :]):
                found.append((m.start(), m.end(), value))
                taken.append((m.start(), m.end()))
        if list_price >= 5_000:
            for m in _COLLOQUIAL.finditer(low):
                value = (
                    _colloquial_value(int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None) or 0.0
                )
                if free(m.start(), m.end()) and lo <= value <= hi:
                    found.append((m.start(), m.end(), value))
                    taken.append((m.start(), m.end()))
            for m in _SHORT_THOUSANDS.finditer(low):
                value = float(m.group(1)) * 1_000
                if free(m.start(1), m.end(1)) and lo <= value <= hi:
                    found.append((m.start(1), m.end(1), value))
                    taken.append((m.start(1), m.end(1)))
    out = []
    for start, end, value in sorted(found):
        owner, cue = owner_of(low, start, end, value, list_price)
        out.append(Amount(value=value, owner=owner, cue=cue, start=start, end=end, context=low))
    return out


OWNER_HASH_BUCKETS = 2048
_OWNER_WORD = re.compile(r"[a-z']+|\$|\d+")


def _bucket(token: str) -> int:
    return zlib.crc32(token.encode()) % OWNER_HASH_BUCKETS


def owner_features(amount: Amount, list_price: float | None, index: int, count: int) -> np.ndarray:
    """What the learned owner model sees: hashed words around the amount, its rule owner, its size."""
    low = amount.context
    left = _OWNER_WORD.findall(low[max(0, amount.start - 90) : amount.start])[-10:]
    right = _OWNER_WORD.findall(low[amount.end : amount.end + 60])[:6]
    x = np.zeros(OWNER_HASH_BUCKETS + 16)
    for i, w in enumerate(reversed(left)):
        x[_bucket("L:" + w)] += 1.0 if i < 4 else 0.5
        if i < 3:
            x[_bucket(f"L{i}:" + w)] += 1.0
    for i, w in enumerate(right):
        x[_bucket("R:" + w)] += 1.0 if i < 3 else 0.5
    for a, b in itertools.pairwise(left):
        x[_bucket(f"LB:{a} {b}")] += 0.7
    for w in _OWNER_WORD.findall(low):
        x[_bucket("M:" + w)] += 0.2
    base = OWNER_HASH_BUCKETS
    x[base + ("rep", "competitor", "buyer", "other").index(amount.owner)] = 1.0
    ratio = amount.value / list_price if list_price else 0.0
    x[base + 4] = float(bool(list_price))
    x[base + 5] = min(ratio, 3.0)
    x[base + 6] = float(bool(list_price) and ratio < 1.0)
    x[base + 7] = float(bool(list_price) and (ratio < 0.3 or ratio > 2.0))
    x[base + 8] = float(index == 0)
    x[base + 9] = float(index == count - 1)
    x[base + 10] = float(count > 1)
    x[base + 11] = float(amount.value < 1000)
    return x


def discount_percents(text: str) -> list[float]:
    """Percentages offered off the price ('8% off', 'a ten percent discount')."""
    low = numbers_as_digits(normalise(text))
    return [
        float(m.group(1))
        for m in PERCENT.finditer(low)
        if re.search(
            r"discount|\boff\b|knock|price|rebate|cheaper|reduc|lower",
            low[m.end() : m.end() + 30] + " " + low[max(0, m.start() - 30) : m.start()],
        )
    ]
