"""Coaching: at most three takeaways, one skill at a time, a better line, a drill, progress."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from grading import grade_session
from grading.coaching import weakest
from simulator.content.loader import ContentLibrary
from simulator.engine.state import TurnRecord


def _grade(
    result: Any, library: ContentLibrary, scenario_id: str, previous: dict[str, Any] | None = None
) -> Any:
    scenario = library.scenario(scenario_id)
    return grade_session(
        result.transcript,
        scenario=scenario,
        persona=library.persona(scenario.persona),
        outcome=result.outcome,
        llm=None,
        previous=previous,
        library=library,
    )


def test_weakest_competency_drives_advice_better_line_and_drill(
    library: ContentLibrary, played: Callable[[str], Any]
) -> None:
    card = _grade(played("discovery_weak"), library, "saas-discovery-ops")
    low = weakest(card.competencies)
    assert low is not None
    assert 1 <= len(card.takeaways) <= 3
    assert card.do_differently and all(d.startswith(low.name) for d in card.do_differently)
    assert card.better_line is not None and card.better_line.competency == low.id
    assert card.better_line.better != card.better_line.original
    assert card.next_drill is not None and card.next_drill.competency == low.id
    assert low.id in library.scenario(card.next_drill.scenario_id).competencies


def test_better_line_for_a_closed_question_is_open(
    library: ContentLibrary, records: Callable[..., list[TurnRecord]]
) -> None:
    turns = records(
        ("rep", "Hi Raj, thanks for your time today."),
        ("buyer", "Sure."),
        ("rep", "Do you have a budget for this?"),
        ("buyer", "Yes."),
        ("rep", "Is the CEO involved?"),
        ("buyer", "Yes."),
        ("rep", "Thanks, bye."),
    )
    card = grade_session(turns, scenario=None, persona=None, outcome=None, llm=None, library=library)
    assert card.better_line is not None and card.better_line.competency == "discovery_questioning"
    assert card.better_line.original == "Do you have a budget for this?"
    assert card.better_line.better.startswith("How are you thinking about budget")


def test_negotiation_better_line_trades_the_free_concession(
    library: ContentLibrary, played: Callable[[str], Any]
) -> None:
    card = _grade(played("negotiation_weak"), library, "manufacturing-negotiation-renewal")
    assert card.better_line is not None
    if card.better_line.competency == "negotiation":
        assert "if you can commit" in card.better_line.better


def test_comparison_with_the_previous_attempt(library: ContentLibrary, played: Callable[[str], Any]) -> None:
    before = _grade(played("discovery_mixed"), library, "saas-discovery-ops").model_dump(mode="json")
    after = _grade(played("discovery_strong"), library, "saas-discovery-ops", previous=before)
    assert after.comparison is not None
    assert after.comparison.previous_overall == before["overall"]
    assert after.comparison.overall_delta == after.overall - before["overall"]
    change = after.comparison.competencies["discovery_questioning"]
    assert change.delta is not None and change.delta > 0
    assert "improved: Discovery" in after.comparison.summary


def test_previous_from_another_scenario_is_not_compared(
    library: ContentLibrary, played: Callable[[str], Any]
) -> None:
    other = _grade(played("objection_mixed"), library, "logistics-objection-price").model_dump(mode="json")
    card = _grade(played("discovery_mixed"), library, "saas-discovery-ops", previous=other)
    assert card.comparison is None and any("another scenario" in w for w in card.warnings)
