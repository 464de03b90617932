"""Fixtures for the grader's tests: the shipped library, hand-made turn records, replayed sessions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from grading.transcript import parse_transcript, to_records
from simulator.content.loader import ContentLibrary, load_library
from simulator.engine.state import TurnRecord

CALIBRATION = Path(__file__).parent / "calibration"

GOOD_CALL = """\
Alex: Hi Dana, thanks for making the time today. How's your week going?
Dana: Busy, quarter end. What's this about?
Alex: I'd like to learn how you handle dispatch today. How do you plan routes right now?
Dana: Mostly spreadsheets. Two dispatchers re-key every order into the routing sheet each morning.
Alex: You mentioned they re-key every order. What does that cost you when a mistake slips through?
Dana: Late deliveries, mostly. We lost a big grocery account last year over missed windows.
Alex: That sounds painful. Who else is involved when you decide on changing a process like this?
Dana: Our COO signs off, and IT has to approve any integration.
Alex: Our import removes that re-keying step; a customer like you cut planning time by 40% in a month.
Dana: Honestly it sounds expensive. We don't have budget this year.
Alex: That's a fair concern. What's behind it, the total cost or the timing against this year's budget?
Dana: Timing. Budget resets in January.
Alex: Many teams start with a paid pilot from the operations budget that runs 8 weeks. Does that address it?
Dana: It might. I'd have to see it.
Alex: To recap: re-keying and late deliveries. Shall we book a demo with your COO on Tuesday at 10am?
Dana: Tuesday at 10am works. Send the invite.
Alex: Great, thanks Dana. Talk soon.
"""


@pytest.fixture(scope="session")
def library() -> ContentLibrary:
    """The shipped personas and scenarios."""
    return load_library()


@pytest.fixture
def good_call() -> list[TurnRecord]:
    """A decent real call as turn records (no analyses yet)."""
    return to_records(parse_transcript(GOOD_CALL, rep="Alex"))


def make_record(index: int, speaker: str, text: str, **extra: Any) -> TurnRecord:
    """A TurnRecord with defaults for the fields a test does not care about."""
    record: dict[str, Any] = {
        "index": index,
        "speaker": speaker,
        "text": text,
        "stage": "call",
        "analysis": None,
        "move": None,
        "state": None,
        "voiced_by": "rep",
        "rejected": None,
        "llm_line": None,
        "at": 0.0,
    }
    record.update(extra)
    return record  # type: ignore[return-value]


@pytest.fixture
def make() -> Callable[..., TurnRecord]:
    """``make(index, speaker, text, **fields)`` builds one TurnRecord."""
    return make_record


@pytest.fixture
def records() -> Callable[..., list[TurnRecord]]:
    """Build records from (speaker, text) pairs: records(("rep", "Hi"), ("buyer", "Hello"))."""

    def build(*pairs: tuple[str, str]) -> list[TurnRecord]:
        return [make_record(i, speaker, text) for i, (speaker, text) in enumerate(pairs)]

    return build


@pytest.fixture(scope="session")
def played(library: ContentLibrary) -> Callable[[str], Any]:
    """Replay a calibration case through the real director once per test session (cached)."""
    from grading.calibration import Case
    from simulator.content.loader import load_model
    from simulator.engine.replay import play_rep_lines

    cache: dict[str, Any] = {}

    def play(name: str) -> Any:
        if name not in cache:
            case = load_model(CALIBRATION / f"{name}.yaml", Case)
            assert case.scenario is not None
            cache[name] = play_rep_lines(case.scenario, list(case.rep_lines or []), library=library)
        return cache[name]

    return play
