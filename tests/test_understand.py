"""The deterministic analysis of rep messages."""

from __future__ import annotations

import pytest

from simulator.engine.understand import (
    AnalysisContext,
    FactProbe,
    analyse,
    classify_question,
    find_time_phrase,
)


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("What does your budget look like?", "open"),
        ("How are you handling exceptions today?", "open"),
        ("How's the team coping?", "open"),
        ("Could you walk me through your approval process?", "open"),
        ("So, tell me about your current setup?", "open"),
        ("Do you have a budget?", "closed"),
        ("Is the CEO involved?", "closed"),
        ("Can you send it over?", "closed"),
        ("That makes sense, right?", "closed"),
    ],
)
def test_question_kind(question: str, kind: str) -> None:
    assert classify_question(question) == kind


def test_open_question_probes_fact_topics() -> None:
    ctx = AnalysisContext(facts=(FactProbe("budget", ("budget",)),
                                 FactProbe("process", ("decision_process",))))
    a = analyse("How are you thinking about budget for this?", ctx)
    assert a["question_kind"] == "open"
    assert a["facts_probed_open"] == ["budget"]
    assert a["facts_probed_closed"] == []
    closed = analyse("Do you have a budget?", ctx)
    assert closed["facts_probed_open"] == [] and closed["facts_probed_closed"] == ["budget"]


def test_pitch_and_monologue() -> None:
    pitch = ("Our platform is the industry-leading solution for order exceptions. We help companies like "
             "yours save money with seamless integrations and robust analytics across every team.")
    a = analyse(pitch)
    assert a["is_pitch"] and not a["is_monologue"]
    long = " ".join(["We integrate with everything and our customers love it."] * 10)
    assert analyse(long)["is_monologue"]
    assert not analyse("What's the biggest headache in your week right now?")["is_pitch"]


def test_objection_signals() -> None:
    a = analyse("I hear you, that's a fair concern. What's behind it for you?")
    assert a["acknowledges"] and a["explores"]
    assert not analyse("Our product is great.")["acknowledges"]


def test_negotiation_signals() -> None:
    ctx = AnalysisContext(list_price=50_000)
    traded = analyse("If you sign a two-year term, I can do $46,000.", ctx)
    assert traded["prices"] == [46_000] and traded["concession"] and traded["asks_in_return"]
    given = analyse("OK, I can knock 10% off.", ctx)
    assert given["discount_pcts"] == [10.0] and given["concession"] and not given["asks_in_return"]
    assert analyse("We could do 45k.", ctx)["prices"] == [45_000]


def test_next_step_needs_a_proposal_and_keeps_the_time_verbatim() -> None:
    a = analyse("Could we book 30 minutes next Tuesday at 10am to review the plan?")
    assert a["next_step"] and a["next_step_time"] == "next Tuesday at 10am"
    assert not analyse("Thanks for taking the call. How's your week?")["next_step"]
    no_time = analyse("Can we set up a follow-up meeting?")
    assert no_time["next_step"] and no_time["next_step_time"] is None
    assert find_time_phrase("How about Thursday, 2pm?") == "Thursday, 2pm"


def test_paraphrase_of_buyer_words() -> None:
    ctx = AnalysisContext(previous_buyer_line="My team spends 15 hours a week chasing handoffs.")
    a = analyse("It sounds like chasing handoffs is eating your team's week. What does that cost you?", ctx)
    assert a["paraphrases"]


def test_analysis_is_deterministic_and_explained() -> None:
    text = "I understand. If you commit to two years, could we do $45,000? What matters most to you?"
    ctx = AnalysisContext(list_price=50_000)
    first, second = analyse(text, ctx), analyse(text, ctx)
    assert first == second
    assert any("open question" in r for r in first["reasons"])


def test_amounts_far_from_the_list_price_are_not_offers() -> None:
    ctx = AnalysisContext(list_price=50_000)
    proof = analyse("Northwind avoided $400,000 of downtime, so the renewal stays at $50,000.", ctx)
    assert proof["prices"] == [50_000] and not proof["concession"]
    assert analyse("That's about $4,000 a month.", ctx)["prices"] == []
    assert analyse("That's about $4,000 a month.")["prices"] == [4_000]  # no list price: every amount counts
