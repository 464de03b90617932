"""The code behind every rubric check. Each returns pass/fail, what it counted, and the rep lines.

A competency's score is 1 + the checks it passes (:mod:`grading.scoring`). Checks that reward
*avoiding* a mistake (no monologue, few fillers, ...) need at least :data:`MIN_REP_TURNS` rep
turns: a one-line call shows nothing to credit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from grading.metrics import CallNumbers
from grading.rubric import ParamValue
from grading.view import CallView

MIN_REP_TURNS = 3


@dataclass(frozen=True)
class CheckOutcome:
    passed: bool
    detail: str
    support: tuple[int, ...] = ()
    """Rep line positions that show the behaviour."""
    against: tuple[int, ...] = ()
    """Rep line positions that show it missing."""


Params = Mapping[str, ParamValue]
CheckFn = Callable[[CallView, CallNumbers, Params], CheckOutcome]
REGISTRY: dict[tuple[str, str], CheckFn] = {}


def register_check(competency: str, check_id: str) -> Callable[[CheckFn], CheckFn]:
    def register(fn: CheckFn) -> CheckFn:
        REGISTRY[(competency, check_id)] = fn
        return fn

    return register


def turns_text(view: CallView, positions: list[int] | tuple[int, ...], limit: int = 6) -> str:
    """'turns 1, 3, 5' for a list of positions."""
    shown = [str(view.number(p)) for p in positions[:limit] if p >= 0]
    more = "…" if len(positions) > limit else ""
    return ("turn " if len(shown) == 1 else "turns ") + ", ".join(shown) + more if shown else "no turn"


def too_short(n: CallNumbers) -> CheckOutcome | None:
    if n.rep_turns < MIN_REP_TURNS:
        return CheckOutcome(False, f"too short to judge: {n.rep_turns} rep turn(s), needs {MIN_REP_TURNS}")
    return None


# The check modules register themselves on import (they import this module first).
from grading import checks_deal, checks_talk  # noqa: E402, F401
