"""The buyer's rules: facts, objections, negotiation, patience — through the real graph, no LLM."""

from __future__ import annotations

import pytest

from simulator.engine.replay import play_rep_lines

PITCH = ("Our platform is the industry-leading solution for order exceptions. We help companies like yours "
         "save money with seamless integrations and robust analytics across every team, and we have helped "
         "hundreds of customers.")

GOOD_DISCOVERY = [
    "Hi Raj, thanks for taking the call. How's your week going?",
    "How are you handling order exceptions today?",
    "It sounds like chasing handoffs eats a lot of time. What does that mean for your delivery promise?",
    "Who else is involved when you decide on a tool like this?",
    "How are you thinking about budget for fixing this?",
    "Could we book 30 minutes next Tuesday at 10am to walk through a plan?",
]


def _moves(result: object) -> list[str]:
    return [t["move"]["kind"] for t in result.transcript if t["move"]]  # type: ignore[attr-defined]


def test_good_discovery_uncovers_facts_and_books_a_meeting() -> None:
    r = play_rep_lines("saas-discovery-ops", GOOD_DISCOVERY)
    assert len(r.buyer["facts_revealed"]) == 4
    assert r.buyer["next_step"] == "next Tuesday at 10am"
    assert r.outcome["success"], r.outcome


def test_pitch_dump_and_closed_questions_unlock_nothing() -> None:
    r = play_rep_lines("saas-discovery-ops", ["Hi Raj.", PITCH, PITCH, "Do you have a budget?",
                                              "Is your CEO involved?", "Do you use spreadsheets?"])
    assert r.buyer["facts_revealed"] == []
    assert "deflect_pitch" in _moves(r) and "hint" in _moves(r)
    assert not r.outcome["success"]


def test_pitching_exhausts_patience_and_ends_the_call() -> None:
    r = play_rep_lines("saas-discovery-ops", [PITCH] * 6)
    assert r.buyer["ended"] and r.buyer["end_reason"] == "patience"
    assert _moves(r)[-1] == "end_call"


def test_trust_gates_facts() -> None:
    medium = play_rep_lines("saas-discovery-ops", ["How are you thinking about budget for this?"])
    assert "budget-q3" not in medium.buyer["facts_revealed"]
    reasons = [reason for t in medium.transcript if t["move"] for reason in t["move"]["reasons"]]
    assert any("needs trust" in reason for reason in reasons)


def test_objection_resolves_only_after_acknowledge_explore_respond() -> None:
    lines = [
        "Hi Dana, thanks for making time today.",
        "LaneSight shows you which lanes and carriers cause your detention fees.",
        "Most customers see payback in under a year.",  # responds before exploring
        "I understand, that's a fair concern. What's behind it for you?",
        "Makes sense. The payback comes from detention fees dropping by a sixth. Could I show you the math?",
    ]
    r = play_rep_lines("logistics-objection-price", lines)
    kinds = _moves(r)
    assert kinds[2] == "raise_objection" and kinds[3] == "push_back"
    assert kinds[4] == "explain_concern" and kinds[5] == "resolve_objection"
    assert r.buyer["objections_resolved"] == ["price-too-high"]
    assert r.buyer["objection_active"] == "timing-quarter-end"


def test_next_step_refused_while_objections_are_open() -> None:
    r = play_rep_lines("logistics-objection-price", ["Hi Dana.", "LaneSight finds detention fees.",
                                                       "Can we book Thursday at 2pm for a demo?"])
    assert r.buyer["next_step"] is None
    assert _moves(r)[-1] == "decline_next_step"


def test_negotiation_trading_reaches_target_and_giving_away_does_not() -> None:
    strong = play_rep_lines("manufacturing-negotiation-renewal", [
        "Hi Dana, thanks for making time.",
        "PlantPulse cut unplanned downtime by 19% last year. The renewal is $50,000 per year.",
        "I understand. If you commit to a two-year term, I can do $48,000.",
        "If you also agree to be a reference customer, I can come to $46,500.",
        "If you can sign by Friday, $46,000.",
        "If you give us a case study, I can do $45,500.",
    ])
    assert strong.buyer["deal_price"] == 45_500 and strong.outcome["success"]
    weak = play_rep_lines("manufacturing-negotiation-renewal", [
        "Hi Dana.", "Our price is $50,000 per year.", "OK, I can do $42,000.", "Fine, $38,000."])
    assert weak.buyer["deal_price"] == 38_000 and not weak.outcome["success"]
    assert [c["traded"] for c in weak.buyer["concessions"]] == [False, False]


def test_buyer_walks_away_when_pushed_past_walk_away() -> None:
    lines = ["Hi Dana.", "The renewal is $50,000 per year."]
    lines += ["It stays at $50,000: it cut unplanned downtime on the pump lines by 19% last year."] * 12
    r = play_rep_lines("manufacturing-negotiation-renewal", lines)
    assert r.buyer["end_reason"] == "no_deal" and r.buyer["deal_price"] is None
    assert _moves(r)[-1] == "walk_away"
    assert r.buyer["buyer_offer"] is not None and r.buyer["buyer_offer"] <= r.buyer["buyer_ceiling"]  # type: ignore[operator]


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_difficulty_changes_the_buyer(difficulty: str) -> None:
    r = play_rep_lines("saas-discovery-ops", ["Hi Raj."], difficulty=difficulty)  # type: ignore[arg-type]
    start = r.transcript[0]["state"]
    assert start is not None
    expected = {"easy": (0.45, 10), "medium": (0.3, 7), "hard": (0.2, 4)}[difficulty]
    assert (start["trust"], start["patience"]) == expected


def test_every_buyer_move_and_state_change_is_recorded() -> None:
    r = play_rep_lines("saas-discovery-ops", GOOD_DISCOVERY[:3])
    buyer_turns = [t for t in r.transcript if t["speaker"] == "buyer"]
    rep_turns = [t for t in r.transcript if t["speaker"] == "rep"]
    assert all(t["move"] and t["state"] and t["move"]["reasons"] for t in buyer_turns)
    assert all(t["analysis"] for t in rep_turns)
    changes = [c for t in buyer_turns for c in t["move"]["state_changes"]]  # type: ignore[index]
    assert "fact 'manual-handoffs' revealed" in changes
    assert [t["index"] for t in r.transcript] == list(range(len(r.transcript)))


def test_a_deeper_fact_waits_for_the_fact_it_builds_on() -> None:
    impact_first = play_rep_lines("healthcare-discovery-it", [
        "Hi Nadia, thanks for taking the time today.",
        "What impact does that have on patient care?",
        "How are you handling paging today?",
        "It sounds like clinicians text each other. What impact does that have on response times?",
    ], difficulty="easy")
    first = impact_first.transcript[4]["move"]
    assert first is not None and first["kind"] != "reveal_fact"
    assert any("builds on 'pagers-and-texting'" in reason for reason in first["reasons"])
    assert impact_first.buyer["facts_revealed"] == ["pagers-and-texting", "slow-response"]


HALF_ANSWER = "That makes sense. You can see the evidence for every number. Would that help?"


@pytest.mark.parametrize(("difficulty", "resolved"), [("easy", True), ("medium", False)])
def test_harder_buyers_want_a_more_specific_answer(difficulty: str, resolved: bool) -> None:
    lines = ["Hi Marcus, thanks for making the time today.", "Where would you like to start?",
             "I hear you. What's behind that for you?",
             "That makes sense. PipeSense reads your CRM and email: no extra fields and no new login.",
             "I understand. What's behind that for you?", HALF_ANSWER]
    r = play_rep_lines("saas-objection-vp-sales", lines, difficulty=difficulty)  # type: ignore[arg-type]
    assert ("trust-ai-forecast" in r.buyer["objections_resolved"]) is resolved
    if not resolved:
        last = r.transcript[-1]["move"]
        assert last is not None and last["kind"] == "push_back"
        assert "covers 1 of the 2 points" in last["reasons"][-1]


def test_hard_objection_drills_raise_an_extra_objection_before_a_next_step() -> None:
    hard = play_rep_lines("saas-objection-vp-sales", ["Hi Marcus."], difficulty="hard")
    assert hard.buyer["objections_queue"][-1] == "timing-quarter-end"
    medium = play_rep_lines("saas-objection-vp-sales", ["Hi Marcus."])
    assert "timing-quarter-end" not in medium.buyer["objections_queue"]


@pytest.mark.parametrize(("difficulty", "anchor"), [("easy", 37_000), ("medium", 35_000), ("hard", 33_000)])
def test_negotiation_buyer_opens_lower_on_harder_levels(difficulty: str, anchor: float) -> None:
    r = play_rep_lines("manufacturing-negotiation-renewal", ["Hi Dana.", "The renewal is $50,000 per year."],
                       difficulty=difficulty)  # type: ignore[arg-type]
    assert r.buyer["buyer_offer"] == anchor


def test_buyer_walks_away_even_when_its_limit_is_not_a_round_number() -> None:
    hold = "It stays at $14,400: it plans each morning's bake from what actually sold."
    r = play_rep_lines("retail-negotiation-owner",
                       ["Hi Rosa.", "The price is $14,400 per year.", *[hold] * 16], difficulty="hard")
    assert r.buyer["buyer_ceiling"] == 12_528 and r.buyer["buyer_offer"] == 12_500
    assert r.buyer["end_reason"] == "no_deal" and _moves(r)[-1] == "walk_away"


def test_a_claimed_past_agreement_is_not_the_rep_accepting() -> None:
    from simulator.engine.rules.negotiation import rep_accepts

    assert rep_accepts("Agreed, we have a deal.") and rep_accepts("Agreed.")
    assert not rep_accepts("Earlier you agreed to pay list, so let's finalise.")
    assert not rep_accepts("As we agreed last week, that's the number.")


def test_a_goodbye_line_requires_nothing_the_dropped_parts_needed() -> None:
    lines = [*GOOD_DISCOVERY[:-1], "Let's talk next Tuesday at 10am then. Thanks Raj, bye for now."]
    r = play_rep_lines("saas-discovery-ops", lines)
    last = r.transcript[-1]
    assert last["move"]["kind"] == "thanks"
    assert all(value in last["text"] for value in last["move"]["required"]), last["move"]


def test_the_leak_audit_matches_whole_numbers_only() -> None:
    from simulator.engine.audit import _has_number

    assert _has_number("15", "about 15 hours a week") and _has_number("$25,000", "over $25,000.")
    assert not _has_number("15", "I can move to $153,000.") and not _has_number("30", "$10,300")
