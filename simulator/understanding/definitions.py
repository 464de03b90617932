"""The one set of label names and thresholds that the reader, the rules, the grader and the docs use.

Definitions in words: docs/understanding.md.
"""

from __future__ import annotations

from typing import Final, Literal

QuestionKind = Literal["open", "closed", "none"]
PriceOwner = Literal["rep", "competitor", "buyer", "other"]

BOOLEAN_LABELS: Final[tuple[str, ...]] = (
    "next_step",
    "concession",
    "asks_in_return",
    "acknowledges",
    "is_pitch",
    "greeting",
    "thanks_or_goodbye",
    "ends_call",
)
"""Yes/no labels of one rep message, each with a learned model over the train split."""

MEASURED_LABELS: Final[tuple[str, ...]] = (*BOOLEAN_LABELS, "next_step_timed")
"""What the test-split report lists: the yes/no labels plus next step with a concrete time."""

PRICE_OWNERS: Final[tuple[PriceOwner, ...]] = ("rep", "competitor", "buyer", "other")

BUYER_LABELS: Final[tuple[str, ...]] = ("agrees", "refuses", "objects", "asks", "deflects")
"""Labels of one buyer line (grading real calls)."""

PITCH_MIN_WORDS: Final = 20
"""A pitch runs to at least this many words (and asks no open question)."""

MONOLOGUE_WORDS: Final = 80
"""One turn of at least this many words is a monologue."""

MAX_ANALYSED_CHARS: Final = 4_000
"""Longer messages are analysed on their first this-many characters (the service caps input anyway)."""

PRICE_RANGE: Final = (0.3, 2.0)
"""With a list price known, a rep's amount counts as an offer only within these fractions of it:
'$400,000 of downtime avoided' in a $50,000 deal is a proof point, not an offer."""
