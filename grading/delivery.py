"""Delivery metrics for voice sessions, from the rep's recorded word timings.

A rep line spoken in voice practice carries ``delivery`` (words with times from the start of the
recording, the pause before speaking) and ``speech_s``; a buyer line whose audio was played carries
``speech_s`` (see :mod:`simulator.engine.speech`). This module lays the call out on one clock and
hands it to :func:`simulator.voice.delivery.delivery_report`:

* buyer line: starts where the previous line ended and lasts its ``speech_s`` (or, with no audio,
  its words at :data:`~grading.view.WORDS_PER_MINUTE`); ``objection`` when its recorded move is
  ``raise_objection`` or ``push_back`` (real calls: a buyer line that starts an objection episode);
* spoken rep line: its first word starts ``pause_s`` after the previous line ended, word times kept;
* typed rep line (a voice session where the rep typed): left out — it has no timing.

A rep line whose pause was not measured (``pause_s`` None) is placed right after the buyer and its
pause is left out of the pause figures. Pure and deterministic; :mod:`simulator.voice` is imported
only when a call has spoken lines, so text-only grading does not load it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from grading.view import WORDS_PER_MINUTE, CallView, speech_seconds

if TYPE_CHECKING:
    from simulator.voice.delivery import DeliveryReport, Turn

OBJECTION_MOVES = ("raise_objection", "push_back")
"""Buyer moves after which the rep's pause counts as 'pause before answering an objection'."""
REP, BUYER = "Rep", "Buyer"


@dataclass
class DeliveryNumbers:
    """The delivery report of the rep's spoken lines and what went into it."""

    report: DeliveryReport
    spoken_turns: int
    """Rep lines with word timings."""
    rep_turns: int
    pauses: list[float] = field(default_factory=list)
    """Measured pauses before every spoken answer, in seconds."""
    objection_pauses: list[float] = field(default_factory=list)
    """Measured pauses before answering an objection, in seconds."""
    unmeasured_pauses: int = 0
    estimated_buyer_lines: int = 0
    """Buyer lines without recorded audio length (timed at the words-a-minute estimate)."""

    @property
    def objection_pause(self) -> float | None:
        """Mean pause before answering an objection (None when no objection was answered aloud)."""
        return round(sum(self.objection_pauses) / len(self.objection_pauses), 3) if self.objection_pauses else None


def is_spoken(view: CallView, pos: int) -> bool:
    """True when the rep line at ``pos`` was spoken (has word timings)."""
    delivery = view.turns[pos].get("delivery")
    return bool(delivery and delivery.get("words"))


def objection_positions(view: CallView, episode_starts: list[int]) -> set[int]:
    """Buyer lines that raise or push an objection: recorded moves, else the detected episodes."""
    if view.session:
        return {pos for pos, move in view.moves if move["kind"] in OBJECTION_MOVES}
    return set(episode_starts)


def timeline(view: CallView, objections: set[int]) -> tuple[list[Turn], set[int], int]:
    """The call on one clock: (turns, timeline indices of rep lines with unmeasured pause, estimated buyer lines)."""
    from simulator.voice.delivery import Turn, turn_from_words

    turns: list[Turn] = []
    unmeasured: set[int] = set()
    estimated = 0
    clock = 0.0
    for pos, record in enumerate(view.turns):
        if record["speaker"] == "rep":
            delivery = record.get("delivery")
            if not delivery or not delivery.get("words"):
                continue
            words = delivery["words"]
            pause = delivery.get("pause_s")
            if pause is None:
                unmeasured.add(len(turns))
            first = clock + (pause or 0.0)
            turn = turn_from_words(REP, words, offset=first - float(words[0]["start"]), text=record["text"])
            turns.append(turn)
            clock = max(clock, turn.end)
        else:
            seconds = speech_seconds(record)
            if seconds is None:
                seconds = view.words[pos] * 60.0 / WORDS_PER_MINUTE
                estimated += 1
            turns.append(Turn(BUYER, clock, clock + seconds, record["text"], objection=pos in objections))
            clock += seconds
    return turns, unmeasured, estimated


def delivery_numbers(view: CallView, episode_starts: list[int]) -> DeliveryNumbers | None:
    """Delivery metrics for the rep's spoken lines; None when no rep line was spoken (text practice)."""
    spoken = [p for p in view.rep_pos if is_spoken(view, p)]
    if not spoken:
        return None
    from simulator.voice.delivery import delivery_report

    turns, unmeasured, estimated = timeline(view, objection_positions(view, episode_starts))
    report = delivery_report(turns, rep=REP)
    measured = [p for p in report.pauses if p.rep_turn not in unmeasured]
    return DeliveryNumbers(
        report=report,
        spoken_turns=len(spoken),
        rep_turns=len(view.rep_pos),
        pauses=[p.seconds for p in measured],
        objection_pauses=[p.seconds for p in measured if p.after_objection],
        unmeasured_pauses=len(unmeasured),
        estimated_buyer_lines=estimated,
    )
