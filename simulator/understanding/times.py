"""Concrete times in a message ('Tuesday at 10am', 'next Tues at 2', 'March 4th', '3/12', 'tomorrow').

A period ('next week', 'end of the month', 'in Q3') is not a concrete time: docs/understanding.md.
"""

from __future__ import annotations

import re

from simulator.understanding.text import normalise

_WEEKDAY = (r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday|s)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
            r"|sat(?:urday)?|sun(?:day)?)")
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
          r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")
_ORD = r"\d{1,2}(?:st|nd|rd|th)?"
_PARTS = [
    re.compile(rf"\b(?:(?:next|this|coming)\s+)?{_WEEKDAY}\b\.?(?:\s+(?:morning|afternoon|evening))?"),
    re.compile(r"\b(?:tomorrow|tmrw|tmr)\b(?:\s+(?:morning|afternoon|evening))?"),
    re.compile(rf"\b{_MONTH}\.?\s+(?:the\s+)?{_ORD}\b"),
    re.compile(rf"\b(?:the\s+)?{_ORD}\s+(?:of\s+)?{_MONTH}\b"),
    re.compile(r"\b(?:the\s+)\d{1,2}(?:st|nd|rd|th)\b"),
    re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b(?:on|by|for|before|after|until|from) \d{1,2}/\d{1,2}(?:/\d{2,4})?\b"
               r"|\b\d{1,2}/\d{1,2}(?= (?:at|@) ?\d)"),
    re.compile(r"(?:\bat\s+|@\s?)?\b\d{1,2}(?::\d{2})?\s?(?:am|pm|a\.m\.?|p\.m\.?)(?![a-z])"),
    re.compile(r"(?:\bat\s+|@\s?)?\b\d{1,2}:\d{2}\b"),
    re.compile(r"\b(?:at|@)\s+(?:1[0-2]|[1-9])(?:\s?(?:ish|o'clock))?\b(?!\s?(?:%|percent|k\b|seats|users|people|\.\d|,\d))"),
    re.compile(r"\b(?:at\s+)?(?:noon|midday)\b"),
    re.compile(r"\b(?:later\s+)?(?:today|tonight|this afternoon|this evening)\b"),
]
_DAY_LIKE = (0, 1, 2, 3, 4, 5)
"""Indexes of _PARTS that name a day; the others are times of day."""

_WEAK_CLOCK = 8
"""'at 2' is a time only next to a day ('next Tues at 2'), never alone ('at 2 sites')."""
_TODAY = 10
"""'today' is a time only with a time of day ('today at 4'); alone it is usually 'how it works today'."""


def concrete_time(text: str) -> str | None:
    """The first concrete time in a message, verbatim (extended over adjacent parts), or None."""
    low = normalise(text)
    spans: list[tuple[int, int, int]] = []
    for index, pattern in enumerate(_PARTS):
        for m in pattern.finditer(low):
            if index == 2 and m.group(0).startswith("may") and not re.match(r"may\.?\s+(?:the\s+)?\d", m.group(0)):
                continue
            if index == 0 and re.search(r"\blast\s$", low[max(0, m.start() - 5) : m.start()]):
                continue  # 'last thursday's demo': a past day, not a time proposed
            spans.append((m.start(), m.end(), index))
    if not spans:
        return None
    spans.sort()
    has_day = any(i in (*_DAY_LIKE, _TODAY) for _, _, i in spans)
    spans = [s for s in spans if s[2] != _WEAK_CLOCK or has_day]
    has_clock = any(i in (6, 7, 8, 9) for _, _, i in spans)
    spans = [s for s in spans if s[2] != _TODAY or has_clock]
    if not spans:
        return None
    start, end, _ = spans[0]
    for s2, e2, _ in spans[1:]:
        gap = low[end:s2]
        if (s2 >= end and len(gap) <= 6 and re.fullmatch(r"[\s,]*(?:at|@|,|-|the)?[\s,]*", gap)) or s2 < end:
            end = max(end, e2)
    original = " ".join(text.split())
    phrase = original[start:end] if len(original) == len(low) else low[start:end]
    return re.sub(r"^(?:on|by|for|before|after|until|from)\s+(?=\d)", "", phrase.strip(" ,"), flags=re.IGNORECASE)
