"""Metrics computed in code, each checkable by hand, with benchmarks and applicability."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from grading.metrics import compute_numbers, metric_entries
from grading.view import build_view
from simulator.content.loader import ContentLibrary
from simulator.engine.state import TurnRecord

Records = Callable[..., list[TurnRecord]]


def _metrics(turns: list[TurnRecord], **kw: Any) -> tuple[Any, dict[str, Any]]:
    view = build_view(turns, scenario=kw.get("scenario"), persona=kw.get("persona"), outcome=None)
    numbers = compute_numbers(view)
    return numbers, {k: m.model_dump() for k, m in metric_entries(numbers, view).items()}


def test_talk_ratio_questions_and_distribution(records: Records) -> None:
    turns = records(
        ("rep", "Hi Dana. How do you plan routes today?"),  # 8 words, 1 open question
        ("buyer", "With spreadsheets and a lot of phone calls every single morning."),  # 11 words
        ("rep", "Is that painful?"),  # 3 words, 1 closed
        ("buyer", "Yes."),
        ("rep", "What does a late delivery cost you?"),  # 7 words, 1 open
        ("buyer", "A lot."),
    )
    n, m = _metrics(turns)
    assert (n.rep_words, n.buyer_words) == (18, 14)
    assert m["talk_ratio"]["value"] == pytest.approx(round(100 * 18 / 32, 1))
    assert "Gong" in m["talk_ratio"]["source"] and "43%" in m["talk_ratio"]["benchmark"]
    assert m["questions"]["value"] == 3 and m["open_question_share"]["value"] == pytest.approx(66.7)
    # thirds of 6 turns: positions 0-1, 2-3, 4-5 -> one question in each
    assert m["question_distribution"]["value"] == [33.3, 33.3, 33.3]
    assert m["avg_turn_words"]["value"] == 6.0


def test_monologue_seconds_estimated_then_measured_with_voice_timings(records: Records) -> None:
    long_line = " ".join(["word"] * 150)
    turns = records(("rep", "Hello there."), ("buyer", "Hi."), ("rep", long_line), ("buyer", "Ok."))
    _, m = _metrics(turns)
    assert m["longest_monologue_words"]["value"] == 150
    assert m["longest_monologue_seconds"]["value"] == 60.0
    assert "estimated at 150" in m["longest_monologue_seconds"]["note"]
    assert m["speaking_rate"]["applicable"] is False
    timed = [dict(t, speech_s=s) for t, s in zip(turns, (1.0, 0.5, 50.0, 0.5), strict=True)]
    _, m = _metrics(timed)  # type: ignore[arg-type]
    assert (
        m["longest_monologue_seconds"]["value"] == 50.0
        and m["longest_monologue_seconds"]["note"] == "measured"
    )
    assert m["talk_ratio"]["unit"] == "% of seconds"
    assert m["speaking_rate"]["value"] == pytest.approx(round(152 / 51 * 60, 1))


def test_filler_rate_and_reflections(records: Records) -> None:
    turns = records(
        ("rep", "Um so basically we, uh, route orders."),
        ("buyer", "Our dispatchers re-key every order by hand."),
        ("rep", "It sounds like the re-key work eats your mornings. What does it cost?"),
    )
    n, m = _metrics(turns)
    assert n.fillers == 3
    assert m["filler_rate"]["value"] == pytest.approx(round(100 * 3 / n.rep_words, 2))
    assert m["reflections"]["value"] == 1


def test_real_call_objections_next_step_and_price(records: Records) -> None:
    turns = records(
        ("rep", "The plan is $12,000 a year."),
        ("buyer", "That's too expensive for us."),
        ("rep", "I understand. What's behind that, the total or the timing?"),
        ("buyer", "The total."),
        ("rep", "I can do $11,000 if you can commit to two years. Would that work?"),
        ("buyer", "Deal, that works."),
        ("rep", "Great. Shall we book a call on Friday at 2pm to sign?"),
        ("buyer", "Friday at 2pm works."),
    )
    n, m = _metrics(turns)
    assert m["objections_raised"]["value"] == 1 and "price" in m["objections_raised"]["note"]
    assert m["objections_resolved"]["applicable"] is False
    assert m["next_step"]["value"] is True and "Friday at 2pm" in m["next_step"]["note"]
    assert m["final_price"]["value"] == 11000 and n.negotiation.deal
    assert m["price_vs_list"]["value"] == pytest.approx(round(100 * 11000 / 12000, 1))
    assert m["concessions"]["value"] == 1 and "1 traded" in m["concessions"]["note"]
    assert m["buyer_target"]["applicable"] is False and m["hidden_facts"]["applicable"] is False


def test_value_claims_before_any_price_talk_are_not_concessions(records: Records) -> None:
    turns = records(("rep", "We cut planning time by 40% for a customer like you."), ("buyer", "Nice."))
    n, _ = _metrics(turns)
    assert n.negotiation.concessions == [] and not n.negotiation.engaged


def test_session_metrics_come_from_recorded_moves_and_state(
    library: ContentLibrary, make: Callable[..., TurnRecord]
) -> None:
    scenario = library.scenario("manufacturing-negotiation-renewal")
    persona = library.persona(scenario.persona)
    state: dict[str, Any] = {
        "facts_revealed": ["detention-fees"],
        "objections_raised": ["price-too-high"],
        "objections_resolved": ["price-too-high"],
        "objection_progress": {"price-too-high": {"acknowledged": True, "explored": True, "responded": True}},
        "list_price": 50000.0,
        "rep_price": 46000.0,
        "deal_price": 46000.0,
        "buyer_ceiling": 47500.0,
        "concessions": [
            {
                "turn": 1,
                "from_price": 50000.0,
                "to_price": 46000.0,
                "traded": True,
                "rep_line": "I can do $46,000 if you sign for two years.",
            }
        ],
        "next_step": None,
        "end_reason": "deal",
    }
    move = {
        "kind": "accept",
        "gist": "",
        "required": [],
        "fact_id": None,
        "objection_id": None,
        "price": 46000.0,
        "reasons": [],
        "state_changes": [],
    }
    turns = [
        make(0, "rep", "I can do $46,000 if you sign for two years."),
        make(1, "buyer", "All right, $46,000 it is.", move=move, state=state),
    ]
    n, m = _metrics(turns, scenario=scenario, persona=persona)
    assert m["hidden_facts"]["value"] == 1 and m["hidden_facts"]["note"].startswith("of 3")
    assert m["objections_resolved"]["applicable"] and m["objections_resolved"]["value"] == 1
    assert m["price_vs_list"]["value"] == 92.0 and "90%" in m["price_vs_list"]["benchmark"]
    assert m["buyer_target"]["value"] == pytest.approx(0.85 * 50000)
    assert m["buyer_walk_away"]["value"] == 47500.0
    assert n.negotiation.concessions == [(0, True)]
