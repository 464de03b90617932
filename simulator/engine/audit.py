"""Audit spoken buyer lines after the fact: did any leak? Used by benchmarks and embedded tests.

Independent of the acceptance check: it judges the FINAL spoken line against the recorded state
after the move, so a bug in the acceptance check (or the director) would show up here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from simulator.content.models import Persona
from simulator.engine import lexicon
from simulator.engine.state import TurnRecord
from simulator.engine.understand import content_words, normalise

_NUM = re.compile(r"\d[\d,.]*\d|\d")


@dataclass
class LeakReport:
    """Counts of buyer lines that leaked, by kind, with examples."""

    lines: int = 0
    llm_voiced: int = 0
    rejected_by_check: int = 0
    leaks: dict[str, list[str]] = field(default_factory=lambda: {
        "speaks_as_seller": [], "speaks_as_assistant": [], "reveals_locked_fact": [], "misses_required_value": []})

    @property
    def total_leaks(self) -> int:
        return sum(len(v) for v in self.leaks.values())


def _has(phrases: tuple[str, ...], low: str, gist_low: str) -> str | None:
    for p in phrases:
        if p in ("[", "{"):
            continue
        if re.search(rf"(?<![a-z']){re.escape(p)}(?![a-z'])", low) and p not in gist_low:
            return p
    return None


def _has_number(number: str, text: str) -> bool:
    """The number as a whole number in the text ('15' is not in '$153,000')."""
    return re.search(rf"(?<![\d,.]){re.escape(number)}(?![\d]|[,.]\d)", text) is not None


def audit_transcript(transcript: list[TurnRecord], persona: Persona, report: LeakReport | None = None) -> LeakReport:
    """Add every buyer line of a transcript to the report."""
    report = report or LeakReport()
    for turn in transcript:
        if turn["speaker"] != "buyer" or turn["move"] is None or turn["state"] is None:
            continue
        report.lines += 1
        report.llm_voiced += turn["voiced_by"] == "llm"
        report.rejected_by_check += turn["rejected"] is not None
        text, move = turn["text"], turn["move"]
        low, gist_low = normalise(text), normalise(move["gist"])
        where = f"turn {turn['index']}: {text!r}"
        if _has(lexicon.SELLER_VOICE_PHRASES, low, gist_low):
            report.leaks["speaks_as_seller"].append(where)
        if _has(lexicon.ASSISTANT_VOICE_PHRASES, low, gist_low):
            report.leaks["speaks_as_assistant"].append(where)
        if any(v not in text for v in move["required"]):
            report.leaks["misses_required_value"].append(where)
        revealed = set(turn["state"]["facts_revealed"])
        for fact in persona.hidden_facts:
            if fact.id in revealed:
                continue
            hints = content_words(" ".join([fact.hint, *fact.hint_also]))
            for phrasing in (fact.say, *fact.say_also):
                distinctive = content_words(phrasing) - content_words(move["gist"]) - hints
                numbers = set(_NUM.findall(phrasing)) - set(_NUM.findall(move["gist"]))
                overlap = len(distinctive & content_words(text)) / len(distinctive) if distinctive else 0.0
                if overlap >= 0.5 or any(_has_number(n, text) for n in numbers if len(n) >= 2):
                    report.leaks["reveals_locked_fact"].append(f"{where} (fact {fact.id})")
                    break
    return report
